/**
 * Every `sourcepacker.*` command. Each one is a few lines of VS Code UI around one or two
 * daemon requests; selection changes go through the tree provider so the rows refresh.
 */

import * as path from "node:path";
import * as vscode from "vscode";
import { batchCheckChanges, type CheckTarget } from "./checkboxBatch";
import { Commands, SettingKeys } from "./constants";
import { copiedMessage, formatBytes, plural } from "./format";
import { errorMessage } from "./logger";
import {
  Methods,
  type PackFormat,
  type PackResult,
  type ProfileInfo,
  type ProfileLoadResult,
  type ProfilesListResult,
  type ScanResult,
} from "./protocol";
import type { ServerManager } from "./server";
import { FORMATS, MIB, type Settings } from "./settings";
import type { TreeNode } from "./tree";
import type { FilesTreeProvider } from "./treeView";
import { toSum, type TotalsStore } from "./totals";
import { showErrorWithLogs, updateSetting } from "./vscodeapi";

export interface CommandDeps {
  server: ServerManager;
  tree: FilesTreeProvider;
  totals: TotalsStore;
  log: vscode.LogOutputChannel;
  settings: () => Settings;
}

export interface CopyResult {
  fileCount: number;
  tokens: number;
}

const FORMAT_LABELS: Record<PackFormat, string> = {
  xml: "XML: <file path=…> blocks",
  markdown: "Markdown: fenced code blocks",
  plain: "Plain text",
};

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { server, tree, totals, log, settings } = deps;

  /** Wraps a handler so failures become one message with "Show Logs" instead of a toast storm. */
  const guarded =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R | undefined> => {
      try {
        return await fn(...args);
      } catch (error) {
        log.error(`${name}: ${errorMessage(error)}`);
        void showErrorWithLogs(`SourcePacker: ${errorMessage(error)}`, log);
        return undefined;
      }
    };

  const folders = (): readonly vscode.WorkspaceFolder[] => vscode.workspace.workspaceFolders ?? [];

  const pickFolder = async (title: string): Promise<vscode.WorkspaceFolder | undefined> => {
    const all = folders();
    if (all.length <= 1) {
      if (all.length === 0) {
        void vscode.window.showWarningMessage("SourcePacker needs an open folder.");
      }
      return all[0];
    }
    return vscode.window.showWorkspaceFolderPick({ placeHolder: title });
  };

  const targetOf = (uri: vscode.Uri): CheckTarget | undefined => {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (folder === undefined) {
      return undefined;
    }
    const rel = path.posix.relative(folder.uri.path, uri.path);
    return rel.startsWith("..") ? undefined : { rootUri: server.rootUri(folder.uri), path: rel };
  };

  const select = async (uris: readonly vscode.Uri[], checked: boolean): Promise<number> => {
    const targets = uris.map(targetOf).filter((t): t is CheckTarget => t !== undefined);
    if (targets.length === 0) {
      void vscode.window.showWarningMessage("SourcePacker: nothing to select inside the workspace folders.");
      return 0;
    }
    await tree.setChecked(batchCheckChanges(targets.map((t) => [t, checked] as const)));
    return targets.length;
  };

  const allRoots = (checked: boolean): Promise<void> =>
    tree.setChecked(folders().map((f) => ({ rootUri: server.rootUri(f.uri), paths: [""], checked })));

  const copy = async (format: PackFormat): Promise<CopyResult | undefined> => {
    const roots = folders()
      .map((f) => server.rootUri(f.uri))
      .filter((rootUri) => {
        const t = totals.get(rootUri);
        return t === undefined || toSum(t.selected).files > 0;
      });
    const results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "SourcePacker: packing…" },
      () => Promise.all(roots.map((rootUri) => server.request<PackResult>(Methods.pack, { rootUri, format }))),
    );
    const packed = results.filter((r) => (r.fileCount ?? 0) > 0);
    const fileCount = packed.reduce((n, r) => n + (r.fileCount ?? 0), 0);
    if (fileCount === 0) {
      void vscode.window.showWarningMessage(
        "SourcePacker: nothing selected. Tick files in the SourcePacker view first.",
      );
      return { fileCount: 0, tokens: 0 };
    }
    const tokens = packed.reduce((n, r) => n + (r.tokens ?? 0), 0);
    for (const r of packed) {
      for (const s of r.skipped ?? []) {
        log.warn(`pack skipped ${s.path}: ${s.reason}`);
      }
    }
    await vscode.env.clipboard.writeText(packed.map((r) => r.text).join("\n"));
    void vscode.window.showInformationMessage(copiedMessage(fileCount, tokens));
    return { fileCount, tokens };
  };

  const pickProfile = async (rootUri: string, placeHolder: string): Promise<ProfileInfo | undefined> => {
    const list = await server.request<ProfilesListResult | null>(Methods.profilesList, { rootUri });
    const profiles = list?.profiles ?? [];
    if (profiles.length === 0) {
      void vscode.window.showInformationMessage(
        'SourcePacker: no saved profiles yet. Use "Save Selection as Profile".',
      );
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      profiles.map((p) => ({
        label: p.name,
        description: p.paths === undefined ? undefined : plural(p.paths, "path"),
        detail: p.savedAt === undefined ? undefined : `saved ${new Date(p.savedAt).toLocaleString()}`,
        profile: p,
      })),
      { placeHolder },
    );
    return picked?.profile;
  };

  const handlers: Record<string, (...args: never[]) => unknown> = {
    [Commands.copy]: guarded("copy", () => copy(settings().format)),
    [Commands.copyAs]: guarded("copyAs", async (format?: PackFormat) => {
      const chosen =
        format ??
        (
          await vscode.window.showQuickPick(
            FORMATS.map((f) => ({ label: f, description: FORMAT_LABELS[f], format: f })),
            { placeHolder: "Copy the selection packed as…" },
          )
        )?.format;
      return chosen === undefined ? undefined : copy(chosen);
    }),
    [Commands.rescan]: guarded("rescan", async () => {
      for (const f of folders()) {
        const result = await server.request<ScanResult | null>(Methods.scan, { rootUri: server.rootUri(f.uri) });
        log.info(`rescan ${f.name}: ${JSON.stringify(result)}`);
      }
      tree.refreshAll();
    }),
    [Commands.selectAll]: guarded("selectAll", () => allRoots(true)),
    [Commands.clearSelection]: guarded("clearSelection", () => allRoots(false)),
    [Commands.addActiveFile]: guarded("addActiveFile", async () => {
      const uri = vscode.window.activeTextEditor?.document.uri;
      return uri === undefined ? 0 : select([uri], true);
    }),
    [Commands.addOpenEditors]: guarded("addOpenEditors", async () => {
      const uris = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .map((t) => t.input)
        .filter((i): i is vscode.TabInputText => i instanceof vscode.TabInputText)
        .map((i) => i.uri)
        .filter((u) => u.scheme === "file");
      return select(uris, true);
    }),
    [Commands.addToSelection]: guarded("addToSelection", (uri?: vscode.Uri, uris?: vscode.Uri[]) =>
      select(explorerUris(uri, uris), true),
    ),
    [Commands.removeFromSelection]: guarded("removeFromSelection", (uri?: vscode.Uri, uris?: vscode.Uri[]) =>
      select(explorerUris(uri, uris), false),
    ),
    [Commands.profilesSave]: guarded("profiles.save", async () => {
      const folder = await pickFolder("Save the selection of which folder?");
      if (folder === undefined) {
        return undefined;
      }
      const rootUri = server.rootUri(folder.uri);
      const name = await vscode.window.showInputBox({
        prompt: "Profile name (saved in .sourcepacker/profiles/NAME.json)",
        validateInput: (v) =>
          /^[\w][\w .-]{0,63}$/.test(v.trim()) ? undefined : "Letters, digits, space, '.', '-' or '_' (max 64).",
      });
      if (name === undefined) {
        return undefined;
      }
      const info = await server.request<ProfileInfo>(Methods.profilesSave, { rootUri, name: name.trim() });
      void vscode.window.showInformationMessage(
        `SourcePacker: saved profile "${info.name}" (${plural(info.paths ?? 0, "path")}).`,
      );
      return info;
    }),
    [Commands.profilesLoad]: guarded("profiles.load", async () => {
      const folder = await pickFolder("Load a profile into which folder?");
      const rootUri = folder === undefined ? undefined : server.rootUri(folder.uri);
      const profile = rootUri === undefined ? undefined : await pickProfile(rootUri, "Load a selection profile");
      if (rootUri === undefined || profile === undefined) {
        return undefined;
      }
      const result = await server.request<ProfileLoadResult | null>(Methods.profilesLoad, {
        rootUri,
        name: profile.name,
      });
      if (result?.totals !== undefined) {
        totals.set({ ...result.totals, rootUri: result.totals.rootUri ?? rootUri });
      }
      tree.refreshAll();
      const added = result?.newFiles?.length ?? 0;
      void vscode.window.showInformationMessage(
        `SourcePacker: loaded profile "${profile.name}"; ` +
          (added === 0 ? "no new files since it was saved." : `${plural(added, "new file")} since it was saved.`),
      );
      return result;
    }),
    [Commands.profilesDelete]: guarded("profiles.delete", async () => {
      const folder = await pickFolder("Delete a profile of which folder?");
      const rootUri = folder === undefined ? undefined : server.rootUri(folder.uri);
      const profile = rootUri === undefined ? undefined : await pickProfile(rootUri, "Delete a selection profile");
      if (rootUri === undefined || profile === undefined) {
        return;
      }
      const ok = await vscode.window.showWarningMessage(`Delete profile "${profile.name}"?`, { modal: true }, "Delete");
      if (ok === "Delete") {
        await server.request(Methods.profilesDelete, { rootUri, name: profile.name });
        void vscode.window.showInformationMessage(`SourcePacker: deleted profile "${profile.name}".`);
      }
    }),
    [Commands.showLogs]: () => log.show(),
    [Commands.restartServer]: guarded("restartServer", () => server.restart()),
    [Commands.toggleSkipped]: guarded("toggleSkipped", () =>
      updateSetting(SettingKeys.showSkipped, !settings().showSkipped),
    ),
    [Commands.includeAnyway]: guarded("includeAnyway", async (node?: TreeNode) => {
      const size = node?.entry?.size;
      if (size === undefined) {
        return;
      }
      const limit = Math.ceil((size + 1) / MIB) * MIB;
      const raise = `Raise to ${formatBytes(limit)}`;
      const choice = await vscode.window.showInformationMessage(
        `"${node?.path}" is ${formatBytes(size)}, over sourcepacker.maxFileSize (${formatBytes(settings().maxFileSize)}). ` +
          "Raise the limit so it is counted and packed?",
        raise,
      );
      if (choice === raise) {
        await updateSetting(SettingKeys.maxFileSize, limit);
      }
    }),
  };
  return Object.entries(handlers).map(([id, fn]) => vscode.commands.registerCommand(id, fn));
}

/** Explorer menus pass (clicked, allSelected); the palette passes nothing. */
function explorerUris(uri: vscode.Uri | undefined, uris: vscode.Uri[] | undefined): vscode.Uri[] {
  if (uris !== undefined && uris.length > 0) {
    return uris;
  }
  if (uri !== undefined) {
    return [uri];
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  return active === undefined ? [] : [active];
}
