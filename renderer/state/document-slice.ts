/**
 * The document: the design being edited, its file, and its undo history.
 *
 * Every change to the design goes through {@link DocumentSlice.editDesign}: it applies a recipe to
 * an immer draft, asks the loader whether the result is still a design, and only then commits it
 * as one undoable step. An edit the loader refuses never enters the design; its problems come back
 * to the caller (the inspector shows them inline).
 *
 * Beside the design it keeps each link's identity (edge-ids.ts), in every step of the history too,
 * so that undo and redo bring back a link with the identity it had.
 */
import { freeze } from 'immer';
import type { StateCreator } from 'zustand';
import { checkDesign } from '../../core/load';
import type { LoadProblem } from '../../core/load';
import type { Design } from '../../core/model';
import { emptyDesign } from '../../core/edit/ids';
import { ID_PATTERN, ONE_LINE_TEXT_PATTERN } from '../../core/schema/patterns';
import { carryLinkIds, freshLinkIds } from './edge-ids';
import { produceDesign } from './layout-draft';
import type { LinkId } from './edge-ids';
import type { Store } from './store';

/** How many steps Undo can go back. */
export const HISTORY_LIMIT = 200;

/** One step of the history: the design before (for undo) or after (for redo) an edit. */
export interface HistoryEntry {
  design: Design;
  /** The identities of `design.links`, index for index. */
  linkIds: LinkId[];
  /** What the edit did, for the Undo and Redo tooltips: "Add app-1". */
  label: string;
  /** Edits with the same key in a row make one step (arrow-key nudges); see {@link EditOptions}. */
  coalesce?: string;
}

/** How an edit enters the history. */
export interface EditOptions {
  /**
   * An edit with the same key as the step before it, within {@link COALESCE_MS}, joins that step:
   * holding an arrow key nudges many times and Undo takes all of it back at once.
   */
  coalesce?: string;
}

/** How long after an edit the next one with the same coalescing key still joins it. */
export const COALESCE_MS = 1000;

/** What an edit did. */
export type EditOutcome = { ok: true; changed: boolean } | { ok: false; problems: LoadProblem[] };

/** Where the document lives. */
export interface DocumentFile {
  /** File name shown in the title bar, e.g. `tealeaf.topo.json`. */
  name: string;
  /** Where Save writes without asking (see core/host.ts); absent for a new design. */
  location?: string;
}

/** The document part of the store. */
export interface DocumentSlice {
  design: Design;
  /** The identity of each of `design.links`, index for index (edge-ids.ts). */
  linkIds: LinkId[];
  file: DocumentFile;
  /** True when the design changed since it was opened or saved. */
  dirty: boolean;
  /** Counts every change of the design; the analysis answers for one revision. */
  revision: number;
  past: HistoryEntry[];
  future: HistoryEntry[];
  /** Applies an edit as one undoable step, unless the result is not a design. */
  editDesign: (label: string, recipe: (draft: Design) => void, options?: EditOptions) => EditOutcome;
  undo: () => void;
  redo: () => void;
  /** Replaces the document (New, Open): the history starts again. */
  replaceDocument: (design: Design, file: DocumentFile, options?: { dirty?: boolean }) => void;
  /** Replaces the design without an undo step, e.g. positions from the automatic layout on open. */
  adjustDesign: (recipe: (draft: Design) => void) => void;
  markSaved: (file: DocumentFile) => void;
}

const ID = new RegExp(ID_PATTERN);
const ONE_LINE_TEXT = new RegExp(ONE_LINE_TEXT_PATTERN);
/** The design schema's bound on a label, in characters (code points, as the schema counts). */
const LABEL_MAX_LENGTH = 200;
/** The lists whose items carry a label; only a label of theirs may change on the fast path. */
const LABELLED_LISTS = ['sites', 'hosts', 'services', 'groups', 'entrypoints'] as const;
const LAYOUT_FIELDS = new Set(['x', 'y', 'width', 'height', 'collapsed']);

/** A number the design schema takes for a layout coordinate or size. */
function within(value: unknown, minimum: number, maximum: number, optional: boolean): boolean {
  if (value === undefined) return optional;
  return typeof value === 'number' && Number.isFinite(value) && value >= minimum && value <= maximum;
}

/**
 * True when `next` differs from `design` only in its layout, and every layout entry that changed
 * is one the design schema takes. Such an edit (a drag, a nudge, an arrangement) cannot make the
 * design invalid: positions are named by ids and nothing refers to them. The whole-design check
 * is then skipped, which at 1,000 services is most of a drag's cost on the main thread.
 * `changedKeys`, when known (layout-draft.ts), are the only entries that can differ.
 */
function onlyLayoutChanged(design: Design, next: Design, changedKeys?: ReadonlySet<string>): boolean {
  const keys = new Set([...Object.keys(design), ...Object.keys(next)]);
  for (const key of keys) {
    if (key === 'layout') continue;
    if (design[key as keyof Design] !== next[key as keyof Design]) return false;
  }
  const before = design.layout ?? {};
  const after = next.layout;
  if (after === undefined || typeof after !== 'object' || Array.isArray(after)) return false;
  type Entry = [string, (typeof after)[string]];
  const changed: Entry[] = changedKeys
    ? [...changedKeys].filter((id) => Object.hasOwn(after, id)).map((id): Entry => [id, after[id]!])
    : Object.entries(after);
  for (const [id, entry] of changed) {
    if (before[id] === entry) continue;
    if (!ID.test(id) || typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
    if (!Object.keys(entry).every((field) => LAYOUT_FIELDS.has(field))) return false;
    if (!within(entry.x, -1e7, 1e7, false) || !within(entry.y, -1e7, 1e7, false)) return false;
    if (!within(entry.width, 0, 1e6, true) || !within(entry.height, 0, 1e6, true)) return false;
    if (entry.collapsed !== undefined && typeof entry.collapsed !== 'boolean') return false;
  }
  return true;
}

/** A label the design schema takes: one line of 1 to 200 characters without control characters. */
function validLabel(value: unknown): boolean {
  if (typeof value !== 'string' || !ONE_LINE_TEXT.test(value)) return false;
  const length = [...value].length;
  return length >= 1 && length <= LABEL_MAX_LENGTH;
}

/** True when `a` and `b` have the same fields and values except `label`, which may differ. */
function sameButLabel(a: object, b: object): boolean {
  const before = a as Record<string, unknown>;
  const after = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (key === 'label') continue;
    if (before[key] !== after[key] || !(key in before) || !(key in after)) return false;
  }
  return after.label === undefined || validLabel(after.label);
}

