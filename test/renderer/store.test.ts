import { describe, expect, it } from 'vitest';
import { addService } from '../../core/edit/add';
import type { HostId } from '../../core/model';
import { createAppStore } from '../../renderer/state/store';
import { HISTORY_LIMIT } from '../../renderer/state/document-slice';
import { example } from './fixtures';

describe('the document store', () => {
  it('commits an edit as one undoable step and redoes it', () => {
    const store = createAppStore();
    store.getState().replaceDocument(example('tessera-ha.topo.json'), { name: 'tessera-ha.topo.json' });
    const before = store.getState().design;
    const outcome = store.getState().editDesign('Set lb-1 address', (draft) => {
      draft.hosts[0]!.address = '10.40.0.99';
    });
    expect(outcome).toEqual({ ok: true, changed: true });
    expect(store.getState().design.hosts[0]!.address).toBe('10.40.0.99');
    expect(store.getState().dirty).toBe(true);
    expect(store.getState().past.map((e) => e.label)).toEqual(['Set lb-1 address']);
    // Items the edit did not touch keep their identity: the canvas re-renders only what changed.
    expect(store.getState().design.services).toBe(before.services);

    store.getState().undo();
    expect(store.getState().design).toBe(before);
    expect(store.getState().future.map((e) => e.label)).toEqual(['Set lb-1 address']);
    store.getState().redo();
    expect(store.getState().design.hosts[0]!.address).toBe('10.40.0.99');
  });

  it('takes a move without the whole-design check, yet refuses a position no file could hold', () => {
    const store = createAppStore();
    store.getState().replaceDocument(example('tessera-ha.topo.json'), { name: 'tessera-ha.topo.json' });
    const moved = store.getState().editDesign('Move lb-a', (draft) => {
      draft.layout = { ...draft.layout, 'lb-a': { x: 12, y: 40 } };
    });
    expect(moved).toEqual({ ok: true, changed: true });
    expect(store.getState().design.layout?.['lb-a']).toEqual({ x: 12, y: 40 });
    const before = store.getState().design;
    for (const entry of [
      { x: Number.NaN, y: 0 },
      { x: 2e7, y: 0 },
      { x: 0, y: 0, colour: 'red' },
    ]) {
      const outcome = store.getState().editDesign('Move lb-a', (draft) => {
        draft.layout = { ...draft.layout, 'lb-a': entry as { x: number; y: number } };
      });
      expect(outcome.ok).toBe(false);
    }
    const badKey = store.getState().editDesign('Move', (draft) => {
      draft.layout = { ...draft.layout, 'Not An Id': { x: 0, y: 0 } };
    });
    expect(badKey.ok).toBe(false);
    expect(store.getState().design).toBe(before);
  });

  it('refuses an edit that would not load, with the loader problems, and keeps the design', () => {
    const store = createAppStore();
    store.getState().replaceDocument(example('tessera-ha.topo.json'), { name: 'tessera-ha.topo.json' });
    const before = store.getState();
    const outcome = store.getState().editDesign('Set lb-1 address', (draft) => {
      draft.hosts[0]!.address = '10.40.0.300';
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "hosts[0].address: '10.40.0.300' is not an IPv4 or IPv6 address or a DNS name",
    ]);
    expect(store.getState().design).toBe(before.design);
    expect(store.getState().revision).toBe(before.revision);
    expect(store.getState().past).toEqual([]);
    // A duplicate address is a load problem too, not a finding.
    const duplicate = store.getState().editDesign('Set lb-2 address', (draft) => {
      draft.hosts[1]!.address = draft.hosts[0]!.address;
    });
    expect(duplicate.ok).toBe(false);
  });

  it('does not record an edit that changes nothing', () => {
    const store = createAppStore();
    const outcome = store.getState().editDesign('Nothing', () => {});
    expect(outcome).toEqual({ ok: true, changed: false });
    expect(store.getState().past).toEqual([]);
  });

  it('keeps a bounded history and drops the redo branch on a new edit', () => {
    const store = createAppStore();
    store.getState().editDesign('Add host', (draft) => {
      draft.hosts.push({ id: 'h' as HostId, address: '10.0.0.1' });
    });
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) {
      store
        .getState()
        .editDesign(`Add app ${i}`, (draft) => void addService(draft, 'app', { x: i, y: 0 }, 'h'));
    }
    expect(store.getState().past).toHaveLength(HISTORY_LIMIT);
    store.getState().undo();
    expect(store.getState().future).toHaveLength(1);
    store.getState().editDesign('Rename', (draft) => {
      draft.name = 'renamed';
    });
    expect(store.getState().future).toEqual([]);
  });

  it('drops selected ids that an undo removed', () => {
    const store = createAppStore();
    store.getState().editDesign('Add host', (draft) => {
      draft.hosts.push({ id: 'h' as HostId, address: '10.0.0.1' });
    });
    store.getState().select(['h']);
    store.getState().undo();
    expect(store.getState().selection).toEqual([]);
  });

  it('applies React Flow selection changes', () => {
    const store = createAppStore();
    store.getState().changeSelection([
      { id: 'a', selected: true },
      { id: 'b', selected: true },
    ]);
    store.getState().changeSelection([{ id: 'a', selected: false }]);
    expect(store.getState().selection).toEqual(['b']);
  });
});
