import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Entry } from "../../src/protocol";
import { describeEntry } from "../../src/entryView";
import { ancestors, PendingChanges, sortEntries, TreeModel } from "../../src/tree";

const R = "file:///ws";
const R2 = "file:///ws2";

const file = (path: string, tokens = 10, extra: Partial<Entry> = {}): Entry => ({
  name: path.split("/").pop() ?? path,
  path,
  kind: "file",
  size: tokens * 4,
  tokens,
  state: "exact",
  checked: "unchecked",
  ...extra,
});
const dir = (path: string, tokens = 100, extra: Partial<Entry> = {}): Entry => ({
  ...file(path, tokens),
  kind: "dir",
  fileCount: 3,
  ...extra,
});

function model(...roots: string[]): TreeModel {
  const m = new TreeModel();
  m.setRoots(roots.map((rootUri) => ({ rootUri, name: rootUri.split("/").pop() ?? rootUri })));
  return m;
}

describe("sorting", () => {
  it("folders first, then case-insensitive name", () => {
    const sorted = sortEntries([file("b.ts"), dir("src"), file("A.md"), dir("Docs"), file("a.md")]);
    assert.deepEqual(
      sorted.map((e) => e.name),
      ["Docs", "src", "A.md", "a.md", "b.ts"],
    );
  });
});

describe("ancestors", () => {
  it("nearest first, ending at the root", () => {
    assert.deepEqual(ancestors("a/b/c.ts"), ["a/b", "a", ""]);
    assert.deepEqual(ancestors("x"), [""]);
    assert.deepEqual(ancestors(""), []);
  });
});

describe("applyListing", () => {
  it("first listing is a membership change; nodes get stable ids", () => {
    const m = model(R);
    const change = m.applyListing(R, "", [file("z.ts"), dir("src")]);
    assert.equal(change.membershipChanged, true);
    const kids = m.children(R, "") ?? [];
    assert.deepEqual(
      kids.map((n) => n.id),
      [`${R}#dir:src`, `${R}#file:z.ts`],
    );
  });

  it("keeps node identity and reports only changed entries", () => {
    const m = model(R);
    m.applyListing(R, "", [file("a.ts", 10), file("b.ts", 20)]);
    const [a, b] = m.children(R, "") ?? [];
    const change = m.applyListing(R, "", [file("a.ts", 10), file("b.ts", 25, { state: "estimated" })]);
    assert.equal(change.membershipChanged, false);
    assert.deepEqual(change.changed, [b]);
    const after = m.children(R, "") ?? [];
    assert.equal(after[0], a);
    assert.equal(after[1], b);
    assert.equal(b?.entry?.tokens, 25);
  });

  it("added or removed children change membership; removed dirs drop their loaded listings", () => {
    const m = model(R);
    m.applyListing(R, "", [dir("src"), file("a.ts")]);
    m.applyListing(R, "src", [dir("src/lib"), file("src/x.ts")]);
    m.applyListing(R, "src/lib", [file("src/lib/y.ts")]);
    const change = m.applyListing(R, "", [file("a.ts"), file("b.ts")]);
    assert.equal(change.membershipChanged, true);
    assert.deepEqual(m.loadedDirs(R), [""]);
    assert.equal(m.node(R, "src/lib/y.ts"), undefined);
  });

  it("a path that turns from file into dir is a new node", () => {
    const m = model(R);
    m.applyListing(R, "", [file("x")]);
    const before = m.node(R, "x");
    const change = m.applyListing(R, "", [dir("x")]);
    assert.equal(change.membershipChanged, true);
    assert.notEqual(m.node(R, "x"), before);
    assert.equal(m.node(R, "x")?.id, `${R}#dir:x`);
  });

  it("ignores unknown roots", () => {
    const m = model(R);
    assert.deepEqual(m.applyListing("file:///other", "", [file("a")]), { membershipChanged: false, changed: [] });
  });
});

describe("listingsToRefresh", () => {
  const loaded = (): TreeModel => {
    const m = model(R);
    m.applyListing(R, "", [dir("a"), dir("b")]);
    m.applyListing(R, "a", [dir("a/b"), file("a/f.ts")]);
    m.applyListing(R, "a/b", [file("a/b/c.ts")]);
    m.applyListing(R, "b", [file("b/g.ts")]);
    return m;
  };

  it("token deltas refresh every loaded listing on the way up", () => {
    assert.deepEqual(loaded().listingsToRefresh(R, { files: ["a/b/c.ts"] }), ["", "a", "a/b"]);
  });

  it("deltas under a collapsed folder still refresh the sums above it", () => {
    assert.deepEqual(loaded().listingsToRefresh(R, { files: ["b/deep/h.ts"] }), ["", "b"]);
  });

  it("treeChanged refreshes that listing and the ones above, skipping unloaded", () => {
    assert.deepEqual(loaded().listingsToRefresh(R, { dirs: ["a/b"] }), ["", "a", "a/b"]);
    assert.deepEqual(loaded().listingsToRefresh(R, { dirs: ["b/new"] }), ["", "b"]);
  });

  it("a check change refreshes ancestors and every loaded listing below", () => {
    assert.deepEqual(loaded().listingsToRefresh(R, { subtrees: ["a"] }), ["", "a", "a/b"]);
    assert.deepEqual(loaded().listingsToRefresh(R, { subtrees: [""] }), ["", "a", "b", "a/b"]);
  });

  it("nothing loaded, nothing to do", () => {
    assert.deepEqual(model(R).listingsToRefresh(R, { files: ["x"] }), []);
  });
});

