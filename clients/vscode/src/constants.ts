/**
 * Every identifier the extension shares with package.json, in one place, so a rename is one
 * edit here plus the manifest (and `test/unit/manifest.test.ts` checks the two agree).
 */

export const EXTENSION_NAME = "SourcePacker";

/** Settings section; also the LanguageClient id, so `sourcepacker.trace.server` just works. */
export const SECTION = "sourcepacker";

export const Commands = {
  copy: "sourcepacker.copy",
  copyAs: "sourcepacker.copyAs",
  rescan: "sourcepacker.rescan",
  selectAll: "sourcepacker.selectAll",
  clearSelection: "sourcepacker.clearSelection",
  addActiveFile: "sourcepacker.addActiveFile",
  addOpenEditors: "sourcepacker.addOpenEditors",
  addToSelection: "sourcepacker.addToSelection",
  removeFromSelection: "sourcepacker.removeFromSelection",
  profilesSave: "sourcepacker.profiles.save",
  profilesLoad: "sourcepacker.profiles.load",
  profilesDelete: "sourcepacker.profiles.delete",
  showLogs: "sourcepacker.showLogs",
  restartServer: "sourcepacker.restartServer",
  toggleSkipped: "sourcepacker.toggleSkipped",
  includeAnyway: "sourcepacker.includeAnyway",
} as const;

export const Views = {
  /** The activity-bar view container that holds the files view. */
  container: "sourcepacker",
  files: "sourcepacker.files",
  /** Built-in command VS Code creates for every view. */
  filesFocus: "sourcepacker.files.focus",
} as const;

/** Keys relative to {@link SECTION}. */
export const SettingKeys = {
  encoding: "encoding",
  format: "format",
  include: "include",
  exclude: "exclude",
  maxFileSize: "maxFileSize",
  poolKind: "poolKind",
  poolSize: "poolSize",
  cacheDir: "cacheDir",
  counter: "counter",
  interpreter: "server.interpreter",
  trace: "trace.server",
  showSkipped: "showSkipped",
} as const;

/** `when`-clause context keys set by the extension. */
export const ContextKeys = {
  serverState: "sourcepacker.serverState",
  showSkipped: "sourcepacker.showSkipped",
} as const;

/** `TreeItem.contextValue`s, used by `view/item/context` menus. */
export const ContextValues = {
  root: "root",
  dir: "dir",
  file: "file",
  skipped: "skipped",
  tooLarge: "skipped-too-large",
} as const;

/** Coalescing window for server notifications: the server throttles at ~150 ms. */
export const REFRESH_DELAY_MS = 100;

export const STATUS_PRIORITY = 100;

/**
 * Default keybinding of Copy Packed Context ("P" for pack). Free in VS Code 1.139's defaults:
 * the e2e searches the Keyboard Shortcuts editor for it and finds this command alone.
 */
export const COPY_KEYBINDING = { key: "ctrl+shift+alt+p", mac: "cmd+shift+alt+p" } as const;
