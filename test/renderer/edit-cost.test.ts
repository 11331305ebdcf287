/**
 * An inspector edit of one item costs that item, not the design: the store takes a label without
 * the whole-design check (yet refuses one no file could hold), and the canvas names again only the
 * nodes and edges the edit touched. The counts below are of the real checker and namer, wrapped.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { produce } from 'immer';
import type * as Load from '../../core/load';
import type * as Names from '../../renderer/canvas/names';
import type { Design } from '../../core/model';
import { syntheticDesign } from '../../bench/synthetic';
import { CanvasProjection } from '../../renderer/canvas/derive';
import { computeGeometry, geometryOf } from '../../renderer/canvas/geometry';
import { arrangeDesign } from '../../renderer/layout/auto-layout';
import { freshLinkIds } from '../../renderer/state/edge-ids';
import { createAppStore } from '../../renderer/state/store';

const calls = vi.hoisted(() => ({ check: 0, item: 0, edge: 0 }));

vi.mock('../../core/load', async (importOriginal) => {
  const real = await importOriginal<typeof Load>();
  return {
    ...real,
    checkDesign: (...args: Parameters<typeof real.checkDesign>) => {
      calls.check++;
      return real.checkDesign(...args);
    },
  };
});

vi.mock('../../renderer/canvas/names', async (importOriginal) => {
  const real = await importOriginal<typeof Names>();
  const counted = (names: Names.Namer): Names.Namer => ({
    item: (id) => {
      calls.item++;
      return names.item(id);
    },
    edge: (from, to, what) => {
      calls.edge++;
      return names.edge(from, to, what);
    },
  });
  return {
    ...real,
    namer: (design: Design) => counted(real.namer(design)),
    namerOf: (index: Names.NameIndex) => counted(real.namerOf(index)),
  };
});

beforeEach(() => {
  calls.check = 0;
  calls.item = 0;
  calls.edge = 0;
});

function laidOut(): Design {
  const design = syntheticDesign({ services: 300, seed: 3 });
  return produce({ ...design, layout: arrangeDesign(design, { aspect: 1.6 }) }, () => {});
}

describe('a label edit in the store', () => {
  it('commits without the whole-design check, and undo brings the old label back', () => {
    const store = createAppStore();
    store.getState().replaceDocument(laidOut(), { name: 'synthetic.topo.json' });
    const before = store.getState().design;
    const target = before.services[5]!;
    calls.check = 0;
    const outcome = store.getState().editDesign(`Rename ${target.id}`, (draft) => {
      draft.services[5]!.label = 'Checkout API';
    });
    expect(outcome).toEqual({ ok: true, changed: true });
    expect(calls.check).toBe(0);
    expect(store.getState().design.services[5]!.label).toBe('Checkout API');
    // The links did not change, so neither did their identities: the canvas keeps every edge.
    expect(store.getState().linkIds).toBe(store.getState().past[0]!.linkIds);
    // Removing a label is taken the same way: it is optional.
    store.getState().editDesign('Clear label', (draft) => {
      delete draft.hosts[0]!.label;
    });
    expect(calls.check).toBe(0);
    expect(store.getState().design.hosts[0]!.label).toBeUndefined();
    store.getState().undo();
    store.getState().undo();
    expect(store.getState().design).toBe(before);
  });

  it('refuses a label no file could hold, with the schema problem, and keeps the design', () => {
    const store = createAppStore();
    store.getState().replaceDocument(laidOut(), { name: 'synthetic.topo.json' });
    const before = store.getState().design;
    for (const label of ['', 'two\nlines', 'x'.repeat(201)]) {
      const outcome = store.getState().editDesign('Rename', (draft) => {
        draft.services[0]!.label = label;
      });
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.problems[0]!.path).toBe('services[0].label');
    }
    expect(store.getState().design).toBe(before);
    // 200 characters, counted as the schema counts them (astral characters are one each).
    const long = store.getState().editDesign('Rename', (draft) => {
      draft.services[0]!.label = '🚀'.repeat(200);
    });
    expect(long).toEqual({ ok: true, changed: true });
  });

  it('checks the whole design when anything besides a label changed', () => {
    const store = createAppStore();
    store.getState().replaceDocument(laidOut(), { name: 'synthetic.topo.json' });
    calls.check = 0;
    const outcome = store.getState().editDesign('Rename and readdress', (draft) => {
      draft.hosts[0]!.label = 'renamed';
      draft.hosts[0]!.address = draft.hosts[1]!.address;
    });
    expect(outcome.ok).toBe(false);
    expect(calls.check).toBe(1);
  });
});

describe('the projection after an edit of one service', () => {
  it('names only that service and the edges at its ends, and keeps every other object', () => {
    const design = laidOut();
    const geometry = geometryOf(design);
    const linkIds = freshLinkIds(design.links);
    const projection = new CanvasProjection();
    const selected = new Set<string>();
    const nodes = projection.nodes(design, geometry, selected);
    const edges = projection.edges(design, selected, linkIds, geometry.collapse);
    const index = design.services.findIndex(
      (s) => design.links?.some((l) => l.from === s.id) && design.links.some((l) => l.to === s.id),
    );
    const edited = design.services[index]!;
    const ends = (design.links ?? []).filter((l) => l.from === edited.id || l.to === edited.id).length;
    const next = produce(design, (draft) => {
      draft.services[index]!.label = 'Checkout API';
    });
    const nextGeometry = geometryOf(next);
    expect(nextGeometry).toBe(geometry);
    calls.item = 0;
    calls.edge = 0;
    const nextNodes = projection.nodes(next, nextGeometry, selected);
    const nextEdges = projection.edges(next, selected, linkIds, nextGeometry.collapse);
    expect(calls.item).toBe(1);
    expect(calls.edge).toBe(ends);
    const oldNodes = new Map(nodes.map((n) => [n.id, n]));
    for (const node of nextNodes)
      if (node.id === edited.id) expect(node.ariaLabel).toMatch(/^Checkout API, /);
      else expect(node).toBe(oldNodes.get(node.id));
    // The edges are the very array React Flow has: their names changed beside them.
    expect(nextEdges).toBe(edges);
    const touching = nextEdges.filter((e) => e.source === edited.id || e.target === edited.id);
    expect(touching).toHaveLength(ends);
    for (const edge of touching) expect(projection.edgeNames.get(edge.id)).toContain('Checkout API');
    const fresh = new CanvasProjection();
    expect(nextNodes).toEqual(fresh.nodes(next, computeGeometry(next), selected));
    expect(nextEdges).toEqual(fresh.edges(next, selected, linkIds, nextGeometry.collapse));
    for (const edge of nextEdges)
      expect(projection.edgeNames.get(edge.id)).toBe(fresh.edgeNames.get(edge.id));
  });
});
