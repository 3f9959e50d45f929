/**
 * The tree's state without VS Code: which listings are loaded, stable node objects (VS Code's
 * extension host matches `onDidChangeTreeData.fire(node)` by object identity, so a node for a
 * path must stay the same object across re-listings), sorting, merging a fresh listing into the
 * old one, and deciding which listings to re-fetch and which nodes to fire after a server
 * notification. `treeView.ts` adds the vscode-dependent rendering on top.
 */

import { isWithin } from "./checkboxBatch";
import type { Entry } from "./protocol";

export interface RootInfo {
  rootUri: string;
  name: string;
}

export interface TreeNode {
  readonly id: string;
  readonly rootUri: string;
  /** Relative POSIX path; "" for a workspace-folder node. */
  readonly path: string;
  /** undefined for a workspace-folder node (shown only in multi-root workspaces). */
  entry: Entry | undefined;
  readonly rootName: string;
}

/** What applying a fresh listing changed. */
export interface ListingChange {
  /** Children were added, removed or reordered: the parent must be refreshed as a whole. */
  membershipChanged: boolean;
  /** Existing children whose entry differs (tokens, state, checked, ...). */
  changed: TreeNode[];
}

/** `"all"` means fire `onDidChangeTreeData(undefined)`: the top level itself changed. */
export type Refresh = TreeNode[] | "all";

export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Proper ancestors of `path`, nearest first, ending with "" (none for "" itself). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  let p = path;
  while (p !== "") {
    p = parentPath(p);
    out.push(p);
  }
  return out;
}

