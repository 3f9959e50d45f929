/**
 * Marks in the Explorer (and the SourcePacker view, which shows the same URIs): heavy files (one
 * file >= 5 % of the budget), secrets the last pack masked, files new since the loaded profile.
 */

import * as vscode from "vscode";
import { formatCompact } from "./format";
import { heavyMark } from "./budget";
import type { Marks } from "./marks";

export function registerDecorations(
  marks: Marks,
  folderOf: (uri: vscode.Uri) => { rootUri: string; path: string } | undefined,
  budget: () => number | undefined,
): vscode.Disposable {
  const emitter = new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
  const provider: vscode.FileDecorationProvider = {
    onDidChangeFileDecorations: emitter.event,
    provideFileDecoration(uri) {
      if (uri.scheme !== "file") {
        return undefined;
      }
      const where = folderOf(uri);
      if (where === undefined || where.path === "") {
        return undefined;
      }
      const { rootUri, path } = where;
      const secrets = marks.secrets(rootUri, path);
      if (secrets.length > 0) {
        return {
          badge: "!",
          tooltip: `SourcePacker: ${secrets.length} secret(s) masked when packed (${[...new Set(secrets)].join(", ")})`,
          color: new vscode.ThemeColor("list.warningForeground"),
        };
      }
      if (marks.isNew(rootUri, path)) {
        return {
          badge: "N",
          tooltip: "SourcePacker: new since the loaded profile was saved",
          color: new vscode.ThemeColor("gitDecoration.untrackedResourceForeground"),
          propagate: true,
        };
      }
      const tokens = marks.tokens(rootUri, path);
      if (tokens !== undefined && heavyMark(tokens, budget())) {
        return {
          badge: "▲",
          tooltip: `SourcePacker: ${formatCompact(tokens)} tokens, a heavy file`,
        };
      }
      return undefined;
    },
  };
  // a token delta anywhere may move files across the heavy line: redraw every decoration (cheap:
  // VS Code asks only for the URIs on screen), at most ~3 times a second
  let timer: NodeJS.Timeout | undefined;
  const changed = marks.onChange(() => {
    timer ??= setTimeout(() => {
      timer = undefined;
      emitter.fire(undefined);
    }, 300);
  });
  const registration = vscode.window.registerFileDecorationProvider(provider);
  return new vscode.Disposable(() => {
    if (timer !== undefined) {
      clearTimeout(timer);
    }
    changed.dispose();
    registration.dispose();
    emitter.dispose();
  });
}
