/** The daemon's process and its counts: Rescan, Show Logs, Restart Server. */

import { Commands } from "../constants";
import { Methods, type ScanResult } from "../protocol";
import { workspaceFolders, type CommandDeps, type Handler } from "./common";

export function serverCommands({ server, tree, log }: CommandDeps) {
  return {
    [Commands.rescan]: async () => {
      for (const f of workspaceFolders()) {
        const result = await server.request<ScanResult>(Methods.scan, { rootUri: server.rootUri(f.uri) });
        log.info(`rescan ${f.name}: ${JSON.stringify(result)}`);
      }
      tree.refreshAll();
    },
    [Commands.showLogs]: () => Promise.resolve(log.show()),
    [Commands.restartServer]: () => server.restart(),
  } satisfies Record<string, Handler>;
}
