/**
 * The command registry: every action the designer offers is registered here once, with its id,
 * label, shortcuts, when it is enabled and where it appears. The title bar's menus, the canvas's
 * context menu, the keyboard, the help overlay and the toolbar buttons are all generated from it
 * (modelled on Excalidraw's actions and VS Code's CommandsRegistry, KeybindingsRegistry and
 * MenuRegistry). The native desktop menu takes the labels and keys of the commands it forwards
 * from core/commands.ts, which the registry registers too.
 *
 * Registering a command is one call, beside the others in renderer/app/app-commands.ts:
 *
 *     registry.register({ id: 'file.export-vector', label: 'Export picture (vector SVG)',
 *       menus: [{ menu: 'file', group: '3-pictures' }], run: (app) => exportVector(app) });
 *
 * Add `keys: ['mod+shift+v']` for a shortcut (the registry refuses a key another command already
 * has on the same keyboard), `when: (app) => …` to disable it, `menus: [{ menu: 'canvas', … }]` to
 * put it in the context menu. Ids are `area.verb-object`; menu groups sort by name and are
 * separated by a line.
 */
import type { Keyboard } from '../../core/commands';
import type { AppServices } from './services';

/** Where the designer runs: which keyboard, and in a browser tab or the desktop app. */
export interface Platform {
  keyboard: Keyboard;
  shell: 'browser' | 'desktop';
}

/** A shortcut of a command. */
export interface KeyBinding {
  /** `mod+shift+z`: see core/commands.ts. */
  key: string;
  /** Only on this keyboard, or only in a browser tab or the desktop app. */
  only?: Keyboard | Platform['shell'];
  /** Passed to the command when this key runs it: a nudge of 10 instead of 1. */
  args?: Readonly<Record<string, unknown>>;
  /** What this key does differently, for the help: "10 px". */
  note?: string;
}

/** The menus commands can appear in: the title bar's, and `canvas`, the context menu. */
export type MenuId = 'file' | 'edit' | 'view' | 'arrange' | 'canvas';

/** What the context menu was opened on. */
export type CanvasTarget = 'node' | 'edge' | 'pane';

/** Where a command appears in a menu. */
export interface MenuPlacement {
  menu: MenuId;
  /** Commands of one group sit together; groups sort by name and are separated by a line. */
  group: string;
  order?: number;
  /** Only in a browser tab, or only in the desktop app. */
  only?: Platform['shell'];
  /** In the context menu: what it must have been opened on. */
  targets?: readonly CanvasTarget[];
}

/** How a command was started. */
export interface CommandContext {
  /** The arguments of the key that ran it. */
  args?: Readonly<Record<string, unknown>>;
  /** What the context menu was opened on, and where (a flow position). */
  target?: CanvasTarget;
  point?: { x: number; y: number };
}

/** One action of the designer. */
export interface Command {
  /** `area.verb-object`, e.g. `edit.duplicate`. */
  id: string;
  /** The menu's words; a function for a label that changes ("Undo Add app-1"). */
  label: string | ((app: AppServices) => string);
  /** What the help overlay says, when the label is not enough. */
  description?: string;
  keys?: readonly (string | KeyBinding)[];
  menus?: readonly MenuPlacement[];
  /** False disables it: greyed in menus, left out of the context menu, its key does nothing. */
  when?: (app: AppServices, context: CommandContext) => boolean;
  /** For an on/off command: whether it is on (a check mark in menus). */
  checked?: (app: AppServices) => boolean;
  run: (app: AppServices, context: CommandContext) => unknown;
  /** The `data-testid` of its menu entries. */
  testId?: string;
  /**
   * Also runs from a field of the inspector. Undo and redo do: the design has one history, and
   * Ctrl+Z in a field takes back the design's last change, not only the text box's.
   */
  inDesignFields?: boolean;
  /** Left out of the help overlay (it still runs from its keys). */
  hidden?: boolean;
}

/** One entry of a generated menu. */
export interface MenuItem {
  command: Command;
  label: string;
  /** The first shortcut on this platform, as this keyboard writes it. */
  shortcut: string | undefined;
  enabled: boolean;
  checked: boolean | undefined;
}

/** The modifier order every key is written in, so that `shift+mod+z` and `mod+shift+z` agree. */
const MODIFIERS = ['mod', 'shift', 'alt'] as const;

