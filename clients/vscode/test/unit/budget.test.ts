import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  budgetLevel,
  budgetTooltip,
  copyToast,
  formatBudget,
  formatShare,
  heavyMark,
  promptFigure,
  shareSuffix,
} from "../../src/budget";
import type { Totals } from "../../src/protocol";

const sum = (tokens: number, files: number, pendingFiles = 0) => ({
  tokens,
  exact: tokens,
  estimated: 0,
  files,
  pendingFiles,
});
const totals = (over: Partial<Totals> = {}): Totals => ({
  rootUri: "file:///w",
  selected: sum(80_000, 6),
  workspace: sum(480_000, 300),
  encoding: "o200k_base",
  prompt: 87_200,
  ...over,
});

describe("formatBudget", () => {
  it("prompt against the budget", () => {
    assert.equal(formatBudget(87_200, 200_000, false), "87.2k / 200k");
    assert.equal(formatBudget(87_200, 200_000, true), "~87.2k / 200k");
    assert.equal(formatBudget(229, 1_047_576, false), "229 / 1M");
  });
  it("no budget: the prompt alone", () => {
    assert.equal(formatBudget(87_200, undefined, false), "87.2k");
    assert.equal(formatBudget(87_200, 0, true), "~87.2k");
  });
});

describe("budgetLevel", () => {
  it("warning past 80 %, error past 100 %", () => {
    assert.equal(budgetLevel(160_000, 200_000), "ok");
    assert.equal(budgetLevel(160_001, 200_000), "warning");
    assert.equal(budgetLevel(200_000, 200_000), "warning");
    assert.equal(budgetLevel(200_001, 200_000), "error");
    assert.equal(budgetLevel(10 ** 9, undefined), "ok");
  });
});

describe("shares", () => {
  it("formatShare: one decimal under 10 %, whole above, <0.1% for crumbs", () => {
    assert.equal(formatShare(14_000, 100_000), "14%");
    assert.equal(formatShare(4_360, 100_000), "4.4%");
    assert.equal(formatShare(1, 200_000), "<0.1%");
    assert.equal(formatShare(0, 200_000), "0%");
    assert.equal(formatShare(5, 0), "");
    assert.equal(formatShare(3_900, 3_917), "99%");
  });
  it("shareSuffix only for rows with >= 5 % of the selection", () => {
    assert.equal(shareSuffix(12_400, 88_000), "14%");
    assert.equal(shareSuffix(4_000, 88_000), undefined);
    assert.equal(shareSuffix(100, 0), undefined);
    assert.equal(shareSuffix(88_000, 88_000), "100%");
  });
  it("heavyMark: a file >= 5 % of the budget, else >= 10k tokens", () => {
    assert.equal(heavyMark(10_000, 200_000), true);
    assert.equal(heavyMark(9_999, 200_000), false);
    assert.equal(heavyMark(500, 8_192), true);
    assert.equal(heavyMark(10_000, undefined), true);
  });
});

describe("promptFigure", () => {
  it("sums the folders' prompt figures", () => {
    const f = promptFigure([totals(), totals({ rootUri: "file:///v", prompt: 1_000, selected: sum(900, 1) })]);
    assert.equal(f.tokens, 88_200);
    assert.equal(f.estimated, false);
    assert.equal(f.files, 80_900);
    assert.equal(f.overhead, 7_300);
  });
  it("a folder without its figure yet counts its files and marks the sum estimated", () => {
    const f = promptFigure([totals({ prompt: undefined })]);
    assert.deepEqual([f.tokens, f.estimated], [80_000, true]);
  });
  it("pending files make it an estimate", () => {
    assert.equal(promptFigure([totals({ selected: sum(80_000, 6, 2) })]).estimated, true);
  });
  it("nothing selected is an exact 0 (Copy packs nothing, not even the wrapper)", () => {
    const f = promptFigure([totals({ prompt: undefined, selected: sum(0, 0) })]);
    assert.deepEqual([f.tokens, f.estimated], [0, false]);
    assert.equal(promptFigure([totals({ prompt: 8, selected: sum(0, 0) })]).tokens, 0);
  });
});

describe("tooltip and toast", () => {
  it("the tooltip breaks the prompt down", () => {
    const md = budgetTooltip(
      promptFigure([totals({ selected: sum(80_000, 6, 3) })]),
      { budget: 200_000, model: "claude-sonnet-4.5", approximate: true },
      { format: "xml", tree: true, transforms: ["compress"], instructions: true },
    );
    for (const part of [
      "Prompt: ~87,200 tokens",
      "Budget: 200,000 (claude-sonnet-4.5), 43% used",
      "Files: 80,000 tokens in 6 files",
      "Wrappers, instructions, directory tree: ~7,200 tokens",
      "Workspace total: 480,000 tokens",
      "Files pending: 3",
      "`o200k_base`",
      "xml, compress",
      "own tokenizer",
    ]) {
      assert.ok(md.includes(part), `${part} in\n${md}`);
    }
  });
  it("the copy toast says files, tokens, budget share and secrets masked", () => {
    assert.equal(copyToast(6, 229, 200_000, 2), "Copied 6 files · 229 tokens · 0.1% of 200k · 2 secrets masked");
    assert.equal(copyToast(1, 87_200, undefined, 0), "Copied 1 file · 87.2k tokens");
  });
});
