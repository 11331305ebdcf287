import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyDesign } from '../../core/edit/ids';
import type { Design } from '../../core/model';
import {
  addItem,
  commitDrag,
  copySelection,
  dropItem,
  duplicateSelection,
  groupSelection,
  openText,
  paste,
} from '../../renderer/app/commands';
import type { PaletteItem } from '../../renderer/app/commands';
import type { AppServices } from '../../renderer/app/services';
import { computeGeometry } from '../../renderer/canvas/geometry';
import type { Geometry } from '../../renderer/canvas/geometry';
import { dropTargetOf, freeSpot, overlaps } from '../../renderer/canvas/placement';
import { exampleText, testApp } from './fixtures';

/** Every pair of items that share a container (or the canvas) and overlap. */
function overlapsOf(geometry: Geometry): string[] {
  const byParent = new Map<string | undefined, string[]>();
  for (const id of geometry.order) {
    const parent = geometry.boxes.get(id)!.parent;
    byParent.set(parent, [...(byParent.get(parent) ?? []), id]);
  }
  const found: string[] = [];
  for (const ids of byParent.values()) {
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++)
        if (overlaps(geometry.boxes.get(ids[i]!)!, geometry.boxes.get(ids[j]!)!))
          found.push(`${ids[i]} × ${ids[j]}`);
  }
  return found;
}

/** Every item sits inside its container's box. */
function escapesOf(geometry: Geometry): string[] {
  const found: string[] = [];
  for (const box of geometry.boxes.values()) {
    if (box.parent === undefined) continue;
    const parent = geometry.boxes.get(box.parent)!;
    if (box.x < 0 || box.y < 0 || box.x + box.width > parent.width || box.y + box.height > parent.height)
      found.push(`${box.id} out of ${parent.id}`);
  }
  return found;
}

const design = (app: AppServices): Design => app.store.getState().design;
const geometryOf = (app: AppServices) => computeGeometry(design(app));
const boxOf = (app: AppServices, id: string) => geometryOf(app).boxes.get(id)!;
const centreOf = (app: AppServices, id: string) => {
  const box = boxOf(app, id);
  return { x: box.absoluteX + box.width / 2, y: box.absoluteY + box.height / 2 };
};

async function opened(file: string): Promise<AppServices> {
  const { services } = testApp();
  await openText(services, file, exampleText(file));
  return services;
}

describe('free space', () => {
  it('takes the wanted place when it is free, else the nearest free one', () => {
    const occupied = [{ x: 0, y: 0, width: 100, height: 50 }];
    const size = { width: 100, height: 50 };
    expect(freeSpot(occupied, size, { x: 300, y: 0 }, { gap: 10 })).toEqual({ x: 300, y: 0 });
    const spot = freeSpot(occupied, size, { x: 20, y: 10 }, { gap: 10 });
    expect(overlaps({ ...spot, ...size }, occupied[0]!, 10)).toBe(false);
    expect(spot).toEqual({ x: 20, y: 60 });
  });

  it('prefers a place inside the container as it is, so that it grows only when full', () => {
    const occupied = [{ x: 10, y: 40, width: 100, height: 50 }];
    const bounds = { x: 10, y: 40, width: 210, height: 50 };
    const spot = freeSpot(
      occupied,
      { width: 100, height: 50 },
      { x: 10, y: 40 },
      { gap: 8, min: { x: 10, y: 40 }, bounds },
    );
    expect(spot).toEqual({ x: 118, y: 40 });
  });
});