/**
 * True when `next` differs from `design` only in the labels of sites, hosts, services, groups or
 * entrypoints (the inspector's Label field, a double-click on a card), each new label one the
 * design schema takes. A label is free text that nothing refers to and no check but the schema's
 * reads, so such an edit cannot make the design invalid; the whole-design check, about 60 ms of
 * main thread at 5,000 services, is then skipped.
 */
function onlyLabelsChanged(design: Design, next: Design): boolean {
  const keys = new Set([...Object.keys(design), ...Object.keys(next)]);
  for (const key of keys) {
    if (design[key as keyof Design] === next[key as keyof Design]) continue;
    if (!(LABELLED_LISTS as readonly string[]).includes(key)) return false;
    const before = design[key as (typeof LABELLED_LISTS)[number]];
    const after = next[key as (typeof LABELLED_LISTS)[number]];
    if (!Array.isArray(before) || !Array.isArray(after) || before.length !== after.length) return false;
    for (let index = 0; index < after.length; index++) {
      const item: unknown = after[index];
      if (item === before[index]) continue;
      if (typeof item !== 'object' || item === null || !sameButLabel(before[index]!, item)) return false;
    }
  }
  return true;
}

export const createDocumentSlice: StateCreator<Store, [], [], DocumentSlice> = (set, get) => {
  let lastEditAt = 0;
  return {
    design: emptyDesign(),
    linkIds: [],
    file: { name: 'untitled.topo.json' },
    dirty: false,
    revision: 0,
    past: [],
    future: [],

    editDesign: (label, recipe, options) => {
      const { design, linkIds, past, revision } = get();
      const { design: next, layoutChanges } = produceDesign(design, recipe);
      if (next === design) return { ok: true, changed: false };
      const layoutOnly = onlyLayoutChanged(design, next, layoutChanges);
      const labelsOnly = !layoutOnly && onlyLabelsChanged(design, next);
      if (!layoutOnly && !labelsOnly) {
        const result = checkDesign(next);
        if (!result.ok) return { ok: false, problems: result.problems };
      }
      const now = Date.now();
      const previous = past[past.length - 1];
      const joins =
        options?.coalesce !== undefined &&
        previous?.coalesce === options.coalesce &&
        now - lastEditAt < COALESCE_MS;
      lastEditAt = now;
      const step: HistoryEntry = { design, linkIds, label };
      if (options?.coalesce !== undefined) step.coalesce = options.coalesce;
      set({
        design: next,
        linkIds: carryLinkIds(design.links, linkIds, next.links),
        past: joins ? past : [...past.slice(-(HISTORY_LIMIT - 1)), step],
        future: [],
        dirty: true,
        revision: revision + 1,
      });
      // A layout-only edit (a drag) or a relabelling removes nothing that could be selected, and
      // the walk over every item that pruning costs was a fifth of an inspector edit at 5,000.
      if (!layoutOnly && !labelsOnly) get().pruneSelection();
      return { ok: true, changed: true };
    },

    undo: () => {
      const { past, future, design, linkIds, revision } = get();
      const previous = past[past.length - 1];
      if (!previous) return;
      lastEditAt = 0;
      set({
        design: previous.design,
        linkIds: previous.linkIds,
        past: past.slice(0, -1),
        future: [...future, { design, linkIds, label: previous.label }],
        dirty: true,
        revision: revision + 1,
      });
      get().pruneSelection();
    },

    redo: () => {
      const { past, future, design, linkIds, revision } = get();
      const next = future[future.length - 1];
      if (!next) return;
      lastEditAt = 0;
      set({
        design: next.design,
        linkIds: next.linkIds,
        future: future.slice(0, -1),
        past: [...past, { design, linkIds, label: next.label }],
        dirty: true,
        revision: revision + 1,
      });
      get().pruneSelection();
    },

    replaceDocument: (design, file, options) => {
      lastEditAt = 0;
      // Frozen as immer freezes every design an edit produces: a snapshot of a draft (`current`,
      // placement.ts) then copies only what the edit changed, not the whole design.
      freeze(design, true);
      set((state) => ({
        design,
        linkIds: freshLinkIds(design.links),
        file,
        dirty: options?.dirty ?? false,
        past: [],
        future: [],
        revision: state.revision + 1,
        selection: [],
        failed: [],
        cut: [],
      }));
    },

    adjustDesign: (recipe) => {
      const { design, linkIds, revision } = get();
      const { design: next } = produceDesign(design, recipe);
      if (next === design || !checkDesign(next).ok) return;
      set({ design: next, linkIds: carryLinkIds(design.links, linkIds, next.links), revision: revision + 1 });
    },

    markSaved: (file) => set({ file, dirty: false }),
  };
};
