/**
 * The view's filter: a query is a glob when it has `*`, `?` or `[` (gitignore-like: `*` stays in
 * one folder, `**` crosses folders, a pattern without `/` matches the file name anywhere),
 * otherwise case-insensitive text found in the path. The view then shows the matching files and
 * the folders on their way, nothing else.
 */

import { ancestors } from "./tree";

export type PathMatcher = (path: string) => boolean;

export function isGlob(query: string): boolean {
  return /[*?[]/.test(query);
}

/** Glob → RegExp over a whole relative POSIX path. */
export function globToRegExp(glob: string): RegExp {
  let pattern = glob.trim().replace(/^\.\//, "");
  const anchored = pattern.includes("/") && !pattern.startsWith("**/");
  pattern = pattern.replace(/^\/+/, "");
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        const slash = pattern[i + 2] === "/";
        out += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else {
        out += "[^/]*";
      }
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) {
        out += "\\[";
      } else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = end;
      }
    } else {
      out += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
    }
  }
  // a name pattern ("*.ts") matches at any depth; a folder ("src/**") everything below it
  return new RegExp(`^${anchored ? "" : "(?:.*/)?"}${out}(?:/.*)?$`, "i");
}

export function matcherFor(query: string): PathMatcher {
  const q = query.trim();
  if (q === "") {
    return () => true;
  }
  if (isGlob(q)) {
    const re = globToRegExp(q);
    return (p) => re.test(p);
  }
  const needle = q.toLowerCase();
  return (p) => p.toLowerCase().includes(needle);
}

export interface FilterResult {
  /** Matching files and every folder above one ("" excluded). */
  visible: Set<string>;
  files: number;
}

export function applyFilter(paths: Iterable<string>, matches: PathMatcher): FilterResult {
  const visible = new Set<string>();
  let files = 0;
  for (const p of paths) {
    if (!matches(p)) {
      continue;
    }
    files += 1;
    visible.add(p);
    for (const a of ancestors(p)) {
      if (a === "" || visible.has(a)) {
        break;
      }
      visible.add(a);
    }
  }
  return { visible, files };
}

/** The view's description while filtered, e.g. `filter "*.py" · 37 files`. */
export function filterDescription(query: string, files: number): string {
  return `filter "${query}" · ${files} ${files === 1 ? "file" : "files"}`;
}
