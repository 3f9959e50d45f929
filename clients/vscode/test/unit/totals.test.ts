import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { statusText, statusTooltip, TotalsStore } from "../../src/totals";

const A = "file:///a";
const B = "file:///b";

describe("TotalsStore", () => {
  it("sums folders; ~ while any file is pending", () => {
    const store = new TotalsStore();
    let changes = 0;
    store.onChange(() => (changes += 1));
    store.set({
      rootUri: A,
      selected: { tokens: 12_000, exact: 12_000, estimated: 0, files: 3, pendingFiles: 0 },
      workspace: { tokens: 400_000, exact: 390_000, estimated: 10_000, files: 90, pendingFiles: 4 },
      encoding: "o200k_base",
    });
    store.set({
      rootUri: B,
      selected: { tokens: 300, exact: 300, estimated: 0, files: 1, pendingFiles: 0 },
      workspace: { tokens: 80_000, exact: 80_000, estimated: 0, files: 10, pendingFiles: 0 },
      encoding: "o200k_base",
    });
    const c = store.combined();
    assert.equal(c.selected.tokens, 12_300);
    assert.equal(c.workspace.pendingFiles, 4);
    assert.equal(statusText(c), "$(symbol-numeric) 12.3k / ~480k");
    assert.equal(changes, 2);
    const tip = statusTooltip(c, [
      { name: "a", totals: store.get(A)! },
      { name: "b", totals: store.get(B)! },
    ]);
    assert.match(tip, /\*\*Selected:\*\* 12,300 tokens in 4 files/);
    assert.match(tip, /4 files still counting/);
    assert.match(tip, /o200k_base/);
    store.retain([A]);
    assert.equal(store.combined().roots, 1);
  });
});
