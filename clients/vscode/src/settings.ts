/**
 * The `sourcepacker.*` settings as one typed object. package.json `contributes.configuration` is
 * the single declaration; this module mirrors it with defaults and a pure parser, so a
 * hand-edited settings.json with a wrong type degrades to the default with a warning instead of
 * reaching the daemon (test/unit/settings.test.ts, test/unit/manifest.test.ts).
 */

import type { CounterName, PackFormat, PoolKind, WireSettings } from "./protocol";

export type TraceLevel = "off" | "messages" | "verbose";

export interface Settings {
  encoding: string;
  format: PackFormat;
  include: string[];
  exclude: string[];
  maxFileSize: number;
  /** undefined = let the daemon pick. */
  poolKind: PoolKind | undefined;
  /** undefined = let the daemon pick (max(2, cpus/2)). */
  poolSize: number | undefined;
  /** "" = the daemon's default (.sourcepacker/cache). */
  cacheDir: string;
  /** undefined = let the daemon pick ("auto"). */
  counter: CounterName | undefined;
  /** "" = the Python extension's interpreter, else python3. */
  interpreter: string;
  trace: TraceLevel;
  showSkipped: boolean;
}

export const MIB = 1024 * 1024;

export const DEFAULTS: Readonly<Settings> = Object.freeze({
  encoding: "o200k_base",
  format: "xml",
  include: [],
  exclude: [],
  maxFileSize: 2 * MIB,
  poolKind: undefined,
  poolSize: undefined,
  cacheDir: "",
  counter: undefined,
  interpreter: "",
  trace: "off",
  showSkipped: false,
});

export const FORMATS: readonly PackFormat[] = ["xml", "markdown", "plain"];
const POOL_KINDS: readonly PoolKind[] = ["auto", "thread", "process"];
const COUNTERS: readonly CounterName[] = ["auto", "tiktoken", "rs-bpe"];
const TRACE_LEVELS: readonly TraceLevel[] = ["off", "messages", "verbose"];

/** Reads a dotted key ("server.interpreter") from whatever `getConfiguration` gave us. */
export type RawLookup = (key: string) => unknown;

export interface ParseResult {
  settings: Settings;
  /** One human-readable line per ignored value. */
  problems: string[];
}

/** `lookup` returns undefined for unset keys; every other bad value becomes a problem. */
export function parseSettings(lookup: RawLookup): ParseResult {
  const problems: string[] = [];
  const pick = <T>(key: string, fallback: T, accept: (v: unknown) => v is T): T => {
    const value = lookup(key);
    if (value === undefined || value === null) {
      return fallback;
    }
    if (accept(value)) {
      return value;
    }
    problems.push(`sourcepacker.${key}: ignoring invalid value ${JSON.stringify(value)}`);
    return fallback;
  };
  const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";
  const anyString = (v: unknown): v is string => typeof v === "string";
  const oneOf =
    <T extends string>(values: readonly T[]) =>
    (v: unknown): v is T =>
      typeof v === "string" && (values as readonly string[]).includes(v);
  const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((item) => typeof item === "string");
  const positiveInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

  const settings: Settings = {
    encoding: pick("encoding", DEFAULTS.encoding, nonEmpty).trim(),
    format: pick("format", DEFAULTS.format, oneOf(FORMATS)),
    include: pick("include", [...DEFAULTS.include], stringList),
    exclude: pick("exclude", [...DEFAULTS.exclude], stringList),
    maxFileSize: pick("maxFileSize", DEFAULTS.maxFileSize, positiveInt),
    poolKind: pick<PoolKind | undefined>("poolKind", DEFAULTS.poolKind, oneOf(POOL_KINDS)),
    poolSize: pick<number | undefined>("poolSize", DEFAULTS.poolSize, positiveInt),
    cacheDir: pick("cacheDir", DEFAULTS.cacheDir, anyString).trim(),
    counter: pick<CounterName | undefined>("counter", DEFAULTS.counter, oneOf(COUNTERS)),
    interpreter: pick("server.interpreter", DEFAULTS.interpreter, anyString).trim(),
    trace: pick("trace.server", DEFAULTS.trace, oneOf(TRACE_LEVELS)),
    showSkipped: pick("showSkipped", DEFAULTS.showSkipped, (v): v is boolean => typeof v === "boolean"),
  };
  return { settings, problems };
}

/** The daemon's view of the settings (docs/protocol.md "Settings"): client-only keys dropped. */
export function toWireSettings(s: Settings): WireSettings {
  const wire: WireSettings = {
    encoding: s.encoding,
    format: s.format,
    include: [...s.include],
    exclude: [...s.exclude],
    maxFileSize: s.maxFileSize,
  };
  if (s.poolKind !== undefined) {
    wire.poolKind = s.poolKind;
  }
  if (s.poolSize !== undefined) {
    wire.poolSize = s.poolSize;
  }
  if (s.cacheDir !== "") {
    wire.cacheDir = s.cacheDir;
  }
  if (s.counter !== undefined) {
    wire.counter = s.counter;
  }
  return wire;
}

/** True when a change needs a new daemon process rather than a didChangeConfiguration. */
export function needsRestart(before: Settings, after: Settings): boolean {
  return before.interpreter !== after.interpreter;
}