/** Folders first, then by name (case-insensitive, ties broken by the raw name). */
export function compareEntries(a: Entry, b: Entry): number {
  if (a.kind !== b.kind) {
    return a.kind === "dir" ? -1 : 1;
  }
  const la = a.name.toLowerCase();
  const lb = b.name.toLowerCase();
  if (la !== lb) {
    return la < lb ? -1 : 1;
  }
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export type SortMode = "name" | "tokens";

/** Heaviest first (folders and files mixed: the point is finding what to trim), then by name. */
export function compareByTokens(a: Entry, b: Entry): number {
  const skipA = a.state === "skipped" ? 1 : 0;
  const skipB = b.state === "skipped" ? 1 : 0;
  return skipA - skipB || b.tokens - a.tokens || compareEntries(a, b);
}

export function sortEntries(entries: readonly Entry[], mode: SortMode = "name"): Entry[] {
  return [...entries].sort(mode === "tokens" ? compareByTokens : compareEntries);
}

function sameEntry(a: Entry, b: Entry): boolean {
  return (
    a.name === b.name &&
    a.kind === b.kind &&
    a.size === b.size &&
    a.tokens === b.tokens &&
    a.state === b.state &&
    a.checked === b.checked &&
    a.fileCount === b.fileCount &&
    a.skipReason === b.skipReason &&
    a.isNew === b.isNew
  );
}

export function nodeId(rootUri: string, path: string, kind: "root" | "file" | "dir"): string {
  return `${rootUri}#${kind}:${path}`;
}

interface RootState {
  info: RootInfo;
  node: TreeNode;
  /** dir → sorted children; present only for listings fetched and still valid. */
  listings: Map<string, TreeNode[]>;
  /** path → node, for every node of every loaded listing. */
  nodes: Map<string, TreeNode>;
}

export class TreeModel {
  private roots = new Map<string, RootState>();
  private sort: SortMode = "name";

  get sortMode(): SortMode {
    return this.sort;
  }

  /** Re-sorts every loaded listing in place (nodes keep their identity); true when changed. */
  setSortMode(mode: SortMode): boolean {
    if (mode === this.sort) {
      return false;
    }
    this.sort = mode;
    const compare = mode === "tokens" ? compareByTokens : compareEntries;
    for (const root of this.roots.values()) {
      for (const listing of root.listings.values()) {
        listing.sort((a, b) => compare(a.entry as Entry, b.entry as Entry));
      }
    }
    return true;
  }

  /** Replaces the workspace folders; state of folders that stay is kept. */
  setRoots(infos: readonly RootInfo[]): void {
    const next = new Map<string, RootState>();
    for (const info of infos) {
      const old = this.roots.get(info.rootUri);
      next.set(
        info.rootUri,
        old ?? {
          info,
          node: {
            id: nodeId(info.rootUri, "", "root"),
            rootUri: info.rootUri,
            path: "",
            entry: undefined,
            rootName: info.name,
          },
          listings: new Map(),
          nodes: new Map(),
        },
      );
    }
    this.roots = next;
  }

  rootInfos(): RootInfo[] {
    return [...this.roots.values()].map((r) => r.info);
  }

  /** More than one folder: the top level shows one node per folder. */
  get multiRoot(): boolean {
    return this.roots.size > 1;
  }

  rootNodes(): TreeNode[] {
    return [...this.roots.values()].map((r) => r.node);
  }

  rootNode(rootUri: string): TreeNode | undefined {
    return this.roots.get(rootUri)?.node;
  }

  /** Drops every listing (server restart, settings that change what is listed). */
  clear(): void {
    for (const root of this.roots.values()) {
      root.listings.clear();
      root.nodes.clear();
    }
  }

  children(rootUri: string, dir: string): TreeNode[] | undefined {
    return this.roots.get(rootUri)?.listings.get(dir);
  }

  node(rootUri: string, path: string): TreeNode | undefined {
    const root = this.roots.get(rootUri);
    return path === "" ? root?.node : root?.nodes.get(path);
  }

  loadedDirs(rootUri: string): string[] {
    return [...(this.roots.get(rootUri)?.listings.keys() ?? [])];
  }

  /** Merges a fresh listing of `dir`, reusing node objects whose path and kind survive. */
  applyListing(rootUri: string, dir: string, entries: readonly Entry[]): ListingChange {
    const root = this.roots.get(rootUri);
    if (root === undefined) {
      return { membershipChanged: false, changed: [] };
    }
    const previous = root.listings.get(dir);
    const oldByPath = new Map((previous ?? []).map((n) => [n.path, n]));
    const changed: TreeNode[] = [];
    const next = sortEntries(entries, this.sort).map((entry) => {
      const old = oldByPath.get(entry.path);
      if (old?.entry !== undefined && old.entry.kind === entry.kind) {
        if (!sameEntry(old.entry, entry)) {
          old.entry = entry;
          changed.push(old);
        }
        return old;
      }
      const node: TreeNode = {
        id: nodeId(rootUri, entry.path, entry.kind),
        rootUri,
        path: entry.path,
        entry,
        rootName: root.info.name,
      };
      return node;
    });
    const kept = new Set(next);
    for (const old of previous ?? []) {
      if (!kept.has(old)) {
        this.forget(root, old.path);
      }
    }
    for (const node of next) {
      root.nodes.set(node.path, node);
    }
    root.listings.set(dir, next);
    const membershipChanged =
      previous === undefined || previous.length !== next.length || previous.some((n, i) => n !== next[i]);
    return { membershipChanged, changed };
  }

  private forget(root: RootState, path: string): void {
    root.nodes.delete(path);
    for (const loaded of [...root.listings.keys()]) {
      if (isWithin(loaded, path) && path !== "") {
        for (const child of root.listings.get(loaded) ?? []) {
          root.nodes.delete(child.path);
        }
        root.listings.delete(loaded);
      }
    }
  }

  /**
   * Loaded listings to re-fetch so that what is shown stays true:
   * - `files` (token deltas): every listing on the way up holds a changed file or a sum;
   * - `dirs` (children added/removed): that listing and the sums above it;
   * - `subtrees` (check state changed): the partial states above, and every loaded listing
   *   below, whose check marks follow the folder.
   * Sorted shallow first so a parent is merged before its children.
   */
  listingsToRefresh(
    rootUri: string,
    change: { files?: readonly string[]; dirs?: readonly string[]; subtrees?: readonly string[] },
  ): string[] {
    const loaded = new Set(this.loadedDirs(rootUri));
    const wanted = new Set<string>();
    const addUp = (path: string, self: boolean): void => {
      for (const p of self ? [path, ...ancestors(path)] : ancestors(path)) {
        if (loaded.has(p)) {
          wanted.add(p);
        }
      }
    };
    for (const f of change.files ?? []) {
      addUp(f, false);
    }
    for (const d of change.dirs ?? []) {
      addUp(d, true);
    }
    for (const s of change.subtrees ?? []) {
      addUp(s, false);
      for (const l of loaded) {
        if (isWithin(l, s)) {
          wanted.add(l);
        }
      }
    }
    return [...wanted].sort(byDepth);
  }

  /**
   * Nodes to fire after re-listing: a listing whose membership changed refreshes its parent
   * node (or everything when it is the top level), otherwise only the changed children are
   * fired. Nodes below an already refreshed folder are dropped: VS Code re-renders those.
   */
  refreshFor(rootUri: string, results: ReadonlyArray<{ dir: string; change: ListingChange }>): Refresh {
    const wholeDirs: string[] = [];
    const singles: TreeNode[] = [];
    for (const { dir, change } of results) {
      if (change.membershipChanged) {
        if (dir === "" && !this.multiRoot) {
          return "all";
        }
        wholeDirs.push(dir);
      } else {
        singles.push(...change.changed);
      }
    }
    const covered = (path: string, self: boolean): boolean =>
      wholeDirs.some((d) => (self || path !== d) && isWithin(path, d) && (d !== "" || this.multiRoot));
    const out: TreeNode[] = [];
    for (const dir of wholeDirs) {
      if (!covered(dir, false)) {
        const node = this.node(rootUri, dir);
        if (node !== undefined) {
          out.push(node);
        }
      }
    }
    for (const node of singles) {
      // a node is rendered from its parent's listing: covered when that parent is refreshed
      if (!covered(parentPath(node.path), true) && !out.includes(node)) {
        out.push(node);
      }
    }
    return out;
  }
}

function byDepth(a: string, b: string): number {
  const da = a === "" ? 0 : a.split("/").length;
  const db = b === "" ? 0 : b.split("/").length;
  return da - db || (a < b ? -1 : a > b ? 1 : 0);
}

/** Accumulates invalidations between two flushes (the ~100 ms coalescing window). */
export class PendingChanges {
  private byRoot = new Map<string, { files: Set<string>; dirs: Set<string>; subtrees: Set<string> }>();

  private get(rootUri: string): { files: Set<string>; dirs: Set<string>; subtrees: Set<string> } {
    let p = this.byRoot.get(rootUri);
    if (p === undefined) {
      p = { files: new Set(), dirs: new Set(), subtrees: new Set() };
      this.byRoot.set(rootUri, p);
    }
    return p;
  }

  add(rootUri: string, kind: "files" | "dirs" | "subtrees", paths: Iterable<string>): void {
    const set = this.get(rootUri)[kind];
    for (const p of paths) {
      set.add(p);
    }
  }

  get empty(): boolean {
    return this.byRoot.size === 0;
  }

  take(): Map<string, { files: string[]; dirs: string[]; subtrees: string[] }> {
    const out = new Map<string, { files: string[]; dirs: string[]; subtrees: string[] }>();
    for (const [root, p] of this.byRoot) {
      out.set(root, { files: [...p.files], dirs: [...p.dirs], subtrees: [...p.subtrees] });
    }
    this.byRoot.clear();
    return out;
  }
}
