/**
 * The canvas's edges: links and entrypoint targets follow the routes of routing.ts (around
 * headers, parallel links apart, each label on its own lane); membership edges, shown only for
 * the selected group, stay plain curves into the group's members handle.
 */
import {
  createContext,
  memo,
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useSyncExternalStore,
} from 'react';
import { BaseEdge, useStore } from '@xyflow/react';
import type { EdgeProps, EdgeTypes } from '@xyflow/react';
import type { CanvasEdge } from './derive';
import { edgeNamesOf } from './edge-names';
import { keepRoute, pathOf, routeEdge } from './routing';
import type { Route, RoutingScene } from './routing';

/**
 * The obstacles every routed edge of the canvas avoids; the canvas provides it, one scene for its
 * lifetime, updated in place (routing.ts), so that an edit re-renders only the edges it touches.
 */
export const RoutingContext = createContext<RoutingScene | undefined>(undefined);

/** Below this zoom a route's detail cannot be seen: edges are drawn straight, which costs nothing. */
export const DETAIL_ZOOM = 0.3;
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
  const last = useRef<Route | undefined>(undefined);
  const names = edgeNamesOf(scene);
  const watchName = useCallback((listener: () => void) => names?.watch(id, listener) ?? noop, [names, id]);
  const name = useSyncExternalStore(watchName, () => names?.get(id));
  // A name set on the edge itself (a link severed by the what-if cut) is React Flow's to draw.
  const ownName = useStore((s) => s.edgeLookup.get(id)?.ariaLabel);
  const pathRef = useRef<SVGPathElement>(null);
  // After every render: React Flow writes its default name when an edge's ends change.
  useLayoutEffect(() => {
    const element = pathRef.current?.closest('.react-flow__edge');
    if (!element || ownName !== undefined || name === undefined) return;
    if (element.getAttribute('aria-label') !== name) element.setAttribute('aria-label', name);
  });
  // An edit elsewhere re-renders this edge only when an obstacle along its route changed.
  const subscribe = useCallback((listener: () => void) => scene?.watch(id, listener) ?? noop, [scene, id]);
  const version = useSyncExternalStore(subscribe, () => scene?.version(id) ?? 0);
  const route = useMemo(() => {
    const from = { x: sourceX, y: sourceY };
    const to = { x: targetX, y: targetY };
    if (!scene || !detailed) {
      const points = [from, to];
      last.current = undefined;
      return {
        points,
        path: pathOf(points),
        label: { x: (sourceX + targetX) / 2, y: (sourceY + targetY) / 2 },
      };
    }
    // Keep this route when nothing along it changed.
    const previous = last.current;
    if (previous && keepRoute(scene, previous, source, target, from, to, lane)) return previous;
    const fresh = routeEdge(scene, source, target, from, to, lane);
    last.current = fresh;
    return fresh;
    // `version` is the scene's word that something along the route changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scene, version, detailed, source, target, sourceX, sourceY, targetX, targetY, lane]);
  useEffect(() => {
    scene?.place(id, last.current === route ? last.current : undefined);
  }, [scene, id, route]);
  useEffect(() => () => scene?.place(id, undefined), [scene, id]);
  const path = route.path;
  return (
    <BaseEdge
      id={id}
      // React 19 passes a ref as a prop; BaseEdge spreads its props onto the edge's path.
      {...({ ref: pathRef } as object)}
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

function noop(): void {}

/** Edge types at module scope, so React Flow never sees a new object (xyflow guide). */
export const edgeTypes = {
  routed: memo(RoutedEdgeView),
} satisfies EdgeTypes;
