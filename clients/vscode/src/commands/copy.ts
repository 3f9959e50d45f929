/**
 * Copy and its variants, all with Copy's options (promptController): copy, copy as another
 * format, copy the changes since the last copy, copy one part of a prompt split to the budget,
 * open the packed prompt in a read-only tab, save it to a file. The toast says files, tokens,
 * budget share and secrets masked.
 */

import * as vscode from "vscode";
import { copyToast } from "../budget";
import { Commands } from "../constants";
import { formatCompact, plural } from "../format";
import { Methods, type PackFormat, type PackParams, type PackResult } from "../protocol";
import { packParams } from "../promptOptions";
import { FORMATS } from "../settings";
import { workspaceFolders, type CommandDeps, type Handler } from "./common";

export interface CopyResult {
  fileCount: number;
  tokens: number;
  /** Secrets masked in the copied text. */
  secrets?: number;
}

const FORMAT_LABELS: Record<PackFormat, string> = {
  xml: "XML: <file path=…> blocks",
  markdown: "Markdown: fenced code blocks",
  plain: "Plain text",
};
const LANGUAGE: Record<PackFormat, string> = { xml: "xml", markdown: "markdown", plain: "plaintext" };

interface Packed {
  text: string;
  fileCount: number;
  tokens: number;
  results: PackResult[];
}

