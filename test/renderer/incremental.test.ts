/**
 * A committed edit of a large design costs what it changed: the geometry is derived from the
 * previous revision's, and the projection keeps the node and edge objects of everything the edit
 * did not touch. Whatever the shortcut, the canvas must show exactly what a projection from
 * scratch shows: each property below compares the two over random edits.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { produce } from 'immer';
import type { Design } from '../../core/model';
import { syntheticDesign } from '../../bench/synthetic';
import { CanvasProjection } from '../../renderer/canvas/derive';
import { computeGeometry, geometryOf } from '../../renderer/canvas/geometry';
import type { Geometry } from '../../renderer/canvas/geometry';
import { readingOrder } from '../../renderer/canvas/legibility';
import { arrangeDesign } from '../../renderer/layout/auto-layout';
import { freshLinkIds } from '../../renderer/state/edge-ids';
import { example } from './fixtures';

/** A laid-out design (120 services by default), frozen as the store's designs are. */
function laidOut(design: Design = syntheticDesign({ services: 120, seed: 7 })): Design {
  return produce({ ...design, layout: arrangeDesign(design, { aspect: 1.6 }) }, () => {});
}

/** One edit as the canvas makes them: a move (drag, nudge, align) or a container's stored size. */
type Edit =
  | { kind: 'move'; item: number; dx: number; dy: number }
  | { kind: 'size'; item: number; grow: number }
  | { kind: 'label'; item: number }
  | { kind: 'field'; item: number; what: 'port' | 'host label' | 'group label' };

const editArbitrary: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant('move' as const),
    item: fc.nat(),
    dx: fc.integer({ min: -400, max: 400 }),
    dy: fc.integer({ min: -400, max: 400 }),
  }),
  fc.record({ kind: fc.constant('size' as const), item: fc.nat(), grow: fc.integer({ min: 0, max: 600 }) }),
  fc.record({ kind: fc.constant('label' as const), item: fc.nat() }),
  fc.record({
    kind: fc.constant('field' as const),
    item: fc.nat(),
    what: fc.constantFrom('port' as const, 'host label' as const, 'group label' as const),
  }),
);

function apply(design: Design, geometry: Geometry, edits: readonly Edit[]): Design {
  return produce(design, (draft) => {
    for (const edit of edits) {
      if (edit.kind === 'label') {
        // An inspector edit: a field of one item, no position.
        const service = draft.services[edit.item % draft.services.length]!;
        service.label = `renamed ${edit.item}`;
        continue;
      }
      if (edit.kind === 'field') {
        // Another inspector edit: a service's port (which a link's label may repeat), or the label
        // of a host or group (which the names of what it holds read).
        if (edit.what === 'port') {
          const service = draft.services[edit.item % draft.services.length]!;
          service.port = 1000 + (edit.item % 50000);
        } else if (edit.what === 'host label') {
          draft.hosts[edit.item % draft.hosts.length]!.label = `host ${edit.item}`;
        } else if (draft.groups && draft.groups.length > 0) {
          draft.groups[edit.item % draft.groups.length]!.label = `group ${edit.item}`;
        }
        continue;
      }
      const ids = geometry.order.filter(
        (id) => edit.kind === 'move' || /^(host|site)$/.test(geometry.boxes.get(id)!.kind),
      );
      const id = ids[edit.item % ids.length]!;
      const position = draft.layout![id]!;
      if (edit.kind === 'move')
        draft.layout![id] = { ...position, x: position.x + edit.dx, y: position.y + edit.dy };
      else {
        const box = geometry.boxes.get(id)!;
        draft.layout![id] = { ...position, width: box.width + edit.grow, height: box.height + edit.grow / 2 };
      }
    }
  });
}

function plain(geometry: Geometry): object {
  return { order: geometry.order, unplaced: geometry.unplaced, boxes: [...geometry.boxes.entries()].sort() };
}

