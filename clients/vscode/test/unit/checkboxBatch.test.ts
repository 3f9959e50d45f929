import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batchCheckChanges, isWithin } from "../../src/checkboxBatch";

const A = "file:///ws/a";
const B = "file:///ws/b";

describe("batchCheckChanges", () => {
  it("one request per root for one event", () => {
    const out = batchCheckChanges([
      [{ rootUri: A, path: "src/x.ts" }, true],
      [{ rootUri: B, path: "lib" }, true],
      [{ rootUri: A, path: "README.md" }, true],
    ]);
    assert.deepEqual(out, [
      { rootUri: A, paths: ["src/x.ts", "README.md"], checked: true },
      { rootUri: B, paths: ["lib"], checked: true },
    ]);
  });

  it("splits by target state, keeps first-appearance order", () => {
    const out = batchCheckChanges([
      [{ rootUri: A, path: "a" }, false],
      [{ rootUri: A, path: "b" }, true],
      [{ rootUri: A, path: "c" }, false],
    ]);
    assert.deepEqual(out, [
      { rootUri: A, paths: ["a", "c"], checked: false },
      { rootUri: A, paths: ["b"], checked: true },
    ]);
  });

  it("drops duplicates and paths under a folder of the same batch", () => {
    const out = batchCheckChanges([
      [{ rootUri: A, path: "src/x.ts" }, true],
      [{ rootUri: A, path: "src" }, true],
      [{ rootUri: A, path: "src" }, true],
      [{ rootUri: A, path: "srcx/y.ts" }, true],
    ]);
    assert.deepEqual(out, [{ rootUri: A, paths: ["src", "srcx/y.ts"], checked: true }]);
  });

  it("the folder root covers everything", () => {
    const out = batchCheckChanges([
      [{ rootUri: A, path: "src" }, true],
      [{ rootUri: A, path: "" }, true],
    ]);
    assert.deepEqual(out, [{ rootUri: A, paths: [""], checked: true }]);
  });

  it("empty event, no request", () => {
    assert.deepEqual(batchCheckChanges([]), []);
  });
});

describe("isWithin", () => {
  it("prefix is per component", () => {
    assert.equal(isWithin("src/a", "src"), true);
    assert.equal(isWithin("src", "src"), true);
    assert.equal(isWithin("srcx", "src"), false);
    assert.equal(isWithin("anything", ""), true);
  });
});