describe('adding puts nothing on anything', () => {
  it('stacks three services dropped on one spot of a host side by side in it, and the host grows', () => {
    const { services } = testApp(emptyDesign());
    dropItem(services, { type: 'service', kind: 'app' }, { x: 300, y: 200 });
    const host = design(services).hosts[0]!.id;
    const before = boxOf(services, host);
    for (let n = 0; n < 3; n++)
      dropItem(services, { type: 'service', kind: 'redis' }, centreOf(services, 'app-1'));
    expect(design(services).hosts).toHaveLength(1);
    expect(design(services).services.every((s) => s.host === host)).toBe(true);
    const geometry = geometryOf(services);
    expect(overlapsOf(geometry)).toEqual([]);
    expect(escapesOf(geometry)).toEqual([]);
    expect(geometry.boxes.get(host)!.height).toBeGreaterThan(before.height);
  });

  it('gives three palette clicks on empty canvas three hosts side by side, not one on the other', () => {
    const { services } = testApp(emptyDesign());
    for (let n = 0; n < 3; n++) addItem(services, { type: 'service', kind: 'app' });
    expect(design(services).hosts).toHaveLength(3);
    expect(overlapsOf(geometryOf(services))).toEqual([]);
    // With a host selected, a click adds to it.
    services.store.getState().select(['host-2']);
    addItem(services, { type: 'service', kind: 'redis' });
    expect(design(services).services.find((s) => s.id === 'redis-1')?.host).toBe('host-2');
    expect(overlapsOf(geometryOf(services))).toEqual([]);
  });

  it('puts a new replica set beside what is there, and the next drop does not land inside it', async () => {
    const services = await opened('teramind-ha.topo.json');
    const point = centreOf(services, 'tm-1');
    const group = dropItem(services, { type: 'group', kind: 'mongodb-replica-set' }, point)!;
    expect(overlapsOf(geometryOf(services))).toEqual([]);
    const site = dropItem(services, { type: 'site' }, centreOf(services, group))!;
    expect(overlapsOf(geometryOf(services))).toEqual([]);
    expect(design(services).sites?.map((s) => s.id)).toContain(site);
  });

  it('pastes a service onto its own host; the host grows and pushes its neighbours, and its site pushes the next site', async () => {
    const services = await opened('expertflow-two-sites.topo.json');
    const host = design(services).services.find((s) => s.id === 'chat-a')!.host!;
    const siteOf = (id: string) => design(services).hosts.find((h) => h.id === id)!.site;
    services.store.getState().select(['chat-a']);
    copySelection(services);
    const hosts = design(services).hosts.length;
    for (let n = 0; n < 4; n++) paste(services);
    const copies = design(services).services.filter((s) => s.kind === 'app' && s.host === host);
    expect(copies.length).toBeGreaterThanOrEqual(5);
    expect(design(services).hosts).toHaveLength(hosts);
    expect(siteOf(host)).toBe('site-a');
    const geometry = geometryOf(services);
    expect(overlapsOf(geometry)).toEqual([]);
    expect(escapesOf(geometry)).toEqual([]);
  });

  it('duplicates a host in its site, beside it, with nothing overlapping', async () => {
    const services = await opened('tealeaf-resilient.topo.json');
    services.store.getState().select(['hbr-1']);
    duplicateSelection(services);
    const copy = services.store.getState().selection[0]!;
    expect(design(services).hosts.find((h) => h.id === copy)?.site).toBe(
      design(services).hosts.find((h) => h.id === 'hbr-1')?.site,
    );
    expect(overlapsOf(geometryOf(services))).toEqual([]);
    expect(escapesOf(geometryOf(services))).toEqual([]);
  });

  it('puts a new group beside its members, on free canvas', async () => {
    const services = await opened('teramind-ha.topo.json');
    services.store.getState().select(['node-1', 'node-2', 'node-3']);
    groupSelection(services, 'pool');
    expect(overlapsOf(geometryOf(services))).toEqual([]);
  });

  it('keeps every way of adding, anywhere on every example, free of overlaps', async () => {
    const files = ['tessera-ha.topo.json', 'expertflow-two-sites.topo.json', 'helix-teamhub.topo.json'];
    const items: PaletteItem[] = [
      { type: 'service', kind: 'app' },
      { type: 'service', kind: 'mongodb' },
      { type: 'host' },
      { type: 'site' },
      { type: 'group', kind: 'pool' },
    ];
    for (const file of files) {
      const services = await opened(file);
      const start = services.store.getState().design;
      const geometry = geometryOf(services);
      let right = 0;
      let bottom = 0;
      for (const box of geometry.boxes.values()) {
        right = Math.max(right, box.absoluteX + box.width);
        bottom = Math.max(bottom, box.absoluteY + box.height);
      }
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              item: fc.constantFrom(...items),
              x: fc.integer({ min: -200, max: Math.round(right) + 200 }),
              y: fc.integer({ min: -200, max: Math.round(bottom) + 200 }),
            }),
            { minLength: 1, maxLength: 6 },
          ),
          (drops) => {
            services.store.getState().replaceDocument(start, { name: file });
            for (const drop of drops) dropItem(services, drop.item, { x: drop.x, y: drop.y });
            const after = geometryOf(services);
            expect(overlapsOf(after)).toEqual([]);
            expect(escapesOf(after)).toEqual([]);
          },
        ),
        { numRuns: 25, seed: 18 },
      );
    }
  });
});

describe('dragging decides by the pointer', () => {
  it('moves a service into the host under the pointer, even when its centre is elsewhere', async () => {
    const services = await opened('tessera-ha.topo.json');
    const from = boxOf(services, 'lb-a');
    const target = boxOf(services, 'tessera-1');
    // The node's box barely moves (its centre stays on lb-1), but the pointer is on tessera-1.
    const pointer = { x: target.absoluteX + 20, y: target.absoluteY + 10 };
    expect(dropTargetOf(geometryOf(services), ['lb-a'], pointer)).toEqual({ kind: 'host', id: 'tessera-1' });
    commitDrag(services, [{ id: 'lb-a', position: { x: from.x + 5, y: from.y } }], pointer);
    expect(design(services).services.find((s) => s.id === 'lb-a')?.host).toBe('tessera-1');
    expect(overlapsOf(geometryOf(services))).toEqual([]);
    expect(escapesOf(geometryOf(services))).toEqual([]);
    expect(services.store.getState().past.at(-1)?.label).toBe('Move lb-a');
  });

  it('gives a service dropped beside every host a new host there, and selects it', async () => {
    const services = await opened('tessera-ha.topo.json');
    const box = boxOf(services, 'tessera-a');
    const geometry = geometryOf(services);
    let right = 0;
    for (const b of geometry.boxes.values()) right = Math.max(right, b.absoluteX + b.width);
    const pointer = { x: right + 300, y: box.absoluteY };
    commitDrag(
      services,
      [{ id: 'tessera-a', position: { x: right + 300 - boxOf(services, 'tessera-1').absoluteX, y: box.y } }],
      pointer,
    );
    const host = design(services).services.find((s) => s.id === 'tessera-a')!.host!;
    expect(host).toMatch(/^host-/);
    expect(services.store.getState().selection).toEqual([host]);
    expect(overlapsOf(geometryOf(services))).toEqual([]);
  });

  it('never drops a host into itself or a service into its own dragged host', async () => {
    const services = await opened('expertflow-two-sites.topo.json');
    const geometry = geometryOf(services);
    const host = geometry.boxes.get('ef-a')!;
    const inside = { x: host.absoluteX + 20, y: host.absoluteY + 60 };
    expect(dropTargetOf(geometry, ['ef-a'], inside)).toEqual({ kind: 'site', id: host.parent });
    expect(dropTargetOf(geometry, ['site-a'], inside)).toBeUndefined();
  });
});
