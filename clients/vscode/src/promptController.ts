/**
 * Owns Copy's options (promptOptions.ts) for the window: keeps them in workspaceState, tells
 * the daemon (`setPackOptions`, one request per folder) so its `prompt` figure follows them,
 * re-sends when `.sourcepacker/instructions.md` changes, and knows the shipped models.
 */

import * as vscode from "vscode";
import { errorMessage } from "./logger";
import { Methods, type ModelRow, type ModelsResult, type Totals } from "./protocol";
import { budgetOf, normalizeState, packParams, type PromptState } from "./promptOptions";
import type { ServerManager } from "./server";
import type { Settings } from "./settings";
import type { TotalsStore } from "./totals";

const STATE_KEY = "sourcepacker.promptOptions";
export const INSTRUCTIONS_PATH = ".sourcepacker/instructions.md";

export class PromptController implements vscode.Disposable {
  private stateValue: PromptState;
  models: ModelRow[] = [];
  /** Some folder has `.sourcepacker/instructions.md` (the daemon puts it at the top). */
  instructions = false;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly watcher: vscode.FileSystemWatcher;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly server: ServerManager,
    private readonly totals: TotalsStore,
    private readonly settings: () => Settings,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.stateValue = normalizeState(memento.get(STATE_KEY));
    // the daemon reads the instructions when it is given the options: re-send on every change
    this.watcher = vscode.workspace.createFileSystemWatcher(`**/${INSTRUCTIONS_PATH}`);
    const resend = (): void => void this.push();
    this.watcher.onDidChange(resend);
    this.watcher.onDidCreate(resend);
    this.watcher.onDidDelete(resend);
  }

  get state(): PromptState {
    return this.stateValue;
  }

  get budget(): number | undefined {
    return budgetOf(this.stateValue, new Map(this.models.map((m) => [m.name, m.contextWindow])));
  }

  get model(): ModelRow | undefined {
    return this.stateValue.budget === undefined ? this.models.find((m) => m.name === this.stateValue.model) : undefined;
  }

  async update(next: PromptState): Promise<void> {
    this.stateValue = next;
    await this.memento.update(STATE_KEY, next);
    this.emitter.fire();
    await this.push();
  }

  /** After a daemon start: the models table, then the options of every folder. */
  async started(): Promise<void> {
    try {
      this.models = (await this.server.request<ModelsResult>(Methods.models, {})).models;
    } catch (error) {
      this.log.warn(`models: ${errorMessage(error)}`);
    }
    this.emitter.fire();
    await this.push();
  }

  /** Sends the options to every folder; the replies (and later notifications) carry `prompt`. */
  async push(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const found = await Promise.all(
      folders.map((f) =>
        vscode.workspace.fs.stat(vscode.Uri.joinPath(f.uri, INSTRUCTIONS_PATH)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (found.includes(true) !== this.instructions) {
      this.instructions = found.includes(true);
      this.emitter.fire();
    }
    await Promise.all(
      folders.map(async (f) => {
        const rootUri = this.server.rootUri(f.uri);
        try {
          const params = packParams(this.stateValue, rootUri, this.settings().format);
          this.totals.set(await this.server.request<Totals>(Methods.setPackOptions, params));
        } catch (error) {
          this.log.warn(`setPackOptions ${f.name}: ${errorMessage(error)}`);
        }
      }),
    );
  }

  dispose(): void {
    this.watcher.dispose();
    this.emitter.dispose();
  }
}
