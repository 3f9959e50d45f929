/** What every command module gets, and the few helpers more than one of them needs. */

import * as vscode from "vscode";
import type { ServerManager } from "../server";
import type { Settings } from "../settings";
import type { TotalsStore } from "../totals";
import type { FilesTreeProvider } from "../treeView";

export interface CommandDeps {
  server: ServerManager;
  tree: FilesTreeProvider;
  totals: TotalsStore;
  log: vscode.LogOutputChannel;
  settings: () => Settings;
}

/** A command's handler; arguments come from menus (URIs, tree nodes) or `executeCommand`. */
export type Handler = (...args: never[]) => Promise<unknown>;

export function workspaceFolders(): readonly vscode.WorkspaceFolder[] {
  return vscode.workspace.workspaceFolders ?? [];
}

/** The only folder, or the one the user picks; undefined (after a warning) without a folder. */
export async function pickFolder(title: string): Promise<vscode.WorkspaceFolder | undefined> {
  const all = workspaceFolders();
  if (all.length <= 1) {
    if (all.length === 0) {
      void vscode.window.showWarningMessage("SourcePacker needs an open folder.");
    }
    return all[0];
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: title });
}
