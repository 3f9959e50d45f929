/**
 * What one tree row shows (label, description, tooltip, checkbox, context value) for an entry of
 * `sourcepacker/listFiles`, computed without VS Code so the wording is unit-tested.
 */

import { shareSuffix } from "./budget";
import { formatBytes, formatExact, formatTokens, plural } from "./format";
import type { Entry } from "./protocol";
import { SKIP_TOO_LARGE } from "./protocol";

/** Everything a tree row shows, computed without VS Code. */
export interface ItemView {
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  /** undefined = no checkbox (skipped files cannot be packed). */
  checkbox: "checked" | "unchecked" | undefined;
  collapsible: boolean;
  isFile: boolean;
}

const PARTIAL_MARK = "◐";

/** What a row adds from outside its entry: the selection's size, secrets seen in the last pack. */
export interface RowContext {
  /** Tokens of the selection's files: a checked row with >= 5 % of it shows its share. */
  selectedTokens?: number;
  /** Kinds of the secrets the last pack masked in this file. */
  secrets?: readonly string[];
  /** The user dismissed this new file (Review New Files): no longer flagged. */
  dismissed?: boolean;
}

export function describeEntry(entry: Entry, maxFileSize?: number, context: RowContext = {}): ItemView {
  const { tokens, state } = entry;
  const isFile = entry.kind === "file";
  const lines = [entry.path];
  if (state === "skipped") {
    const reason = entry.skipReason ?? "skipped";
    const sizeNote =
      reason === SKIP_TOO_LARGE
        ? ` (${formatBytes(entry.size)}${maxFileSize === undefined ? "" : ` > ${formatBytes(maxFileSize)} limit`})`
        : "";
    lines.push(`Skipped: ${reason}${sizeNote}`);
    if (reason === SKIP_TOO_LARGE) {
      lines.push('Use "Include Anyway" to raise sourcepacker.maxFileSize.');
    }
    return {
      label: entry.name,
      description: `skipped: ${reason}`,
      tooltip: lines.join("\n"),
      contextValue: reason === SKIP_TOO_LARGE ? "skipped-too-large" : "skipped",
      checkbox: undefined,
      collapsible: !isFile,
      isFile,
    };
  }
  const estimated = state !== "exact";
  const parts: string[] = [];
  if (entry.checked === "partial") {
    parts.push(PARTIAL_MARK);
  }
  const isNew = entry.isNew === true && context.dismissed !== true;
  const share = entry.checked === "checked" ? shareSuffix(tokens, context.selectedTokens ?? 0) : undefined;
  parts.push(share === undefined ? formatTokens(tokens, estimated) : `${formatTokens(tokens, estimated)} · ${share}`);
  const secrets = context.secrets ?? [];
  if (secrets.length > 0) {
    parts.push("⚠");
  }
  if (isNew) {
    parts.push("new");
  }
  const how = state === "exact" ? "exact" : state === "stale" ? "changed, recounting" : "estimated";
  lines.push(`${estimated ? "~" : ""}${formatExact(tokens)} tokens (${how})`);
  if (!isFile) {
    lines.push(`${formatExact(entry.fileCount ?? 0)} files`);
  }
  if (entry.checked === "partial") {
    lines.push("Partly selected");
  }
  if (share !== undefined) {
    lines.push(`${share} of the selected files' tokens`);
  }
  if (secrets.length > 0) {
    lines.push(`${plural(secrets.length, "secret")} found (${[...new Set(secrets)].join(", ")}): masked when packed`);
  }
  if (isNew) {
    lines.push("New since the loaded profile was saved");
  }
  return {
    label: entry.name,
    description: parts.join(" "),
    tooltip: lines.join("\n"),
    contextValue: isFile ? "file" : "dir",
    checkbox: entry.checked === "checked" ? "checked" : "unchecked",
    collapsible: !isFile,
    isFile,
  };
}
