/**
 * Which Python runs the daemon, and whether it can: the `sourcepacker.server.interpreter`
 * setting, else the Python extension's active interpreter (its public `environments` API), else
 * `python3`. Checking `import sourcepacker` first turns the usual first-run failure (package not
 * installed in that interpreter) into one message with the exact fix instead of a crashed
 * language client and a stack trace.
 */

import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { Logger } from "./logger";

const PYTHON_EXTENSION = "ms-python.python";
const IMPORT_TIMEOUT_MS = 20_000;

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

export interface Interpreter {
  command: string;
  /** Where it came from, for the log. */
  source: "setting" | "python extension" | "default";
}

function defaultPython(): string {
  return process.platform === "win32" ? "python" : "python3";
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

export async function resolveInterpreter(configured: string, log: Logger): Promise<Interpreter> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (configured !== "") {
    return { command: expand(configured, folder), source: "setting" };
  }
  const api = await pythonApi(log);
  if (api !== undefined) {
    try {
      const envPath = api.environments.getActiveEnvironmentPath(folder);
      const env = await api.environments.resolveEnvironment(envPath);
      const exe = env?.executable.uri?.fsPath;
      if (exe !== undefined && exe !== "") {
        return { command: exe, source: "python extension" };
      }
    } catch (error) {
      log.warn(`Could not resolve the Python extension's interpreter: ${String(error)}`);
    }
  }
  return { command: defaultPython(), source: "default" };
}

/** Fires when the Python extension's active interpreter changes (no-op without it). */
export async function onPythonInterpreterChanged(listener: () => void, log: Logger): Promise<vscode.Disposable> {
  const api = await pythonApi(log);
  return api?.environments.onDidChangeActiveEnvironmentPath?.(listener) ?? new vscode.Disposable(() => undefined);
}

export type ImportCheck = { ok: true } | { ok: false; notFound: boolean; detail: string };

/** Runs `<python> -c "import sourcepacker"`. */
export function checkImportable(python: string): Promise<ImportCheck> {
  return new Promise((resolve) => {
    execFile(python, ["-c", "import sourcepacker"], { timeout: IMPORT_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve({ ok: true });
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      resolve({
        ok: false,
        notFound: code === "ENOENT" || code === "EACCES",
        detail: (stderr || error.message).trim(),
      });
    });
  });
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

export function missingMessage(
  python: string,
  check: ImportCheck & { ok: false },
  checkout: string | undefined,
): string {
  if (check.notFound) {
    return (
      `SourcePacker: Python interpreter "${python}" was not found. ` +
      `Set "sourcepacker.server.interpreter" to a Python 3.11+ that has SourcePacker installed.`
    );
  }
  return (
    `SourcePacker: the daemon is not installed for "${python}". ` +
    `Install it with: ${installCommand(python, checkout)}` +
    (checkout === undefined ? "" : ` (or \`${installCommand(python, undefined)}\`)`) +
    `, or point "sourcepacker.server.interpreter" at a Python that has it, then run "SourcePacker: Restart Server".`
  );
}