/** A key written the one way the registry compares keys. */
export function normalizeKey(key: string): string {
  const parts = key.toLowerCase().split('+');
  // `mod++` would be the plus key; the registry writes it `plus`.
  const name = parts.pop()!;
  const modifiers = MODIFIERS.filter((m) => parts.includes(m));
  const unknown = parts.filter((p) => !(MODIFIERS as readonly string[]).includes(p));
  if (unknown.length > 0 || name === '') throw new Error(`'${key}' is not a key: unknown ${unknown.join()}`);
  return [...modifiers, name].join('+');
}

/** True for a key that is a printed symbol, typed with or without Shift depending on the layout. */
function isSymbolKey(name: string): boolean {
  return name.length === 1 && !/[a-z0-9]/.test(name);
}

/** The key an event stands for, written as bindings are; undefined when no binding can match it. */
export function keyOfEvent(
  event: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>,
  keyboard: Keyboard,
): string | undefined {
  let name = event.key === ' ' ? 'space' : event.key.toLowerCase();
  // Option on a Mac turns a letter into another character (⌥A types å): read the key's place.
  const letter = /^Key([A-Z])$/.exec(event.code ?? '');
  if (event.altKey && letter) name = letter[1]!.toLowerCase();
  if (['control', 'meta', 'shift', 'alt'].includes(name)) return undefined;
  const mod = keyboard === 'apple' ? event.metaKey : event.ctrlKey;
  const foreign = keyboard === 'apple' ? event.ctrlKey : event.metaKey;
  if (foreign) return undefined;
  const parts: string[] = [];
  if (mod) parts.push('mod');
  if (event.shiftKey && !isSymbolKey(name)) parts.push('shift');
  if (event.altKey) parts.push('alt');
  parts.push(name);
  return parts.join('+');
}

const KEY_NAMES: Readonly<Record<string, { apple: string; other: string }>> = {
  mod: { apple: '⌘', other: 'Ctrl' },
  shift: { apple: '⇧', other: 'Shift' },
  alt: { apple: '⌥', other: 'Alt' },
  arrowleft: { apple: '←', other: '←' },
  arrowright: { apple: '→', other: '→' },
  arrowup: { apple: '↑', other: '↑' },
  arrowdown: { apple: '↓', other: '↓' },
  delete: { apple: '⌦', other: 'Del' },
  backspace: { apple: '⌫', other: 'Backspace' },
  escape: { apple: 'Esc', other: 'Esc' },
  enter: { apple: '↩', other: 'Enter' },
  space: { apple: 'Space', other: 'Space' },
  contextmenu: { apple: 'Menu', other: 'Menu' },
  plus: { apple: '+', other: '+' },
};

/** How a key is written on a keyboard: `mod+shift+z` → `Ctrl+Shift+Z`, or `⌘⇧Z` on a Mac. */
export function keyText(key: string, keyboard: Keyboard): string {
  const parts = normalizeKey(key)
    .split('+')
    .map((part) => KEY_NAMES[part]?.[keyboard] ?? (part.length <= 3 ? part.toUpperCase() : part));
  return parts.join(keyboard === 'apple' ? '' : '+');
}

/** The event a key stands for, as a keyboard would send it (for tests and the help's own checks). */
export function eventOfKey(key: string, keyboard: Keyboard): KeyboardEventInit {
  const parts = normalizeKey(key).split('+');
  const name = parts.pop()!;
  const mod = parts.includes('mod');
  return {
    key: name === 'space' ? ' ' : name.length === 1 ? name : (EVENT_KEYS[name] ?? name),
    ctrlKey: mod && keyboard === 'other',
    metaKey: mod && keyboard === 'apple',
    shiftKey: parts.includes('shift'),
    altKey: parts.includes('alt'),
    ...(name.length === 1 && /[a-z]/.test(name) ? { code: `Key${name.toUpperCase()}` } : {}),
  };
}

const EVENT_KEYS: Readonly<Record<string, string>> = {
  arrowleft: 'ArrowLeft',
  arrowright: 'ArrowRight',
  arrowup: 'ArrowUp',
  arrowdown: 'ArrowDown',
  delete: 'Delete',
  backspace: 'Backspace',
  escape: 'Escape',
  enter: 'Enter',
  contextmenu: 'ContextMenu',
  f2: 'F2',
  f10: 'F10',
};

function bindingOf(key: string | KeyBinding): KeyBinding {
  return typeof key === 'string' ? { key: normalizeKey(key) } : { ...key, key: normalizeKey(key.key) };
}

function appliesTo(only: KeyBinding['only'] | MenuPlacement['only'], platform: Platform): boolean {
  return only === undefined || only === platform.keyboard || only === platform.shell;
}

