/** What the tree shows: skipped files on/off, and "Include Anyway" for a too-large file. */

import * as vscode from "vscode";
import { Commands, SettingKeys } from "../constants";
import { formatBytes } from "../format";
import { MIB } from "../settings";
import type { TreeNode } from "../tree";
import { updateSetting } from "../vscodeapi";
import type { CommandDeps, Handler } from "./common";

export function viewCommands({ settings }: CommandDeps) {
  return {
    [Commands.toggleSkipped]: () => updateSetting(SettingKeys.showSkipped, !settings().showSkipped),
    [Commands.includeAnyway]: async (node?: TreeNode) => {
      const entry = node?.entry;
      if (entry === undefined) {
        return;
      }
      const limit = Math.ceil((entry.size + 1) / MIB) * MIB;
      const raise = `Raise to ${formatBytes(limit)}`;
      const choice = await vscode.window.showInformationMessage(
        `"${entry.path}" is ${formatBytes(entry.size)}, over sourcepacker.maxFileSize (${formatBytes(settings().maxFileSize)}). ` +
          "Raise the limit so it is counted and packed?",
        raise,
      );
      if (choice === raise) {
        await updateSetting(SettingKeys.maxFileSize, limit);
      }
    },
  } satisfies Record<string, Handler>;
}
