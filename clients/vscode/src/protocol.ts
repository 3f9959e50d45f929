/**
 * The wire contract with `python -m sourcepacker serve`, mirroring docs/protocol.md and
 * server/sourcepacker/daemon/protocol.py. A Python test regex-extracts the quoted method-name strings
 * below and compares them with the daemon's: keep every method name a plain double-quoted string
 * literal inside `Methods` / `Notifications`, and nowhere else in this file.
 *
 * The daemon's converter omits a field only when it equals its attrs default: a field WITHOUT a
 * default in protocol.py is always sent and is required here; a field with one is optional here
 * and read through `?? default`. tests/unit/test_protocol.py checks both the names and this.
 */

export const Methods = {
  listFiles: "sourcepacker/listFiles",
  setChecked: "sourcepacker/setChecked",
  pack: "sourcepacker/pack",
  scan: "sourcepacker/scan",
  profilesList: "sourcepacker/profiles/list",
  profilesSave: "sourcepacker/profiles/save",
  profilesLoad: "sourcepacker/profiles/load",
  profilesDelete: "sourcepacker/profiles/delete",
  stats: "sourcepacker/stats",
  setPackOptions: "sourcepacker/setPackOptions",
  models: "sourcepacker/models",
  files: "sourcepacker/files",
  changedFiles: "sourcepacker/changedFiles",
} as const;

export const Notifications = {
  fileTokens: "sourcepacker/fileTokens",
  totals: "sourcepacker/totals",
  treeChanged: "sourcepacker/treeChanged",
} as const;

export type TokenState = "exact" | "estimated" | "stale" | "skipped";
export type CheckState = "checked" | "unchecked" | "partial";
export type PackFormat = "xml" | "markdown" | "plain";
export type PoolKind = "auto" | "thread" | "process";
export type CounterName = "auto" | "tiktoken" | "rs-bpe";

/** `initializationOptions` and `workspace/didChangeConfiguration` payload. */
export interface WireSettings {
  /** tiktoken encoding name; default "o200k_base". */
  encoding?: string;
  /** Default pack format; default "xml". */
  format?: PackFormat;
  /** User include globs (gitignore syntax); empty = everything. */
  include?: string[];
  /** User exclude globs (gitignore syntax). */
  exclude?: string[];
  /** Bytes; default 2 MiB. */
  maxFileSize?: number;
  /** Tokenizer pool kind. */
  poolKind?: PoolKind;
  /** Tokenizer pool size; default max(2, cpus/2). */
  poolSize?: number;
  /** Overrides .sourcepacker/cache. */
  cacheDir?: string;
  /** Counting backend (all exact); default "auto": rs-bpe where installed, else tiktoken. */
  counter?: CounterName;
}

export interface Entry {
  /** Last path component. */
  name: string;
  /** Relative POSIX path from the folder root. */
  path: string;
  kind: "file" | "dir";
  /** Bytes (dirs: sum of their counted files). */
  size: number;
  /** Exact count when state == "exact", else the estimate (dirs: sum). */
  tokens: number;
  /** Dirs: "exact" only when every file below is exact. */
  state: TokenState;
  checked: CheckState;
  /** Dirs: counted files below. */
  fileCount?: number;
  /** Files with state "skipped": binary, too-large, invalid-utf8, ... */
  skipReason?: string;
  /** Appeared since the loaded profile was saved. */
  isNew?: boolean;
}

export interface ListFilesParams {
  rootUri: string;
  dir?: string;
  includeSkipped?: boolean;
}
export interface ListFilesResult {
  entries: Entry[];
}

export interface TokenSum {
  /** exact + estimated. */
  tokens: number;
  /** Tokens of files counted exactly. */
  exact: number;
  /** Estimate for files not counted yet. */
  estimated: number;
  files: number;
  /** Files whose count is not exact yet. */
  pendingFiles: number;
}

export interface Totals {
  rootUri: string;
  selected: TokenSum;
  workspace: TokenSum;
  encoding: string;
  /** Tokens of the prompt Copy would produce now (files, wrappers, instructions, tree); absent while computed. */
  prompt?: number;
  /** Budget of the last pack's options (a model's context window or given). */
  budget?: number;
}

