/**
 * The canvas: React Flow showing the projection of the design (derive.ts). Drags move a local
 * overlay of positions and commit once, on release, as one undoable edit; selection goes to the
 * store; connections become links, memberships or entrypoint targets.
 */
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { MouseEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  ConnectionLineType,
  ConnectionMode,
  Controls,
  ReactFlow,
  useReactFlow,
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
import { computeGeometry, LARGE_DESIGN_NODES } from './geometry';
import { CanvasProjection } from './derive';
import type { CanvasEdge, CanvasNode } from './derive';
import { edgeTypes, RoutingContext } from './edges';
import { diagramDataUrl } from './export';
import type { DiagramState } from './export-svg';
import { nodeTypes } from './nodes';
import { useCanvasKeyboard } from './keyboard';
import { RoutingScene } from './routing';
import { WhatIfBubbles } from './WhatIfBubbles';

const GRID: [number, number] = [10, 10];
const FAILABLE = new Set(['host', 'site', 'service']);

/** The canvas of the designer. */
export function Canvas() {
  const services = useServices();
  const flow = useReactFlow<CanvasNode, CanvasEdge>();
  // Deferred: an edit first updates the panels, then the canvas in a render React may split into
  // short tasks, so that no edit of a large design holds the main thread for long.
  const design = useDeferredValue(useAppStore((s) => s.design));
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
  useCanvasKeyboard(services, wrapper);

  const selected = useMemo(() => new Set(selection), [selection]);
  const geometry = useMemo(() => computeGeometry(design), [design]);
  const scene = useMemo(() => new RoutingScene(geometry), [geometry]);
  const derivedNodes = useMemo(
    () => projection.current.nodes(design, geometry, selected),
    [design, geometry, selected],
  );
  const edges = useMemo(() => projection.current.edges(design, selected), [design, selected]);
  const nodes = useMemo(() => {
    if (overlay.size === 0) return derivedNodes;
    return derivedNodes.map((node) => {
      const position = overlay.get(node.id);
      return position ? ({ ...node, position } as CanvasNode) : node;
    });
  }, [derivedNodes, overlay]);
  const large = nodes.length > LARGE_DESIGN_NODES;
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

  const onEdgesChange = useCallback(
    (changes: EdgeChange<CanvasEdge>[]) => {
      const selections = changes.flatMap((change) =>
        change.type === 'select' ? [{ id: change.id, selected: change.selected }] : [],
      );
      if (selections.length > 0) services.store.getState().changeSelection(selections);
    },
    [services],
  );

  const onNodeDragStop: OnNodeDrag<CanvasNode> = useCallback(
    (_event, _node, dragged) => {
      const positions = dragged.map((node) => ({ id: node.id, position: node.position }));
      // Committed in a task of its own, after React Flow has finished with the release.
      setTimeout(() => {
        const before = services.store.getState().design;
        commitDrag(services, positions);
        // The overlay stays until the canvas shows the committed design, so nothing jumps back.
        if (services.store.getState().design === before) setOverlay(new Map());
        else clearOverlay.current = true;
      }, 0);
    },
    [services],
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

  const onNodeClick = useCallback(
    (_event: MouseEvent, node: CanvasNode) => {
      const state = services.store.getState();
      if (state.whatIf && node.type !== undefined && FAILABLE.has(node.type)) state.toggleFailure(node.id);
    },
    [services],
  );

  const fitView = useCallback(
    (ids?: string[]) => {
      void flow.fitView({
        ...(ids && ids.length > 0 ? { nodes: ids.map((id) => ({ id })), maxZoom: 1.2 } : { maxZoom: 1 }),
        // Clear of the controls (bottom left), which would hide whatever the fit put under them.
        padding: { top: '40px', left: '64px', right: '40px', bottom: '64px' },
        duration: 300,
        includeHiddenNodes: true,
      });
    },
    [flow],
  );

  const capture = useCallback(
    async (format: 'png' | 'svg') => {
      // What-if colours when exported from what-if mode; the design as it is otherwise.
      const state = services.store.getState();
      let states: Record<string, DiagramState> | undefined;
      if (state.whatIf && state.analysis?.detail) {
        states = { ...state.analysis.states };
        for (const id of state.failed) states[id] = 'failed';
      }
      return diagramDataUrl(format, state.design, states);
    },
    [services],
  );

  const fitRequest = useAppStore((s) => s.fitRequest);
  useEffect(() => {
    // Runs after React Flow has taken the new nodes (its store updates in a child effect).
    if (fitRequest.seq > 0) fitView(fitRequest.ids);
  }, [fitRequest, fitView]);

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
    };
    return () => {
      services.canvas = undefined;
    };
  }, [services, fitView, capture, flow]);

  return (
    <>
      {nodes.length === 0 ? (
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
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
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
          selectionKeyCode="Shift"
          multiSelectionKeyCode={['Meta', 'Control']}
          onlyRenderVisibleElements={large}
          minZoom={0.05}
          maxZoom={2.5}
          proOptions={{ hideAttribution: true }}
          className={[whatIf ? 'what-if' : '', large ? 'large-design' : ''].join(' ').trim() || undefined}
        >
          <Background variant={BackgroundVariant.Dots} gap={20} size={1} />
          <Controls position="bottom-left" />
          <WhatIfBubbles />
        </ReactFlow>
      </RoutingContext.Provider>
    </>
  );
}
