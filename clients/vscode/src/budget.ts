/**
 * The status bar's figure: what Copy would put on the clipboard now (the daemon's `prompt` per
 * folder, summed) against the chosen budget, its colour level, and the tooltip's breakdown.
 * Pure: status.ts renders it; the unit tests pin the wording and the thresholds.
 */

import { formatCompact, formatExact, plural } from "./format";
import type { Totals } from "./protocol";

/** Past 80 % of the budget the item turns the warning colour, past 100 % the error colour. */
export const WARNING_SHARE = 0.8;
export type Level = "ok" | "warning" | "error";

export function budgetLevel(used: number, budget: number | undefined): Level {
  if (budget === undefined || budget <= 0) {
    return "ok";
  }
  return used > budget ? "error" : used > budget * WARNING_SHARE ? "warning" : "ok";
}

export interface PromptFigure {
  /** Tokens of the prompt (exact when `estimated` is false). */
  tokens: number;
  /** Some folder has no prompt figure yet, or files are still being counted. */
  estimated: boolean;
  /** Selected files' tokens (the files' part of the prompt). */
  files: number;
  /** Prompt minus files: wrappers, instructions, tree. */
  overhead: number;
  workspace: number;
  selectedFiles: number;
  pendingFiles: number;
  encodings: string[];
}

/**
 * Sums the folders' figures. A folder whose prompt is not computed yet counts its selected
 * files' tokens (the prompt without wrappers), and the sum is marked estimated.
 */
export function promptFigure(all: readonly Totals[]): PromptFigure {
  let tokens = 0;
  let files = 0;
  let workspace = 0;
  let selectedFiles = 0;
  let pendingFiles = 0;
  let missing = false;
  const encodings = new Set<string>();
  for (const t of all) {
    files += t.selected.tokens;
    workspace += t.workspace.tokens;
    selectedFiles += t.selected.files;
    pendingFiles += t.selected.pendingFiles;
    if (t.encoding !== "") {
      encodings.add(t.encoding);
    }
    if (t.selected.files === 0) {
      continue; // Copy packs nothing here (it says so): no wrapper tokens either
    }
    if (t.prompt === undefined || t.prompt === null) {
      missing = true;
      tokens += t.selected.tokens;
    } else {
      tokens += t.prompt;
    }
  }
  const estimated = missing || pendingFiles > 0;
  return {
    tokens,
    estimated,
    files,
    overhead: Math.max(0, tokens - files),
    workspace,
    selectedFiles,
    pendingFiles,
    encodings: [...encodings],
  };
}

/** "87.2k / 200k", "~87.2k / 200k" while estimates remain, "87.2k" without a budget. */
export function formatBudget(used: number, budget: number | undefined, estimated: boolean): string {
  const head = `${estimated ? "~" : ""}${formatCompact(used)}`;
  return budget === undefined || budget <= 0 ? head : `${head} / ${formatCompact(budget)}`;
}

/**
 * "4.4%", "43%": one decimal under 10 %, whole percent (rounded down: never "100%" for less than
 * all) above, "<0.1%" for tiny shares.
 */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0) {
    return "";
  }
  const pct = (part / whole) * 100;
  if (pct > 0 && pct < 0.1) {
    return "<0.1%";
  }
  return pct < 10 ? `${Math.round(pct * 10) / 10}%` : `${Math.floor(pct)}%`;
}

/** A row is "heavy" when it holds at least this share of the selection: the row shows the share. */
export const HEAVY_SHARE = 0.05;

/** "12.4k · 14%" for a row holding >= 5 % of the selection, else undefined. */
export function shareSuffix(tokens: number, selectedTokens: number): string | undefined {
  if (selectedTokens <= 0 || tokens < selectedTokens * HEAVY_SHARE) {
    return undefined;
  }
  return formatShare(Math.min(tokens, selectedTokens), selectedTokens);
}

export interface BudgetInfo {
  budget: number | undefined;
  /** Model name, or undefined for a custom number. */
  model: string | undefined;
  /** The count approximates the model's own tokenizer. */
  approximate: boolean;
}

export interface OptionsInfo {
  format: string;
  tree: boolean;
  transforms: readonly string[];
  instructions: boolean;
}

/** Markdown for the status bar tooltip. */
export function budgetTooltip(
  f: PromptFigure,
  b: BudgetInfo,
  options: OptionsInfo,
  perRoot: readonly { name: string; totals: Totals }[] = [],
): string {
  const approx = f.estimated ? "~" : "";
  const lines = [`**SourcePacker: what Copy puts on the clipboard**`, ""];
  lines.push(`- Prompt: ${approx}${formatExact(f.tokens)} tokens`);
  if (b.budget !== undefined && b.budget > 0) {
    const who = b.model === undefined ? "custom budget" : b.model;
    lines.push(`- Budget: ${formatExact(b.budget)} (${who}), ${formatShare(f.tokens, b.budget)} used`);
  }
  lines.push(`- Files: ${formatExact(f.files)} tokens in ${plural(f.selectedFiles, "file")}`);
  const extras = [
    "wrappers",
    ...(options.instructions ? ["instructions"] : []),
    ...(options.tree ? ["directory tree"] : []),
  ];
  lines.push(`- ${capitalize(extras.join(", "))}: ${approx}${formatExact(f.overhead)} tokens`);
  lines.push(`- Workspace total: ${formatExact(f.workspace)} tokens`);
  if (f.pendingFiles > 0) {
    lines.push(`- Files pending: ${formatExact(f.pendingFiles)} still being counted`);
  } else if (f.estimated) {
    lines.push("- Computing the prompt for the current options…");
  }
  if (perRoot.length > 1) {
    for (const { name, totals } of perRoot) {
      lines.push(`  - ${name}: ${formatCompact(totals.prompt ?? totals.selected.tokens)}`);
    }
  }
  const shaping = [options.format, ...options.transforms].join(", ");
  lines.push("", `Encoding: \`${f.encodings.length > 0 ? f.encodings.join(", ") : "unknown"}\` · format: ${shaping}`);
  if (b.approximate) {
    lines.push("", `${b.model ?? "This model"}'s own tokenizer is not available offline: its count may differ.`);
  }
  lines.push("", "Click to choose the model or budget.");
  return lines.join("\n");
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** One file is "heavy" in the Explorer when it alone takes >= 5 % of the budget (10k of 200k). */
export const HEAVY_FILE_SHARE = 0.05;
/** Without a budget: 10k tokens, 5 % of a 200k window. */
export const HEAVY_FILE_TOKENS = 10_000;

export function heavyMark(tokens: number, budget: number | undefined): boolean {
  return tokens >= (budget !== undefined && budget > 0 ? budget * HEAVY_FILE_SHARE : HEAVY_FILE_TOKENS);
}

/** The toast after a copy: "Copied 6 files · 229 tokens · 0.1% of 200k · 2 secrets masked". */
export function copyToast(
  files: number,
  tokens: number,
  budget: number | undefined,
  secrets: number,
  what = "Copied",
): string {
  const parts = [`${what} ${plural(files, "file")}`, `${formatCompact(tokens)} tokens`];
  if (budget !== undefined && budget > 0) {
    parts.push(`${formatShare(tokens, budget)} of ${formatCompact(budget)}`);
  }
  if (secrets > 0) {
    parts.push(`${plural(secrets, "secret")} masked`);
  }
  return parts.join(" · ");
}
