/**
 * Shaping the prompt from the editor: the model / budget picker (the status bar's click), the
 * instructions file, the directory tree, transforms and git diff toggles. Each change goes to
 * the daemon at once, so the status bar shows what the next Copy costs.
 */

import * as vscode from "vscode";
import { Commands } from "../constants";
import { formatCompact } from "../format";
import { INSTRUCTIONS_PATH } from "../promptController";
import { parseBudget, toggleTransform, type PromptState, type Transform } from "../promptOptions";
import { pickFolder, type CommandDeps, type Handler } from "./common";

const CUSTOM = "Custom budget…";
const NONE = "No budget";

export function promptCommands({ prompt }: CommandDeps) {
  const set = async (change: Partial<PromptState>, say: string): Promise<PromptState> => {
    const next = { ...prompt.state, ...change };
    await prompt.update(next);
    vscode.window.setStatusBarMessage(`SourcePacker: ${say}`, 3000);
    return next;
  };
  const transform = async (t: Transform, label: string): Promise<PromptState> => {
    const next = toggleTransform(prompt.state, t);
    return set(next, `${label} ${next.transforms.includes(t) ? "on" : "off"}`);
  };

  return {
    [Commands.pickModel]: async (choice?: string | number) => {
      let picked: string | number | undefined = choice;
      if (picked === undefined) {
        const current = prompt.state.budget === undefined ? prompt.state.model : undefined;
        const items = [
          ...prompt.models.map((m) => ({
            label: m.name,
            description: `${formatCompact(m.contextWindow)} tokens · ${m.provider}${m.exact === false ? " · approximate count" : ""}`,
            picked: m.name === current,
            value: m.name,
          })),
          { label: CUSTOM, description: "a number of tokens", picked: false, value: CUSTOM as string | number },
          { label: NONE, description: "show the prompt's size only", picked: false, value: NONE as string | number },
        ];
        const pick = await vscode.window.showQuickPick(items, {
          placeHolder: `Budget of the prompt (now ${prompt.budget === undefined ? "none" : formatCompact(prompt.budget)})`,
          matchOnDescription: true,
        });
        picked = pick?.value;
        if (picked === CUSTOM) {
          const typed = await vscode.window.showInputBox({
            prompt: "Budget in tokens (e.g. 200000 or 200k)",
            validateInput: (v) =>
              parseBudget(v) === undefined ? "A positive number of tokens, e.g. 128000 or 128k." : undefined,
          });
          picked = typed === undefined ? undefined : parseBudget(typed);
        }
      }
      if (picked === undefined) {
        return undefined;
      }
      if (picked === NONE) {
        return set({ model: undefined, budget: undefined }, "no budget");
      }
      if (typeof picked === "number") {
        return set({ model: undefined, budget: picked }, `budget ${formatCompact(picked)}`);
      }
      return set({ model: picked, budget: undefined }, `model ${picked}`);
    },
    [Commands.editInstructions]: async () => {
      const folder = await pickFolder("Edit the instructions of which folder?");
      if (folder === undefined) {
        return undefined;
      }
      const uri = vscode.Uri.joinPath(folder.uri, INSTRUCTIONS_PATH);
      try {
        await vscode.workspace.fs.stat(uri);
      } catch {
        // created only now, when the user asked for it: the daemon puts it at the top of the prompt
        await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(""));
      }
      const editor = await vscode.window.showTextDocument(uri);
      await prompt.push();
      return editor.document.uri.toString();
    },
    [Commands.toggleTree]: () =>
      set({ tree: !prompt.state.tree }, `directory tree ${prompt.state.tree ? "off" : "on"}`),
    [Commands.toggleCompress]: () => transform("compress", "compress"),
    [Commands.toggleRemoveComments]: () => transform("remove-comments", "remove comments"),
    [Commands.toggleLineNumbers]: () => transform("line-numbers", "line numbers"),
    [Commands.toggleDiff]: () =>
      set({ diff: !prompt.state.diff }, `git diff ${prompt.state.diff ? "off" : "on"} (at the next copy)`),
  } satisfies Record<string, Handler>;
}
