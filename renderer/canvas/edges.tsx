/**
 * The canvas's edges: links and entrypoint targets follow the routes of routing.ts (around
 * headers, parallel links apart, each label on its own lane); membership edges, shown only for
 * the selected group, stay plain curves into the group's members handle.
 */
import { createContext, memo, useContext, useMemo, useRef } from 'react';
import { BaseEdge, useStore } from '@xyflow/react';
import type { EdgeProps, EdgeTypes } from '@xyflow/react';
import type { CanvasEdge } from './derive';
import { keepRoute, pathOf, routeEdge } from './routing';
import type { Route, RoutingScene } from './routing';

/** The obstacles every routed edge of the canvas avoids; the canvas provides it. */
export const RoutingContext = createContext<RoutingScene | undefined>(undefined);

/** Below this zoom a route's detail cannot be seen: edges are drawn straight, which costs nothing. */
const DETAIL_ZOOM = 0.3;
/**
 * Below this zoom a label's text is a few pixels tall and cannot be read: it is not drawn. Each
 * drawn label is measured (getBBox) for its background, which at 6,000 edges held the opening of
 * a large design for seconds.
 */
export const LABEL_ZOOM = 0.5;

function RoutedEdgeView({
  id,
  source,
  target,
  sourceX,
  sourceY,
  targetX,
  targetY,
  data,
  label,
  markerEnd,
  style,
  interactionWidth,
}: EdgeProps<CanvasEdge>) {
  const scene = useContext(RoutingContext);
  const detailed = useStore((s) => s.transform[2] >= DETAIL_ZOOM);
  const legible = useStore((s) => s.transform[2] >= LABEL_ZOOM);
  const lane = data?.role === 'link' ? data.lane : 0;
  const last = useRef<{ scene: RoutingScene; route: Route } | undefined>(undefined);
  const route = useMemo(() => {
    const from = { x: sourceX, y: sourceY };
    const to = { x: targetX, y: targetY };
    if (!scene || !detailed) {
      const points = [from, to];
      return {
        points,
        path: pathOf(points),
        label: { x: (sourceX + targetX) / 2, y: (sourceY + targetY) / 2 },
      };
    }
    // An edit elsewhere gives a new scene: keep this route when nothing along it changed.
    const previous = last.current;
    if (previous && keepRoute(scene, previous.route, source, target, from, to, lane)) {
      last.current = { scene, route: previous.route };
      return previous.route;
    }
    const fresh = routeEdge(scene, source, target, from, to, lane);
    last.current = { scene, route: fresh };
    return fresh;
  }, [scene, detailed, source, target, sourceX, sourceY, targetX, targetY, lane]);
  const path = route.path;
  return (
    <BaseEdge
      id={id}
      path={path}
      markerEnd={markerEnd}
      style={style}
      interactionWidth={interactionWidth ?? 12}
      label={legible ? label : undefined}
      labelX={route.label.x}
      labelY={route.label.y}
      labelShowBg
      labelBgPadding={[4, 2]}
      labelBgBorderRadius={3}
    />
  );
}

/** Edge types at module scope, so React Flow never sees a new object (xyflow guide). */
export const edgeTypes = {
  routed: memo(RoutedEdgeView),
} satisfies EdgeTypes;
