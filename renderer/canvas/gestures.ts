/**
 * The canvas's mouse conventions beyond clicking and dragging: a right-click opens the context
 * menu on what is under the pointer (selecting it first when it is not selected), a double-click
 * edits an item's label in place. Returned as React Flow props, so the canvas spreads them in.
 */
import { useMemo } from 'react';
import type { MouseEvent as ReactMouseEvent } from 'react';
import type { ReactFlowProps } from '@xyflow/react';
import type { AppServices } from '../app/services';
import type { ContextMenuState } from '../state/view-slice';
import type { CanvasEdge, CanvasNode } from './derive';

type Gestures = Pick<
  ReactFlowProps<CanvasNode, CanvasEdge>,
  | 'onNodeContextMenu'
  | 'onEdgeContextMenu'
  | 'onPaneContextMenu'
  | 'onSelectionContextMenu'
  | 'onNodeDoubleClick'
>;

/** The handlers, for a canvas that turns screen positions into flow positions with `toFlow`. */
export function useGestures(
  services: AppServices,
  toFlow: (point: { x: number; y: number }) => { x: number; y: number },
): Gestures {
  return useMemo(() => {
    const open = (event: ReactMouseEvent | MouseEvent, target: ContextMenuState['target'], item?: string) => {
      event.preventDefault();
      const state = services.store.getState();
      if (item !== undefined && !state.selection.includes(item)) state.select([item]);
      state.openContextMenu({
        x: event.clientX,
        y: event.clientY,
        target,
        point: toFlow({ x: event.clientX, y: event.clientY }),
      });
    };
    return {
      onNodeContextMenu: (event, node) => open(event, 'node', node.id),
      onSelectionContextMenu: (event) => open(event, 'node'),
      onEdgeContextMenu: (event, edge) => open(event, 'edge', edge.id),
      onPaneContextMenu: (event) => open(event, 'pane'),
      onNodeDoubleClick: (event, node) => {
        const state = services.store.getState();
        if (state.whatIf) return;
        event.preventDefault();
        state.select([node.id]);
        state.setEditingLabel(node.id);
      },
    };
  }, [services, toFlow]);
}
