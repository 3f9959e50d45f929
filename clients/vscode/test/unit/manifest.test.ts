/**
 * package.json is the one declaration of commands and settings; these checks keep
 * constants.ts, settings.ts and protocol.ts from drifting away from it and from docs/protocol.md.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Commands, COPY_KEYBINDING, SECTION, SettingKeys, Views } from "../../src/constants";
import { Methods, Notifications } from "../../src/protocol";
import { DEFAULTS } from "../../src/settings";

const root = join(__dirname, "..", "..");
interface Manifest {
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; category?: string }[];
    configuration: { properties: Record<string, { default: unknown }> };
    viewsContainers: Record<string, { id: string; icon: string }[]>;
    views: Record<string, { id: string }[]>;
    menus: Record<string, { command: string; when?: string }[]>;
    keybindings: { command: string; key: string; mac?: string; when?: string }[];
  };
}
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;

describe("package.json", () => {
  it("declares exactly the commands of constants.ts, all in the SourcePacker category", () => {
    const declared = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(declared, Object.values(Commands).sort());
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, "SourcePacker", c.command);
    }
  });

  it("menus only reference declared commands", () => {
    const declared = new Set(Object.values(Commands) as string[]);
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) {
        assert.ok(declared.has(item.command), `${menu}: ${item.command}`);
      }
    }
  });

  it("declares the files view in a view container of its own in the activity bar", () => {
    const containers = manifest.contributes.viewsContainers.activitybar ?? [];
    assert.deepEqual(
      containers.map((c) => c.id),
      [Views.container],
    );
    assert.ok(
      containers.every((c) => existsSync(join(root, c.icon))),
      "the container icon ships",
    );
    const views = manifest.contributes.views;
    assert.deepEqual(Object.keys(views), [Views.container]);
    assert.deepEqual(
      views[Views.container]?.map((v) => v.id),
      [Views.files],
    );
  });

  it("keeps Add to / Remove from Selection in the Explorer's context menu", () => {
    const explorer = (manifest.contributes.menus["explorer/context"] ?? []).map((m) => m.command);
    assert.deepEqual(explorer, [Commands.addToSelection, Commands.removeFromSelection]);
  });

  it("binds Copy Packed Context to the key of constants.ts, everywhere", () => {
    assert.deepEqual(manifest.contributes.keybindings, [{ command: Commands.copy, ...COPY_KEYBINDING }]);
  });

  it("ships what the manifest points at", () => {
    const ignore = readFileSync(join(root, ".vscodeignore"), "utf8");
    for (const c of manifest.contributes.viewsContainers.activitybar ?? []) {
      assert.ok(ignore.includes(`!${c.icon}`), `.vscodeignore keeps ${c.icon}`);
    }
  });

  it("settings match settings.ts keys and defaults", () => {
    const props = manifest.contributes.configuration.properties;
    assert.deepEqual(
      Object.keys(props).sort(),
      Object.values(SettingKeys)
        .map((k) => `${SECTION}.${k}`)
        .sort(),
    );
    const fromSettings: Record<string, unknown> = {
      encoding: DEFAULTS.encoding,
      format: DEFAULTS.format,
      include: DEFAULTS.include,
      exclude: DEFAULTS.exclude,
      maxFileSize: DEFAULTS.maxFileSize,
      poolKind: null,
      poolSize: null,
      cacheDir: DEFAULTS.cacheDir,
      counter: null,
      "server.interpreter": DEFAULTS.interpreter,
      "trace.server": DEFAULTS.trace,
      showSkipped: DEFAULTS.showSkipped,
    };
    for (const [key, value] of Object.entries(fromSettings)) {
      assert.deepEqual(props[`${SECTION}.${key}`]?.default, value, key);
    }
  });

  it("admits VS Code 1.139 and types no newer than the engine", () => {
    assert.match(manifest.engines.vscode, /^\^1\.(\d+)\.\d+$/);
    const engineMinor = Number(/^\^1\.(\d+)/.exec(manifest.engines.vscode)?.[1]);
    assert.ok(engineMinor <= 139);
    const typesMinor = Number(/^1\.(\d+)/.exec(manifest.devDependencies["@types/vscode"] ?? "")?.[1]);
    assert.ok(typesMinor <= engineMinor);
  });
});

describe("protocol.ts", () => {
  const names = [...Object.values(Methods), ...Object.values(Notifications)] as string[];

  it("method names are unique and namespaced", () => {
    assert.equal(new Set(names).size, names.length);
    for (const n of names) {
      assert.match(n, /^sourcepacker\/[a-z][A-Za-z]*(\/[a-z][A-Za-z]*)?$/);
    }
  });

  it("agrees with docs/protocol.md", () => {
    const doc = readFileSync(join(root, "..", "..", "docs", "protocol.md"), "utf8");
    const documented = new Set([...doc.matchAll(/`(sourcepacker\/[A-Za-z/]+)`/g)].map((m) => m[1]));
    assert.deepEqual([...documented].sort(), [...names].sort());
  });
});
