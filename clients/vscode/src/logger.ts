/**
 * One LogOutputChannel ("SourcePacker") for the extension, the language client and the daemon's
 * stderr / `window/logMessage`. `{log: true}` makes it follow VS Code's log level
 * ("Developer: Set Log Level…"), so debug lines cost nothing unless asked for.
 */

import * as vscode from "vscode";
import { EXTENSION_NAME } from "./constants";

/** The subset modules use; pure modules and tests can pass any object with these methods. */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(error: string | Error, ...args: unknown[]): void;
}

export function createLogChannel(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(EXTENSION_NAME, { log: true });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
