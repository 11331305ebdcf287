/**
 * The window over a large design (renderer/canvas/window.ts): React Flow is given the nodes and
 * edges near the view, every edge that reaches into the view with both its ends, the containers
 * of all of them, and the pinned selection; and the same objects, in the same arrays, while
 * nothing entered or left.
 */
import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import type { Design } from '../../core/model';
import { syntheticDesign } from '../../bench/synthetic';
import { CanvasProjection } from '../../renderer/canvas/derive';
import type { CanvasEdge, CanvasNode } from '../../renderer/canvas/derive';
import { computeGeometry } from '../../renderer/canvas/geometry';
import type { Geometry } from '../../renderer/canvas/geometry';
import { arrangeDesign } from '../../renderer/layout/auto-layout';
import { freshLinkIds } from '../../renderer/state/edge-ids';
import { CanvasWindow, serves, spanning, viewRect, windowAround } from '../../renderer/canvas/window';
import type { Rect } from '../../renderer/canvas/window';

function projected(services: number): {
  design: Design;
  geometry: Geometry;
  nodes: CanvasNode[];
  edges: CanvasEdge[];
} {
  const raw = syntheticDesign({ services, seed: 3 });
  const design = produce({ ...raw, layout: arrangeDesign(raw, { aspect: 1.1 }) }, () => {});
  const geometry = computeGeometry(design);
  const projection = new CanvasProjection();
  const nodes = projection.nodes(design, geometry, new Set());
  const edges = projection.edges(design, new Set(), freshLinkIds(design.links), geometry.collapse);
  return { design, geometry, nodes, edges };
}

function meets(a: Rect, b: Rect): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;
}

const { geometry, nodes, edges } = projected(2000);
const boxOf = (id: string): Rect => {
  const box = geometry.boxes.get(id);
  if (box) return { x: box.absoluteX, y: box.absoluteY, width: box.width, height: box.height };
  const node = nodes.find((n) => n.id === id)!;
  return { x: node.position.x, y: node.position.y, width: node.width!, height: node.height! };
};
/** A view of the pane (1000 × 900 pixels) at actual size, centred on a service in the middle. */
const middle = [...geometry.boxes.values()].filter((b) => b.kind === 'service')[1000]!;
const view: Rect = {
  x: middle.absoluteX - 500,
  y: middle.absoluteY - 450,
  width: 1000,
  height: 900,
};

