/**
 * Compact token counts for narrow places (tree descriptions, the status bar): "950", "1.2k",
 * "48k", "999.9k", "1M", "1.3M". One decimal, a trailing ".0" dropped, and a value that rounds
 * up to 1000 of a unit rolls into the next unit ("999.95k" is "1M", never "1000k").
 */

const UNITS = ["", "k", "M", "B", "T"] as const;

export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) {
    return "?";
  }
  const n = Math.round(Math.abs(value));
  const sign = value < 0 && n !== 0 ? "-" : "";
  if (n < 1000) {
    return `${sign}${n}`;
  }
  let unit = 1;
  let scale = 1000;
  // tenths of the current unit; integer maths keeps 999_949 at "999.9k" and 999_950 at "1M"
  let tenths = Math.round(n / (scale / 10));
  while (tenths >= 10_000 && unit < UNITS.length - 1) {
    unit += 1;
    scale *= 1000;
    tenths = Math.round(n / (scale / 10));
  }
  const whole = Math.floor(tenths / 10);
  const fraction = tenths % 10;
  return `${sign}${whole}${fraction === 0 ? "" : `.${fraction}`}${UNITS[unit]}`;
}

/** `formatCompact` with a "~" when the number is still (partly) an estimate. */
export function formatTokens(value: number, estimated: boolean): string {
  return `${estimated ? "~" : ""}${formatCompact(value)}`;
}

/** Thousands separators for tooltips, where there is room for the exact figure. */
export function formatExact(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** The message after a copy, e.g. "Copied 3 files · 12.3k tokens". */
export function copiedMessage(files: number, tokens: number): string {
  return `Copied ${plural(files, "file")} · ${formatCompact(tokens)} tokens`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value >= 10 ? Math.round(value) : Math.round(value * 10) / 10} ${units[i]}`;
}