/** Every platform the designer runs on, for checks that must hold on each. */
export const PLATFORMS: readonly Platform[] = [
  { keyboard: 'other', shell: 'browser' },
  { keyboard: 'other', shell: 'desktop' },
  { keyboard: 'apple', shell: 'browser' },
  { keyboard: 'apple', shell: 'desktop' },
];

/** The registry of commands. */
export class CommandRegistry {
  private readonly commands = new Map<string, Command>();
  private readonly observers = new Set<(id: string, context: CommandContext) => void>();

  /** Registers a command; refuses a second command with its id, or with one of its keys. */
  register(command: Command): Command {
    if (this.commands.has(command.id)) throw new Error(`command ${command.id} is registered twice`);
    for (const platform of PLATFORMS) {
      for (const binding of this.bindingsOf(command, platform)) {
        const other = this.commandForKey(binding.key, platform);
        if (other)
          throw new Error(
            `${command.id} and ${other.command.id} both want ${binding.key} (${platform.keyboard} keyboard, ${platform.shell})`,
          );
      }
    }
    this.commands.set(command.id, command);
    return command;
  }

  /** The command with an id; throws for an id nobody registered (a typo is a bug). */
  get(id: string): Command {
    const command = this.commands.get(id);
    if (!command) throw new Error(`no command ${id}`);
    return command;
  }

  /** Every command, in the order they were registered. */
  all(): Command[] {
    return [...this.commands.values()];
  }

  /** A command's label now. */
  labelOf(id: string, app: AppServices): string {
    const { label } = this.get(id);
    return typeof label === 'string' ? label : label(app);
  }

  isEnabled(id: string, app: AppServices, context: CommandContext = {}): boolean {
    const command = this.get(id);
    return command.when?.(app, context) ?? true;
  }

  /** Runs a command if it is enabled; returns whether it ran. */
  run(id: string, app: AppServices, context: CommandContext = {}): boolean {
    const command = this.get(id);
    if (!(command.when?.(app, context) ?? true)) return false;
    for (const observer of this.observers) observer(id, context);
    void command.run(app, context);
    return true;
  }

  /** Calls `observer` whenever a command runs; returns the function that stops it. */
  observe(observer: (id: string, context: CommandContext) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** A command's shortcuts on a platform. */
  bindingsOf(command: Command, platform: Platform): KeyBinding[] {
    return (command.keys ?? []).map(bindingOf).filter((binding) => appliesTo(binding.only, platform));
  }

  /** The first shortcut of a command on a platform, written for its keyboard. */
  shortcutOf(id: string, platform: Platform): string | undefined {
    const first = this.bindingsOf(this.get(id), platform)[0];
    return first && keyText(first.key, platform.keyboard);
  }

  /** The command a key runs on a platform, with the binding that matched. */
  commandForKey(key: string, platform: Platform): { command: Command; binding: KeyBinding } | undefined {
    const wanted = normalizeKey(key);
    for (const command of this.commands.values()) {
      const binding = this.bindingsOf(command, platform).find((b) => b.key === wanted);
      if (binding) return { command, binding };
    }
    return undefined;
  }

  /** The entries of a menu, group by group. */
  menu(menu: MenuId, app: AppServices, platform: Platform, context: CommandContext = {}): MenuItem[][] {
    const groups = new Map<string, { order: number; item: MenuItem }[]>();
    for (const command of this.commands.values()) {
      for (const placement of command.menus ?? []) {
        if (placement.menu !== menu || !appliesTo(placement.only, platform)) continue;
        if (placement.targets && (!context.target || !placement.targets.includes(context.target))) continue;
        const enabled = command.when?.(app, context) ?? true;
        // The context menu offers only what can be done here; the title bar's menus grey it out.
        if (menu === 'canvas' && !enabled) continue;
        const list = groups.get(placement.group) ?? [];
        list.push({
          order: placement.order ?? 0,
          item: {
            command,
            label: typeof command.label === 'string' ? command.label : command.label(app),
            shortcut: this.shortcutOf(command.id, platform),
            enabled,
            checked: command.checked?.(app),
          },
        });
        groups.set(placement.group, list);
      }
    }
    return [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, list]) => list.sort((a, b) => a.order - b.order).map((entry) => entry.item));
  }
}

/** The platform this page runs on. */
export function currentPlatform(app: Pick<AppServices, 'host'>): Platform {
  const apple = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
  return {
    keyboard: apple ? 'apple' : 'other',
    shell: app.host.platform === 'desktop' ? 'desktop' : 'browser',
  };
}