describe("refreshFor", () => {
  it("only the changed nodes when membership is unchanged", () => {
    const m = model(R);
    m.applyListing(R, "", [dir("a"), file("z.ts")]);
    m.applyListing(R, "a", [file("a/f.ts", 1)]);
    const top = m.applyListing(R, "", [dir("a", 101), file("z.ts")]);
    const sub = m.applyListing(R, "a", [file("a/f.ts", 2)]);
    const refresh = m.refreshFor(R, [
      { dir: "", change: top },
      { dir: "a", change: sub },
    ]);
    assert.deepEqual(refresh, [m.node(R, "a"), m.node(R, "a/f.ts")]);
  });

  it("a membership change refreshes the parent node; its descendants are covered", () => {
    const m = model(R);
    m.applyListing(R, "", [dir("a")]);
    m.applyListing(R, "a", [dir("a/b")]);
    m.applyListing(R, "a/b", [file("a/b/c.ts", 1)]);
    const a = m.applyListing(R, "a", [dir("a/b"), file("a/new.ts")]);
    const ab = m.applyListing(R, "a/b", [file("a/b/c.ts", 2)]);
    const refresh = m.refreshFor(R, [
      { dir: "a", change: a },
      { dir: "a/b", change: ab },
    ]);
    assert.deepEqual(refresh, [m.node(R, "a")]);
  });

  it("the top level of a single-folder workspace refreshes everything", () => {
    const m = model(R);
    m.applyListing(R, "", [file("a")]);
    const change = m.applyListing(R, "", [file("a"), file("b")]);
    assert.equal(m.refreshFor(R, [{ dir: "", change }]), "all");
  });

  it("multi-root: a folder's top level refreshes that folder's node only", () => {
    const m = model(R, R2);
    m.applyListing(R, "", [file("a")]);
    const change = m.applyListing(R, "", [file("a"), file("b")]);
    assert.deepEqual(m.refreshFor(R, [{ dir: "", change }]), [m.rootNode(R)]);
  });

  it("no changes, nothing to fire", () => {
    const m = model(R);
    m.applyListing(R, "", [file("a")]);
    const change = m.applyListing(R, "", [file("a")]);
    assert.deepEqual(m.refreshFor(R, [{ dir: "", change }]), []);
  });
});

describe("roots", () => {
  it("setRoots keeps listings of folders that stay", () => {
    const m = model(R, R2);
    m.applyListing(R, "", [file("a")]);
    m.setRoots([{ rootUri: R, name: "ws" }]);
    assert.equal(m.multiRoot, false);
    assert.equal(m.children(R, "")?.length, 1);
    m.clear();
    assert.equal(m.children(R, ""), undefined);
  });
});

describe("PendingChanges", () => {
  it("accumulates per root and empties on take", () => {
    const p = new PendingChanges();
    assert.equal(p.empty, true);
    p.add(R, "files", ["a", "b"]);
    p.add(R, "files", ["a"]);
    p.add(R2, "dirs", [""]);
    const taken = p.take();
    assert.deepEqual(taken.get(R), { files: ["a", "b"], dirs: [], subtrees: [] });
    assert.deepEqual(taken.get(R2), { files: [], dirs: [""], subtrees: [] });
    assert.equal(p.empty, true);
  });
});

describe("describeEntry", () => {
  it("exact file", () => {
    const v = describeEntry(file("src/a.ts", 1234));
    assert.equal(v.description, "1.2k");
    assert.equal(v.checkbox, "unchecked");
    assert.equal(v.contextValue, "file");
    assert.match(v.tooltip, /1,234 tokens \(exact\)/);
  });
  it("estimated dir, partly selected", () => {
    const v = describeEntry(dir("src", 48_000, { state: "estimated", checked: "partial" }));
    assert.equal(v.description, "◐ ~48k");
    assert.equal(v.collapsible, true);
    assert.match(v.tooltip, /Partly selected/);
  });
  it("new file", () => {
    const v = describeEntry(file("n.ts", 950, { isNew: true, checked: "checked" }));
    assert.equal(v.description, "950 new");
    assert.equal(v.checkbox, "checked");
  });
  it("omitted defaulted fields: a folder of no files, not new", () => {
    const entry = dir("empty", 0);
    delete entry.fileCount;
    const v = describeEntry(entry);
    assert.equal(v.description, "0");
    assert.match(v.tooltip, /^0 files$/m);
  });
  it("too large: no checkbox, reason and limit in the tooltip", () => {
    const v = describeEntry(
      file("big.json", 0, { state: "skipped", skipReason: "too-large", size: 3 * 1024 * 1024 }),
      2 * 1024 * 1024,
    );
    assert.equal(v.checkbox, undefined);
    assert.equal(v.contextValue, "skipped-too-large");
    assert.equal(v.description, "skipped: too-large");
    assert.match(v.tooltip, /Skipped: too-large \(3 MiB > 2 MiB limit\)/);
  });
  it("binary", () => {
    const v = describeEntry(file("a.png", 0, { state: "skipped", skipReason: "binary" }));
    assert.equal(v.contextValue, "skipped");
  });
});
