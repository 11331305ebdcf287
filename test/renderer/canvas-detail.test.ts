/**
 * The level of detail of a large design (renderer/canvas/detail.ts): zoomed far out React Flow
 * holds only the selection, every other item is drawn (its box, its what-if colour, its group's
 * mark, its worst finding), every link as a line, and the item under a pointer or inside a
 * selection box is found by its box.
 */
import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { syntheticDesign } from '../../bench/synthetic';
import { CanvasProjection } from '../../renderer/canvas/derive';
import { computeGeometry, derivationOf, geometryOf } from '../../renderer/canvas/geometry';
import { arrangeDesign } from '../../renderer/layout/auto-layout';
import { freshLinkIds } from '../../renderer/state/edge-ids';
import {
  absoluteBoxes,
  FAR_DESIGN_NODES,
  FAR_ZOOM,
  farPicture,
  isFar,
  itemAt,
  itemsInside,
} from '../../renderer/canvas/detail';
import type { FarDecorations } from '../../renderer/canvas/detail';
import { passingPaths } from '../../renderer/canvas/passing-edges';
import { CanvasWindow, serves, spanning, viewRect, windowAround } from '../../renderer/canvas/window';

const raw = syntheticDesign({ services: 2000, seed: 3 });
const design = produce({ ...raw, layout: arrangeDesign(raw, { aspect: 1.1 }) }, () => {});
const geometry = computeGeometry(design);
const projection = new CanvasProjection();
const nodes = projection.nodes(design, geometry, new Set());
const edges = projection.edges(design, new Set(), freshLinkIds(design.links), geometry.collapse);
const boxes = absoluteBoxes(nodes);
const services = [...geometry.boxes.values()].filter((b) => b.kind === 'service');
const cards = nodes.filter((n) => n.type === 'service' || n.type === 'group' || n.type === 'entrypoint');
const plain: FarDecorations = { states: {}, splitBrain: new Set(), severities: {} };

/** The whole design in a pane of 1000 × 900 pixels, as opening fits it. */
let right = 0;
let bottom = 0;
for (const box of geometry.boxes.values()) {
  right = Math.max(right, box.absoluteX + box.width);
  bottom = Math.max(bottom, box.absoluteY + box.height);
}
const fitZoom = Math.min(1000 / right, 900 / bottom);
const whole = viewRect({ x: 0, y: 0, zoom: fitZoom }, 1000, 900);

/** The rectangles of a path's `d` (`M x y h w v h h -w z` each). */
function rectangles(d: string): { x: number; y: number; width: number; height: number }[] {
  return [...d.matchAll(/M(-?\d+) (-?\d+)h(-?\d+)v(-?\d+)h-?\d+z/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    width: Number(m[3]),
    height: Number(m[4]),
  }));
}