describe('the window over a large design', () => {
  it('holds the nodes near the view, not the design', () => {
    const area = windowAround(view, 1);
    const taken = new CanvasWindow().take(nodes, edges, area);
    const ids = new Set(taken.nodes.map((n) => n.id));
    expect(nodes.length).toBeGreaterThan(2000);
    expect(taken.nodes.length).toBeLessThan(nodes.length / 4);
    // Every node whose box meets the window is there; the service in the middle too.
    for (const node of nodes) if (meets(boxOf(node.id), area)) expect(ids.has(node.id), node.id).toBe(true);
    expect(ids.has(middle.id)).toBe(true);
    // Containers come with what they contain, and before it, as React Flow needs.
    const seen = new Set<string>();
    for (const node of taken.nodes) {
      if (node.parentId !== undefined)
        expect(seen.has(node.parentId), `${node.id} after its parent`).toBe(true);
      seen.add(node.id);
    }
    // The projection's own objects, in its order.
    const order = new Map(nodes.map((n, i) => [n, i]));
    const places = taken.nodes.map((n) => order.get(n));
    expect(places.every((p) => p !== undefined)).toBe(true);
    expect(places).toEqual([...places].sort((a, b) => a! - b!));
  });

  it('keeps every edge with an end in the window, with its far end, and returns those passing through apart', () => {
    const area = windowAround(view, 1);
    const taken = new CanvasWindow().take(nodes, edges, area);
    const ids = new Set(taken.nodes.map((n) => n.id));
    const inside = (id: string) => meets(boxOf(id), area);
    const reaching = edges.filter((e) => inside(e.source) !== inside(e.target));
    expect(reaching.length).toBeGreaterThan(0);
    const kept = new Set(taken.edges);
    for (const edge of reaching) {
      expect(kept.has(edge), edge.id).toBe(true);
      expect(ids.has(edge.source) && ids.has(edge.target), edge.id).toBe(true);
    }
    // Far ends are held outside the window: the edges to them would not be drawn otherwise.
    expect([...ids].some((id) => !inside(id))).toBe(true);
    // No edge is given without both its ends.
    for (const edge of taken.edges) expect(ids.has(edge.source) && ids.has(edge.target)).toBe(true);
    // Edges with both ends outside whose ends' box meets the window pass through it: drawn apart.
    const passing = edges.filter((e) => {
      if (inside(e.source) || inside(e.target)) return false;
      const a = boxOf(e.source);
      const b = boxOf(e.target);
      const x = Math.min(a.x, b.x);
      const y = Math.min(a.y, b.y);
      const span = {
        x,
        y,
        width: Math.max(a.x + a.width, b.x + b.width) - x,
        height: Math.max(a.y + a.height, b.y + b.height) - y,
      };
      return meets(span, area);
    });
    expect(passing.length).toBeGreaterThan(0);
    expect(new Set(taken.passing)).toEqual(new Set(passing));
    for (const edge of taken.passing) expect(kept.has(edge)).toBe(false);
  });

  it('holds a pinned node and its containers wherever it is', () => {
    const corner = [...geometry.boxes.values()]
      .filter((b) => b.kind === 'service')
      .reduce((best, b) => (b.absoluteX + b.absoluteY > best.absoluteX + best.absoluteY ? b : best));
    const area = windowAround(view, 1);
    const window = new CanvasWindow();
    expect(window.take(nodes, edges, area).nodes.some((n) => n.id === corner.id)).toBe(false);
    const pinned = window.take(nodes, edges, area, [corner.id]).nodes.map((n) => n.id);
    expect(pinned).toContain(corner.id);
    for (let parent = corner.parent; parent !== undefined; parent = geometry.boxes.get(parent)?.parent)
      expect(pinned).toContain(parent);
  });

  it('returns the same arrays while nothing entered or left, and the same objects for what stayed', () => {
    const window = new CanvasWindow();
    const first = window.take(nodes, edges, windowAround(view, 1));
    // Taken again for the same view: the very same arrays, so React Flow adopts nothing.
    const again = window.take(nodes, edges, windowAround(view, 1));
    expect(again.nodes).toBe(first.nodes);
    expect(again.edges).toBe(first.edges);
    expect(again.passing).toBe(first.passing);
    // Moved a long way: new arrays, and the nodes in both are the same objects.
    const moved = window.take(nodes, edges, windowAround({ ...view, x: view.x + 700 }, 1));
    expect(moved.nodes).not.toBe(first.nodes);
    const before = new Map(first.nodes.map((n) => [n.id, n]));
    const shared = moved.nodes.filter((n) => before.has(n.id));
    expect(shared.length).toBeGreaterThan(0);
    for (const node of shared) expect(node).toBe(before.get(node.id));
  });

  it('after an edit holds what a window taken afresh holds: a card moved into the view, a host moved away', () => {
    const { design, geometry: start } = projected(2000);
    const projection = new CanvasProjection();
    const linkIds = freshLinkIds(design.links);
    const window = new CanvasWindow();
    const area = windowAround(view, 1);
    const takeOf = (next: Design, from: CanvasWindow) => {
      const nextGeometry = computeGeometry(next);
      const nodesNow = projection.nodes(next, nextGeometry, new Set());
      const edgesNow = projection.edges(next, new Set(), linkIds, nextGeometry.collapse);
      return { taken: from.take(nodesNow, edgesNow, area), nodesNow, edgesNow };
    };
    takeOf(design, window);
    // A card far off the view, dragged into the middle of it: it and its links come in.
    const far = [...start.boxes.values()].find((b) => b.kind === 'service' && !meets(boxOf(b.id), area))!;
    const host = start.boxes.get(far.parent!)!;
    const cardMoved = produce(design, (draft) => {
      draft.layout![far.id] = { x: middle.absoluteX - host.absoluteX, y: middle.absoluteY - host.absoluteY };
    });
    const afterCard = takeOf(cardMoved, window);
    expect(afterCard.taken.nodes.map((n) => n.id)).toContain(far.id);
    expect(afterCard.taken).toEqual(new CanvasWindow().take(afterCard.nodesNow, afterCard.edgesNow, area));
    // The host of the middle card moved a little: the cards it holds move with it, on the far
    // layer's picture (drawn at these boxes) as in the window.
    const middleHost = middle.parent!;
    const hostMoved = produce(cardMoved, (draft) => {
      const place = draft.layout![middleHost]!;
      draft.layout![middleHost] = { ...place, x: place.x + 3 };
    });
    const before = window.boxesOf(afterCard.nodesNow).get(middle.id)!;
    const afterHost = takeOf(hostMoved, window);
    expect(window.boxesOf(afterHost.nodesNow).get(middle.id)!.x).toBe(before.x + 3);
    expect(window.boxesOf(afterHost.nodesNow)).toEqual(new CanvasWindow().boxesOf(afterHost.nodesNow));
    expect(afterHost.taken).toEqual(new CanvasWindow().take(afterHost.nodesNow, afterHost.edgesNow, area));
  });

  it('is taken again only when the view moves past half the margin or the zoom changes much', () => {
    const area = windowAround(view, 1);
    expect(area.margin).toBe(500);
    expect(serves(area, view, 1)).toBe(true);
    expect(serves(area, { ...view, x: view.x + 200 }, 1)).toBe(true);
    expect(serves(area, { ...view, x: view.x + 300 }, 1)).toBe(false);
    expect(serves(area, { ...view, y: view.y - 300 }, 1)).toBe(false);
    expect(serves(area, view, 2)).toBe(false);
    expect(serves(area, view, 0.5)).toBe(false);
    // Held through a fit from this view to the whole design: one window for both ends, at the smaller zoom.
    const whole = windowAround({ x: 0, y: 0, width: 20_000, height: 18_000 }, 0.05);
    const held = spanning(area, whole);
    expect(serves(held, view, 1)).toBe(false);
    expect(serves(held, { x: 0, y: 0, width: 20_000, height: 18_000 }, 0.05)).toBe(true);
    expect(held.x).toBeLessThanOrEqual(area.x);
    expect(held.x + held.width).toBeGreaterThanOrEqual(area.x + area.width);
    // The view of a pane: 1000 × 900 pixels at zoom 2, moved by (−200, −100) pixels.
    expect(viewRect({ x: -200, y: -100, zoom: 2 }, 1000, 900)).toEqual({
      x: 100,
      y: 50,
      width: 500,
      height: 450,
    });
  });
});
