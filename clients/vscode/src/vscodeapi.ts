/**
 * The few VS Code calls that carry project conventions (settings lookup, errors with a
 * "Show Logs" action), kept in one seam so the rest reads as intent and tests can stub here.
 */

import * as vscode from "vscode";
import { SECTION } from "./constants";
import { parseSettings, type ParseResult } from "./settings";

export function readSettings(scope?: vscode.ConfigurationScope): ParseResult {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  // unset keys yield package.json's defaults, which test/unit/manifest.test.ts keeps equal to DEFAULTS
  return parseSettings((key) => config.get(key));
}

const SHOW_LOGS = "Show Logs";

export async function showErrorWithLogs(message: string, log: vscode.LogOutputChannel): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, SHOW_LOGS);
  if (choice === SHOW_LOGS) {
    log.show();
  }
}

export async function showWarningWithLogs(message: string, log: vscode.LogOutputChannel): Promise<void> {
  const choice = await vscode.window.showWarningMessage(message, SHOW_LOGS);
  if (choice === SHOW_LOGS) {
    log.show();
  }
}

/** Writes a setting where the user already set it (folder > workspace), else globally. */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect(key);
  const target =
    inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update(key, value, target);
}
