/** Copy Packed Context (in the configured format) and Copy Packed Context As… (format picked). */

import * as vscode from "vscode";
import { Commands } from "../constants";
import { copiedMessage } from "../format";
import { Methods, type PackFormat, type PackResult } from "../protocol";
import { FORMATS } from "../settings";
import { workspaceFolders, type CommandDeps, type Handler } from "./common";

export interface CopyResult {
  fileCount: number;
  tokens: number;
}

const FORMAT_LABELS: Record<PackFormat, string> = {
  xml: "XML: <file path=…> blocks",
  markdown: "Markdown: fenced code blocks",
  plain: "Plain text",
};

export function copyCommands({ server, totals, log, settings }: CommandDeps) {
  /** Packs every folder with a selection (one request each) and puts the texts on the clipboard. */
  const copy = async (format: PackFormat): Promise<CopyResult> => {
    const roots = workspaceFolders()
      .map((f) => server.rootUri(f.uri))
      .filter((rootUri) => (totals.get(rootUri)?.selected.files ?? 1) > 0); // no totals yet: ask
    const results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "SourcePacker: packing…" },
      () => Promise.all(roots.map((rootUri) => server.request<PackResult>(Methods.pack, { rootUri, format }))),
    );
    const packed = results.filter((r) => r.fileCount > 0);
    const fileCount = packed.reduce((n, r) => n + r.fileCount, 0);
    if (fileCount === 0) {
      void vscode.window.showWarningMessage(
        "SourcePacker: nothing selected. Tick files in the SourcePacker view first.",
      );
      return { fileCount: 0, tokens: 0 };
    }
    const tokens = packed.reduce((n, r) => n + r.tokens, 0);
    for (const s of packed.flatMap((r) => r.skipped)) {
      log.warn(`pack skipped ${s.path}: ${s.reason}`);
    }
    await vscode.env.clipboard.writeText(packed.map((r) => r.text).join("\n"));
    void vscode.window.showInformationMessage(copiedMessage(fileCount, tokens));
    return { fileCount, tokens };
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
  } satisfies Record<string, Handler>;
}
