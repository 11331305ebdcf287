import { describe, expect, it } from 'vitest';
import type { Design } from '../../core/model';
import { CanvasProjection } from '../../renderer/canvas/derive';
import { computeGeometry, SIZES } from '../../renderer/canvas/geometry';
import { groupFrames, linkLanes, readingOrder } from '../../renderer/canvas/legibility';
import { namer } from '../../renderer/canvas/names';
import { HANDLE_OUTSET, RoutingScene, routeEdge } from '../../renderer/canvas/routing';
import { autoLayout } from '../../renderer/layout/auto-layout';
import { freshLinkIds } from '../../renderer/state/edge-ids';
import { example } from './fixtures';

async function laidOut(file: string): Promise<Design> {
  const design = example(file);
  return { ...design, layout: await autoLayout(design) };
}

/** The straight lines an SVG path draws: each `L` from the pen's last point. */
function drawnLines(path: string): [number, number, number, number][] {
  const lines: [number, number, number, number][] = [];
  let pen: [number, number] | undefined;
  for (const [, command, args] of path.matchAll(/([MLQ])([^MLQ]+)/g)) {
    const numbers = args!.split(/[ ,]/).filter(Boolean).map(Number);
    const point: [number, number] = [numbers[numbers.length - 2]!, numbers[numbers.length - 1]!];
    if (command === 'L' && pen) lines.push([pen[0], pen[1], point[0], point[1]]);
    pen = point;
  }
  return lines;
}

describe('routed edges', () => {
  for (const file of [
    'helix-teamhub.topo.json',
    'tealeaf-resilient.topo.json',
    'expertflow-two-sites.topo.json',
  ]) {
    it(`never draws a line across a site or host header: ${file}`, async () => {
      const design = await laidOut(file);
      const geometry = computeGeometry(design);
      const scene = new RoutingScene(geometry);
      const headers = [...geometry.boxes.values()]
        .filter((b) => b.kind === 'host' || b.kind === 'site')
        .map((b) => ({
          id: b.id,
          x: b.absoluteX,
          y: b.absoluteY,
          width: b.width,
          height: b.kind === 'host' ? SIZES.hostHeader : SIZES.siteHeader,
        }));
      const edges = new CanvasProjection()
        .edges(design, new Set(), freshLinkIds(design.links))
        .filter((e) => e.type === 'routed');
      expect(edges.length).toBeGreaterThan(5);
      let crossingsOfTheStraightLine = 0;
      for (const edge of edges) {
        const source = geometry.boxes.get(edge.source)!;
        const target = geometry.boxes.get(edge.target)!;
        const from = {
          x: source.absoluteX + source.width / 2,
          y: source.absoluteY + source.height + HANDLE_OUTSET,
        };
        const to = { x: target.absoluteX + target.width / 2, y: target.absoluteY - HANDLE_OUTSET };
        const lane = edge.data?.role === 'link' ? edge.data.lane : 0;
        const route = routeEdge(scene, edge.source, edge.target, from, to, lane);
        for (const [x1, y1, x2, y2] of drawnLines(route.path)) {
          for (const header of headers) {
            const inside =
              Math.max(x1, x2) > header.x &&
              Math.min(x1, x2) < header.x + header.width &&
              Math.max(y1, y2) > header.y &&
              Math.min(y1, y2) < header.y + header.height;
            expect(inside, `${edge.id} crosses the header of ${header.id}`).toBe(false);
          }
        }
        // What a plain straight line would have crossed, to show the test has something to avoid.
        for (const header of headers) {
          if (
            Math.max(from.x, to.x) > header.x &&
            Math.min(from.x, to.x) < header.x + header.width &&
            Math.max(from.y, to.y) > header.y &&
            Math.min(from.y, to.y) < header.y + header.height
          )
            crossingsOfTheStraightLine++;
        }
      }
      expect(crossingsOfTheStraightLine).toBeGreaterThan(0);
    });
  }

  it('fans parallel links out into lanes, each with its own label place', async () => {
    const design = await laidOut('helix-teamhub.topo.json');
    const lanes = linkLanes(design);
    // lb-a reaches web-a twice: on 80 and on 22.
    const pair = design.links!.flatMap((l, i) => (l.from === 'lb-a' && l.to === 'web-a' ? [i] : []));
    expect(pair).toHaveLength(2);
    expect(pair.map((i) => lanes[i])).toEqual([-0.5, 0.5]);
    const geometry = computeGeometry(design);
    const scene = new RoutingScene(geometry);
    const a = geometry.boxes.get('lb-a')!;
    const b = geometry.boxes.get('web-a')!;
    const from = { x: a.absoluteX + a.width / 2, y: a.absoluteY + a.height + HANDLE_OUTSET };
    const to = { x: b.absoluteX + b.width / 2, y: b.absoluteY - HANDLE_OUTSET };
    const routes = pair.map((i) => routeEdge(scene, 'lb-a', 'web-a', from, to, lanes[i]));
    expect(routes[0]!.path).not.toBe(routes[1]!.path);
    expect(
      Math.hypot(routes[0]!.label.x - routes[1]!.label.x, routes[0]!.label.y - routes[1]!.label.y),
    ).toBeGreaterThan(10);
  });
});

describe('group membership without edges', () => {
  it('frames a pool whose hosts run only its members, and gives spread groups no frame', async () => {
    const tealeaf = await laidOut('tealeaf-resilient.topo.json');
    expect(groupFrames(tealeaf, computeGeometry(tealeaf)).map((f) => f.group)).toContain('processing');
    const teramind = await laidOut('teramind-ha.topo.json');
    expect(groupFrames(teramind, computeGeometry(teramind))).toEqual([]);
  });

  it('marks every member with its group, and the marks of two groups differ', () => {
    const design = example('teramind-ha.topo.json');
    const nodes = new CanvasProjection().nodes(design, computeGeometry(design), new Set());
    const marks = nodes.flatMap((n) => (n.type === 'service' && n.data.mark ? [n.data.mark] : []));
    expect(marks.length).toBe(design.services.filter((s) => s.group !== undefined).length);
    expect(new Set(marks.map((m) => m.color)).size).toBe(2);
  });
});

describe('reading order and names', () => {
  it('lists sites, hosts and services top to bottom, left to right, each container before what it holds', async () => {
    const design = await laidOut('expertflow-two-sites.topo.json');
    const geometry = computeGeometry(design);
    const order = readingOrder(geometry);
    expect(order.indexOf('site-a')).toBeLessThan(order.indexOf('ef-a'));
    expect(order.indexOf('ef-a')).toBeLessThan(order.indexOf('gw-a'));
    // Everything in site A before site B, which sits to its right.
    expect(order.indexOf('mysql-a')).toBeLessThan(order.indexOf('site-b'));
    const nodes = new CanvasProjection().nodes(design, geometry, new Set());
    expect(nodes.filter((n) => n.type !== 'frame').map((n) => n.id)).toEqual(order);
  });

  it('names a service by label, kind and host, as a screen reader announces it', () => {
    const design = example('helix-teamhub.topo.json');
    const names = namer(design);
    const web = design.services.find((s) => s.id === 'web-a')!;
    expect(names.item('web-a')).toBe(`${web.label}, App server on host web-1`);
    expect(names.item('lb-1')).toBe('lb-1, host 10.60.0.11');
  });
});
