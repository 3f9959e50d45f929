import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  chooseLaunch,
  parseProbe,
  planLaunch,
  PROBE_SCRIPT,
  readBundle,
  type Bundle,
  type Candidate,
  type Probe,
} from "../../src/launch";

const bundle: Bundle = {
  target: "linux-x64",
  pythons: ["3.11", "3.12", "3.13"],
  launcher: "/ext/bundled/tool/serve.py",
};
const setting: Candidate = { command: "/venv/bin/python", source: "setting" };
const ext: Candidate = { command: "/proj/.venv/bin/python", source: "python extension" };
const python3: Candidate = { command: "python3", source: "default" };
const py = (minor: number, hasSourcepacker = false): Probe => ({
  found: true,
  version: [3, minor, 4],
  hasSourcepacker,
});
const missing: Probe = { found: false, detail: "not found" };

describe("planLaunch", () => {
  it("runs the bundle with a bundled version", () => {
    const l = planLaunch(python3, py(12), bundle);
    assert.ok(l.ok);
    assert.deepEqual([l.command, l.args, l.how], ["python3", [bundle.launcher], "bundled"]);
  });
  it("the setting's own sourcepacker wins over the bundle", () => {
    const l = planLaunch(setting, py(12, true), bundle);
    assert.ok(l.ok);
    assert.deepEqual([l.args, l.how], [["-m", "sourcepacker", "serve"], "installed"]);
  });
  it("the Python extension's sourcepacker does not: the bundle is the tested pair", () => {
    const l = planLaunch(ext, py(12, true), bundle);
    assert.ok(l.ok && l.how === "bundled");
  });
  it("a version the bundle lacks runs an installed sourcepacker, else says which versions", () => {
    const l = planLaunch(python3, py(14, true), bundle);
    assert.ok(l.ok && l.how === "installed");
    const no = planLaunch(python3, py(14), bundle);
    assert.ok(!no.ok);
    assert.match(no.message, /Python 3\.11–3\.13; "python3" is Python 3\.14\.4/);
  });
  it("too old: one message with both fixes", () => {
    const l = planLaunch(setting, { found: true, version: [3, 9, 7], hasSourcepacker: true }, bundle);
    assert.ok(!l.ok);
    assert.match(l.message, /needs Python 3\.11 or newer; "\/venv\/bin\/python" is Python 3\.9\.7/);
    assert.match(l.message, /sourcepacker\.server\.interpreter/);
  });
  it("no Python at all", () => {
    const l = planLaunch(python3, missing, bundle);
    assert.ok(!l.ok);
    assert.match(l.message, /found none on PATH/);
  });
  it("plain .vsix: needs an installed sourcepacker, says how", () => {
    assert.ok(planLaunch(python3, py(11, true), undefined).ok);
    const l = planLaunch(python3, py(11), undefined);
    assert.ok(!l.ok);
    assert.match(l.message, /python3 -m pip install sourcepacker/);
  });
});

describe("chooseLaunch", () => {
  const plan = (p: Candidate, probe: Probe) => planLaunch(p, probe, bundle);
  it("first usable candidate", () => {
    const l = chooseLaunch(
      [
        { python: ext, probe: py(10) },
        { python: python3, probe: py(12) },
      ],
      plan,
    );
    assert.ok(l.ok && l.python === python3);
  });
  it("none usable: the first one's reason", () => {
    const l = chooseLaunch(
      [
        { python: python3, probe: py(10) },
        { python: { command: "python3.13", source: "default" }, probe: missing },
      ],
      plan,
    );
    assert.ok(!l.ok);
    assert.match(l.message, /"python3" is Python 3\.10/);
  });
});

describe("probe", () => {
  it("parses the script's output, run by this machine's python3", () => {
    const out = execFileSync("python3", ["-c", PROBE_SCRIPT], { encoding: "utf8" });
    const p = parseProbe(out);
    assert.ok(p.found);
    assert.equal(p.version[0], 3);
  });
  it("garbage is not a Python", () => {
    assert.equal(parseProbe("Python was not found; run without arguments to install").found, false);
  });
});

describe("readBundle", () => {
  it("reads bundle.json beside the launcher; none in a checkout", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-bundle-"));
    assert.equal(readBundle(dir), undefined);
    fs.mkdirSync(path.join(dir, "bundled", "libs"), { recursive: true });
    fs.mkdirSync(path.join(dir, "bundled", "tool"));
    fs.writeFileSync(path.join(dir, "bundled", "tool", "serve.py"), "");
    fs.writeFileSync(
      path.join(dir, "bundled", "libs", "bundle.json"),
      JSON.stringify({ target: "linux-x64", pythons: ["3.11"] }),
    );
    assert.deepEqual(readBundle(dir), {
      target: "linux-x64",
      pythons: ["3.11"],
      launcher: path.join(dir, "bundled", "tool", "serve.py"),
    });
    fs.rmSync(dir, { recursive: true });
  });
});
