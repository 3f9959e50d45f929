/**
 * Which Pythons may run the daemon, and what each one is: the `sourcepacker.server.interpreter`
 * setting (only that one when set), else the Python extension's active interpreter (its public
 * `environments` API), then `python3` / `python3.13` … on PATH. launch.ts decides which one
 * starts what; probing first turns the usual first-run failures (no Python, too old, package
 * missing) into one message with the fix instead of a crashed language client.
 */

import { execFile } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { chooseLaunch, parseProbe, PROBE_SCRIPT, type Candidate, type Launch, type Probe } from "./launch";
import type { Logger } from "./logger";

const PYTHON_EXTENSION = "ms-python.python";
/** A cold interpreter importing a package from a network home dir can take seconds. */
const PROBE_TIMEOUT_MS = 20_000;

/** The part of ms-python.python's exported API we use (@vscode/python-extension). */
interface PythonExtensionApi {
  environments: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment(
      env: { id: string; path: string } | string,
    ): Promise<{ executable: { uri: vscode.Uri | undefined } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
}

/** Tried in order when neither the setting nor the Python extension names an interpreter. */
function pathPythons(): string[] {
  return process.platform === "win32"
    ? ["python", "py"]
    : ["python3", "python3.13", "python3.12", "python3.11", "python"];
}

function expand(value: string, folder: vscode.Uri | undefined): string {
  let out = value.replace(/\$\{workspaceFolder\}/g, folder?.fsPath ?? "");
  if (out === "~" || out.startsWith("~/")) {
    out = path.join(os.homedir(), out.slice(1));
  }
  return out;
}

async function pythonApi(log: Logger): Promise<PythonExtensionApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION);
  if (ext === undefined) {
    return undefined;
  }
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    return api?.environments === undefined ? undefined : api;
  } catch (error) {
    log.warn(`Python extension API unavailable: ${String(error)}`);
    return undefined;
  }
}

async function pythonExtensionInterpreter(log: Logger, folder: vscode.Uri | undefined): Promise<string | undefined> {
  const api = await pythonApi(log);
  if (api === undefined) {
    return undefined;
  }
  try {
    const env = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(folder));
    const exe = env?.executable.uri?.fsPath;
    return exe === undefined || exe === "" ? undefined : exe;
  } catch (error) {
    log.warn(`Could not resolve the Python extension's interpreter: ${String(error)}`);
    return undefined;
  }
}

/** The interpreters to try, best first: only the setting when it is set. */
export async function candidateInterpreters(configured: string, log: Logger): Promise<Candidate[]> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (configured !== "") {
    return [{ command: expand(configured, folder), source: "setting" }];
  }
  const fromExtension = await pythonExtensionInterpreter(log, folder);
  return [
    ...(fromExtension === undefined ? [] : [{ command: fromExtension, source: "python extension" as const }]),
    ...pathPythons().map((command) => ({ command, source: "default" as const })),
  ];
}

/** Fires when the Python extension's active interpreter changes (no-op without it). */
export async function onPythonInterpreterChanged(listener: () => void, log: Logger): Promise<vscode.Disposable> {
  const api = await pythonApi(log);
  return api?.environments.onDidChangeActiveEnvironmentPath?.(listener) ?? new vscode.Disposable(() => undefined);
}

/** Runs `<python> -c PROBE_SCRIPT`: its version and whether it imports sourcepacker. */
export function probe(python: string): Promise<Probe> {
  return new Promise((resolve) => {
    execFile(python, ["-c", PROBE_SCRIPT], { timeout: PROBE_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(parseProbe(stdout));
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      const notFound = code === "ENOENT" || code === "EACCES";
      resolve({ found: false, detail: notFound ? "not found" : (stderr || error.message).trim().split("\n").pop()! });
    });
  });
}

/**
 * Probes the candidates in order and returns the first usable launch (launch.ts), or the
 * reason the first candidate cannot run the daemon. Every probe goes to the log.
 */
export async function resolveLaunch(
  candidates: readonly Candidate[],
  plan: (python: Candidate, probe: Probe) => Launch,
  log: Logger,
): Promise<Launch> {
  const tried: { python: Candidate; probe: Probe }[] = [];
  for (const python of candidates) {
    const result = await probe(python.command);
    log.info(
      `Python candidate ${python.command} (${python.source}): ` +
        (result.found
          ? `${result.version.join(".")}, ${result.hasSourcepacker ? "has" : "without"} sourcepacker`
          : result.detail),
    );
    tried.push({ python, probe: result });
    if (plan(python, result).ok) {
      break;
    }
  }
  return chooseLaunch(tried, plan);
}
