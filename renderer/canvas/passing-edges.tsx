/**
 * The edges that only pass through the window over a large design (window.ts), both ends off it:
 * drawn here, as lines in one SVG, not by React Flow, which would have to hold both far ends and
 * look at every such edge on each frame. They take no clicks and have no labels or arrowheads
 * (their ends are off the screen); once the view comes near one of its ends, React Flow draws the
 * edge with its full route instead.
 */
import { memo } from 'react';
import { ViewportPortal } from '@xyflow/react';
import type { CanvasEdge } from './derive';
import type { Geometry } from './geometry';
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

function PassingEdgesView({ edges, geometry, zoom }: PassingEdgesProps) {
  if (edges.length === 0) return null;
  const detailed = zoom >= DETAIL_ZOOM;
  return (
    <ViewportPortal>
      <svg className="passing-edges" aria-hidden="true" data-testid="passing-edges">
        {edges.map((edge) => {
          const source = geometry.boxes.get(edge.source);
          const target = geometry.boxes.get(edge.target);
          if (!source || !target) return null;
          const lane = edge.data?.role === 'link' ? edge.data.lane * LANE_GAP : 0;
          const from = { x: source.absoluteX + source.width / 2 + lane, y: source.absoluteY + source.height };
          const to = { x: target.absoluteX + target.width / 2 + lane, y: target.absoluteY };
          return (
            <path
              key={edge.id}
              className={edge.className}
              data-source={edge.source}
              data-target={edge.target}
              d={passingPath(from, to, detailed)}
            />
          );
        })}
      </svg>
    </ViewportPortal>
  );
}

/** The passing edges' layer. */
export const PassingEdges = memo(PassingEdgesView);
