/**
 * Changing the selection from outside the tree: select all / clear, the active file, open
 * editors, and the Explorer context menu. Goes through the tree provider so the rows refresh.
 */

import * as path from "node:path";
import * as vscode from "vscode";
import { batchCheckChanges, type CheckTarget } from "../checkboxBatch";
import { Commands } from "../constants";
import { plural } from "../format";
import { errorMessage } from "../logger";
import { Methods, type PathList } from "../protocol";
import { workspaceFolders, type CommandDeps, type Handler } from "./common";

export function selectionCommands({ server, tree, marks, log }: CommandDeps) {
  const targetOf = (uri: vscode.Uri): CheckTarget | undefined => {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (folder === undefined) {
      return undefined;
    }
    const rel = path.posix.relative(folder.uri.path, uri.path);
    return rel.startsWith("..") ? undefined : { rootUri: server.rootUri(folder.uri), path: rel };
  };

  /** Returns how many of the URIs were inside a workspace folder (and so changed). */
  const select = async (uris: readonly vscode.Uri[], checked: boolean): Promise<number> => {
    const targets = uris.map(targetOf).filter((t): t is CheckTarget => t !== undefined);
    if (targets.length === 0) {
      void vscode.window.showWarningMessage("SourcePacker: nothing to select inside the workspace folders.");
      return 0;
    }
    await tree.setChecked(batchCheckChanges(targets.map((t) => [t, checked] as const)));
    return targets.length;
  };

  const allRoots = (checked: boolean): Promise<void> =>
    tree.setChecked(workspaceFolders().map((f) => ({ rootUri: server.rootUri(f.uri), paths: [""], checked })));

  return {
    [Commands.selectAll]: () => allRoots(true),
    [Commands.clearSelection]: () => allRoots(false),
    [Commands.addActiveFile]: async () => {
      const uri = vscode.window.activeTextEditor?.document.uri;
      return uri === undefined ? 0 : select([uri], true);
    },
    [Commands.addOpenEditors]: () => {
      const uris = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .map((t) => t.input)
        .filter((i): i is vscode.TabInputText => i instanceof vscode.TabInputText)
        .map((i) => i.uri)
        .filter((u) => u.scheme === "file");
      return select(uris, true);
    },
    [Commands.selectChanged]: async () => {
      let count = 0;
      const problems: string[] = [];
      for (const f of workspaceFolders()) {
        const rootUri = server.rootUri(f.uri);
        try {
          const { paths } = await server.request<PathList>(Methods.changedFiles, { rootUri });
          if (paths.length > 0) {
            await tree.setChecked([{ rootUri, paths, checked: true }]);
          }
          count += paths.length;
        } catch (error) {
          problems.push(`${f.name}: ${errorMessage(error)}`);
          log.warn(`changedFiles ${f.name}: ${errorMessage(error)}`);
        }
      }
      if (count === 0 && problems.length > 0) {
        void vscode.window.showWarningMessage(`SourcePacker: ${problems.join("; ")}`);
      } else {
        void vscode.window.showInformationMessage(
          count === 0
            ? "SourcePacker: no changed files (git)."
            : `SourcePacker: selected ${plural(count, "changed file")} (git).`,
        );
      }
      return count;
    },
    [Commands.reviewNewFiles]: async () => {
      const queue = workspaceFolders().flatMap((f) => {
        const rootUri = server.rootUri(f.uri);
        return marks.newFiles(rootUri).map((path) => ({ rootUri, path, folder: f }));
      });
      if (queue.length === 0) {
        void vscode.window.showInformationMessage(
          "SourcePacker: no new files to review (they are found when a profile is loaded).",
        );
        return { included: 0, dismissed: 0 };
      }
      let included = 0;
      let dismissed = 0;
      for (const [i, item] of queue.entries()) {
        const uri = vscode.Uri.joinPath(item.folder.uri, ...item.path.split("/"));
        await vscode.window.showTextDocument(uri, { preview: true, preserveFocus: true }).then(
          () => undefined,
          () => undefined, // a binary or vanished file: decide from its name
        );
        const choice = await vscode.window.showQuickPick(
          [
            { label: "$(add) Include", value: "include" },
            { label: "$(close) Dismiss", value: "dismiss" },
            { label: "$(check-all) Include all remaining", value: "include-all" },
            { label: "$(clear-all) Dismiss all remaining", value: "dismiss-all" },
          ],
          { title: `New file ${i + 1} of ${queue.length}: ${item.path}`, placeHolder: "Include it in the selection?" },
        );
        if (choice === undefined) {
          break;
        }
        const rest = choice.value.endsWith("-all") ? queue.slice(i) : [item];
        if (choice.value.startsWith("include")) {
          const byRoot = new Map<string, string[]>();
          rest.forEach((r) => byRoot.set(r.rootUri, [...(byRoot.get(r.rootUri) ?? []), r.path]));
          await tree.setChecked([...byRoot].map(([rootUri, paths]) => ({ rootUri, paths, checked: true })));
          included += rest.length;
        } else {
          dismissed += rest.length;
        }
        rest.forEach((r) => {
          marks.settle(r.rootUri, r.path);
          tree.redraw(r.rootUri, [r.path]);
        });
        if (rest.length > 1) {
          break;
        }
      }
      void vscode.window.showInformationMessage(
        `SourcePacker: ${plural(included, "new file")} included, ${dismissed} dismissed.`,
      );
      return { included, dismissed };
    },
    [Commands.addToSelection]: (uri?: vscode.Uri, uris?: vscode.Uri[]) => select(explorerUris(uri, uris), true),
    [Commands.removeFromSelection]: (uri?: vscode.Uri, uris?: vscode.Uri[]) => select(explorerUris(uri, uris), false),
  } satisfies Record<string, Handler>;
}

/** Explorer menus pass (clicked, allSelected); the palette passes nothing. */
function explorerUris(uri: vscode.Uri | undefined, uris: vscode.Uri[] | undefined): vscode.Uri[] {
  if (uris !== undefined && uris.length > 0) {
    return uris;
  }
  if (uri !== undefined) {
    return [uri];
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  return active === undefined ? [] : [active];
}