export function copyCommands({ server, tree, totals, log, settings, prompt, marks, documents }: CommandDeps) {
  /** One pack request per folder with a selection, with Copy's options plus `extra`. */
  const pack = async (format: PackFormat, extra: Partial<PackParams> = {}): Promise<Packed | undefined> => {
    const roots = workspaceFolders()
      .map((f) => server.rootUri(f.uri))
      .filter((rootUri) => (totals.get(rootUri)?.selected.files ?? 1) > 0); // no totals yet: ask
    const state = prompt.state;
    const results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "SourcePacker: packing…" },
      () =>
        Promise.all(
          roots.map(async (rootUri) => {
            const params: PackParams = { ...packParams(state, rootUri, format), diff: state.diff, ...extra };
            const result = await server.request<PackResult>(Methods.pack, params);
            if (extra.sinceLastPack !== true && extra.paths === undefined) {
              const before = [...new Set((result.redactions ?? []).map((r) => r.path))];
              marks.setSecrets(rootUri, result.redactions ?? []);
              tree.redraw(rootUri, before);
            }
            return result;
          }),
        ),
    );
    const packed = results.filter((r) => r.fileCount > 0);
    const fileCount = packed.reduce((n, r) => n + r.fileCount, 0);
    if (fileCount === 0) {
      void vscode.window.showWarningMessage(
        extra.sinceLastPack === true
          ? "SourcePacker: nothing changed since the last copy."
          : "SourcePacker: nothing selected. Tick files in the SourcePacker view first.",
      );
      return undefined;
    }
    for (const s of packed.flatMap((r) => r.skipped)) {
      log.warn(`pack skipped ${s.path}: ${s.reason}`);
    }
    const tokens = packed.reduce((n, r) => n + r.tokens, 0);
    // Joined with nothing: every pack ends in "\n" and starts with "<", "#", "=" or "{", a token
    // boundary in both encodings, so the sum of the counts is the joined text's count (proved in
    // tests/property/test_shape_props.py); a "\n" between them would merge into one run.
    return { text: packed.map((r) => r.text).join(""), fileCount, tokens, results: packed };
  };

  const secretsOf = (p: Packed): number => p.results.reduce((n, r) => n + (r.redactions?.length ?? 0), 0);

  const copy = async (format: PackFormat, extra: Partial<PackParams> = {}, what = "Copied"): Promise<CopyResult> => {
    const packed = await pack(format, extra);
    if (packed === undefined) {
      return { fileCount: 0, tokens: 0 };
    }
    await vscode.env.clipboard.writeText(packed.text);
    const secrets = secretsOf(packed);
    void vscode.window.showInformationMessage(copyToast(packed.fileCount, packed.tokens, prompt.budget, secrets, what));
    const removed = packed.results.flatMap((r) => r.removed ?? []);
    if (removed.length > 0) {
      log.info(`since the last copy, gone: ${removed.join(", ")}`);
    }
    return { fileCount: packed.fileCount, tokens: packed.tokens, secrets };
  };

  return {
    [Commands.copy]: () => copy(settings().format),
    [Commands.copyAs]: async (format?: PackFormat) => {
      const chosen =
        format ??
        (
          await vscode.window.showQuickPick(
            FORMATS.map((f) => ({ label: f, description: FORMAT_LABELS[f], format: f })),
            { placeHolder: "Copy the selection packed as…" },
          )
        )?.format;
      return chosen === undefined ? undefined : copy(chosen);
    },
    [Commands.copyChanges]: () => copy(settings().format, { sinceLastPack: true }, "Copied the changes of"),
    [Commands.copyPart]: async (index?: number) => {
      const budget = prompt.budget;
      if (budget === undefined) {
        void vscode.window.showWarningMessage("SourcePacker: choose a model or budget first (click the status bar).");
        return undefined;
      }
      const packed = await pack(settings().format, { splitTokens: budget });
      if (packed === undefined) {
        return undefined;
      }
      if (packed.results.length > 1) {
        void vscode.window.showWarningMessage(
          "SourcePacker: parts are made for one folder at a time; using the first.",
        );
      }
      const first = packed.results[0];
      const parts =
        first.parts !== undefined && first.parts.length > 0
          ? first.parts
          : [{ text: first.text, tokens: first.tokens, fileCount: first.fileCount }];
      let k = index;
      if (k === undefined) {
        const pick = await vscode.window.showQuickPick(
          parts.map((p, i) => ({
            label: `Part ${i + 1} of ${parts.length}`,
            description: `${plural(p.fileCount, "file")} · ${formatCompact(p.tokens)} tokens`,
            index: i + 1,
          })),
          { placeHolder: `The prompt split into parts of at most ${formatCompact(budget)} tokens: copy which?` },
        );
        k = pick?.index;
      }
      const part = k === undefined ? undefined : parts[k - 1];
      if (part === undefined || k === undefined) {
        return undefined;
      }
      await vscode.env.clipboard.writeText(part.text);
      void vscode.window.showInformationMessage(
        `${copyToast(part.fileCount, part.tokens, budget, 0, `Copied part ${k} of ${parts.length}:`)}`,
      );
      return { fileCount: part.fileCount, tokens: part.tokens, part: k, parts: parts.length };
    },
    [Commands.openPrompt]: async () => {
      const format = settings().format;
      const packed = await pack(format);
      if (packed === undefined) {
        return undefined;
      }
      await documents.show(
        `prompt.${format === "markdown" ? "md" : format === "xml" ? "xml" : "txt"}`,
        packed.text,
        LANGUAGE[format],
      );
      vscode.window.setStatusBarMessage(
        `SourcePacker: ${copyToast(packed.fileCount, packed.tokens, prompt.budget, secretsOf(packed), "Packed")}`,
        5000,
      );
      return { fileCount: packed.fileCount, tokens: packed.tokens };
    },
    [Commands.saveToFile]: async (target?: vscode.Uri) => {
      const format = settings().format;
      const folder = workspaceFolders()[0]?.uri;
      const uri =
        target ??
        (await vscode.window.showSaveDialog({
          defaultUri:
            folder === undefined
              ? undefined
              : vscode.Uri.joinPath(
                  folder,
                  `prompt.${format === "markdown" ? "md" : format === "xml" ? "xml" : "txt"}`,
                ),
          saveLabel: "Save Packed Prompt",
        }));
      if (uri === undefined) {
        return undefined;
      }
      const packed = await pack(format);
      if (packed === undefined) {
        return undefined;
      }
      // written as counted: UTF-8, no newline translation
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(packed.text));
      void vscode.window.showInformationMessage(
        `${copyToast(packed.fileCount, packed.tokens, prompt.budget, secretsOf(packed), "Saved")} → ${vscode.workspace.asRelativePath(uri)}`,
      );
      return { fileCount: packed.fileCount, tokens: packed.tokens };
    },
  } satisfies Record<string, Handler>;
}
