/**
 * Keyboard shortcuts of the designer. They act on the canvas and the document, never while a
 * form field or the code view has the focus (there, keys type and copy as usual).
 */
import { useEffect } from 'react';
import {
  arrange,
  copySelection,
  deleteSelection,
  duplicateSelection,
  exportBundle,
  newDesign,
  openDesign,
  paste,
  saveDesign,
  selectAll,
} from '../app/commands';
import { openPush } from '../app/push';
import type { AppServices } from '../app/services';

/** True on Apple keyboards, where ⌘ plays the part of Ctrl. */
export const isApple = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** How a shortcut is written for this keyboard: `mod+shift+z` → `Ctrl+Shift+Z` or `⌘⇧Z`. */
export function shortcutText(combo: string): string {
  const parts = combo.split('+');
  if (isApple) {
    const symbols: Record<string, string> = { mod: '⌘', shift: '⇧', alt: '⌥' };
    return parts.map((p) => symbols[p] ?? (p.length === 1 ? p.toUpperCase() : p)).join('');
  }
  const words: Record<string, string> = { mod: 'Ctrl', shift: 'Shift', alt: 'Alt' };
  return parts.map((p) => words[p] ?? (p.length === 1 ? p.toUpperCase() : p)).join('+');
}

/** Every shortcut, for the help dialog. */
export const SHORTCUTS: { combo: string; what: string }[] = [
  { combo: 'mod+z', what: 'Undo' },
  { combo: 'mod+shift+z', what: 'Redo (also Ctrl+Y)' },
  { combo: 'mod+c', what: 'Copy the selection' },
  { combo: 'mod+x', what: 'Cut the selection' },
  { combo: 'mod+v', what: 'Paste' },
  { combo: 'mod+d', what: 'Duplicate the selection' },
  { combo: 'mod+a', what: 'Select everything' },
  { combo: 'Delete', what: 'Delete the selection (also Backspace)' },
  { combo: 'Escape', what: 'Clear the selection, then leave what-if mode' },
  { combo: 'mod+n', what: 'New design (Alt+N in a browser tab)' },
  { combo: 'mod+o', what: 'Open a design' },
  { combo: 'mod+s', what: 'Save' },
  { combo: 'mod+shift+s', what: 'Save as' },
  { combo: 'mod+shift+e', what: 'Export the bundle' },
  { combo: 'mod+shift+p', what: 'Push to hosts' },
  { combo: 'w', what: 'What-if mode on or off' },
  { combo: 'f', what: 'Fit the design in view' },
  { combo: 'shift+l', what: 'Arrange automatically' },
  { combo: '?', what: 'This list' },
];

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.closest('.cm-editor')) return true;
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Handles one key press; returns true when it was a shortcut. */
export function handleShortcut(services: AppServices, event: KeyboardEvent): boolean {
  if (isTyping(event.target)) return false;
  const state = services.store.getState();
  const mod = isApple ? event.metaKey : event.ctrlKey;
  const key = event.key.toLowerCase();
  if (mod) {
    if (key === 'z' && !event.shiftKey) state.undo();
    else if ((key === 'z' && event.shiftKey) || key === 'y') state.redo();
    else if (key === 'c') {
      if (!copySelection(services)) return false;
    } else if (key === 'x') {
      if (copySelection(services)) deleteSelection(services);
    } else if (key === 'v') paste(services);
    else if (key === 'd') duplicateSelection(services);
    else if (key === 'a') selectAll(services);
    else if (key === 's') void saveDesign(services, { saveAs: event.shiftKey });
    else if (key === 'o') openDesign(services);
    else if (key === 'n') newDesign(services);
    else if (key === 'e' && event.shiftKey) void exportBundle(services);
    else if (key === 'p' && event.shiftKey) openPush(services);
    else return false;
    return true;
  }
  if (event.altKey && key === 'n') {
    newDesign(services);
    return true;
  }
  if (event.altKey || event.metaKey || event.ctrlKey) return false;
  if (key === 'delete' || key === 'backspace') deleteSelection(services);
  else if (key === 'escape') {
    if (state.selection.length > 0) state.select([]);
    else if (state.whatIf) state.setWhatIf(false);
    else return false;
  } else if (key === 'w') state.setWhatIf(!state.whatIf);
  else if (key === 'f') services.canvas?.fitView();
  else if (key === 'l' && event.shiftKey) void arrange(services);
  else if (event.key === '?') state.openDialog({ kind: 'shortcuts' });
  else return false;
  return true;
}

/** Installs the shortcuts on the window while the app is mounted. */
export function useShortcuts(services: AppServices): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (handleShortcut(services, event)) event.preventDefault();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [services]);
}
