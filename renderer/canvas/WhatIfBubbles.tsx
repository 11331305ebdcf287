/**
 * In what-if mode, a bubble beside each entrypoint that is not fully up, saying why in one
 * sentence, cause first. The bubbles live over the canvas, not in the nodes, so each is placed
 * where it fits: beside its entrypoint, moved inside the pane when it would run off an edge, and
 * left out while its entrypoint is out of view. They take no clicks, so whatever is under them
 * (a site's header, say) still gets the pointer.
 */
import { memo, useLayoutEffect, useState } from 'react';
import { useInternalNode, useStore } from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../state/store';
import type { DisplayState } from '../workers/analysis-protocol';

const GAP = 10;
const MARGIN = 8;
/** More bubbles in view than this are shown one line each. */
const COMPACT_ABOVE = 6;

interface BubbleProps {
  id: string;
  state: DisplayState;
  text: string;
  compact: boolean;
}

const Bubble = memo(function Bubble({ id, state, text, compact }: BubbleProps) {
  const node = useInternalNode(id);
  const view = useStore(
    useShallow((s) => ({
      x: s.transform[0],
      y: s.transform[1],
      zoom: s.transform[2],
      width: s.width,
      height: s.height,
    })),
  );
  const [element, setElement] = useState<HTMLDivElement | null>(null);
  const [size, setSize] = useState({ width: 280, height: 60 });
  // The bubble's own size decides where it fits; it changes with its text.
  useLayoutEffect(() => {
    if (!element) return;
    const measure = () => {
      const box = element.getBoundingClientRect();
      setSize((old) =>
        Math.abs(box.width - old.width) > 1 || Math.abs(box.height - old.height) > 1
          ? { width: box.width, height: box.height }
          : old,
      );
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  if (!node) return null;
  const left = node.internals.positionAbsolute.x * view.zoom + view.x;
  const top = node.internals.positionAbsolute.y * view.zoom + view.y;
  const width = (node.measured.width ?? node.width ?? 0) * view.zoom;
  const height = (node.measured.height ?? node.height ?? 0) * view.zoom;
  // Out of view: no bubble pointing at nothing.
  if (left + width < 0 || top + height < 0 || left > view.width || top > view.height) return null;
  // Beside the entrypoint, right if it fits, else left, else below; then kept inside the pane.
  let x = left + width + GAP;
  let y = top + height / 2 - size.height / 2;
  if (x + size.width > view.width - MARGIN) {
    x = left - GAP - size.width;
    if (x < MARGIN) {
      x = left + width / 2 - size.width / 2;
      y = top + height + GAP;
    }
  }
  x = Math.min(Math.max(MARGIN, x), view.width - size.width - MARGIN);
  y = Math.min(Math.max(MARGIN, y), view.height - size.height - MARGIN);
  return (
    <div
      ref={setElement}
      className={`what-if-bubble state-${state}${compact ? ' compact' : ''}`}
      style={{ transform: `translate(${Math.round(x)}px, ${Math.round(y)}px)` }}
      data-testid={`reason-${id}`}
      role="status"
    >
      {text}
    </div>
  );
});

/** The bubbles of every entrypoint that is down, waiting for a person or weakened. */
export function WhatIfBubbles() {
  const entrypoints = useAppStore(
    useShallow((s) =>
      s.whatIf && s.analysis?.detail ? s.analysis.entrypoints.filter((e) => e.state !== 'up') : [],
    ),
  );
  if (entrypoints.length === 0) return null;
  return (
    <div className="what-if-bubbles" aria-live="polite">
      {entrypoints.map((entry) => (
        <Bubble
          key={entry.id}
          id={entry.id}
          state={entry.state}
          text={entry.headline}
          compact={entrypoints.length > COMPACT_ABOVE}
        />
      ))}
    </div>
  );
}
