/**
 * The canvas: React Flow showing the projection of the design (derive.ts). Drags move a local
 * overlay of positions and commit once, on release, as one undoable edit; selection goes to the
 * store; connections become links, memberships or entrypoint targets.
 */
import { useCallback, useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { MouseEvent, PointerEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  ConnectionLineType,
  ConnectionMode,
  Controls,
  ReactFlow,
  useReactFlow,
  useStoreApi,
} from '@xyflow/react';
import type {
  Connection,
  EdgeChange,
  IsValidConnection,
  NodeChange,
  OnNodeDrag,
  XYPosition,
} from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { commitDrag, connectItems, connectionRefusal } from '../app/commands';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';
import { geometryOf, LARGE_DESIGN_NODES } from './geometry';
import { CanvasProjection } from './derive';
import type { CanvasEdge, CanvasNode } from './derive';
import { boxSelection, useBoxSelect } from './box-select';
import { ContextMenu } from './context-menu';
import { crossesCut, cutPicture } from './cut';
import { DropHint, trackDrop } from './drop-target';
import { attachEdgeNames } from './edge-names';
import { isFar, itemAt, itemsInside } from './detail';
import { edgeTypes, RoutingContext } from './edges';
import { diagramDataUrl } from './export';
import type { DiagramState } from './export-svg';
import { FarLayer } from './far-layer';
import { boundsOf, boxesOf, FIT_DESIGN, FIT_ITEMS, fitViewport } from './fit';
import { FitButton } from './fit-button';
import { useGestures } from './gestures';
import { LabelEditor } from './label-edit';
import { useCanvasKeyboard } from './keyboard';
import type { CanvasTravel } from './keyboard';
import { nodeTypes } from './nodes';
import { PassingEdges } from './passing-edges';
import { RoutingScene } from './routing';
import { SearchBox } from './search-box';
import { WhatIfBubbles } from './WhatIfBubbles';
import { CanvasWindow, serves, spanning, viewRect, windowAround } from './window';
import type { WindowArea } from './window';
import { itemRecord } from '../workers/item-table';

const GRID: [number, number] = [10, 10];
const FAILABLE = new Set(['host', 'site', 'service']);

/**
 * How often at most the window over a large design is taken again while the view moves (ms): a
 * pan past the margin brings the nodes ahead in a few times a second, not on each frame.
 */
const WINDOW_THROTTLE_MS = 120;
/** How long a fit takes to move the view there. */
const FIT_DURATION_MS = 300;

/** The canvas of the designer. */
export function Canvas() {
  const services = useServices();
  const flow = useReactFlow<CanvasNode, CanvasEdge>();
  // Deferred: an edit first updates the panels, then the canvas in a render React may split into
  // short tasks, so that no edit of a large design holds the main thread for long.
  const { design, linkIds } = useDeferredValue(
    useAppStore(useShallow((s) => ({ design: s.design, linkIds: s.linkIds }))),
  );
  const selection = useDeferredValue(useAppStore((s) => s.selection));
  const { theme, snapToGrid, whatIf } = useAppStore(
    useShallow((s) => ({
      theme: s.theme,
      snapToGrid: s.snapToGrid,
      whatIf: s.whatIf,
    })),
  );
  const [overlay, setOverlay] = useState<ReadonlyMap<string, XYPosition>>(new Map());
  const clearOverlay = useRef(false);
  const projection = useRef(new CanvasProjection());
  const wrapper = useRef<HTMLDivElement>(null);
  const travel = useRef<CanvasTravel | undefined>(undefined);
  useCanvasKeyboard(services, wrapper, travel);

  const selected = useMemo(() => new Set(selection), [selection]);
  const geometry = useMemo(() => geometryOf(design), [design]);
  // One routing scene for the canvas's lifetime, moved to each geometry before the edges render;
  // the edges whose routes the change touched hear of it once they have (routing.ts).
  const sceneRef = useRef<RoutingScene | undefined>(undefined);
  const scene = useMemo(() => {
    if (!sceneRef.current) {
      sceneRef.current = new RoutingScene(geometry);
      attachEdgeNames(sceneRef.current, projection.current.edgeNames);
    } else sceneRef.current.update(geometry);
    return sceneRef.current;
  }, [geometry]);
  useLayoutEffect(() => scene.flush(), [scene, geometry]);
  const derivedNodes = useMemo(
    () => projection.current.nodes(design, geometry, selected),
    [design, geometry, selected],
  );
  const derivedEdges = useMemo(
    () => projection.current.edges(design, selected, linkIds, geometry.collapse),
    [design, selected, linkIds, geometry],
  );
  // Edges whose names changed (a renamed end) hear of it once the render is committed.
  useLayoutEffect(() => projection.current.edgeNames.flush(), [derivedEdges, design]);
  // In what-if, a link between services on the two sides of the cut is drawn severed.
  const sides = useAppStore((s) => (s.whatIf && s.analysis?.detail ? s.analysis.sides : undefined));
  const edges = useMemo(() => {
    const picture = sides ? cutPicture(design, sides) : undefined;
    if (!picture) return derivedEdges;
    const hostOf = new Map(
      design.services.flatMap((s) => (s.host === undefined ? [] : [[s.id, s.host] as const])),
    );
    return derivedEdges.map((edge) => {
      if (edge.data?.role !== 'link' || !crossesCut(picture, hostOf, edge.source, edge.target)) return edge;
      return {
        ...edge,
        className: `${edge.className ?? ''} severed`.trim(),
        label: `✂ cut${typeof edge.label === 'string' && edge.label ? ` · ${edge.label}` : ''}`,
        ariaLabel: `${projection.current.edgeNames.get(edge.id) ?? 'link'}, severed by the network cut`,
      };
    });
  }, [derivedEdges, sides, design]);
  const large = derivedNodes.length > LARGE_DESIGN_NODES;

  // A large design: React Flow holds only what is in or near the viewport (window.ts).
  const flowStore = useStoreApi<CanvasNode, CanvasEdge>();
  const canvasWindow = useRef(new CanvasWindow());
  const [area, setArea] = useState<WindowArea | undefined>(undefined);
  /** A node the keyboard goes to, held in the window until the next one. */
  const [visiting, setVisiting] = useState<string | undefined>(undefined);
  /** How many nodes the design has: a small one is never drawn far out (detail.ts). */
  const nodeCount = useRef(derivedNodes.length);
  nodeCount.current = derivedNodes.length;
  const areaOfView = useCallback((): WindowArea | undefined => {
    const { transform, width, height } = flowStore.getState();
    if (!width || !height) return undefined;
    return windowAround(
      viewRect({ x: transform[0], y: transform[1], zoom: transform[2] }, width, height),
      transform[2],
      isFar(transform[2], nodeCount.current),
    );
  }, [flowStore]);
  const areaRef = useRef(area);
  areaRef.current = area;
  /**
   * Until when the window is held through an animated move (a fit): taken once, for where the
   * move starts and where it ends, instead of again and again on the way, each time adopting more.
   */
  const heldUntil = useRef(0);
  useEffect(() => {
    if (!large) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastTaken = 0;
    const take = () => {
      timer = undefined;
      lastTaken = performance.now();
      const next = areaOfView();
      if (next) setArea(next);
    };
    const check = () => {
      const { transform, width, height } = flowStore.getState();
      if (!width || !height || timer !== undefined) return;
      const held = heldUntil.current - performance.now();
      if (held > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          check();
        }, held);
        return;
      }
      const zoom = transform[2];
      const current = areaRef.current;
      if (
        current &&
        serves(
          current,
          viewRect({ x: transform[0], y: transform[1], zoom }, width, height),
          zoom,
          isFar(zoom, nodeCount.current),
        )
      )
        return;
      timer = setTimeout(take, Math.max(0, WINDOW_THROTTLE_MS - (performance.now() - lastTaken)));
    };
    check();
    const unsubscribe = flowStore.subscribe(check);
    return () => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [large, flowStore, areaOfView]);
  const windowed = useMemo(() => {
    if (!large) return { nodes: derivedNodes, edges, passing: [], far: false };
    // Before the first window is taken (the first render of a large design), the view's own.
    const shown = area ?? areaOfView();
    if (!shown) return { nodes: derivedNodes, edges, passing: [], far: false };
    const pinned = visiting === undefined ? selected : [...selected, visiting];
    // Zoomed far out, React Flow holds only the pinned nodes; the rest is drawn (detail.ts).
    return { ...canvasWindow.current.take(derivedNodes, edges, shown, pinned), far: shown.far };
  }, [large, derivedNodes, edges, area, areaOfView, selected, visiting]);
  const heldIds = useMemo(() => new Set(windowed.nodes.map((node) => node.id)), [windowed.nodes]);

  /**
   * Zoomed far out, a click on a drawn item selects it (Shift, Ctrl or Cmd toggles) and, in
   * what-if mode, fails it, as a click on its card does: the item is the smallest box under the
   * pointer. A press that moved is a selection box, not a click. React Flow takes a release on
   * the pane as a click on empty canvas and clears the selection before the click arrives, so a
   * toggle starts from the selection as it was when the button went down.
   */
  const pressedAt = useRef<{ x: number; y: number; selection: readonly string[] } | undefined>(undefined);
  const onPointerDownCapture = useCallback(
    (event: PointerEvent) => {
      pressedAt.current = {
        x: event.clientX,
        y: event.clientY,
        selection: services.store.getState().selection,
      };
    },
    [services],
  );
  const onClickCapture = useCallback(
    (event: MouseEvent) => {
      if (!windowed.far) return;
      const target = event.target as Element;
      if (!target.closest('.react-flow__pane') || target.closest('.react-flow__viewport-portal')) return;
      const pressed = pressedAt.current;
      if (pressed && Math.hypot(event.clientX - pressed.x, event.clientY - pressed.y) > 4) return;
      const id = itemAt(geometry, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
      if (id === undefined || heldIds.has(id)) return;
      event.stopPropagation();
      const state = services.store.getState();
      if (event.shiftKey || event.ctrlKey || event.metaKey) {
        const before = pressed?.selection ?? state.selection;
        state.select(before.includes(id) ? before.filter((other) => other !== id) : [...before, id]);
        return;
      }
      state.select([id]);
      const kind = geometry.boxes.get(id)?.kind;
      if (state.whatIf && kind !== undefined && FAILABLE.has(kind)) state.toggleFailure(id);
    },
    [windowed.far, geometry, flow, heldIds, services],
  );

  // Tab goes over every node in reading order, drawn or not (keyboard.ts).
  const readingPlaces = useMemo(() => projection.current.focusOrder(derivedNodes), [derivedNodes]);
  travel.current = {
    next: (id, step) => {
      const index = readingPlaces.place.get(id);
      return index === undefined ? undefined : readingPlaces.order[index + step];
    },
    reveal: (id) => {
      const box = geometry.boxes.get(id);
      const { transform, width, height } = flowStore.getState();
      if (!box || !width || !height) return;
      const zoom = transform[2];
      flow
        .setViewport({
          x: width / 2 - (box.absoluteX + box.width / 2) * zoom,
          y: height / 2 - (box.absoluteY + box.height / 2) * zoom,
          zoom,
        })
        .catch(() => undefined);
      setVisiting(id);
      const next = areaOfView();
      if (next) setArea(next);
    },
  };

  // A drag moves the overlay: only the nodes React Flow holds are copied on each frame.
  const nodes = useMemo(() => {
    if (overlay.size === 0) return windowed.nodes;
    return windowed.nodes.map((node) => {
      const position = overlay.get(node.id);
      return position ? ({ ...node, position } as CanvasNode) : node;
    });
  }, [windowed, overlay]);
  useEffect(() => {
    if (!clearOverlay.current) return;
    clearOverlay.current = false;
    setOverlay(new Map());
  }, [design]);

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      const selections: { id: string; selected: boolean }[] = [];
      let moved: Map<string, XYPosition> | undefined;
      for (const change of changes) {
        if (change.type === 'select') selections.push({ id: change.id, selected: change.selected });
        else if (change.type === 'position' && change.position && change.dragging) {
          moved ??= new Map();
          moved.set(change.id, change.position);
        }
      }
      if (selections.length > 0) services.store.getState().changeSelection(selections);
      if (moved) {
        const positions = moved;
        setOverlay((previous) => {
          const next = new Map(previous);
          for (const [id, position] of positions) next.set(id, position);
          return next;
        });
      }
    },
    [services],
  );

  const { onSelectionStart, onSelectionEnd: endBoxSelection, isBoxSelecting } = useBoxSelect(services);
  /** The selection box being drawn, in pane pixels: React Flow clears it before the box ends. */
  const selectionRect = useRef<{ x: number; y: number; width: number; height: number } | undefined>(
    undefined,
  );
  useEffect(
    () =>
      flowStore.subscribe((state) => {
        if (state.userSelectionRect) selectionRect.current = state.userSelectionRect;
      }),
    [flowStore],
  );
  const farRef = useRef(windowed.far);
  farRef.current = windowed.far;
  const onSelectionEnd = useCallback(() => {
    endBoxSelection();
    const rect = selectionRect.current;
    selectionRect.current = undefined;
    // Zoomed far out the box takes the drawn items inside it too, not only the nodes React Flow holds.
    if (!farRef.current || !rect) return;
    const [x, y, zoom] = flowStore.getState().transform;
    const state = services.store.getState();
    const current = geometryOf(state.design);
    const inside = itemsInside(current, {
      x: (rect.x - x) / zoom,
      y: (rect.y - y) / zoom,
      width: rect.width / zoom,
      height: rect.height / zoom,
    });
    if (inside.length > 0) state.select(boxSelection([...state.selection, ...inside], current));
  }, [endBoxSelection, flowStore, services]);
  const onEdgesChange = useCallback(
    (changes: EdgeChange<CanvasEdge>[]) => {
      const selections = changes.flatMap((change) =>
        change.type === 'select' && !(change.selected && isBoxSelecting())
          ? [{ id: change.id, selected: change.selected }]
          : [],
      );
      if (selections.length > 0) services.store.getState().changeSelection(selections);
    },
    [services, isBoxSelecting],
  );

  const pointerOf = useCallback(
    (event: globalThis.MouseEvent | TouchEvent) => {
      const at = 'touches' in event ? (event.changedTouches[0] ?? event.touches[0]) : event;
      return at ? flow.screenToFlowPosition({ x: at.clientX, y: at.clientY }) : undefined;
    },
    [flow],
  );

  const onNodeDrag: OnNodeDrag<CanvasNode> = useCallback(
    (event, _node, dragged) =>
      trackDrop(
        services,
        geometry,
        dragged.map((node) => node.id),
        pointerOf(event),
      ),
    [services, geometry, pointerOf],
  );

  const onNodeDragStop: OnNodeDrag<CanvasNode> = useCallback(
    (event, _node, dragged) => {
      const positions = dragged.map((node) => ({ id: node.id, position: node.position }));
      const pointer = pointerOf(event);
      trackDrop(services, geometry, [], undefined);
      // Committed in a task of its own, after React Flow has finished with the release.
      setTimeout(() => {
        const before = services.store.getState().design;
        commitDrag(services, positions, pointer);
        // The overlay stays until the canvas shows the committed design, so nothing jumps back.
        if (services.store.getState().design === before) setOverlay(new Map());
        else clearOverlay.current = true;
      }, 0);
    },
    [services, geometry, pointerOf],
  );

  const onConnect = useCallback(
    (connection: Connection) =>
      connectItems(services, connection.source, connection.target, connection.targetHandle),
    [services],
  );

  const isValidConnection: IsValidConnection<CanvasEdge> = useCallback(
    (connection) =>
      connectionRefusal(services, connection.source, connection.target, connection.targetHandle) ===
      undefined,
    [services],
  );

  const toFlow = useCallback((point: XYPosition) => flow.screenToFlowPosition(point), [flow]);
  const gestures = useGestures(services, toFlow);
  // Zoomed far out, a right-click on a drawn item opens the menu of that item, as on its card.
  const { onPaneContextMenu: onEmptyContextMenu, onNodeContextMenu } = gestures;
  const onPaneContextMenu = useCallback(
    (event: MouseEvent | globalThis.MouseEvent) => {
      const id = farRef.current
        ? itemAt(geometry, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }))
        : undefined;
      const node = id === undefined ? undefined : derivedNodes.find((candidate) => candidate.id === id);
      if (node && onNodeContextMenu) onNodeContextMenu(event as MouseEvent, node);
      else onEmptyContextMenu?.(event);
    },
    [geometry, flow, derivedNodes, onNodeContextMenu, onEmptyContextMenu],
  );

  const onNodeClick = useCallback(
    (event: MouseEvent, node: CanvasNode) => {
      const state = services.store.getState();
      // Shift-, Ctrl- or Cmd-click only selects, so that hosts can be picked to cut off.
      if (event.shiftKey || event.ctrlKey || event.metaKey) return;
      if (state.whatIf && node.type !== undefined && FAILABLE.has(node.type)) state.toggleFailure(node.id);
    },
    [services],
  );

  const paneSize = useCallback(() => {
    const pane = document.querySelector('.react-flow')?.getBoundingClientRect();
    return { width: pane?.width ?? 1, height: pane?.height ?? 1 };
  }, []);

  const fitView = useCallback(
    (ids?: string[]) => {
      const chosen = ids && ids.length > 0 ? ids : undefined;
      const bounds = boundsOf(geometry, chosen);
      if (!bounds) return;
      const options = chosen ? FIT_ITEMS : FIT_DESIGN;
      const size = paneSize();
      const target = fitViewport(bounds, size, options, boxesOf(geometry, chosen));
      const from = areaOfView();
      if (large && from) {
        heldUntil.current = performance.now() + FIT_DURATION_MS + 50;
        setArea(
          spanning(
            from,
            windowAround(
              viewRect(target, size.width, size.height),
              target.zoom,
              isFar(target.zoom, nodeCount.current),
            ),
          ),
        );
      }
      void flow.setViewport(target, { duration: FIT_DURATION_MS });
    },
    [flow, geometry, paneSize, large, areaOfView],
  );

  const capture = useCallback(
    async (format: 'png' | 'svg') => {
      // What-if colours when exported from what-if mode; the design as it is otherwise.
      const state = services.store.getState();
      let states: Record<string, DiagramState> | undefined;
      let cut: { cutOff: ReadonlySet<string>; splitBrain: readonly string[] } | undefined;
      if (state.whatIf && state.analysis?.detail) {
        states = itemRecord<DiagramState>(state.analysis.states);
        for (const id of state.failed) states[id] = 'failed';
        const picture = cutPicture(state.design, state.analysis.sides);
        if (picture) cut = { cutOff: picture.cutOff, splitBrain: state.analysis.splitBrain };
        // A group in split brain shows that mark, not the colour of up, as on the canvas.
        for (const group of state.analysis.splitBrain) delete states[group];
      }
      return diagramDataUrl(format, state.design, states, cut);
    },
    [services],
  );

  const fitRequest = useAppStore((s) => s.fitRequest);
  const fitted = useRef(0);
  useEffect(() => {
    // Runs after React Flow has taken the new nodes (its store updates in a child effect), and
    // only once the deferred design the canvas shows is the one the request was made for.
    if (fitRequest.seq <= fitted.current || design !== services.store.getState().design) return;
    fitted.current = fitRequest.seq;
    fitView(fitRequest.ids);
  }, [fitRequest, fitView, design, services]);

  useEffect(() => {
    services.canvas = {
      fitView,
      capture,
      center: () => {
        const pane = document.querySelector('.react-flow')?.getBoundingClientRect();
        if (!pane) return { x: 0, y: 0 };
        return flow.screenToFlowPosition({ x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 });
      },
      setViewport: (viewport) => void flow.setViewport(viewport),
      size: paneSize,
      toScreen: (point) => flow.flowToScreenPosition(point),
      held: () => {
        const { nodes: held, edges: heldEdges } = flowStore.getState();
        return { nodes: held.length, edges: heldEdges.length };
      },
    };
    return () => {
      services.canvas = undefined;
    };
  }, [services, fitView, capture, flow, paneSize, flowStore]);

  return (
    <>
      {derivedNodes.length === 0 ? (
        <div className="canvas-empty">
          <div>
            <strong>An empty design</strong>
            Drag services from the palette onto the canvas: each lands on a new host. Or open one of the seed
            designs with File › New from example.
          </div>
        </div>
      ) : null}
      <RoutingContext.Provider value={scene}>
        <ReactFlow<CanvasNode, CanvasEdge>
          ref={wrapper}
          onPointerDownCapture={onPointerDownCapture}
          onClickCapture={onClickCapture}
          nodes={nodes}
          edges={windowed.edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onNodeDrag={onNodeDrag}
          onNodeDragStop={onNodeDragStop}
          onConnect={onConnect}
          onNodeClick={onNodeClick}
          isValidConnection={isValidConnection}
          connectionMode={ConnectionMode.Strict}
          connectionLineType={ConnectionLineType.Bezier}
          colorMode={theme}
          snapToGrid={snapToGrid}
          snapGrid={GRID}
          deleteKeyCode={null}
          // draw.io, Figma and Excalidraw: Shift-, Ctrl- or Cmd-click toggles, a drag on empty canvas
          // draws a selection box, Space-drag and middle-drag pan, double-click edits a label.
          selectionKeyCode={null}
          multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
          selectionOnDrag
          panOnDrag={[1]}
          panActivationKeyCode="Space"
          zoomOnDoubleClick={false}
          onSelectionStart={onSelectionStart}
          onSelectionEnd={onSelectionEnd}
          {...gestures}
          onPaneContextMenu={onPaneContextMenu}
          onlyRenderVisibleElements={large}
          minZoom={0.05}
          maxZoom={2.5}
          proOptions={{ hideAttribution: true }}
          className={[whatIf ? 'what-if' : '', large ? 'large-design' : ''].join(' ').trim() || undefined}
        >
          <Background variant={BackgroundVariant.Dots} gap={20} size={1} />
          <Controls position="bottom-left" showFitView={false}>
            <FitButton />
          </Controls>
          <PassingEdges edges={windowed.passing} geometry={geometry} zoom={area?.zoom ?? 1} />
          {windowed.far ? (
            <FarLayer
              nodes={derivedNodes}
              edges={edges}
              boxes={canvasWindow.current.boxesOf(derivedNodes)}
              held={windowed.nodes}
            />
          ) : null}
          <LabelEditor geometry={geometry} />
          <WhatIfBubbles />
        </ReactFlow>
      </RoutingContext.Provider>
      <DropHint />
      <SearchBox />
      <ContextMenu />
    </>
  );
}
