/**
 * Starts, restarts and stops `python -m sourcepacker serve` through vscode-languageclient.
 * Restarts are single flight with at most one queued follow-up (ruff-vscode's
 * `requestRestart`): five settings edits in a row cost two restarts, not five.
 */

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { ContextKeys, EXTENSION_NAME, SECTION } from "./constants";
import { errorMessage } from "./logger";
import type { Notifications } from "./protocol";
import { planLaunch, readBundle, sourceCheckout } from "./launch";
import { candidateInterpreters, resolveLaunch } from "./python";
import { toWireSettings, type Settings } from "./settings";
import { showErrorWithLogs } from "./vscodeapi";

export type ServerState = "stopped" | "starting" | "running" | "failed";

export type NotificationHandlers = {
  [K in keyof typeof Notifications as (typeof Notifications)[K]]: (params: unknown) => void;
};

export interface ServerDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  settings: () => Settings;
  handlers: NotificationHandlers;
}

export class ServerUnavailableError extends Error {
  constructor() {
    super("The SourcePacker daemon is not running (see SourcePacker: Show Logs).");
  }
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private stateValue: ServerState = "stopped";
  private ready: Promise<LanguageClient | undefined> = Promise.resolve(undefined);
  private restarting: Promise<void> | undefined;
  private restartQueued = false;
  /** The preferred interpreter of the last start attempt (setting, Python extension, python3). */
  private interpreter: string | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  /** Fires after every successful start: listings and totals from a previous process are void. */
  private readonly startedEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidStart = this.startedEmitter.event;

  constructor(private readonly deps: ServerDeps) {}

  get state(): ServerState {
    return this.stateValue;
  }

  private setState(state: ServerState): void {
    this.stateValue = state;
    void vscode.commands.executeCommand("setContext", ContextKeys.serverState, state);
    this.stateEmitter.fire(state);
  }

  /** The running client; waits while starting, throws when the daemon is down. */
  async whenReady(): Promise<LanguageClient> {
    const client = await this.ready;
    if (client === undefined || !client.isRunning()) {
      throw new ServerUnavailableError();
    }
    return client;
  }

  async request<R>(method: string, params: object, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.whenReady();
    // never pass an undefined token: vscode-jsonrpc would send [params, null] as positional params
    return token === undefined ? client.sendRequest<R>(method, params) : client.sendRequest<R>(method, params, token);
  }

  /** `rootUri` for a workspace folder exactly as the client sent it in `workspaceFolders`. */
  rootUri(uri: vscode.Uri): string {
    return this.client?.code2ProtocolConverter.asUri(uri) ?? uri.toString();
  }

  start(): Promise<void> {
    const run = this.doStart();
    this.ready = run;
    return run.then(() => undefined);
  }

  /** Single flight: a restart requested while one runs queues exactly one more. */
  async restart(): Promise<void> {
    if (this.restarting !== undefined) {
      this.restartQueued = true;
      return this.restarting;
    }
    this.restarting = (async () => {
      do {
        this.restartQueued = false;
        await this.stop();
        await this.start();
      } while (this.restartQueued);
    })();
    try {
      await this.restarting;
    } finally {
      this.restarting = undefined;
    }
  }

  /** For the Python extension's "interpreter changed" event, which also fires at startup. */
  async restartIfInterpreterChanged(): Promise<void> {
    const [next] = await candidateInterpreters(this.deps.settings().interpreter, this.deps.log);
    if (next?.command !== this.interpreter) {
      this.deps.log.info(`Interpreter changed to ${next?.command}: restarting the daemon.`);
      await this.restart();
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.ready = Promise.resolve(undefined);
    if (client !== undefined) {
      try {
        if (client.needsStop()) {
          await client.stop(5_000);
        }
        await client.dispose();
      } catch (error) {
        this.deps.log.warn(`Stopping the daemon: ${errorMessage(error)}`);
      }
    }
    this.setState("stopped");
  }

  /** Pushes settings as `{settings: {sourcepacker: Settings}}` (docs/protocol.md). */
  async sendConfiguration(settings: Settings): Promise<void> {
    const client = this.client;
    if (client?.isRunning() === true) {
      await client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: toWireSettings(settings) },
      });
    }
  }

  private async doStart(): Promise<LanguageClient | undefined> {
    const { log, settings } = this.deps;
    this.setState("starting");
    const candidates = await candidateInterpreters(settings().interpreter, log);
    this.interpreter = candidates[0]?.command;
    const { extensionPath } = this.deps.context;
    const bundle = readBundle(extensionPath);
    log.info(
      bundle === undefined ? "No bundled libraries." : `Bundled libraries for Python ${bundle.pythons.join(", ")}.`,
    );
    const checkout = sourceCheckout(extensionPath);
    const launch = await resolveLaunch(candidates, (python, probe) => planLaunch(python, probe, bundle, checkout), log);
    if (!launch.ok) {
      log.error(launch.message);
      this.setState("failed");
      void showErrorWithLogs(launch.message, log);
      return undefined;
    }
    log.info(
      `Daemon: ${launch.command} ${launch.args.join(" ")} (Python ${launch.version} from ${launch.python.source}, ` +
        `${launch.how === "bundled" ? "bundled sourcepacker" : "its own sourcepacker"})`,
    );
    const client = this.createClient(launch.command, launch.args);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped && this.client === client && this.stateValue === "running") {
        this.setState("failed");
      } else if (e.newState === State.Running && this.client === client) {
        this.setState("running");
      }
    });
    for (const [method, handler] of Object.entries(this.deps.handlers)) {
      client.onNotification(method, handler);
    }
    try {
      await client.start();
    } catch (error) {
      log.error(`Starting the daemon failed: ${errorMessage(error)}`);
      this.setState("failed");
      void showErrorWithLogs(`${EXTENSION_NAME}: the daemon failed to start: ${errorMessage(error)}`, log);
      return undefined;
    }
    this.setState("running");
    this.startedEmitter.fire();
    return client;
  }

  private createClient(command: string, args: string[]): LanguageClient {
    const { log, settings } = this.deps;
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    // No `transport`: with TransportKind.stdio the client appends "--stdio" to the arguments.
    const serverOptions: ServerOptions = {
      command,
      args,
      options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      // every file: unsaved edits count live (textDocument/didOpen|didChange|didClose)
      documentSelector: [{ scheme: "file" }],
      outputChannel: log,
      traceOutputChannel: log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: toWireSettings(settings()),
      initializationFailedHandler: (error) => {
        log.error(`initialize failed: ${errorMessage(error)}`);
        return false;
      },
      middleware: {
        workspace: {
          // answer workspace/configuration with the daemon's view, not the raw section
          configuration: async (params, token, next) => {
            const raw = await next(params, token);
            if (!Array.isArray(raw)) {
              return raw;
            }
            return params.items.map((item, i): unknown =>
              item.section === SECTION ? toWireSettings(settings()) : raw[i],
            );
          },
        },
      },
    };
    return new LanguageClient(SECTION, EXTENSION_NAME, serverOptions, clientOptions);
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.stateEmitter.dispose();
    this.startedEmitter.dispose();
  }
}
