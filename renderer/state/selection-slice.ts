/**
 * What is selected on the canvas: item ids and edge ids (edge-ids.ts: a link by its identity, a
 * membership by its service, a target by its entrypoint and target). Kept apart from the design:
 * selecting is not an edit.
 */
import type { StateCreator } from 'zustand';
import { parseEdgeId } from './edge-ids';
import type { Store } from './store';

/** The selection part of the store. */
export interface SelectionSlice {
  selection: string[];
  select: (ids: string[]) => void;
  /** Adds or removes ids, as React Flow reports clicks and box selections. */
  changeSelection: (changes: { id: string; selected: boolean }[]) => void;
  /** Drops ids that no longer exist after an edit, undo or redo. */
  pruneSelection: () => void;
}

export const createSelectionSlice: StateCreator<Store, [], [], SelectionSlice> = (set, get) => ({
  selection: [],
  select: (ids) => set({ selection: [...new Set(ids)] }),
  changeSelection: (changes) => {
    const next = new Set(get().selection);
    for (const change of changes) {
      if (change.selected) next.add(change.id);
      else next.delete(change.id);
    }
    const selection = [...next];
    if (selection.length !== get().selection.length || selection.some((id, i) => id !== get().selection[i])) {
      set({ selection });
    }
  },
  pruneSelection: () => {
    const { design, linkIds, selection } = get();
    // Nothing selected, nothing to prune: the walk below would cost every item of the design.
    if (selection.length === 0) return;
    const ids = new Set<string>();
    for (const list of [design.sites, design.hosts, design.services, design.groups, design.entrypoints]) {
      for (const item of list ?? []) ids.add(item.id);
    }
    const links = new Set<string>(linkIds);
    const kept = selection.filter((id) => {
      const edge = parseEdgeId(id);
      if (!edge) return ids.has(id);
      if (edge.role === 'link') return links.has(edge.link);
      if (edge.role === 'member')
        return design.services.some((s) => s.id === edge.service && s.group !== undefined);
      return (design.entrypoints ?? []).some(
        (e) => e.id === edge.entrypoint && e.targets.includes(edge.target as never),
      );
    });
    if (kept.length !== selection.length) set({ selection: kept });
  },
});
