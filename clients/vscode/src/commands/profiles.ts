/** Save / Load / Delete Selection Profile (`.sourcepacker/profiles/NAME.json` of a folder). */

import * as vscode from "vscode";
import { Commands } from "../constants";
import { plural } from "../format";
import {
  Methods,
  type ProfileInfo,
  type ProfileLoadResult,
  type ProfileParams,
  type ProfilesListResult,
} from "../protocol";
import { pickFolder, type CommandDeps, type Handler } from "./common";

/** The daemon's rule for a profile name (profiles.py `_NAME`: a file name on every OS). */
const PROFILE_NAME = /^[\w][\w .-]{0,63}$/;

export function profileCommands({ server, tree, totals }: CommandDeps) {
  const pickProfile = async (rootUri: string, placeHolder: string): Promise<ProfileInfo | undefined> => {
    const { profiles } = await server.request<ProfilesListResult>(Methods.profilesList, { rootUri });
    if (profiles.length === 0) {
      void vscode.window.showInformationMessage(
        'SourcePacker: no saved profiles yet. Use "Save Selection as Profile".',
      );
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      profiles.map((p) => ({
        label: p.name,
        description: plural(p.paths, "path"),
        detail: `saved ${new Date(p.savedAt).toLocaleString()}`,
        profile: p,
      })),
      { placeHolder },
    );
    return picked?.profile;
  };

  /** A folder, then one of its profiles; undefined when the user cancels either pick. */
  const pickFolderProfile = async (folderTitle: string, profileTitle: string): Promise<ProfileParams | undefined> => {
    const folder = await pickFolder(folderTitle);
    if (folder === undefined) {
      return undefined;
    }
    const rootUri = server.rootUri(folder.uri);
    const profile = await pickProfile(rootUri, profileTitle);
    return profile === undefined ? undefined : { rootUri, name: profile.name };
  };

  return {
    [Commands.profilesSave]: async () => {
      const folder = await pickFolder("Save the selection of which folder?");
      if (folder === undefined) {
        return undefined;
      }
      const name = await vscode.window.showInputBox({
        prompt: "Profile name (saved in .sourcepacker/profiles/NAME.json)",
        validateInput: (v) =>
          PROFILE_NAME.test(v.trim()) ? undefined : "Letters, digits, space, '.', '-' or '_' (max 64).",
      });
      if (name === undefined) {
        return undefined;
      }
      const params: ProfileParams = { rootUri: server.rootUri(folder.uri), name: name.trim() };
      const info = await server.request<ProfileInfo>(Methods.profilesSave, params);
      void vscode.window.showInformationMessage(
        `SourcePacker: saved profile "${info.name}" (${plural(info.paths, "path")}).`,
      );
      return info;
    },
    [Commands.profilesLoad]: async () => {
      const params = await pickFolderProfile("Load a profile into which folder?", "Load a selection profile");
      if (params === undefined) {
        return undefined;
      }
      const result = await server.request<ProfileLoadResult>(Methods.profilesLoad, params);
      totals.set(result.totals);
      tree.refreshAll();
      const added = result.newFiles.length;
      void vscode.window.showInformationMessage(
        `SourcePacker: loaded profile "${params.name}"; ` +
          (added === 0 ? "no new files since it was saved." : `${plural(added, "new file")} since it was saved.`),
      );
      return result;
    },
    [Commands.profilesDelete]: async () => {
      const params = await pickFolderProfile("Delete a profile of which folder?", "Delete a selection profile");
      if (params === undefined) {
        return;
      }
      const ok = await vscode.window.showWarningMessage(`Delete profile "${params.name}"?`, { modal: true }, "Delete");
      if (ok === "Delete") {
        await server.request(Methods.profilesDelete, params);
        void vscode.window.showInformationMessage(`SourcePacker: deleted profile "${params.name}".`);
      }
    },
  } satisfies Record<string, Handler>;
}
