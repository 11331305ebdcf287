/**
 * An edit's layout is kept out of immer (renderer/state/layout-draft.ts): a drag of one card of a
 * 5,000-service design cost the main thread about 100 ms of immer copying and walking a layout of
 * 8,000 entries. What an edit produces must still be exactly what immer would have produced, down
 * to the order of the layout's keys (the saved file), and undo must bring back the very design.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isDraft, produce } from 'immer';
import type { Design } from '../../core/model';
import { syntheticDesign } from '../../bench/synthetic';
import { commitDrag } from '../../renderer/app/commands';
import type { AppServices } from '../../renderer/app/services';
import { computeGeometry, geometryOf } from '../../renderer/canvas/geometry';
import { arrangeDesign } from '../../renderer/layout/auto-layout';
import { produceDesign, snapshotOf } from '../../renderer/state/layout-draft';
import { createAppStore } from '../../renderer/state/store';

function laidOut(services: number): Design {
  const design = syntheticDesign({ services, seed: 3 });
  return produce({ ...design, layout: arrangeDesign(design, { aspect: 1.6 }) }, () => {});
}

type Step =
  | { kind: 'move' | 'resize' | 'unplace' | 'replace' | 'label'; item: number }
  | { kind: 'add' | 'read-then-write'; item: number };

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('move', 'resize', 'unplace', 'replace', 'label', 'add', 'read-then-write'),
  item: fc.nat(),
});

/** One edit made of steps, as the commands write them (core/edit, placement.ts). */
function recipe(steps: readonly Step[]): (draft: Design) => void {
  return (draft) => {
    for (const { kind, item } of steps) {
      const service = draft.services[item % draft.services.length]!;
      if (kind === 'move') {
        draft.layout ??= {};
        draft.layout[service.id] = { x: item, y: item * 2 };
      } else if (kind === 'resize') {
        draft.layout ??= {};
        draft.layout[service.id] = { ...draft.layout[service.id]!, width: 300 + item };
      } else if (kind === 'unplace') {
        if (draft.layout) delete draft.layout[service.id];
      } else if (kind === 'replace') {
        // Deleted and written again: the key goes last, as it does in a record.
        const position = draft.layout?.[service.id];
        if (draft.layout && position) {
          delete draft.layout[service.id];
          draft.layout[service.id] = position;
        }
      } else if (kind === 'label') service.label = `renamed ${item}`;
      else if (kind === 'add') {
        draft.layout ??= {};
        draft.layout[`new-${item}`] = { x: item, y: 0 };
      } else {
        const keys = Object.keys(draft.layout ?? {});
        const key = keys[item % Math.max(1, keys.length)];
        if (key !== undefined && key in draft.layout!) draft.layout![key] = { x: -item, y: -item };
      }
    }
  };
}

describe('an edit with the layout kept out of immer', () => {
  it('produces what immer produces, key order included, and shares every entry it did not write', () => {
    const placed = laidOut(40);
    const { layout: _, ...unplaced } = placed;
    fc.assert(
      fc.property(fc.boolean(), fc.array(step, { maxLength: 8 }), (withLayout, steps) => {
        const design = withLayout ? placed : (unplaced as Design);
        const expected = produce(design, recipe(steps));
        const { design: next, layoutChanges } = produceDesign(design, recipe(steps));
        expect(JSON.stringify(next)).toBe(JSON.stringify(expected));
        expect(Object.keys(next)).toEqual(Object.keys(expected));
        expect(next === design).toBe(expected === design);
        expect(Object.isFrozen(next)).toBe(true);
        if (next.layout) expect(Object.isFrozen(next.layout)).toBe(true);
        for (const [id, entry] of Object.entries(next.layout ?? {})) {
          expect(Object.isFrozen(entry)).toBe(true);
          if (!layoutChanges?.has(id)) expect(entry).toBe(design.layout?.[id]);
        }
        // Every other part the recipe did not touch is the design's own object.
        if (next.services === expected.services || expected.services === design.services)
          expect(next.services).toBe(design.services);
        // Nothing written: the very layout. (A design without one that the edit wrote into and
        // emptied again has an empty one, as immer leaves it: the comparison above holds that.)
        if ((layoutChanges?.size === 0 || layoutChanges === undefined) && design.layout)
          expect(next.layout).toBe(design.layout);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a design without a layout an empty one when the edit placed a card and unplaced it again', () => {
    const { layout: _, ...unplaced } = laidOut(10);
    const design = produce(unplaced as Design, () => {});
    const id = design.services[2]!.id;
    const recipe = (draft: Design) => {
      draft.layout ??= {};
      draft.layout[id] = { x: 1, y: 2 };
      delete draft.layout[id];
    };
    const { design: next } = produceDesign(design, recipe);
    expect(next).not.toBe(design);
    expect(next.layout).toEqual({});
    expect(JSON.stringify(next)).toBe(JSON.stringify(produce(design, recipe)));
    // Nothing written at all: no layout, the very design.
    expect(produceDesign(design, (draft) => void draft.layout).design).toBe(design);
  });

  it('hands the recipe a layout that is no immer draft, and a snapshot that stays as it was taken', () => {
    const design = laidOut(20);
    const id = design.services[3]!.id;
    let snapshot: Design | undefined;
    const { design: next } = produceDesign(design, (draft) => {
      expect(isDraft(draft.layout)).toBe(false);
      draft.layout![id] = { x: 1, y: 2 };
      snapshot = snapshotOf(draft);
      draft.layout![id] = { x: 3, y: 4 };
      delete draft.layout![design.services[4]!.id];
    });
    expect(snapshot!.layout![id]).toEqual({ x: 1, y: 2 });
    expect(design.services[4]!.id in snapshot!.layout!).toBe(true);
    expect(() => {
      snapshot!.layout![id] = { x: 0, y: 0 };
    }).toThrow(/cannot be changed/);
    expect(next.layout![id]).toEqual({ x: 3, y: 4 });
    expect(design.services[4]!.id in next.layout!).toBe(false);
    // The snapshot's geometry is the geometry of a design holding what the edit wrote so far.
    const written = produce(design, (draft) => {
      draft.layout![id] = { x: 1, y: 2 };
    });
    expect(computeGeometry(snapshot!).boxes.get(id)).toEqual(computeGeometry(written).boxes.get(id));
  });
});

describe('a committed drag of one card of 5,000 services', () => {
  it('writes only the moved entry (and what made room), and undo brings back the very design', () => {
    const store = createAppStore();
    store.getState().replaceDocument(laidOut(5000), { name: 'synthetic.topo.json' });
    const services = { store } as unknown as AppServices;
    const before = store.getState().design;
    const geometry = geometryOf(before);
    const service = before.services[2500]!;
    const box = geometry.boxes.get(service.id)!;
    commitDrag(services, [{ id: service.id, position: { x: box.x + 15, y: box.y + 10 } }]);
    const after = store.getState().design;
    expect(after).not.toBe(before);
    expect(after.services).toBe(before.services);
    expect(after.layout![service.id]).not.toBe(before.layout![service.id]);
    const rewritten = Object.keys(after.layout!).filter((id) => after.layout![id] !== before.layout![id]);
    expect(rewritten).toContain(service.id);
    // The card moved within its host; at most what it pushed aside moved with it.
    expect(rewritten.length).toBeLessThan(20);
    expect(Object.keys(after.layout!)).toEqual(Object.keys(before.layout!));
    store.getState().undo();
    expect(store.getState().design).toBe(before);
  });
});