describe('the geometry of an edited design', () => {
  it('derived from the previous revision equals the geometry computed from scratch', () => {
    const start = laidOut();
    const startGeometry = geometryOf(start);
    expect(startGeometry.unplaced).toBe(0);
    fc.assert(
      fc.property(
        fc.array(fc.array(editArbitrary, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
        (revisions) => {
          let design = start;
          let geometry = startGeometry;
          for (const edits of revisions) {
            const next = apply(design, geometry, edits);
            const derived = geometryOf(next);
            expect(plain(derived)).toEqual(plain(computeGeometry(next)));
            design = next;
            geometry = derived;
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the projection of an edited design', () => {
  // The Tealeaf example has a group framed where its members sit together.
  it.each([
    ['a synthetic design', () => laidOut()],
    ['the Tealeaf example', () => laidOut(example('tealeaf-resilient.topo.json'))],
  ])('of %s equals a projection from scratch, and keeps the objects of what did not change', (_, make) => {
    const start = make();
    expect(start.layout).toBeDefined();
    const linkIds = freshLinkIds(start.links);
    fc.assert(
      fc.property(
        fc.array(fc.array(editArbitrary, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (revisions, pick) => {
          const projection = new CanvasProjection();
          let design = start;
          let geometry = geometryOf(start);
          const selected = new Set([geometry.order[pick % geometry.order.length]!]);
          let nodes = projection.nodes(design, geometry, selected);
          let edges = projection.edges(design, selected, linkIds, geometry.collapse);
          for (const edits of revisions) {
            const next = apply(design, geometry, edits);
            const nextGeometry = geometryOf(next);
            const nextNodes = projection.nodes(next, nextGeometry, selected);
            const nextEdges = projection.edges(next, selected, linkIds, nextGeometry.collapse);
            const fresh = new CanvasProjection();
            expect(nextNodes).toEqual(fresh.nodes(next, computeGeometry(next), selected));
            expect(nextEdges).toEqual(fresh.edges(next, selected, linkIds, nextGeometry.collapse));
            // Each edge's accessible name, kept beside the edges, too.
            for (const edge of nextEdges)
              expect(projection.edgeNames.get(edge.id)).toBe(fresh.edgeNames.get(edge.id));
            expect(nextNodes.map((n) => n.id)).toEqual(
              readingOrder(computeGeometry(next)).concat(
                nextNodes.filter((n) => n.type === 'frame').map((n) => n.id),
              ),
            );
            // A node whose box did not change is the same object React Flow already has.
            const old = new Map(nodes.map((n) => [n.id, n]));
            const renamed = new Set(
              next.services.filter((s, i) => s !== design.services[i]).map((s) => s.id as string),
            );
            const othersSame = next.hosts === design.hosts && next.groups === design.groups;
            for (const node of nextNodes) {
              const box = nextGeometry.boxes.get(node.id);
              if (othersSame && box && box === geometry.boxes.get(node.id) && !renamed.has(node.id))
                expect(node).toBe(old.get(node.id));
            }
            // Moves and labels change no edge: the same array, so React Flow rebuilds none of its
            // lookups (a link's name is kept beside it; a membership edge, shown for a selected
            // group, carries its own).
            if (
              othersSame &&
              edits.every((e) => e.kind !== 'field' || e.what !== 'port') &&
              edges.every((e) => e.data?.role !== 'member')
            )
              expect(nextEdges).toBe(edges);
            // An edit of services keeps every edge that touches none of them.
            if (othersSame) {
              const oldEdges = new Map(edges.map((e) => [e.id, e]));
              for (const edge of nextEdges)
                if (![edge.source, edge.target].some((end) => renamed.has(end)) && oldEdges.has(edge.id))
                  expect(edge).toBe(oldEdges.get(edge.id));
            }
            design = next;
            geometry = nextGeometry;
            nodes = nextNodes;
            edges = nextEdges;
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the canvas at scale', () => {
  it('derives the geometry of a moved node without recomputing every box', () => {
    const start = produce(laidOut(), () => {});
    const geometry = geometryOf(start);
    const service = start.services.find((s) => s.host !== undefined && geometry.boxes.has(s.id))!;
    const moved = produce(start, (draft) => {
      draft.layout![service.id]!.y += 4;
    });
    const next = geometryOf(moved);
    const touched = [...next.boxes].filter(([id, box]) => box !== geometry.boxes.get(id)).map(([id]) => id);
    expect(touched).toEqual([service.id]);
    expect(next.boxes.get(service.id)!.absoluteY).toBe(geometry.boxes.get(service.id)!.absoluteY + 4);
  });

  it('at 5,000 services, a move of one card replaces only the nodes whose boxes changed, in the same order', () => {
    const start = laidOut(syntheticDesign({ services: 5000, seed: 7 }));
    const geometry = geometryOf(start);
    const selected = new Set<string>();
    const projection = new CanvasProjection();
    const nodes = projection.nodes(start, geometry, selected);
    const focus = projection.focusOrder(nodes);
    const service = start.services[2500]!;
    const moved = produce(start, (draft) => {
      draft.layout![service.id]!.x += 2;
    });
    const nextGeometry = geometryOf(moved);
    // The same order array: nothing that reads it (the nodes' order, Tab's) is built again.
    expect(readingOrder(nextGeometry)).toBe(readingOrder(geometry));
    const nextNodes = projection.nodes(moved, nextGeometry, selected);
    const replaced = nextNodes.flatMap((node, index) => (node === nodes[index] ? [] : [node.id]));
    // The card, and its host if the host grew to hold it: the boxes that changed, no other node.
    const changed = [...nextGeometry.boxes].filter(([id, box]) => box !== geometry.boxes.get(id));
    expect(replaced.sort()).toEqual(changed.map(([id]) => id).sort());
    expect(replaced).toContain(service.id);
    expect(replaced.length).toBeLessThanOrEqual(3);
    expect(nextNodes.find((node) => node.id === service.id)!.position.x).toBe(
      nodes.find((node) => node.id === service.id)!.position.x + 2,
    );
    expect(projection.focusOrder(nextNodes).order).toBe(focus.order);
    expect(nextNodes).toEqual(new CanvasProjection().nodes(moved, computeGeometry(moved), selected));
  });
});

describe('the projection of a changed selection', () => {
  it('equals a projection from scratch, with pools collapsed and links re-routed to them', () => {
    const design = produce(laidOut(), (draft) => {
      for (const group of draft.groups ?? [])
        if (group.kind === 'pool') draft.layout![group.id] = { ...draft.layout![group.id]!, collapsed: true };
    });
    const geometry = geometryOf(design);
    expect(geometry.collapse.pools.size).toBeGreaterThan(0);
    const linkIds = freshLinkIds(design.links);
    const projection = new CanvasProjection();
    const all = new CanvasProjection().edges(design, new Set(), linkIds, geometry.collapse);
    const choices = [...geometry.order, ...all.map((edge) => edge.id)];
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.nat(choices.length - 1), { maxLength: 6 }), { maxLength: 5 }),
        (picks) => {
          for (const pick of picks) {
            const selected = new Set(pick.map((i) => choices[i]!));
            const fresh = new CanvasProjection();
            expect(projection.nodes(design, geometry, selected)).toEqual(
              fresh.nodes(design, geometry, selected),
            );
            expect(projection.edges(design, selected, linkIds, geometry.collapse)).toEqual(
              fresh.edges(design, selected, linkIds, geometry.collapse),
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
