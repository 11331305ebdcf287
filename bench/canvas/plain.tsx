/**
 * The baseline of the canvas benchmark: plain React Flow with default nodes and edges, the nodes
 * state kept the way the xyflow docs show (`applyNodeChanges`). It shows the same number of nodes
 * and edges as the designer, at the same places and sizes, read from `bench-nodes.json`.
 * `?visible=1` turns on `onlyRenderVisibleElements`; `?x=&y=&zoom=` sets the viewport.
 */
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ReactFlow, applyNodeChanges } from '@xyflow/react';
import type { Edge, Node, NodeChange } from '@xyflow/react';
import '@xyflow/react/dist/style.css';

interface Fixture {
  nodes: { id: string; x: number; y: number; width: number; height: number }[];
  edges: { source: string; target: string }[];
}

const query = new URLSearchParams(location.search);
const visibleOnly = query.get('visible') === '1';
const defaultViewport = {
  x: Number(query.get('x') ?? 0),
  y: Number(query.get('y') ?? 0),
  zoom: Number(query.get('zoom') ?? 1),
};

function Plain() {
  const [nodes, setNodes] = useState<Node[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  useEffect(() => {
    void fetch('./bench-nodes.json')
      .then((response) => response.json() as Promise<Fixture>)
      .then((fixture) => {
        setNodes(
          fixture.nodes.map((n) => ({
            id: n.id,
            position: { x: n.x, y: n.y },
            width: n.width,
            height: n.height,
            data: { label: n.id },
          })),
        );
        setEdges(fixture.edges.map((e, i) => ({ id: `e${i}`, source: e.source, target: e.target })));
        (window as unknown as { benchReady?: boolean }).benchReady = true;
      });
  }, []);
  const onNodesChange = useCallback(
    (changes: NodeChange[]) => setNodes((current) => applyNodeChanges(changes, current)),
    [],
  );
  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      onNodesChange={onNodesChange}
      onlyRenderVisibleElements={visibleOnly}
      defaultViewport={defaultViewport}
      minZoom={0.05}
      proOptions={{ hideAttribution: true }}
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Plain />
  </StrictMode>,
);
