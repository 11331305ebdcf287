/**
 * A large design zoomed far out, drawn (detail.ts): one SVG in the viewport, a dozen paths, moved
 * with the view by React Flow's own transform and built again only when the design, what React
 * Flow holds, or the analysis' colours change. It takes no clicks: the canvas finds the item
 * under the pointer by its box.
 */
import { memo, useMemo } from 'react';
import { ViewportPortal } from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../state/store';
import type { CanvasEdge, CanvasNode } from './derive';
import { itemEntries, itemRecord } from '../workers/item-table';
import { farPicture } from './detail';
import type { AbsoluteBox, FarDecorations } from './detail';

interface FarLayerProps {
  nodes: readonly CanvasNode[];
  edges: readonly CanvasEdge[];
  boxes: ReadonlyMap<string, AbsoluteBox>;
  /** What React Flow holds: drawn by it, not here. */
  held: readonly CanvasNode[];
}

const NO_SPLIT: ReadonlySet<string> = new Set();

function FarLayerView({ nodes, edges, boxes, held }: FarLayerProps) {
  const { whatIf, failed, states, splitBrain, badges } = useAppStore(
    useShallow((s) => ({
      whatIf: s.whatIf,
      failed: s.failed,
      states: s.analysis?.states,
      splitBrain: s.analysis?.splitBrain,
      badges: s.analysis?.badges,
    })),
  );
  const decorations = useMemo((): FarDecorations => {
    const severities: Record<string, string> = {};
    if (badges) for (const [id, badge] of itemEntries(badges)) severities[id] = badge.severity;
    if (!whatIf) return { states: {}, splitBrain: NO_SPLIT, severities };
    const shown: Record<string, string> = states ? itemRecord(states) : {};
    for (const id of failed) shown[id] = 'failed';
    return { states: shown, splitBrain: new Set(splitBrain ?? []), severities };
  }, [whatIf, failed, states, splitBrain, badges]);
  const picture = useMemo(
    () => farPicture(nodes, edges, boxes, new Set(held.map((node) => node.id)), decorations),
    [nodes, edges, boxes, held, decorations],
  );
  return (
    <ViewportPortal>
      <svg className="far-layer" aria-hidden="true" data-testid="far-layer" data-cards={picture.cards}>
        {picture.paths.map((path) => (
          <path
            key={path.key}
            className={path.className}
            d={path.d}
            style={
              path.color === undefined
                ? undefined
                : path.className === 'far-frame'
                  ? { stroke: path.color }
                  : { fill: path.color }
            }
          />
        ))}
      </svg>
    </ViewportPortal>
  );
}

/** The drawn picture of a large design zoomed far out. */
export const FarLayer = memo(FarLayerView);
