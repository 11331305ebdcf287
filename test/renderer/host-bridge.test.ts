// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { DocumentState, HostCommand, RecoveryCopy } from '../../core/host';
import { connectHost } from '../../renderer/app/host-bridge';
import { handleShortcut } from '../../renderer/chrome/shortcuts';
import { example, exampleText, testApp } from './fixtures';

describe('the desktop shell bridge', () => {
  it('runs menu commands, opens files it is sent, reports the document and writes recovery copies', async () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    let send: (command: HostCommand) => void = () => {};
    const reports: DocumentState[] = [];
    const copies: RecoveryCopy[] = [];
    services.host = {
      ...services.host,
      platform: 'desktop',
      onCommand: (listener) => {
        send = listener;
        return () => {};
      },
      reportDocumentState: async (state) => void reports.push(state),
      writeRecoveryCopy: async (copy) => void copies.push(copy),
    };
    connectHost(services);
    expect(reports.at(-1)).toEqual({ fileName: 'test.topo.json', dirty: false });

    services.store.getState().editDesign('Rename', (draft) => {
      draft.name = 'Tessera, edited';
    });
    expect(reports.at(-1)).toEqual({ fileName: 'test.topo.json', dirty: true });
    send({ type: 'undo' });
    expect(services.store.getState().design.name).toBe('Tessera HA');
    send({ type: 'redo' });
    send({ type: 'write-recovery-copy' });
    expect(JSON.parse(copies[0]!.text).name).toBe('Tessera, edited');

    send({
      type: 'open-design',
      design: {
        fileName: 'teramind-ha.topo.json',
        text: exampleText('teramind-ha.topo.json'),
        location: '/designs/teramind-ha.topo.json',
      },
      recovered: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const state = services.store.getState();
    expect(state.design.name).toBe('Teramind HA (5 nodes)');
    expect(state.file).toEqual({ name: 'teramind-ha.topo.json', location: '/designs/teramind-ha.topo.json' });
    // A recovered copy is unsaved work.
    expect(state.dirty).toBe(true);
  });
});

describe('keyboard shortcuts', () => {
  const press = (key: string, options: KeyboardEventInit = {}, target: EventTarget = document.body) => {
    const event = new KeyboardEvent('keydown', { key, bubbles: true, ...options });
    Object.defineProperty(event, 'target', { value: target });
    return event;
  };

  it('undo, delete, duplicate and what-if work from the keyboard, but not while typing in a field', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const state = () => services.store.getState();
    state().select(['tessera-2']);
    expect(handleShortcut(services, press('Delete'))).toBe(true);
    expect(state().design.hosts.map((h) => h.id)).not.toContain('tessera-2');
    expect(handleShortcut(services, press('z', { ctrlKey: true }))).toBe(true);
    expect(state().design.hosts.map((h) => h.id)).toContain('tessera-2');
    state().select(['tessera-2']);
    expect(handleShortcut(services, press('d', { ctrlKey: true }))).toBe(true);
    expect(state().design.hosts).toHaveLength(5);
    expect(handleShortcut(services, press('w'))).toBe(true);
    expect(state().whatIf).toBe(true);
    const input = document.createElement('input');
    document.body.append(input);
    expect(handleShortcut(services, press('Delete', {}, input))).toBe(false);
    expect(handleShortcut(services, press('w', {}, input))).toBe(false);
  });
});
