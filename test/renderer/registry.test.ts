// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { acceleratorOf, SHELL_COMMANDS } from '../../core/commands';
import type { MenuCommand } from '../../core/host';
import { COMMAND_ACCELERATORS } from '../../electron/main/menu';
import { registry } from '../../renderer/app/app-commands';
import { copySelection } from '../../renderer/app/commands';
import {
  CommandRegistry,
  eventOfKey,
  keyOfEvent,
  normalizeKey,
  PLATFORMS,
} from '../../renderer/app/registry';
import type { AppServices } from '../../renderer/app/services';
import { helpSections } from '../../renderer/chrome/HelpOverlay';
import { handleShortcut } from '../../renderer/chrome/shortcuts';
import { example, testApp } from './fixtures';

/**
 * An app in which the commands can run: a selection (three services, or one for the commands of
 * a single item), a clipboard, something to undo and something to redo.
 */
function readyApp(selection: string[] = ['tessera-a', 'tessera-b', 'lb-a']): AppServices {
  const { services } = testApp(example('tessera-ha.topo.json'));
  const state = () => services.store.getState();
  state().editDesign('Rename', (draft) => void (draft.name = 'first'));
  state().editDesign('Rename', (draft) => void (draft.name = 'second'));
  state().undo();
  state().select(selection);
  copySelection(services);
  return services;
}

/** A ready app in which a command is enabled. */
function appFor(id: string): AppServices {
  const app = [readyApp(), readyApp(['tessera-a'])].find((candidate) => registry.isEnabled(id, candidate));
  if (!app) throw new Error(`no test state enables ${id}`);
  return app;
}

function press(init: KeyboardEventInit): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { bubbles: true, ...init });
  Object.defineProperty(event, 'target', { value: document.body });
  return event;
}

describe('the command registry', () => {
  it('gives no two commands one shortcut on any platform', () => {
    for (const platform of PLATFORMS) {
      const owners = new Map<string, string>();
      for (const command of registry.all()) {
        for (const binding of registry.bindingsOf(command, platform)) {
          expect(owners.get(binding.key), `${binding.key} on ${JSON.stringify(platform)}`).toBeUndefined();
          owners.set(binding.key, command.id);
        }
      }
      expect(owners.size).toBeGreaterThan(30);
    }
  });

  it('refuses a command whose key another command already has, or a second command with an id', () => {
    const own = new CommandRegistry();
    own.register({ id: 'a.one', label: 'One', keys: ['mod+k'], run: () => undefined });
    expect(() => own.register({ id: 'a.two', label: 'Two', keys: ['MOD+K'], run: () => undefined })).toThrow(
      /a.two and a.one both want mod\+k/,
    );
    expect(() => own.register({ id: 'a.one', label: 'Again', run: () => undefined })).toThrow(/twice/);
    expect(() => normalizeKey('hyper+k')).toThrow(/not a key/);
  });

  it.each(PLATFORMS)('runs the command of every shortcut the help shows (%o)', (platform) => {
    const rows = helpSections(readyApp(), platform).flatMap((section) => section.rows);
    expect(rows.length).toBeGreaterThan(15);
    for (const row of rows) {
      for (const key of row.keys) {
        const app = appFor(row.id);
        const ran: string[] = [];
        const stop = registry.observe((id) => ran.push(id));
        try {
          const event = press(eventOfKey(key.key, platform.keyboard));
          expect(keyOfEvent(event, platform.keyboard)).toBe(key.key);
          expect(handleShortcut(app, event, platform), `${key.text} for ${row.id}`).toBe(true);
          expect(ran, `${key.text} for ${row.id}`).toEqual([row.id]);
        } finally {
          stop();
        }
      }
    }
  });

  it('shows the keys people expect in the help', () => {
    const rows = helpSections(readyApp(), { keyboard: 'other', shell: 'browser' }).flatMap((s) => s.rows);
    const keysOf = (id: string) => rows.find((r) => r.id === id)?.keys.map((k) => k.text);
    expect(keysOf('edit.undo')).toEqual(['Ctrl+Z']);
    expect(keysOf('edit.redo')).toEqual(['Ctrl+Shift+Z', 'Ctrl+Y']);
    expect(keysOf('file.new')).toEqual(['Ctrl+N', 'Alt+N']);
    const apple = helpSections(readyApp(), { keyboard: 'apple', shell: 'desktop' }).flatMap((s) => s.rows);
    expect(apple.find((r) => r.id === 'edit.redo')?.keys.map((k) => k.text)).toEqual(['⌘⇧Z']);
  });

  it('gives the desktop menu the same keys and labels as the page', () => {
    for (const [name, shell] of Object.entries(SHELL_COMMANDS) as [
      MenuCommand,
      (typeof SHELL_COMMANDS)[MenuCommand],
    ][]) {
      const command = registry.get(shell.id);
      if (shell.keys.length === 0) {
        expect(COMMAND_ACCELERATORS[name], name).toBeUndefined();
        continue;
      }
      const first = registry.bindingsOf(command, { keyboard: 'other', shell: 'desktop' })[0]!;
      expect(acceleratorOf(first.key)).toBe(COMMAND_ACCELERATORS[name]);
    }
    expect(registry.labelOf('file.save-as', readyApp())).toBe('Save as…');
  });

  it('does nothing for a key whose command is disabled, so the browser keeps its own meaning', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const event = press(eventOfKey('mod+c', 'other'));
    expect(handleShortcut(services, event, { keyboard: 'other', shell: 'browser' })).toBe(false);
  });

  it('undoes the design from an inspector field, and nothing else runs from there', () => {
    const app = readyApp();
    const field = document.createElement('div');
    field.setAttribute('data-design-field', '');
    const input = document.createElement('input');
    field.append(input);
    document.body.append(field);
    const inField = (key: string) => {
      const event = new KeyboardEvent('keydown', { bubbles: true, ...eventOfKey(key, 'other') });
      Object.defineProperty(event, 'target', { value: input });
      return handleShortcut(app, event, { keyboard: 'other', shell: 'browser' });
    };
    expect(app.store.getState().design.name).toBe('first');
    expect(inField('mod+z')).toBe(true);
    expect(app.store.getState().design.name).toBe('Tessera HA');
    expect(inField('delete')).toBe(false);
    expect(inField('mod+a')).toBe(false);
    field.remove();
  });
});
