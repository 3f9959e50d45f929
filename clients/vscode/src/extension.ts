/**
 * Wiring only: creates the log channel, the daemon manager, the tree, the status item and the
 * commands, and connects settings and workspace events to them.
 */

import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { ContextKeys, SECTION, Views } from "./constants";
import { registerDecorations } from "./decorations";
import { createLogChannel, errorMessage } from "./logger";
import { Marks } from "./marks";
import { PromptController } from "./promptController";
import { PromptDocuments } from "./promptDocument";
import {
  Methods,
  Notifications,
  type FileList,
  type FileTokensParams,
  type Totals,
  type TreeChangedParams,
} from "./protocol";
import { onPythonInterpreterChanged } from "./python";
import { ServerManager } from "./server";
import { needsRestart, type Settings } from "./settings";
import { registerStatus } from "./status";
import { TotalsStore } from "./totals";
import { FilesTreeProvider } from "./treeView";
import { readSettings, showWarningWithLogs } from "./vscodeapi";

let server: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = createLogChannel();
  context.subscriptions.push(log);
  let settings: Settings = loadSettings(log);
  const current = (): Settings => settings;
  const totals = new TotalsStore();
  const marks = new Marks();
  /** Every counted file's tokens, for the filter and the Explorer's marks; re-read on treeChanged. */
  let filesTimer: NodeJS.Timeout | undefined;
  const refetchFiles = (): void => {
    filesTimer ??= setTimeout(() => {
      filesTimer = undefined;
      for (const f of vscode.workspace.workspaceFolders ?? []) {
        const rootUri = daemon.rootUri(f.uri);
        daemon.request<FileList>(Methods.files, { rootUri }).then(
          (list) => marks.setFiles(rootUri, list.files),
          (error: unknown) => log.debug(`files ${f.name}: ${errorMessage(error)}`),
        );
      }
    }, 1000);
  };

  // the handlers run only after start(), when filesTree exists
  const daemon = new ServerManager({
    context,
    log,
    settings: current,
    handlers: {
      [Notifications.fileTokens]: (p) => {
        const params = p as FileTokensParams;
        marks.updateFiles(params.rootUri, params.files);
        filesTree.onFileTokens(params);
      },
      [Notifications.totals]: (p) => {
        totals.set(p as Totals);
        filesTree.fireRoots();
      },
      [Notifications.treeChanged]: (p) => {
        refetchFiles();
        filesTree.onTreeChanged(p as TreeChangedParams);
      },
    },
  });
  server = daemon;
  const filesTree = new FilesTreeProvider({ server: daemon, totals, settings: current, log, marks });
  const prompt = new PromptController(context.workspaceState, daemon, totals, current, log);
  const documents = new PromptDocuments();
  const view = vscode.window.createTreeView(Views.files, {
    treeDataProvider: filesTree,
    manageCheckboxStateManually: true,
    showCollapseAll: true,
    canSelectMany: true,
  });
  filesTree.attachView(view);
  void vscode.commands.executeCommand("setContext", ContextKeys.showSkipped, settings.showSkipped);
  const folderOf = (uri: vscode.Uri): { rootUri: string; path: string } | undefined => {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (folder === undefined) {
      return undefined;
    }
    const path = uri.path.slice(folder.uri.path.replace(/\/$/, "").length + 1);
    return { rootUri: daemon.rootUri(folder.uri), path };
  };

  context.subscriptions.push(
    view,
    filesTree,
    view.onDidChangeCheckboxState((e) => void filesTree.onCheckboxes(e)),
    prompt,
    documents,
    daemon.onDidStart(() => {
      totals.clear();
      marks.clear();
      filesTree.reset();
      void prompt.started();
      refetchFiles();
    }),
    registerStatus(
      daemon,
      totals,
      prompt,
      current,
      (rootUri) => filesTree.model.rootNode(rootUri)?.rootName ?? rootUri,
    ),
    registerDecorations(marks, folderOf, () => prompt.budget),
    ...registerCommands({ server: daemon, tree: filesTree, totals, log, settings: current, prompt, marks, documents }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => filesTree.reset()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) {
        return;
      }
      const before = settings;
      settings = loadSettings(log);
      void vscode.commands.executeCommand("setContext", ContextKeys.showSkipped, settings.showSkipped);
      if (needsRestart(before, settings)) {
        void daemon.restart();
        return;
      }
      void daemon.sendConfiguration(settings).then(() => {
        if (before.showSkipped === settings.showSkipped) {
          filesTree.refreshAll();
        } else {
          filesTree.reset();
        }
        if (before.format !== settings.format) {
          void prompt.push(); // the status bar's figure is of the format Copy uses
        }
      });
    }),
  );
  void onPythonInterpreterChanged(() => {
    if (settings.interpreter === "") {
      void daemon.restartIfInterpreterChanged();
    }
  }, log).then((d) => context.subscriptions.push(d));

  void daemon.start();
}

function loadSettings(log: vscode.LogOutputChannel): Settings {
  const { settings, problems } = readSettings();
  if (problems.length > 0) {
    problems.forEach((p) => log.warn(p));
    void showWarningWithLogs(`SourcePacker: ${problems.join("; ")}. Using the defaults for those.`, log);
  }
  return settings;
}

export async function deactivate(): Promise<void> {
  await server?.dispose();
  server = undefined;
}
