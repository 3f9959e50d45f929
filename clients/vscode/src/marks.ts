/**
 * What rows and the Explorer mark besides counts, per folder: every counted file's tokens (kept
 * current from `fileTokens` deltas; for the filter and heavy-file marks), secrets the last pack
 * masked, and files new since the loaded profile (minus those the user dismissed).
 */

import type { FileTokensItem, Redaction } from "./protocol";

interface RootMarks {
  tokens: Map<string, number>;
  secrets: Map<string, string[]>;
  newFiles: Set<string>;
}

export class Marks {
  private byRoot = new Map<string, RootMarks>();
  private listeners: Array<(rootUri: string) => void> = [];

  private root(rootUri: string): RootMarks {
    let r = this.byRoot.get(rootUri);
    if (r === undefined) {
      r = { tokens: new Map(), secrets: new Map(), newFiles: new Set() };
      this.byRoot.set(rootUri, r);
    }
    return r;
  }

  onChange(listener: (rootUri: string) => void): { dispose(): void } {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }

  private fire(rootUri: string): void {
    this.listeners.forEach((l) => l(rootUri));
  }

  setFiles(rootUri: string, files: readonly FileTokensItem[]): void {
    this.root(rootUri).tokens = new Map(files.map((f) => [f.path, f.tokens]));
    this.fire(rootUri);
  }

  updateFiles(rootUri: string, files: readonly FileTokensItem[]): void {
    const tokens = this.root(rootUri).tokens;
    for (const f of files) {
      tokens.set(f.path, f.tokens);
    }
    this.fire(rootUri);
  }

  paths(rootUri: string): string[] {
    return [...this.root(rootUri).tokens.keys()];
  }

  tokens(rootUri: string, path: string): number | undefined {
    return this.byRoot.get(rootUri)?.tokens.get(path);
  }

  /** The secrets of a pack of the selection replace those known for the folder. */
  setSecrets(rootUri: string, redactions: readonly Redaction[]): void {
    const secrets = new Map<string, string[]>();
    for (const r of redactions) {
      secrets.set(r.path, [...(secrets.get(r.path) ?? []), r.kind]);
    }
    this.root(rootUri).secrets = secrets;
    this.fire(rootUri);
  }

  secrets(rootUri: string, path: string): readonly string[] {
    return this.byRoot.get(rootUri)?.secrets.get(path) ?? [];
  }

  secretCount(rootUri: string): number {
    let n = 0;
    for (const kinds of this.byRoot.get(rootUri)?.secrets.values() ?? []) {
      n += kinds.length;
    }
    return n;
  }

  setNewFiles(rootUri: string, paths: readonly string[]): void {
    this.root(rootUri).newFiles = new Set(paths);
    this.fire(rootUri);
  }

  isNew(rootUri: string, path: string): boolean {
    return this.byRoot.get(rootUri)?.newFiles.has(path) ?? false;
  }

  newFiles(rootUri: string): string[] {
    return [...(this.byRoot.get(rootUri)?.newFiles ?? [])].sort();
  }

  /** Included or dismissed in the review: no longer flagged. */
  settle(rootUri: string, path: string): void {
    if (this.byRoot.get(rootUri)?.newFiles.delete(path) === true) {
      this.fire(rootUri);
    }
  }

  clear(): void {
    const roots = [...this.byRoot.keys()];
    this.byRoot.clear();
    roots.forEach((r) => this.fire(r));
  }
}
