/**
 * The status bar item: selected / workspace tokens ("$(symbol-numeric) 12.3k / ~480k"), a
 * breakdown in the tooltip, the daemon's state when it is not running, and a click that
 * focuses the tree. Created by a register function returning one Disposable (ruff-vscode).
 */

import * as vscode from "vscode";
import { Commands, STATUS_PRIORITY, Views } from "./constants";
import type { ServerManager, ServerState } from "./server";
import { statusText, statusTooltip, type TotalsStore } from "./totals";

export function registerStatus(
  server: ServerManager,
  totals: TotalsStore,
  folderName: (rootUri: string) => string,
): vscode.Disposable {
  const item = vscode.window.createStatusBarItem(
    "sourcepacker.status",
    vscode.StatusBarAlignment.Left,
    STATUS_PRIORITY,
  );
  item.name = "SourcePacker";

  const render = (): void => {
    const state: ServerState = server.state;
    item.backgroundColor = undefined;
    if (state === "failed") {
      item.text = "$(error) SourcePacker";
      item.tooltip = "The SourcePacker daemon is not running. Click to show the logs.";
      item.command = Commands.showLogs;
      item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
    } else if (state === "starting" || totals.entries().length === 0) {
      item.text = state === "starting" ? "$(sync~spin) SourcePacker" : "$(symbol-numeric) SourcePacker";
      item.tooltip = state === "starting" ? "Starting the SourcePacker daemon…" : "SourcePacker";
      item.command = Views.filesFocus;
    } else {
      const combined = totals.combined();
      item.text = statusText(combined);
      const perRoot = totals.entries().map((t) => ({ name: folderName(t.rootUri), totals: t }));
      item.tooltip = new vscode.MarkdownString(statusTooltip(combined, perRoot));
      item.command = Views.filesFocus;
    }
    item.accessibilityInformation = { label: `SourcePacker: ${item.text.replace(/\$\([^)]*\)\s*/g, "")} tokens` };
  };

  render();
  item.show();
  const subscriptions = [server.onDidChangeState(render), totals.onChange(render)];
  return new vscode.Disposable(() => {
    for (const s of subscriptions) {
      s.dispose();
    }
    item.dispose();
  });
}