export interface SetCheckedParams {
  rootUri: string;
  paths: string[];
  checked: boolean;
}

export interface PackParams {
  rootUri: string;
  format?: PackFormat;
  paths?: string[];
  tree?: boolean;
  /** Text at the top; default: the workspace's .sourcepacker/instructions.md. */
  instructions?: string;
  /** "remove-comments" | "remove-empty-lines" | "compress" | "line-numbers". */
  transforms?: string[];
  maskSecrets?: boolean;
  diff?: boolean;
  log?: number;
  model?: string;
  budget?: number;
  splitTokens?: number;
  sinceLastPack?: boolean;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface PackResult {
  text: string;
  /** Equals tiktoken's encode_ordinary(text) length, exactly. */
  tokens: number;
  fileCount: number;
  skipped: SkippedFile[];
  redactions?: Redaction[];
  budget?: Budget;
  /** Each part when splitTokens was given. */
  parts?: PackPart[];
  /** Files of the last pack gone since (sinceLastPack). */
  removed?: string[];
}

export interface Redaction {
  path: string;
  line: number;
  kind: string;
}

export interface Budget {
  used: number;
  budget: number;
  model?: string;
  /** False when the model's own tokenizer is not the one counted with (see note). */
  exact?: boolean;
  note?: string;
}

export interface PackPart {
  text: string;
  tokens: number;
  fileCount: number;
}

export interface ChangedFilesParams {
  rootUri: string;
  /** A git revision; absent: uncommitted changes (untracked files included). */
  since?: string;
}

/** Every counted file with its tokens (skipped ones left out), sorted by path. */
export interface FileList {
  files: FileTokensItem[];
}

/** changedFiles: the changed files the folder counts. */
export interface PathList {
  paths: string[];
}

export interface ModelRow {
  name: string;
  provider: string;
  contextWindow: number;
  /** False when the count approximates the model's own tokenizer (see note). */
  exact?: boolean;
  note?: string;
}

export interface ModelsResult {
  models: ModelRow[];
}

export interface ScanParams {
  rootUri: string;
  force?: boolean;
}
export interface ScanResult {
  files: number;
  tokenized: number;
  cacheHits: number;
  skipped: number;
  /** Files read and hashed (changed stat or racy). */
  read: number;
  /** The scan was superseded or cancelled before it finished. */
  cancelled: boolean;
}

export interface ProfileParams {
  rootUri: string;
  name: string;
}
export interface ProfileInfo {
  name: string;
  /** Number of paths stored in the profile. */
  paths: number;
  /** ISO 8601 timestamp. */
  savedAt: string;
}
export interface ProfilesListResult {
  profiles: ProfileInfo[];
}
export interface ProfileLoadResult {
  totals: Totals;
  newFiles: string[];
}

export interface StatsParams {
  rootUri?: string;
}
export interface Stats {
  files: number;
  tokenized: number;
  cacheHits: number;
  hashed: number;
  skipped: Record<string, number>;
  stageSeconds: Record<string, number>;
  queueDepth: number;
  lastBatchSeconds: number;
  scans: number;
  /** Files tokenized / read by the most recent scan. */
  lastScanTokenized: number;
  lastScanRead: number;
  /** A scan is running now. */
  scanning: boolean;
  /** Who reports file changes: the client, the daemon's own watcher, or nobody. */
  watcher: "client" | "daemon" | "none";
  /** How the last whole-folder scan was served ("": none yet). */
  lastWholeScan: "walk" | "events" | "";
}

export interface FileTokensItem {
  path: string;
  tokens: number;
  state: TokenState;
}
export interface FileTokensParams {
  rootUri: string;
  files: FileTokensItem[];
}

export interface TreeChangedParams {
  rootUri: string;
  /** Folders whose children were added/removed/skipped ("" = root). */
  dirs: string[];
}

/** Skip reason the daemon uses for files over `maxFileSize`. */
export const SKIP_TOO_LARGE = "too-large";
