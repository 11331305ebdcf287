/**
 * The edges that only pass through the window over a large design (window.ts), both ends off it:
 * drawn here, as lines in one SVG, not by React Flow, which would have to hold both far ends and
 * look at every such edge on each frame. They take no clicks and have no labels or arrowheads
 * (their ends are off the screen); once the view comes near one of its ends, React Flow draws the
 * edge with its full route instead.
 */
import { memo, useMemo } from 'react';
import { ViewportPortal } from '@xyflow/react';
import type { CanvasEdge } from './derive';
import type { Geometry, ItemBox } from './geometry';
import { DETAIL_ZOOM } from './edges';
import { LANE_GAP, pathOf } from './routing';
import type { Point } from './routing';

/**
 * The shape of a passing edge: at a zoom where routes are drawn, down from its source, across
 * half-way and down to its target (the first shape routing.ts tries); straight below it, as the
 * canvas draws every edge there.
 */
function passingPath(from: Point, to: Point, detailed: boolean): string {
  if (!detailed) return pathOf([from, to]);
  const middle = (from.y + to.y) / 2;
  return pathOf([from, { x: from.x, y: middle }, { x: to.x, y: middle }, to]);
}

interface PassingEdgesProps {
  edges: readonly CanvasEdge[];
  geometry: Geometry;
  /** The zoom the window was taken at. */
  zoom: number;
}

/**
 * Each edge's path, worked out again only when a box at one of its ends changed or the zoom
 * crossed the level of detail: a window moves, an edge stays, and an edit that moved one card
 * (a geometry derived from the last, which keeps every other box object) redraws only its edges.
 */
const pathCache = new WeakMap<
  CanvasEdge,
  { source: ItemBox; target: ItemBox; detailed: boolean; d: string }
>();

function pathOfEdge(edge: CanvasEdge, geometry: Geometry, detailed: boolean): string | undefined {
  const source = geometry.boxes.get(edge.source);
  const target = geometry.boxes.get(edge.target);
  if (!source || !target) return undefined;
  const cached = pathCache.get(edge);
  if (cached && cached.source === source && cached.target === target && cached.detailed === detailed)
    return cached.d;
  const lane = edge.data?.role === 'link' ? edge.data.lane * LANE_GAP : 0;
  const from = { x: source.absoluteX + source.width / 2 + lane, y: source.absoluteY + source.height };
  const to = { x: target.absoluteX + target.width / 2 + lane, y: target.absoluteY };
  const d = passingPath(from, to, detailed);
  pathCache.set(edge, { source, target, detailed, d });
  return d;
}

/**
 * The edges as one path per kind of edge (its class): a thousand lines are a handful of SVG
 * elements, so the browser does not restyle and repaint a thousand elements on each frame of a
 * pan, and taking a window again builds a few strings instead of reconciling a thousand paths.
 */
export function passingPaths(
  edges: readonly CanvasEdge[],
  geometry: Geometry,
  detailed: boolean,
): { className: string; d: string; count: number }[] {
  const byClass = new Map<string, string[]>();
  for (const edge of edges) {
    const d = pathOfEdge(edge, geometry, detailed);
    if (d === undefined) continue;
    const className = edge.className ?? '';
    let parts = byClass.get(className);
    if (!parts) byClass.set(className, (parts = []));
    parts.push(d);
  }
  return [...byClass].map(([className, parts]) => ({ className, d: parts.join(''), count: parts.length }));
}

function PassingEdgesView({ edges, geometry, zoom }: PassingEdgesProps) {
  const detailed = zoom >= DETAIL_ZOOM;
  const paths = useMemo(() => passingPaths(edges, geometry, detailed), [edges, geometry, detailed]);
  if (paths.length === 0) return null;
  return (
    <ViewportPortal>
      <svg className="passing-edges" aria-hidden="true" data-testid="passing-edges" data-edges={edges.length}>
        {paths.map((path) => (
          <path key={path.className} className={path.className} d={path.d} />
        ))}
      </svg>
    </ViewportPortal>
  );
}

/** The passing edges' layer. */
export const PassingEdges = memo(PassingEdgesView);
