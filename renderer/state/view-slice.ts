/**
 * UI state that is not part of the design: theme, the side panel, what-if failures, the host whose
 * files are previewed, canvas options, notices and the open dialog.
 */
import type { ImportProblem, MissingItem, UnusedItem } from '../../core/import/build-design';
import type { StateCreator } from 'zustand';
import type { LoadProblem } from '../../core/load';
import type { DropPreview } from '../canvas/drop-target';
import type { Store } from './store';

/** Light or dark. */
export type Theme = 'light' | 'dark';

/** The tabs of the side panel. */
export type SidePanel = 'inspector' | 'findings' | 'what-if' | 'preview' | 'resilience' | 'rehearse';

/** A short message at the bottom of the window. */
export interface Notice {
  id: number;
  text: string;
  tone: 'info' | 'success' | 'warning' | 'error';
  /** A button on the notice that runs a registered command, e.g. Undo after a delete. */
  action?: { label: string; command: string };
}

/** The canvas's context menu: where it opened (screen and flow positions) and on what. */
export interface ContextMenuState {
  x: number;
  y: number;
  target: 'node' | 'edge' | 'pane';
  point: { x: number; y: number };
}

/** A modal dialog. */
export type Dialog =
  | { kind: 'load-problems'; fileName: string; problems: LoadProblem[] }
  | { kind: 'shortcuts' }
  /** The push dialog; its state is the push slice's. */
  | { kind: 'push' }
  /** File › Import from hosts; its state is the collect slice's. */
  | { kind: 'import-hosts' }
  | { kind: 'confirm'; title: string; text: string; confirm: string; onConfirm: () => void }
  /** What File › Import did not use or could not read (renderer/import/). */
  | {
      kind: 'import-report';
      folder: string;
      unused: UnusedItem[];
      missing: MissingItem[];
      problems: ImportProblem[];
    };

/** The view part of the store. */
export interface ViewSlice {
  theme: Theme;
  panel: SidePanel;
  /** What-if mode: clicks on hosts, sites and services fail them. */
  whatIf: boolean;
  /** Failed hosts, sites and services in what-if mode. */
  failed: string[];
  /**
   * In what-if mode, the sites and hosts cut off from the rest of the network (one side of a
   * partition; every other host is the other side). Empty: no cut.
   */
  cut: string[];
  /** Whether the what-if panel lists every single failure, not only the worst. */
  allSingleFailures: boolean;
  setAllSingleFailures: (all: boolean) => void;
  previewHost: string | undefined;
  snapToGrid: boolean;
  showMinimap: boolean;
  /** True while the automatic layout runs. */
  arranging: boolean;
  notices: Notice[];
  dialog: Dialog | undefined;
  /** While a drag would change an item's container: which container, and the pointer's label. */
  dropPreview: DropPreview | undefined;
  setDropPreview: (preview: DropPreview | undefined) => void;
  /** Asks the canvas to fit items in view once it shows the current design; `seq` counts requests. */
  fitRequest: { seq: number; ids?: string[] };
  requestFit: (ids?: string[]) => void;
  setTheme: (theme: Theme) => void;
  setPanel: (panel: SidePanel) => void;
  setWhatIf: (on: boolean) => void;
  toggleFailure: (id: string) => void;
  clearFailures: () => void;
  /** Cuts these sites and hosts off from the rest (in what-if mode); an empty list heals the cut. */
  cutOff: (ids: string[]) => void;
  setPreviewHost: (host: string | undefined) => void;
  setSnapToGrid: (on: boolean) => void;
  setShowMinimap: (on: boolean) => void;
  setArranging: (on: boolean) => void;
  notify: (text: string, tone?: Notice['tone'], action?: Notice['action']) => void;
  /** The context menu, while open. */
  contextMenu: ContextMenuState | undefined;
  openContextMenu: (menu: ContextMenuState | undefined) => void;
  /** The item whose label is being edited in place on the canvas. */
  editingLabel: string | undefined;
  setEditingLabel: (id: string | undefined) => void;
  /** Whether the canvas's search box is open. */
  searchOpen: boolean;
  setSearchOpen: (open: boolean) => void;
  dismissNotice: (id: number) => void;
  openDialog: (dialog: Dialog | undefined) => void;
}

let noticeCounter = 0;

export const createViewSlice: StateCreator<Store, [], [], ViewSlice> = (set, get) => ({
  theme: 'light',
  panel: 'inspector',
  whatIf: false,
  failed: [],
  cut: [],
  allSingleFailures: false,
  setAllSingleFailures: (allSingleFailures) => set({ allSingleFailures }),
  previewHost: undefined,
  snapToGrid: true,
  showMinimap: true,
  arranging: false,
  notices: [],
  dialog: undefined,
  dropPreview: undefined,
  setDropPreview: (dropPreview) => set({ dropPreview }),
  fitRequest: { seq: 0 },
  requestFit: (ids) => set({ fitRequest: { seq: get().fitRequest.seq + 1, ...(ids ? { ids } : {}) } }),
  setTheme: (theme) => set({ theme }),
  setPanel: (panel) => set({ panel }),
  setWhatIf: (whatIf) => set(whatIf ? { whatIf, panel: 'what-if' } : { whatIf, failed: [], cut: [] }),
  toggleFailure: (id) => {
    const failed = get().failed;
    set({ failed: failed.includes(id) ? failed.filter((f) => f !== id) : [...failed, id] });
  },
  clearFailures: () => set({ failed: [], cut: [] }),
  cutOff: (ids) =>
    set(ids.length > 0 ? { cut: [...new Set(ids)], whatIf: true, panel: 'what-if' } : { cut: [] }),
  setPreviewHost: (previewHost) => set({ previewHost }),
  setSnapToGrid: (snapToGrid) => set({ snapToGrid }),
  setShowMinimap: (showMinimap) => set({ showMinimap }),
  setArranging: (arranging) => set({ arranging }),
  notify: (text, tone = 'info', action) => {
    const id = ++noticeCounter;
    set({ notices: [...get().notices.slice(-3), { id, text, tone, ...(action ? { action } : {}) }] });
    // A notice that offers an action stays long enough to reach for it.
    setTimeout(() => get().dismissNotice(id), tone === 'error' || action ? 9000 : 5000);
  },
  contextMenu: undefined,
  openContextMenu: (contextMenu) => set({ contextMenu }),
  editingLabel: undefined,
  setEditingLabel: (editingLabel) => set({ editingLabel }),
  searchOpen: false,
  setSearchOpen: (searchOpen) => set({ searchOpen }),
  dismissNotice: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
  openDialog: (dialog) => set({ dialog }),
});
