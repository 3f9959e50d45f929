/**
 * The `sourcepacker.files` view: renders {@link TreeModel} nodes, fetches listings lazily (one
 * level per expand), sends checkbox changes as batched setChecked requests, and turns server
 * notifications into refreshes of just the rows that changed, coalesced over ~100 ms.
 */

import * as vscode from "vscode";
import { batchCheckChanges, type CheckTarget } from "./checkboxBatch";
import { ContextValues, REFRESH_DELAY_MS } from "./constants";
import { formatTokens } from "./format";
import { errorMessage, type Logger } from "./logger";
import {
  Methods,
  type Entry,
  type FileTokensParams,
  type ListFilesParams,
  type ListFilesResult,
  type SetCheckedParams,
  type Totals,
  type TreeChangedParams,
} from "./protocol";
import type { ServerManager } from "./server";
import type { Settings } from "./settings";
import { describeEntry } from "./entryView";
import { PendingChanges, TreeModel, type ListingChange, type TreeNode } from "./tree";
import type { TotalsStore } from "./totals";

export interface FilesTreeDeps {
  server: ServerManager;
  totals: TotalsStore;
  settings: () => Settings;
  log: Logger;
}

export class FilesTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  readonly model = new TreeModel();
  private readonly emitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly pending = new PendingChanges();
  private readonly inflight = new Map<string, Promise<TreeNode[]>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Workspace folder URI per rootUri, for resourceUri / opening files. */
  private folders = new Map<string, vscode.Uri>();

  constructor(private readonly deps: FilesTreeDeps) {}

  /** Re-reads the workspace folders; called at start and on folder changes. */
  syncRoots(): void {
    const folders = vscode.workspace.workspaceFolders ?? [];
    this.folders = new Map(folders.map((f) => [this.deps.server.rootUri(f.uri), f.uri]));
    this.model.setRoots(folders.map((f) => ({ rootUri: this.deps.server.rootUri(f.uri), name: f.name })));
    this.deps.totals.retain([...this.folders.keys()]);
  }

  /** Forgets every listing and redraws from scratch (server restart, showSkipped toggled). */
  reset(): void {
    this.syncRoots();
    this.model.clear();
    this.inflight.clear();
    this.pending.take();
    this.emitter.fire(undefined);
  }

  folderUri(rootUri: string): vscode.Uri | undefined {
    return this.folders.get(rootUri);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.entry === undefined ? this.rootItem(node) : this.entryItem(node, node.entry);
  }

  private rootItem(node: TreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.rootName, vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    item.resourceUri = this.folders.get(node.rootUri);
    item.contextValue = ContextValues.root;
    const totals = this.deps.totals.get(node.rootUri);
    if (totals !== undefined) {
      const { selected: sel, workspace: all } = totals;
      item.description = `${formatTokens(sel.tokens, sel.pendingFiles > 0)} / ${formatTokens(all.tokens, all.pendingFiles > 0)}`;
      const checked = sel.files > 0 && sel.files >= all.files;
      item.checkboxState = {
        state: checked ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
        tooltip: sel.files > 0 && !checked ? "Partly selected" : undefined,
      };
    } else {
      item.checkboxState = { state: vscode.TreeItemCheckboxState.Unchecked };
    }
    return item;
  }

  private entryItem(node: TreeNode, entry: Entry): vscode.TreeItem {
    const view = describeEntry(entry, this.deps.settings().maxFileSize);
    const item = new vscode.TreeItem(
      view.label,
      view.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.contextValue = view.contextValue;
    const folder = this.folders.get(node.rootUri);
    if (folder !== undefined) {
      item.resourceUri = vscode.Uri.joinPath(folder, ...node.path.split("/"));
      if (view.isFile) {
        item.command = { command: "vscode.open", title: "Open", arguments: [item.resourceUri] };
      }
    }
    if (view.checkbox !== undefined) {
      item.checkboxState = {
        state:
          view.checkbox === "checked" ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
      };
    }
    if (entry.isNew === true && view.isFile) {
      item.iconPath = new vscode.ThemeIcon("diff-added");
    }
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node === undefined) {
      this.syncRoots();
      if (this.model.multiRoot) {
        return this.model.rootNodes();
      }
      const only = this.model.rootNodes()[0];
      return only === undefined ? [] : this.listing(only.rootUri, "");
    }
    if (node.entry !== undefined && node.entry.kind !== "dir") {
      return [];
    }
    return this.listing(node.rootUri, node.path);
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.entry === undefined) {
      return undefined;
    }
    const i = node.path.lastIndexOf("/");
    if (i < 0) {
      return this.model.multiRoot ? this.model.rootNode(node.rootUri) : undefined;
    }
    return this.model.node(node.rootUri, node.path.slice(0, i));
  }

  private async listing(rootUri: string, dir: string): Promise<TreeNode[]> {
    const cached = this.model.children(rootUri, dir);
    if (cached !== undefined) {
      return cached;
    }
    const key = `${rootUri}\u0000${dir}`;
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = this.fetch(rootUri, dir)
        .then((entries) => {
          this.model.applyListing(rootUri, dir, entries);
          return this.model.children(rootUri, dir) ?? [];
        })
        .catch((error: unknown) => {
          this.deps.log.warn(`listFiles ${dir === "" ? "(root)" : dir}: ${errorMessage(error)}`);
          return [];
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetch(rootUri: string, dir: string): Promise<Entry[]> {
    const params: ListFilesParams = { rootUri, dir, includeSkipped: this.deps.settings().showSkipped };
    const result = await this.deps.server.request<ListFilesResult>(Methods.listFiles, params);
    return result.entries;
  }

  // --- checkboxes --------------------------------------------------------------------------

  async onCheckboxes(event: vscode.TreeCheckboxChangeEvent<TreeNode>): Promise<void> {
    const items = event.items.map(
      ([node, state]) => [node as CheckTarget, state === vscode.TreeItemCheckboxState.Checked] as const,
    );
    await this.setChecked(batchCheckChanges(items));
  }

  /** Sends each batch, records the returned totals, and refreshes the affected rows. */
  async setChecked(batches: readonly SetCheckedParams[]): Promise<void> {
    for (const params of batches) {
      try {
        this.deps.totals.set(await this.deps.server.request<Totals>(Methods.setChecked, params));
      } catch (error) {
        this.deps.log.error(`setChecked: ${errorMessage(error)}`);
        void vscode.window.showErrorMessage(`SourcePacker: could not change the selection: ${errorMessage(error)}`);
      }
      this.invalidate(params.rootUri, "subtrees", params.paths);
    }
    this.fireRoots();
  }

  // --- notifications -----------------------------------------------------------------------

  onFileTokens(params: FileTokensParams): void {
    this.invalidate(
      params.rootUri,
      "files",
      params.files.map((f) => f.path),
    );
  }

  onTreeChanged(params: TreeChangedParams): void {
    this.invalidate(params.rootUri, "dirs", params.dirs);
  }

  /** Root rows show the folder's totals in multi-root workspaces. */
  fireRoots(): void {
    if (this.model.multiRoot) {
      this.emitter.fire(this.model.rootNodes());
    }
  }

  /** Re-lists every loaded listing of every folder (after rescan or a profile load). */
  refreshAll(): void {
    for (const info of this.model.rootInfos()) {
      this.invalidate(info.rootUri, "subtrees", [""]);
    }
  }

  invalidate(rootUri: string, kind: "files" | "dirs" | "subtrees", paths: readonly string[]): void {
    this.pending.add(rootUri, kind, paths);
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, REFRESH_DELAY_MS);
  }

  /** One flush at a time; changes arriving meanwhile wait for the next window. */
  private async flush(): Promise<void> {
    if (this.flushing !== undefined) {
      await this.flushing;
      if (!this.pending.empty) {
        this.schedule();
      }
      return;
    }
    this.flushing = this.doFlush().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async doFlush(): Promise<void> {
    for (const [rootUri, change] of this.pending.take()) {
      const dirs = this.model.listingsToRefresh(rootUri, change);
      if (dirs.length === 0) {
        continue;
      }
      const fetched = await Promise.all(
        dirs.map((dir) =>
          this.fetch(rootUri, dir).then(
            (entries) => ({ dir, entries }),
            (error: unknown) => {
              this.deps.log.debug(`re-list ${dir}: ${errorMessage(error)}`);
              return { dir, entries: undefined };
            },
          ),
        ),
      );
      const results: { dir: string; change: ListingChange }[] = [];
      for (const { dir, entries } of fetched) {
        if (this.model.children(rootUri, dir) === undefined) {
          continue; // dropped by a parent merged just before
        }
        if (entries === undefined) {
          continue; // keep what is shown; a vanished folder leaves with its parent's listing
        }
        results.push({ dir, change: this.model.applyListing(rootUri, dir, entries) });
      }
      const refresh = this.model.refreshFor(rootUri, results);
      if (refresh === "all") {
        this.emitter.fire(undefined);
      } else if (refresh.length > 0) {
        this.emitter.fire(refresh);
      }
    }
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.emitter.dispose();
  }
}
