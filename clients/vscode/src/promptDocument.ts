/**
 * "Open Packed Prompt": the packed text in an editor tab, read-only (a content provider with its
 * own scheme: VS Code opens such documents read-only, and nothing is written to disk).
 */

import * as vscode from "vscode";

export const PROMPT_SCHEME = "sourcepacker-prompt";

export class PromptDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(PROMPT_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? "";
  }

  /** Shows `text` in the tab of `name` (the same tab is reused and updated). */
  async show(name: string, text: string, language: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: PROMPT_SCHEME, path: `/${name}` });
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    const typed = await vscode.languages.setTextDocumentLanguage(doc, language);
    return vscode.window.showTextDocument(typed, { preview: false });
  }

  dispose(): void {
    this.registration.dispose();
    this.emitter.dispose();
  }
}
