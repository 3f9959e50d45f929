/**
 * Registers every `sourcepacker.*` command. Each feature module returns its handlers keyed by
 * command id; the type below makes a command of constants.ts without a handler a compile error.
 */

import * as vscode from "vscode";
import type { Commands } from "../constants";
import { errorMessage } from "../logger";
import { showErrorWithLogs } from "../vscodeapi";
import type { CommandDeps, Handler } from "./common";
import { copyCommands } from "./copy";
import { profileCommands } from "./profiles";
import { selectionCommands } from "./selection";
import { serverCommands } from "./server";
import { viewCommands } from "./view";

type CommandId = (typeof Commands)[keyof typeof Commands];

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const handlers: Record<CommandId, Handler> = {
    ...copyCommands(deps),
    ...selectionCommands(deps),
    ...profileCommands(deps),
    ...serverCommands(deps),
    ...viewCommands(deps),
  };
  return Object.entries(handlers).map(([id, fn]) =>
    vscode.commands.registerCommand(id, guarded(id, fn as (...args: unknown[]) => Promise<unknown>, deps.log)),
  );
}

/** A failure becomes one message with "Show Logs" (and a log line) instead of an unhandled rejection. */
function guarded(
  id: string,
  fn: (...args: unknown[]) => Promise<unknown>,
  log: vscode.LogOutputChannel,
): (...args: unknown[]) => Promise<unknown> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (error) {
      log.error(`${id}: ${errorMessage(error)}`);
      void showErrorWithLogs(`SourcePacker: ${errorMessage(error)}`, log);
      return undefined;
    }
  };
}
