/**
 * The document: the design being edited, its file, and its undo history.
 *
 * Every change to the design goes through {@link DocumentSlice.editDesign}: it applies a recipe to
 * an immer draft, asks the loader whether the result is still a design, and only then commits it
 * as one undoable step. An edit the loader refuses never enters the design; its problems come back
 * to the caller (the inspector shows them inline).
 */
import { produce } from 'immer';
import type { StateCreator } from 'zustand';
import { checkDesign } from '../../core/load';
import type { LoadProblem } from '../../core/load';
import type { Design } from '../../core/model';
import { emptyDesign } from '../../core/edit';
import type { Store } from './store';

/** How many steps Undo can go back. */
export const HISTORY_LIMIT = 200;

/** One step of the history: the design before (for undo) or after (for redo) an edit. */
export interface HistoryEntry {
  design: Design;
  /** What the edit did, for the Undo and Redo tooltips: "Add app-1". */
  label: string;
}

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
  file: DocumentFile;
  /** True when the design changed since it was opened or saved. */
  dirty: boolean;
  /** Counts every change of the design; the analysis answers for one revision. */
  revision: number;
  past: HistoryEntry[];
  future: HistoryEntry[];
  /** Applies an edit as one undoable step, unless the result is not a design. */
  editDesign: (label: string, recipe: (draft: Design) => void) => EditOutcome;
  undo: () => void;
  redo: () => void;
  /** Replaces the document (New, Open): the history starts again. */
  replaceDocument: (design: Design, file: DocumentFile, options?: { dirty?: boolean }) => void;
  /** Replaces the design without an undo step, e.g. positions from the automatic layout on open. */
  adjustDesign: (recipe: (draft: Design) => void) => void;
  markSaved: (file: DocumentFile) => void;
}

export const createDocumentSlice: StateCreator<Store, [], [], DocumentSlice> = (set, get) => ({
  design: emptyDesign(),
  file: { name: 'untitled.topo.json' },
  dirty: false,
  revision: 0,
  past: [],
  future: [],

  editDesign: (label, recipe) => {
    const { design, past, revision } = get();
    const next = produce(design, recipe);
    if (next === design) return { ok: true, changed: false };
    const result = checkDesign(next);
    if (!result.ok) return { ok: false, problems: result.problems };
    set({
      design: next,
      past: [...past.slice(-(HISTORY_LIMIT - 1)), { design, label }],
      future: [],
      dirty: true,
      revision: revision + 1,
    });
    get().pruneSelection();
    return { ok: true, changed: true };
  },

  undo: () => {
    const { past, future, design, revision } = get();
    const previous = past[past.length - 1];
    if (!previous) return;
    set({
      design: previous.design,
      past: past.slice(0, -1),
      future: [...future, { design, label: previous.label }],
      dirty: true,
      revision: revision + 1,
    });
    get().pruneSelection();
  },

  redo: () => {
    const { past, future, design, revision } = get();
    const next = future[future.length - 1];
    if (!next) return;
    set({
      design: next.design,
      future: future.slice(0, -1),
      past: [...past, { design, label: next.label }],
      dirty: true,
      revision: revision + 1,
    });
    get().pruneSelection();
  },

  replaceDocument: (design, file, options) => {
    set((state) => ({
      design,
      file,
      dirty: options?.dirty ?? false,
      past: [],
      future: [],
      revision: state.revision + 1,
      selection: [],
      failed: [],
    }));
  },

  adjustDesign: (recipe) => {
    const { design, revision } = get();
    const next = produce(design, recipe);
    if (next === design || !checkDesign(next).ok) return;
    set({ design: next, revision: revision + 1 });
  },

  markSaved: (file) => set({ file, dirty: false }),
});
