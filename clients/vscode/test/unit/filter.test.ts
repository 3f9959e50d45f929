import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyFilter, filterDescription, globToRegExp, isGlob, matcherFor } from "../../src/filter";

const PATHS = [
  "README.md",
  "src/app.py",
  "src/pkg/util.py",
  "src/pkg/test_util.py",
  "docs/guide.md",
  "tests/test_app.py",
];
const match = (q: string) => PATHS.filter(matcherFor(q));

describe("filter", () => {
  it("globs need *, ? or [", () => {
    assert.equal(isGlob("*.py"), true);
    assert.equal(isGlob("util"), false);
  });
  it("a name glob matches at any depth", () => {
    assert.deepEqual(match("*.py"), ["src/app.py", "src/pkg/util.py", "src/pkg/test_util.py", "tests/test_app.py"]);
    assert.deepEqual(match("test_*"), ["src/pkg/test_util.py", "tests/test_app.py"]);
  });
  it("a glob with / is anchored; ** crosses folders; a folder covers what is below", () => {
    assert.deepEqual(match("src/*.py"), ["src/app.py"]);
    assert.deepEqual(match("src/**/*.py"), ["src/app.py", "src/pkg/util.py", "src/pkg/test_util.py"]);
    assert.deepEqual(match("src/pkg"), ["src/pkg/util.py", "src/pkg/test_util.py"]); // text
    assert.deepEqual(match("docs/**"), ["docs/guide.md"]);
    assert.ok(globToRegExp("src/[ab]*.py").test("src/app.py"));
  });
  it("text matches anywhere in the path, case-insensitively", () => {
    assert.deepEqual(match("UTIL"), ["src/pkg/util.py", "src/pkg/test_util.py"]);
    assert.deepEqual(match("  "), PATHS);
  });
  it("shows the matching files and the folders on their way only", () => {
    const r = applyFilter(PATHS, matcherFor("util"));
    assert.equal(r.files, 2);
    assert.deepEqual([...r.visible].sort(), ["src", "src/pkg", "src/pkg/test_util.py", "src/pkg/util.py"]);
    assert.equal(filterDescription("util", r.files), 'filter "util" · 2 files');
  });
});
