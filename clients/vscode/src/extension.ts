/**
 * Wiring only: creates the log channel, the daemon manager, the tree, the status item and the
 * commands, and connects settings and workspace events to them.
 */

import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { ContextKeys, SECTION, Views } from "./constants";
import { createLogChannel } from "./logger";
import { Notifications, type FileTokensParams, type Totals, type TreeChangedParams } from "./protocol";
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

  // the handlers run only after start(), when filesTree exists
  const daemon = new ServerManager({
    context,
    log,
    settings: current,
    handlers: {
      [Notifications.fileTokens]: (p) => filesTree.onFileTokens(p as FileTokensParams),
      [Notifications.totals]: (p) => {
        totals.set(p as Totals);
        filesTree.fireRoots();
      },
      [Notifications.treeChanged]: (p) => filesTree.onTreeChanged(p as TreeChangedParams),
    },
  });
  server = daemon;
  const filesTree = new FilesTreeProvider({ server: daemon, totals, settings: current, log });
  const view = vscode.window.createTreeView(Views.files, {
    treeDataProvider: filesTree,
    manageCheckboxStateManually: true,
    showCollapseAll: true,
    canSelectMany: true,
  });
  void vscode.commands.executeCommand("setContext", ContextKeys.showSkipped, settings.showSkipped);

  context.subscriptions.push(
    view,
    filesTree,
    view.onDidChangeCheckboxState((e) => void filesTree.onCheckboxes(e)),
    daemon.onDidStart(() => {
      totals.clear();
      filesTree.reset();
    }),
    registerStatus(daemon, totals, (rootUri) => filesTree.model.rootNode(rootUri)?.rootName ?? rootUri),
    ...registerCommands({ server: daemon, tree: filesTree, totals, log, settings: current }),
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
      void daemon
        .sendConfiguration(settings)
        .then(() => (before.showSkipped === settings.showSkipped ? filesTree.refreshAll() : filesTree.reset()));
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
