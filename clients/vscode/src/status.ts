/**
 * The status bar item is the prompt: what Copy would put on the clipboard now against the
 * chosen budget ("$(symbol-numeric) 87.2k / 200k", "~" while estimates remain), the warning
 * colour past 80 %, the error colour past 100 %, a breakdown in the tooltip, and a click that
 * opens the model / budget picker. Created by a register function returning one Disposable.
 */

import * as vscode from "vscode";
import { budgetLevel, budgetTooltip, formatBudget, promptFigure } from "./budget";
import { Commands, STATUS_PRIORITY, Views } from "./constants";
import { formatExact } from "./format";
import type { PromptController } from "./promptController";
import type { ServerManager, ServerState } from "./server";
import type { Settings } from "./settings";
import type { TotalsStore } from "./totals";

export function registerStatus(
  server: ServerManager,
  totals: TotalsStore,
  prompt: PromptController,
  settings: () => Settings,
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
      const figure = promptFigure(totals.entries());
      const budget = prompt.budget;
      item.text = `$(symbol-numeric) ${formatBudget(figure.tokens, budget, figure.estimated)}`;
      const level = budgetLevel(figure.tokens, budget);
      item.backgroundColor = level === "ok" ? undefined : new vscode.ThemeColor(`statusBarItem.${level}Background`);
      const perRoot = totals.entries().map((t) => ({ name: folderName(t.rootUri), totals: t }));
      const model = prompt.model;
      item.tooltip = new vscode.MarkdownString(
        budgetTooltip(
          figure,
          { budget, model: model?.name, approximate: model !== undefined && model.exact === false },
          {
            format: settings().format,
            tree: prompt.state.tree,
            transforms: prompt.state.transforms,
            instructions: prompt.instructions,
          },
          perRoot,
        ),
      );
      item.command = Commands.pickModel;
    }
    // the exact figures for screen readers (and the e2e test): "prompt 3,677 tokens of 200,000"
    const figure = promptFigure(totals.entries());
    const budget = prompt.budget;
    item.accessibilityInformation = {
      label:
        state === "running" && totals.entries().length > 0
          ? `SourcePacker: prompt ${figure.estimated ? "~" : ""}${formatExact(figure.tokens)} tokens` +
            (budget === undefined ? "" : ` of ${formatExact(budget)}`)
          : item.text.replace(/\$\([^)]*\)\s*/g, ""),
    };
  };

  render();
  item.show();
  const subscriptions = [server.onDidChangeState(render), totals.onChange(render), prompt.onDidChange(render)];
  return new vscode.Disposable(() => {
    for (const s of subscriptions) {
      s.dispose();
    }
    item.dispose();
  });
}
