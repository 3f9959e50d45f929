/**
 * How the daemon is started, decided without VS Code (unit-tested). A platform .vsix carries
 * sourcepacker and its dependencies in bundled/libs (scripts/bundle_python.py) and starts them
 * with bundled/tool/serve.py, so any CPython it has libraries for will do. Rules, in order:
 *
 * 1. A Python older than 3.11, or none at all, is not usable.
 * 2. The interpreter named by `sourcepacker.server.interpreter` that imports its own
 *    sourcepacker runs that one (`-m sourcepacker serve`): the user's install wins.
 * 3. A version the bundle has libraries for runs the bundle.
 * 4. An interpreter that imports sourcepacker runs it (the plain .vsix, or a Python newer
 *    than the bundle).
 *
 * The first usable candidate wins; when none is, the user gets ONE message about the first.
 */

import * as fs from "node:fs";
import * as path from "node:path";

export const MIN_PYTHON: readonly [number, number] = [3, 11];

export type InterpreterSource = "setting" | "python extension" | "default";

export interface Candidate {
  command: string;
  source: InterpreterSource;
}

/** bundled/libs/bundle.json, written by scripts/bundle_python.py. */
export interface Bundle {
  target: string;
  /** "3.11", "3.12", ...: bundled/libs/cp311, cp312, ... exist. */
  pythons: string[];
  /** Absolute path of bundled/tool/serve.py. */
  launcher: string;
}

export type Probe =
  | { found: true; version: readonly [number, number, number]; hasSourcepacker: boolean }
  | { found: false; detail: string };

export type Launch =
  | { ok: true; command: string; args: string[]; how: "bundled" | "installed"; python: Candidate; version: string }
  | { ok: false; message: string };

/**
 * Run as `<python> -c PROBE_SCRIPT`: prints the version and whether sourcepacker imports.
 * Valid Python 2 and 3, so an old interpreter reports its version instead of failing.
 */
export const PROBE_SCRIPT = [
  "import sys, json",
  "try:",
  "    import sourcepacker",
  "    ok = True",
  "except Exception:",
  "    ok = False",
  'print(json.dumps({"version": list(sys.version_info[:3]), "sourcepacker": ok}))',
].join("\n");

export function parseProbe(stdout: string): Probe {
  try {
    const data = JSON.parse(stdout.trim().split("\n").pop() ?? "") as { version?: unknown; sourcepacker?: unknown };
    const v = data.version;
    if (Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === "number")) {
      return { found: true, version: [v[0], v[1], v[2]] as const, hasSourcepacker: data.sourcepacker === true };
    }
  } catch {
    // fall through
  }
  return { found: false, detail: `unexpected output: ${stdout.slice(0, 200)}` };
}

export function versionText(v: readonly number[]): string {
  return v.join(".");
}

function isOldPython(v: readonly [number, number, number]): boolean {
  return v[0] < MIN_PYTHON[0] || (v[0] === MIN_PYTHON[0] && v[1] < MIN_PYTHON[1]);
}

/** The daemon's command for one interpreter, or why it cannot run it. */
export function planLaunch(python: Candidate, probe: Probe, bundle: Bundle | undefined, checkout?: string): Launch {
  const setIt = `set "sourcepacker.server.interpreter" to one`;
  if (!probe.found) {
    const install = "Install Python 3.11 or newer (python.org)";
    return {
      ok: false,
      message:
        python.source === "default"
          ? `SourcePacker needs Python 3.11 or newer and found none on PATH. ${install}, or ${setIt}.`
          : `SourcePacker: Python interpreter "${python.command}" could not be run (${probe.detail}). ${install}, or ${setIt}.`,
    };
  }
  const version = versionText(probe.version);
  if (isOldPython(probe.version)) {
    return {
      ok: false,
      message:
        `SourcePacker needs Python 3.11 or newer; "${python.command}" is Python ${version}. ` +
        `Install Python 3.11+ (python.org), or ${setIt}.`,
    };
  }
  const installed: Launch = {
    ok: true,
    command: python.command,
    args: ["-m", "sourcepacker", "serve"],
    how: "installed",
    python,
    version,
  };
  if (python.source === "setting" && probe.hasSourcepacker) {
    return installed;
  }
  const short = `${probe.version[0]}.${probe.version[1]}`;
  if (bundle?.pythons.includes(short) === true) {
    return { ok: true, command: python.command, args: [bundle.launcher], how: "bundled", python, version };
  }
  if (probe.hasSourcepacker) {
    return installed;
  }
  if (bundle !== undefined) {
    const range = `${bundle.pythons[0]}–${bundle.pythons[bundle.pythons.length - 1]}`;
    return {
      ok: false,
      message:
        `SourcePacker bundles its libraries for Python ${range}; "${python.command}" is Python ${version}. ` +
        `Set "sourcepacker.server.interpreter" to a Python ${range}, or install SourcePacker into this one: ` +
        `${installCommand(python.command, undefined)}.`,
    };
  }
  return { ok: false, message: missingMessage(python.command, checkout) };
}

/** The first usable candidate's launch, else the first candidate's reason. */
export function chooseLaunch(
  tried: ReadonlyArray<{ python: Candidate; probe: Probe }>,
  plan: (python: Candidate, probe: Probe) => Launch,
): Launch {
  let first: Launch | undefined;
  for (const { python, probe } of tried) {
    const launch = plan(python, probe);
    if (launch.ok) {
      return launch;
    }
    first ??= launch;
  }
  return first ?? { ok: false, message: "SourcePacker: no Python interpreter to try." };
}

export function readBundle(extensionPath: string): Bundle | undefined {
  const launcher = path.join(extensionPath, "bundled", "tool", "serve.py");
  try {
    const data = JSON.parse(fs.readFileSync(path.join(extensionPath, "bundled", "libs", "bundle.json"), "utf8")) as {
      target?: unknown;
      pythons?: unknown;
    };
    const pythons = Array.isArray(data.pythons) ? data.pythons.filter((p): p is string => typeof p === "string") : [];
    return pythons.length > 0 && fs.existsSync(launcher)
      ? { target: String(data.target), pythons, launcher }
      : undefined;
  } catch {
    return undefined; // the plain .vsix, or a checkout: no bundle
  }
}

/**
 * A checkout of the project when the extension runs from one (clients/vscode inside the repo),
 * so the hint can offer the path-based install a contributor needs.
 */
export function sourceCheckout(extensionPath: string): string | undefined {
  const root = path.resolve(extensionPath, "..", "..");
  return fs.existsSync(path.join(root, "pyproject.toml")) && fs.existsSync(path.join(root, "server", "sourcepacker"))
    ? root
    : undefined;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\$`])/g, "\\$1")}"`;
}

/** The install command shown to the user. */
export function installCommand(python: string, checkout: string | undefined): string {
  const target = checkout === undefined ? "sourcepacker" : `-e ${quote(checkout)}`;
  return `${quote(python)} -m pip install ${target}`;
}

function missingMessage(python: string, checkout: string | undefined): string {
  return (
    `SourcePacker: the daemon is not installed for "${python}". ` +
    `Install it with: ${installCommand(python, checkout)}` +
    (checkout === undefined ? "" : ` (or \`${installCommand(python, undefined)}\`)`) +
    `, or point "sourcepacker.server.interpreter" at a Python that has it, then run "SourcePacker: Restart Server".`
  );
}
