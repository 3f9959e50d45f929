/**
 * Changing the selection from outside the tree: select all / clear, the active file, open
 * editors, and the Explorer context menu. Goes through the tree provider so the rows refresh.
 */

import * as path from "node:path";
import * as vscode from "vscode";
import { batchCheckChanges, type CheckTarget } from "../checkboxBatch";
import { Commands } from "../constants";
import { workspaceFolders, type CommandDeps, type Handler } from "./common";

export function selectionCommands({ server, tree }: CommandDeps) {
  const targetOf = (uri: vscode.Uri): CheckTarget | undefined => {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (folder === undefined) {
      return undefined;
    }
    const rel = path.posix.relative(folder.uri.path, uri.path);
    return rel.startsWith("..") ? undefined : { rootUri: server.rootUri(folder.uri), path: rel };
  };

  /** Returns how many of the URIs were inside a workspace folder (and so changed). */
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
    tree.setChecked(workspaceFolders().map((f) => ({ rootUri: server.rootUri(f.uri), paths: [""], checked })));

  return {
    [Commands.selectAll]: () => allRoots(true),
    [Commands.clearSelection]: () => allRoots(false),
    [Commands.addActiveFile]: async () => {
      const uri = vscode.window.activeTextEditor?.document.uri;
      return uri === undefined ? 0 : select([uri], true);
    },
    [Commands.addOpenEditors]: () => {
      const uris = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .map((t) => t.input)
        .filter((i): i is vscode.TabInputText => i instanceof vscode.TabInputText)
        .map((i) => i.uri)
        .filter((u) => u.scheme === "file");
      return select(uris, true);
    },
    [Commands.addToSelection]: (uri?: vscode.Uri, uris?: vscode.Uri[]) => select(explorerUris(uri, uris), true),
    [Commands.removeFromSelection]: (uri?: vscode.Uri, uris?: vscode.Uri[]) => select(explorerUris(uri, uris), false),
  } satisfies Record<string, Handler>;
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
