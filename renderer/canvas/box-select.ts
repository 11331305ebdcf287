/**
 * Box selection as draw.io, Figma and Excalidraw do it: dragging on empty canvas draws a box and
 * selects the nodes inside it. React Flow also selects the edges between them and, for a host
 * inside the box, the services in it; the box takes nodes only, and a container without what it
 * contains (moving or deleting it takes that along anyway).
 */
import { useCallback, useEffect, useRef } from 'react';
import { useStoreApi } from '@xyflow/react';
import type { AppServices } from '../app/services';
import { isEdgeId } from '../state/edge-ids';
import { geometryOf } from './geometry';
import type { Geometry } from './geometry';

/** A selection without edges and without items whose container is selected too. */
export function boxSelection(selection: readonly string[], geometry: Geometry): string[] {
  const chosen = new Set(selection.filter((id) => !isEdgeId(id)));
  const inside = (id: string): boolean => {
    const parent = geometry.boxes.get(id)?.parent;
    return parent !== undefined && (chosen.has(parent) || inside(parent));
  };
  return [...chosen].filter((id) => !inside(id));
}

/** Handlers that make React Flow's box selection a box selection of nodes. */
export function useBoxSelect(services: AppServices) {
  const flow = useStoreApi();
  const selecting = useRef(false);
  const onSelectionStart = useCallback(() => {
    selecting.current = true;
    // A box replaces the selection, as React Flow's own reset at this moment means it to. That
    // reset only reaches the nodes React Flow holds with their selection drawn: an item selected a
    // moment ago whose card is not mounted yet (far out, the canvas mounts it after a frame or two)
    // would stay selected beside the box's items.
    const state = services.store.getState();
    if (state.selection.length > 0) state.select([]);
  }, [services]);
  // React Flow covers a box selection with a rectangle of its own that takes every click (and it
  // sets it after onSelectionEnd); the selected items stay clickable and draggable one by one
  // instead, as in drawing tools.
  useEffect(
    () =>
      flow.subscribe((state) => {
        if (state.nodesSelectionActive) flow.setState({ nodesSelectionActive: false });
      }),
    [flow],
  );
  const onSelectionEnd = useCallback(() => {
    selecting.current = false;
    const state = services.store.getState();
    const tidy = boxSelection(state.selection, geometryOf(state.design));
    if (tidy.length !== state.selection.length) state.select(tidy);
  }, [services]);
  /** While the box is drawn, edges do not join the selection. */
  const isBoxSelecting = useCallback(() => selecting.current, []);
  return { onSelectionStart, onSelectionEnd, isBoxSelecting };
}
