import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  budgetOf,
  DEFAULT_STATE,
  normalizeState,
  packParams,
  parseBudget,
  toggleTransform,
} from "../../src/promptOptions";

describe("prompt options", () => {
  it("default: a 200k model, nothing else", () => {
    const s = normalizeState(undefined);
    assert.deepEqual(s, { ...DEFAULT_STATE, transforms: [] });
    assert.equal(budgetOf(s, new Map([["claude-sonnet-4.5", 200_000]])), 200_000);
  });
  it("a custom budget wins over the model", () => {
    const s = normalizeState({ budget: 5000, transforms: ["compress", "bogus"], tree: true });
    assert.deepEqual(packParams(s, "file:///w", "xml"), {
      rootUri: "file:///w",
      format: "xml",
      tree: true,
      transforms: ["compress"],
      budget: 5000,
    });
    assert.equal(budgetOf(s, new Map()), 5000);
  });
  it("transforms toggle and keep one order", () => {
    let s = normalizeState({});
    s = toggleTransform(s, "line-numbers");
    s = toggleTransform(s, "compress");
    assert.deepEqual(s.transforms, ["compress", "line-numbers"]);
    assert.deepEqual(toggleTransform(s, "compress").transforms, ["line-numbers"]);
  });
  it("parseBudget", () => {
    assert.equal(parseBudget("200000"), 200_000);
    assert.equal(parseBudget("128k"), 128_000);
    assert.equal(parseBudget("1.5M"), 1_500_000);
    assert.equal(parseBudget("200,000"), 200_000);
    assert.equal(parseBudget("0"), undefined);
    assert.equal(parseBudget("lots"), undefined);
  });
});
