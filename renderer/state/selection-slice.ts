/**
 * What is selected on the canvas: item ids and edge ids (`link:<index>`, `member:<service>`,
 * `target:<entrypoint>:<target>`). Kept apart from the design: selecting is not an edit.
 */
import type { StateCreator } from 'zustand';
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

const EDGE_ID = /^(link|member|target):/;

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
    const { design, selection } = get();
    const ids = new Set<string>();
    for (const list of [design.sites, design.hosts, design.services, design.groups, design.entrypoints]) {
      for (const item of list ?? []) ids.add(item.id);
    }
    const kept = selection.filter((id) => {
      if (!EDGE_ID.test(id)) return ids.has(id);
      const link = /^link:(\d+)$/.exec(id);
      if (link) return Number(link[1]) < (design.links?.length ?? 0);
      const member = /^member:(.+)$/.exec(id);
      if (member) return design.services.some((s) => s.id === member[1] && s.group !== undefined);
      const target = /^target:([^:]+):(.+)$/.exec(id);
      return (
        !!target &&
        (design.entrypoints ?? []).some((e) => e.id === target[1] && e.targets.includes(target[2] as never))
      );
    });
    if (kept.length !== selection.length) set({ selection: kept });
  },
});