describe('the level of detail of a large design', () => {
  it('draws the cards below a zoom where their text cannot be read, and mounts them above it', () => {
    expect(fitZoom).toBeLessThan(FAR_ZOOM);
    expect(isFar(fitZoom)).toBe(true);
    expect(isFar(FAR_ZOOM)).toBe(false);
    expect(isFar(1)).toBe(false);
    // A design small enough to mount whole keeps its cards at any zoom (300 services: ~500 nodes).
    expect(isFar(0.1, 500)).toBe(false);
    expect(FAR_DESIGN_NODES).toBeLessThan(nodes.length);
    expect(isFar(0.1, nodes.length)).toBe(true);
    expect(windowAround(whole, 0.1, isFar(0.1, 500)).far).toBe(false);
  });

  it('holds only the pinned nodes and their containers zoomed far out, the window near the view zoomed in', () => {
    const window = new CanvasWindow();
    const far = window.take(nodes, edges, windowAround(whole, fitZoom));
    expect(nodes.length).toBeGreaterThan(3000);
    expect(far.nodes).toEqual([]);
    expect(far.edges).toEqual([]);
    expect(far.passing).toEqual([]);
    const linked = new Set(edges.flatMap((e) => [e.source, e.target]));
    const chosen = services.filter((s) => linked.has(s.id))[300]!;
    const pinned = window.take(nodes, edges, windowAround(whole, fitZoom), [chosen.id]);
    const ids = pinned.nodes.map((n) => n.id);
    expect(ids).toContain(chosen.id);
    expect(ids).toContain(chosen.parent);
    // With its edges and the nodes at their other ends (and their containers): nothing else.
    const own = edges.filter((e) => e.source === chosen.id || e.target === chosen.id);
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(pinned.edges)).toEqual(new Set(own));
    const ends = new Set(own.flatMap((e) => [e.source, e.target]));
    const containers = new Set<string>();
    for (const id of ends)
      for (let parent = boxes.get(id)?.parent; parent !== undefined; parent = boxes.get(parent)?.parent)
        containers.add(parent);
    expect(new Set(ids)).toEqual(new Set([...ends, ...containers]));
    // Zoomed in past the line, the cards around the view are React Flow's again.
    const view = {
      x: chosen.absoluteX - 500 / FAR_ZOOM,
      y: chosen.absoluteY - 450 / FAR_ZOOM,
      width: 1000 / FAR_ZOOM,
      height: 900 / FAR_ZOOM,
    };
    const near = window.take(nodes, edges, windowAround(view, FAR_ZOOM));
    expect(near.nodes.map((n) => n.id)).toContain(chosen.id);
    expect(near.nodes.length).toBeGreaterThan(50);
  });

  it('takes no window while panning zoomed far out, and always one when the zoom crosses the line', () => {
    const area = windowAround(whole, fitZoom);
    // Anywhere at a far zoom: nothing to take again, however far it moved or zoomed.
    expect(serves(area, { ...whole, x: whole.x + 10 * whole.width }, fitZoom)).toBe(true);
    expect(serves(area, whole, fitZoom * 2)).toBe(true);
    // Zoomed in past the line: the cards must be mounted now, even within 1.5× of the window's zoom.
    const justFar = windowAround(whole, FAR_ZOOM * 0.9);
    expect(serves(justFar, whole, FAR_ZOOM * 1.1)).toBe(false);
    const justNear = windowAround(whole, FAR_ZOOM * 1.1);
    expect(serves(justNear, whole, FAR_ZOOM * 0.9)).toBe(false);
    // A jump between two cards far apart at actual size is drawn on the way, not mounted.
    const here = windowAround({ x: 0, y: 0, width: 1000, height: 900 }, 1);
    const there = windowAround({ x: 12_000, y: 9_000, width: 1000, height: 900 }, 1);
    const near = windowAround({ x: 600, y: 300, width: 1000, height: 900 }, 1);
    expect(spanning(here, there).far).toBe(true);
    expect(spanning(here, near).far).toBe(false);
    expect(new CanvasWindow().take(nodes, edges, spanning(here, there)).nodes).toEqual([]);
  });

  it('draws every card React Flow does not hold, with its group mark, in a dozen paths', () => {
    const picture = farPicture(nodes, edges, boxes, new Set(), plain);
    expect(picture.cards).toBe(cards.length);
    expect(picture.paths.length).toBeLessThan(60);
    const drawn = picture.paths
      .filter((p) => p.className.includes('far-card'))
      .flatMap((p) => rectangles(p.d))
      .map((r) => `${r.x},${r.y}`);
    const places = new Set(drawn);
    expect(drawn.length).toBe(cards.length);
    for (const service of services)
      expect(
        places.has(`${Math.round(service.absoluteX)},${Math.round(service.absoluteY)}`),
        service.id,
      ).toBe(true);
    // Sites and hosts below the cards, links between them, cards above.
    const order = picture.paths.map((p) => p.className.split(' ')[0]);
    expect(order.indexOf('far-site')).toBeLessThan(order.indexOf('far-host'));
    expect(order.indexOf('far-host')).toBeLessThan(order.indexOf('far-edge'));
    expect(order.indexOf('far-edge')).toBeLessThan(order.indexOf('far-card'));
    // Every link a line.
    const lines = picture.paths
      .filter((p) => p.className.startsWith('far-edge'))
      .reduce((sum, p) => sum + (p.d.match(/M/g)?.length ?? 0), 0);
    expect(lines).toBe(edges.length);
    // Each group's members carry its colour.
    const marked = nodes.find((n) => n.type === 'service' && n.data.mark);
    expect(marked).toBeDefined();
    const color = marked!.type === 'service' ? marked!.data.mark!.color : '';
    expect(picture.paths.some((p) => p.className === 'far-mark' && p.color === color)).toBe(true);
    // What React Flow holds is its to draw: not drawn twice.
    const held = new Set([services[0]!.id]);
    expect(farPicture(nodes, edges, boxes, held, plain).cards).toBe(cards.length - 1);
  });

  it('colours what-if states and the worst finding', () => {
    const host = geometry.boxes.get(services[10]!.parent!)!;
    const picture = farPicture(nodes, edges, boxes, new Set(), {
      states: { [host.id]: 'failed', [services[10]!.id]: 'down', [services[11]!.id]: 'up' },
      splitBrain: new Set(),
      severities: { [services[12]!.id]: 'error' },
    });
    const at = (className: string) =>
      picture.paths.filter((p) => p.className.includes(className)).flatMap((p) => rectangles(p.d));
    expect(at('far-host far-state-failed')).toEqual([
      {
        x: Math.round(host.absoluteX),
        y: Math.round(host.absoluteY),
        width: Math.round(host.width),
        height: Math.round(host.height),
      },
    ]);
    expect(at('far-service far-state-down')).toHaveLength(1);
    expect(at('far-service far-state-up')).toHaveLength(1);
    const badge = at('far-severity-error');
    expect(badge).toHaveLength(1);
    const card = services[12]!;
    expect(badge[0]!.x + badge[0]!.width).toBe(Math.round(card.absoluteX + card.width));
  });

  it('finds the item under a point, smallest box first, and the items inside a selection box', () => {
    const service = services[300]!;
    const host = geometry.boxes.get(service.parent!)!;
    const site = geometry.boxes.get(host.parent!)!;
    expect(itemAt(geometry, { x: service.absoluteX + 20, y: service.absoluteY + 20 })).toBe(service.id);
    // A host's header, above its cards; a site's header, above its hosts.
    expect(itemAt(geometry, { x: host.absoluteX + 5, y: host.absoluteY + 5 })).toBe(host.id);
    expect(itemAt(geometry, { x: site.absoluteX + 5, y: site.absoluteY + 5 })).toBe(site.id);
    expect(itemAt(geometry, { x: -5000, y: -5000 })).toBeUndefined();
    const inside = itemsInside(geometry, {
      x: host.absoluteX - 1,
      y: host.absoluteY - 1,
      width: host.width + 2,
      height: host.height + 2,
    });
    expect(inside).toContain(host.id);
    expect(inside).toContain(service.id);
    expect(inside).not.toContain(site.id);
  });

  it('draws the links passing through a window as one path per kind, built once per edge', () => {
    const service = services[1000]!;
    const view = { x: service.absoluteX - 500, y: service.absoluteY - 450, width: 1000, height: 900 };
    const window = new CanvasWindow();
    const { passing } = window.take(nodes, edges, windowAround(view, 1));
    expect(passing.length).toBeGreaterThan(50);
    const paths = passingPaths(passing, geometry, true);
    const kinds = new Set(passing.map((edge) => edge.className ?? ''));
    expect(paths.map((p) => p.className).sort()).toEqual([...kinds].sort());
    expect(paths.reduce((sum, p) => sum + p.count, 0)).toBe(passing.length);
    for (const path of paths) expect(path.d.match(/M/g)?.length).toBe(path.count);
    // A window moved a little: the edges in both are drawn with the very same strings.
    const moved = window.take(nodes, edges, windowAround({ ...view, x: view.x + 600 }, 1)).passing;
    const again = passingPaths(moved, geometry, true);
    const pieces = new Set(paths.flatMap((p) => p.d.split('M')));
    const shared = again.flatMap((p) => p.d.split('M')).filter((piece) => pieces.has(piece));
    expect(shared.length).toBeGreaterThan(passing.length / 4);
    // A card at one end of a passing edge moved (a geometry derived from this one): that edge is
    // drawn from its new place, every other as before, as if drawn afresh.
    const edge = passing.find((e) => e.data?.role === 'link')!;
    const source = geometry.boxes.get(edge.source)!;
    const base = geometryOf(design);
    const drawn = passingPaths(passing, base, true);
    const dragged = produce(design, (draft) => {
      draft.layout![edge.source] = { ...draft.layout![edge.source]!, y: source.y + 40 };
    });
    const draggedGeometry = geometryOf(dragged);
    expect(derivationOf(draggedGeometry)?.base).toBe(base);
    const redrawn = passingPaths(passing, draggedGeometry, true);
    expect(redrawn).toEqual(
      passingPaths(
        passing.map((e) => ({ ...e })),
        draggedGeometry,
        true,
      ),
    );
    expect(redrawn).not.toEqual(drawn);
  });
});
