/**
 * Copy's options as the user set them from the editor (model or budget, directory tree,
 * transforms, git diff), kept per workspace. `packParams` turns them into the daemon's pack
 * options; the same options go to `sourcepacker/setPackOptions` so the status bar's `prompt`
 * figure is what Copy will produce.
 */

import type { PackFormat, PackParams } from "./protocol";

export const TRANSFORMS = ["compress", "remove-comments", "line-numbers"] as const;
export type Transform = (typeof TRANSFORMS)[number];

export interface PromptState {
  /** A model of the daemon's table (its context window is the budget), or undefined. */
  model: string | undefined;
  /** A custom budget; wins over the model's window when set. */
  budget: number | undefined;
  tree: boolean;
  transforms: Transform[];
  diff: boolean;
}

/** 200k: the window of most current models; the example of issue 12 (`87.2k / 200k`). */
export const DEFAULT_STATE: Readonly<PromptState> = Object.freeze({
  model: "claude-sonnet-4.5",
  budget: undefined,
  tree: false,
  transforms: [],
  diff: false,
});

/** A stored state from an older or hand-edited workspaceState, made valid. */
export function normalizeState(raw: unknown): PromptState {
  const r = (typeof raw === "object" && raw !== null ? raw : {}) as Partial<Record<keyof PromptState, unknown>>;
  const known = new Set<string>(TRANSFORMS);
  return {
    model:
      typeof r.model === "string" && r.model !== ""
        ? r.model
        : r.budget === undefined
          ? DEFAULT_STATE.model
          : undefined,
    budget: typeof r.budget === "number" && Number.isInteger(r.budget) && r.budget > 0 ? r.budget : undefined,
    tree: r.tree === true,
    transforms: Array.isArray(r.transforms)
      ? (r.transforms.filter((t) => typeof t === "string" && known.has(t)) as Transform[])
      : [],
    diff: r.diff === true,
  };
}

export function toggleTransform(state: PromptState, t: Transform): PromptState {
  const on = state.transforms.includes(t);
  // keep the daemon's order stable so equal options compare equal (and are not recomputed)
  const next = on ? state.transforms.filter((x) => x !== t) : [...state.transforms, t];
  return { ...state, transforms: TRANSFORMS.filter((x) => next.includes(x)) };
}

/** The pack options of the status bar figure (no git diff: a one-off part of a copy). */
export function packParams(state: PromptState, rootUri: string, format: PackFormat): PackParams {
  const params: PackParams = { rootUri, format, tree: state.tree, transforms: [...state.transforms] };
  if (state.budget !== undefined) {
    params.budget = state.budget;
  } else if (state.model !== undefined) {
    params.model = state.model;
  }
  return params;
}

/** The budget the status bar compares with: the custom number, else the model's window. */
export function budgetOf(state: PromptState, windows: ReadonlyMap<string, number>): number | undefined {
  return state.budget ?? (state.model === undefined ? undefined : windows.get(state.model));
}

/** "200000", "200,000", "200k", "1.5M" → tokens; undefined when not a positive number. */
export function parseBudget(text: string): number | undefined {
  const m = /^\s*([\d.,_]+)\s*([kKmM]?)\s*$/.exec(text);
  if (m === null) {
    return undefined;
  }
  const n = Number(m[1].replace(/[,_]/g, "")) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1);
  return Number.isFinite(n) && n >= 1 ? Math.round(n) : undefined;
}
