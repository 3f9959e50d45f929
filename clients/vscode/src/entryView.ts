/**
 * What one tree row shows (label, description, tooltip, checkbox, context value) for an entry of
 * `sourcepacker/listFiles`, computed without VS Code so the wording is unit-tested.
 */

import { formatBytes, formatExact, formatTokens } from "./format";
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

export function describeEntry(entry: Entry, maxFileSize?: number): ItemView {
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
  parts.push(formatTokens(tokens, estimated));
  if (entry.isNew === true) {
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
  if (entry.isNew === true) {
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
