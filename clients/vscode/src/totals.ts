/**
 * Totals per workspace folder, as the daemon last reported them (`sourcepacker/totals` and the
 * results of setChecked / profiles/load), summed for the status bar. Pure: status.ts renders it.
 */

import { formatCompact, formatExact, formatTokens } from "./format";
import type { TokenSum, Totals } from "./protocol";

/** The daemon always sends every field of a TokenSum (no defaults in protocol.py). */
export type Sum = TokenSum;

export const ZERO: Readonly<Sum> = Object.freeze({ tokens: 0, exact: 0, estimated: 0, files: 0, pendingFiles: 0 });

export function addSums(a: Sum, b: Sum): Sum {
  return {
    tokens: a.tokens + b.tokens,
    exact: a.exact + b.exact,
    estimated: a.estimated + b.estimated,
    files: a.files + b.files,
    pendingFiles: a.pendingFiles + b.pendingFiles,
  };
}

export interface Combined {
  selected: Sum;
  workspace: Sum;
  encodings: string[];
  roots: number;
}

export class TotalsStore {
  private byRoot = new Map<string, Totals>();
  private listeners: Array<() => void> = [];

  set(totals: Totals): void {
    this.byRoot.set(totals.rootUri, totals);
    this.listeners.forEach((l) => l());
  }

  get(rootUri: string): Totals | undefined {
    return this.byRoot.get(rootUri);
  }

  /** Keeps only the given folders (workspace folders changed, server restarted with none). */
  retain(rootUris: readonly string[]): void {
    const gone = [...this.byRoot.keys()].filter((key) => !rootUris.includes(key));
    gone.forEach((key) => this.byRoot.delete(key));
    if (gone.length > 0) {
      this.listeners.forEach((l) => l());
    }
  }

  clear(): void {
    this.byRoot.clear();
    this.listeners.forEach((l) => l());
  }

  onChange(listener: () => void): { dispose(): void } {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }

  entries(): Totals[] {
    return [...this.byRoot.values()];
  }

  combined(): Combined {
    let selected: Sum = { ...ZERO };
    let workspace: Sum = { ...ZERO };
    const encodings = new Set<string>();
    for (const t of this.byRoot.values()) {
      selected = addSums(selected, t.selected);
      workspace = addSums(workspace, t.workspace);
      if (t.encoding !== "") {
        encodings.add(t.encoding);
      }
    }
    return { selected, workspace, encodings: [...encodings], roots: this.byRoot.size };
  }
}

/** Status bar text, e.g. "$(symbol-numeric) 12.3k / ~480k". */
export function statusText(c: Combined): string {
  const sel = formatTokens(c.selected.tokens, c.selected.pendingFiles > 0);
  const all = formatTokens(c.workspace.tokens, c.workspace.pendingFiles > 0);
  return `$(symbol-numeric) ${sel} / ${all}`;
}

function sumLines(title: string, s: Sum): string[] {
  const lines = [`**${title}:** ${formatExact(s.tokens)} tokens in ${formatExact(s.files)} files`];
  if (s.pendingFiles > 0) {
    lines.push(
      `- exact ${formatExact(s.exact)}, estimated ${formatExact(s.estimated)} (${formatExact(s.pendingFiles)} files still counting)`,
    );
  } else {
    lines.push("- all counts exact");
  }
  return lines;
}

/** Markdown for the status bar tooltip. */
export function statusTooltip(c: Combined, perRoot: readonly { name: string; totals: Totals }[]): string {
  const lines = [
    "**SourcePacker**",
    "",
    ...sumLines("Selected", c.selected),
    "",
    ...sumLines("Workspace", c.workspace),
  ];
  if (perRoot.length > 1) {
    lines.push("");
    for (const { name, totals } of perRoot) {
      lines.push(`- ${name}: ${formatCompact(totals.selected.tokens)} / ${formatCompact(totals.workspace.tokens)}`);
    }
  }
  lines.push("", `Encoding: \`${c.encodings.length > 0 ? c.encodings.join(", ") : "unknown"}\``);
  lines.push("", "Click to show the SourcePacker view.");
  return lines.join("\n");
}
