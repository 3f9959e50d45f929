import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { copiedMessage, formatBytes, formatCompact, formatTokens, plural } from "../../src/format";

describe("formatCompact", () => {
  const cases: Array<[number, string]> = [
    [0, "0"],
    [7, "7"],
    [950, "950"],
    [999, "999"],
    [1000, "1k"],
    [1049, "1k"],
    [1050, "1.1k"],
    [1234, "1.2k"],
    [12_300, "12.3k"],
    [48_000, "48k"],
    [48_049, "48k"],
    [480_000, "480k"],
    [999_949, "999.9k"],
    [999_950, "1M"],
    [1_000_000, "1M"],
    [1_250_000, "1.3M"],
    [1_340_000, "1.3M"],
    [999_949_999, "999.9M"],
    [999_950_000, "1B"],
    [2_500_000_000, "2.5B"],
    [-1234, "-1.2k"],
    [-0.4, "0"],
    [999.6, "1k"],
  ];
  for (const [value, expected] of cases) {
    it(`${value} -> ${expected}`, () => assert.equal(formatCompact(value), expected));
  }
  it("never prints 1000 of a unit", () => {
    for (let n = 999_000; n <= 1_001_000; n += 7) {
      assert.doesNotMatch(formatCompact(n), /^1000(\.\d)?k$/);
    }
  });
  it("non-finite values", () => {
    assert.equal(formatCompact(Number.NaN), "?");
    assert.equal(formatCompact(Number.POSITIVE_INFINITY), "?");
  });
});

describe("formatTokens", () => {
  it("marks estimates with ~", () => {
    assert.equal(formatTokens(12_300, true), "~12.3k");
    assert.equal(formatTokens(12_300, false), "12.3k");
  });
});

describe("messages", () => {
  it("copied message", () => {
    assert.equal(copiedMessage(3, 12_345), "Copied 3 files · 12.3k tokens");
    assert.equal(copiedMessage(1, 950), "Copied 1 file · 950 tokens");
  });
  it("plural", () => {
    assert.equal(plural(0, "file"), "0 files");
    assert.equal(plural(1, "path"), "1 path");
  });
  it("bytes", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(2 * 1024 * 1024), "2 MiB");
    assert.equal(formatBytes(3.14 * 1024 * 1024), "3.1 MiB");
  });
});
