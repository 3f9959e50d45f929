/**
 * Turns one `onDidChangeCheckboxState` event (or one explorer multi-selection) into as few
 * `sourcepacker/setChecked` requests as the wire allows: one per workspace folder and target
 * state, every item of the event included. Sending items one by one would make the daemon
 * recompute totals and emit notifications N times for one click on "select these 40 files".
 */

import type { SetCheckedParams } from "./protocol";

export interface CheckTarget {
  rootUri: string;
  /** Relative POSIX path; "" is the folder itself. */
  path: string;
}

/**
 * Groups by (rootUri, checked) in order of first appearance; duplicate paths are sent once, and
 * a path below another path of the same group is dropped because the folder already covers it.
 */
export function batchCheckChanges(items: ReadonlyArray<readonly [CheckTarget, boolean]>): SetCheckedParams[] {
  const groups = new Map<string, SetCheckedParams>();
  for (const [target, checked] of items) {
    const key = `${checked ? "1" : "0"}\u0000${target.rootUri}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { rootUri: target.rootUri, paths: [], checked };
      groups.set(key, group);
    }
    if (!group.paths.includes(target.path)) {
      group.paths.push(target.path);
    }
  }
  return [...groups.values()].map((g) => ({ ...g, paths: dropCovered(g.paths) }));
}

/** True when `path` is `ancestor` or lies below it ("" is above everything). */
export function isWithin(path: string, ancestor: string): boolean {
  return ancestor === "" || path === ancestor || path.startsWith(`${ancestor}/`);
}

function dropCovered(paths: string[]): string[] {
  return paths.filter((p) => !paths.some((other) => other !== p && isWithin(p, other)));
}
