import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import type { Design, Link, ServiceId } from '../../core/model';
import { carryLinkIds, edgeIdOf, freshLinkIds, isEdgeId, parseEdgeId } from '../../renderer/state/edge-ids';
import type { EdgeRef, LinkId } from '../../renderer/state/edge-ids';
import { createAppStore } from '../../renderer/state/store';
import { example } from './fixtures';

describe('the edge id codec', () => {
  it('turns every kind of edge into an id and back', () => {
    const refs: EdgeRef[] = [
      { role: 'link', link: 'l7' as LinkId },
      { role: 'member', service: 'mongo-1' },
      { role: 'target', entrypoint: 'portal', target: 'rep-a' },
    ];
    for (const ref of refs) expect(parseEdgeId(edgeIdOf(ref))).toEqual(ref);
    expect(edgeIdOf(refs[2]!)).toBe('target:portal:rep-a');
  });

  it('tells edge ids from item ids, which never contain a colon', () => {
    expect(isEdgeId('link:l1')).toBe(true);
    expect(isEdgeId('lb-1')).toBe(false);
    expect(parseEdgeId('link:')).toBeUndefined();
    expect(parseEdgeId('target:portal')).toBeUndefined();
    expect(parseEdgeId('other:thing')).toBeUndefined();
  });
});

const link = (from: string, to: string, port?: number): Link =>
  port === undefined
    ? { from: from as ServiceId, to: to as ServiceId }
    : { from: from as ServiceId, to: to as ServiceId, port };

describe('link identities across edits', () => {
  const before = [link('a', 'b'), link('a', 'c'), link('b', 'c')];
  const ids = freshLinkIds(before);

  it('keeps the identity of a link that moved because an earlier one was deleted', () => {
    const after = [before[1]!, before[2]!];
    expect(carryLinkIds(before, ids, after)).toEqual([ids[1], ids[2]]);
  });

  it('keeps the identity of a link edited in place, and gives a new link a new one', () => {
    const after = [before[0]!, { ...before[1]!, port: 8080 }, before[2]!, link('c', 'a')];
    const carried = carryLinkIds(before, ids, after);
    expect(carried.slice(0, 3)).toEqual(ids);
    expect(ids).not.toContain(carried[3]);
  });

  it('never gives two links one identity', () => {
    const after = [before[0]!, before[0]!, link('x', 'y')];
    const carried = carryLinkIds(before, ids, after);
    expect(new Set(carried).size).toBe(3);
    expect(carried[0]).toBe(ids[0]);
  });

  it('follows immer: a rename touches several links, each keeps its identity', () => {
    const design = example('tessera-ha.topo.json');
    const linkIds = freshLinkIds(design.links);
    const renamed: Design = produce(design, (draft) => {
      for (const l of draft.links ?? []) if (l.from === 'lb-a') l.from = 'balancer' as ServiceId;
      draft.links!.splice(13, 1);
    });
    const carried = carryLinkIds(design.links, linkIds, renamed.links);
    expect(carried).toEqual(linkIds.slice(0, 13));
  });

  it('brings back the identities a link had when undo and redo bring it back', () => {
    const store = createAppStore();
    store.getState().replaceDocument(example('tessera-ha.topo.json'), { name: 't.topo.json' });
    const original = store.getState().linkIds;
    store.getState().editDesign('Delete a link', (draft) => void draft.links!.splice(0, 1));
    expect(store.getState().linkIds).toEqual(original.slice(1));
    store.getState().undo();
    expect(store.getState().linkIds).toEqual(original);
    store.getState().redo();
    expect(store.getState().linkIds).toEqual(original.slice(1));
  });
});
