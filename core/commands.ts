/**
 * The commands that cross the desktop boundary: the native menu (electron/main/menu.ts) sends them
 * to the designer (core/host.ts, {@link MenuCommand}), and the designer registers them in its
 * command registry (renderer/app/registry.ts) with these same labels and keys. Defined here, once,
 * because the main process may not import the renderer. Every other command lives only in the
 * registry.
 *
 * Keys are written `mod+shift+s`: `mod` is Ctrl, or ⌘ on Apple keyboards; then `shift`, `alt` and
 * the key as `KeyboardEvent.key` names it, in lower case (`z`, `delete`, `arrowleft`, `f2`, `?`).
 */
import type { MenuCommand } from './host';

/** Keyboards whose shortcuts differ: Apple's (⌘) and everyone else's (Ctrl). */
export type Keyboard = 'apple' | 'other';

/** A shortcut, on every keyboard or only on one. */
export type ShellKey = string | { key: string; only: Keyboard };

/** One command of the native menu, as both sides show it. */
export interface ShellCommand {
  /** The command's id in the designer's registry. */
  id: string;
  /** How the designer's own menus and help name it (sentence case). */
  label: string;
  /** How the native menu names it (title case, as desktop menus do). */
  nativeLabel: string;
  /** Its shortcuts; the first is the native menu's accelerator. None: it has no shortcut. */
  keys: readonly ShellKey[];
}

/** The native menu's commands. */
export const SHELL_COMMANDS: Readonly<Record<MenuCommand, ShellCommand>> = {
  new: { id: 'file.new', label: 'New design', nativeLabel: 'New Design', keys: ['mod+n'] },
  open: { id: 'file.open', label: 'Open…', nativeLabel: 'Open…', keys: ['mod+o'] },
  'import-folder': {
    id: 'file.import-folder',
    label: 'Import configs from a folder…',
    nativeLabel: 'Import Configs from a Folder…',
    keys: [],
  },
  'import-hosts': {
    id: 'file.import-hosts',
    label: 'Import from hosts…',
    nativeLabel: 'Import from Hosts…',
    keys: [],
  },
  save: { id: 'file.save', label: 'Save', nativeLabel: 'Save', keys: ['mod+s'] },
  'save-as': { id: 'file.save-as', label: 'Save as…', nativeLabel: 'Save As…', keys: ['mod+shift+s'] },
  'export-bundle': {
    id: 'file.export-bundle',
    label: 'Export bundle…',
    nativeLabel: 'Export Bundle…',
    keys: ['mod+shift+e'],
  },
  'export-ansible': {
    id: 'file.export-ansible',
    label: 'Export Ansible playbook…',
    nativeLabel: 'Export Ansible Playbook…',
    keys: ['mod+alt+e'],
  },
  push: { id: 'file.push', label: 'Push to hosts…', nativeLabel: 'Push to Hosts…', keys: ['mod+shift+p'] },
  undo: { id: 'edit.undo', label: 'Undo', nativeLabel: 'Undo', keys: ['mod+z'] },
  // Windows writes Redo as Ctrl+Y; macOS and Linux as Shift and Z. The designer accepts both.
  redo: {
    id: 'edit.redo',
    label: 'Redo',
    nativeLabel: 'Redo',
    keys: ['mod+shift+z', { key: 'mod+y', only: 'other' }],
  },
};

const ACCELERATOR_WORDS: Readonly<Record<string, string>> = {
  mod: 'CmdOrCtrl',
  shift: 'Shift',
  alt: 'Alt',
  delete: 'Delete',
  backspace: 'Backspace',
  escape: 'Escape',
  arrowleft: 'Left',
  arrowright: 'Right',
  arrowup: 'Up',
  arrowdown: 'Down',
  enter: 'Return',
  space: 'Space',
};

/** A key written as in {@link SHELL_COMMANDS}, as an Electron accelerator: `mod+shift+s` → `CmdOrCtrl+Shift+S`. */
export function acceleratorOf(key: string): string {
  return key
    .split('+')
    .map((part) => ACCELERATOR_WORDS[part] ?? part.toUpperCase())
    .join('+');
}

/** The key of a {@link ShellKey}, whichever keyboard it is for. */
export function keyOf(binding: ShellKey): string {
  return typeof binding === 'string' ? binding : binding.key;
}
