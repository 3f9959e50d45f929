import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULTS, needsRestart, parseSettings, toWireSettings } from "../../src/settings";

const from = (values: Record<string, unknown>) => (key: string) => values[key];

describe("parseSettings", () => {
  it("defaults when nothing is set", () => {
    const { settings, problems } = parseSettings(() => undefined);
    assert.deepEqual(settings, DEFAULTS);
    assert.deepEqual(problems, []);
  });

  it("reads valid values", () => {
    const { settings, problems } = parseSettings(
      from({
        encoding: " cl100k_base ",
        format: "markdown",
        include: ["src/**"],
        exclude: ["*.snap"],
        maxFileSize: 1000,
        poolKind: "thread",
        poolSize: 4,
        cacheDir: "/tmp/c",
        "server.interpreter": "/usr/bin/python3.12",
        "trace.server": "verbose",
        showSkipped: true,
      }),
    );
    assert.deepEqual(problems, []);
    assert.equal(settings.encoding, "cl100k_base");
    assert.equal(settings.format, "markdown");
    assert.deepEqual(settings.include, ["src/**"]);
    assert.equal(settings.maxFileSize, 1000);
    assert.equal(settings.poolKind, "thread");
    assert.equal(settings.poolSize, 4);
    assert.equal(settings.interpreter, "/usr/bin/python3.12");
    assert.equal(settings.trace, "verbose");
    assert.equal(settings.showSkipped, true);
  });

  const invalid: Array<[string, unknown]> = [
    ["encoding", ""],
    ["encoding", 5],
    ["format", "html"],
    ["include", "src/**"],
    ["exclude", [1, 2]],
    ["maxFileSize", -1],
    ["maxFileSize", 1.5],
    ["maxFileSize", "2MB"],
    ["poolKind", "fork"],
    ["poolSize", 0],
    ["server.interpreter", false],
    ["trace.server", "loud"],
    ["showSkipped", "yes"],
  ];
  for (const [key, value] of invalid) {
    it(`invalid ${key}=${JSON.stringify(value)} -> default + problem`, () => {
      const { settings, problems } = parseSettings(from({ [key]: value }));
      assert.deepEqual(settings, DEFAULTS);
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? "", new RegExp(`sourcepacker\\.${key.replace(".", "\\.")}`));
    });
  }

  it("null means unset (poolSize / poolKind defaults in package.json)", () => {
    const { settings, problems } = parseSettings(from({ poolSize: null, poolKind: null }));
    assert.equal(settings.poolSize, undefined);
    assert.deepEqual(problems, []);
  });

  it("defaults are not shared between parses", () => {
    const a = parseSettings(() => undefined).settings;
    a.include.push("x");
    assert.deepEqual(parseSettings(() => undefined).settings.include, []);
  });
});

describe("toWireSettings", () => {
  it("drops client-only keys and unset optionals", () => {
    assert.deepEqual(toWireSettings(DEFAULTS), {
      encoding: "o200k_base",
      format: "xml",
      include: [],
      exclude: [],
      maxFileSize: 2 * 1024 * 1024,
    });
  });
  it("passes pool and cache overrides", () => {
    const wire = toWireSettings({ ...DEFAULTS, poolKind: "process", poolSize: 3, cacheDir: "/c" });
    assert.equal(wire.poolKind, "process");
    assert.equal(wire.poolSize, 3);
    assert.equal(wire.cacheDir, "/c");
  });
});

describe("needsRestart", () => {
  it("only for the interpreter", () => {
    assert.equal(needsRestart(DEFAULTS, { ...DEFAULTS, interpreter: "/py" }), true);
    assert.equal(needsRestart(DEFAULTS, { ...DEFAULTS, encoding: "cl100k_base" }), false);
  });
});
