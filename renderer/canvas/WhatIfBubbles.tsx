/**
 * In what-if mode, a bubble beside each entrypoint that is not fully up, saying why in one
 * sentence, cause first. The bubbles live over the canvas, not in the nodes, so each is placed
 * where it fits: beside its entrypoint (right, left, below or above, whichever covers the fewest
 * other cards), kept inside the pane, and left out while its entrypoint is out of view. They take no clicks, so whatever is under them
 * (a site's header, say) still gets the pointer.
 */
import { memo, useLayoutEffect, useState } from 'react';
import { useInternalNode, useStore, useStoreApi } from '@xyflow/react';
import type { InternalNode } from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../state/store';
import type { Recovery } from '../../core/recovery/mechanisms';
import type { DisplayState, EntrypointStatus } from '../workers/analysis-protocol';
import { interruptsClients, recoveryFigure, MECHANISM_WORDS } from './cut';

const GAP = 10;
const MARGIN = 8;
/** More bubbles in view than this are shown one line each. */
const COMPACT_ABOVE = 6;

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlap(a: Rect, b: Rect): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

/**
 * Where a bubble of `size` goes beside `anchor` (screen pixels) in a pane of `pane`: the first of
 * right, left, below and above, each kept inside the pane, that covers the least of `cards` (the
 * other entrypoints' and services' boxes, whose labels a person is reading).
 */
export function placeBubble(
  anchor: Rect,
  size: { width: number; height: number },
  pane: { width: number; height: number },
  cards: readonly Rect[],
): { x: number; y: number } {
  const middleY = anchor.y + anchor.height / 2 - size.height / 2;
  const middleX = anchor.x + anchor.width / 2 - size.width / 2;
  const candidates = [
    { x: anchor.x + anchor.width + GAP, y: middleY },
    { x: anchor.x - GAP - size.width, y: middleY },
    { x: middleX, y: anchor.y + anchor.height + GAP },
    { x: middleX, y: anchor.y - GAP - size.height },
  ].map((at) => ({
    x: Math.min(Math.max(MARGIN, at.x), pane.width - size.width - MARGIN),
    y: Math.min(Math.max(MARGIN, at.y), pane.height - size.height - MARGIN),
  }));
  let best = candidates[0]!;
  let bestCovered = Number.POSITIVE_INFINITY;
  for (const at of candidates) {
    const box = { ...at, ...size };
    // Covering its own entrypoint is the worst place of all.
    let covered = overlap(box, anchor) * 4;
    for (const card of cards) covered += overlap(box, card);
    if (covered < bestCovered) {
      best = at;
      bestCovered = covered;
    }
  }
  return best;
}

/** The boxes on screen of the entrypoints and services (not hosts or sites) near a point. */
function cardsNear(
  nodes: ReadonlyMap<string, InternalNode>,
  id: string,
  view: { x: number; y: number; zoom: number },
  around: { x: number; y: number; reach: number },
): Rect[] {
  const near: Rect[] = [];
  for (const other of nodes.values()) {
    if (other.id === id || other.type === 'host' || other.type === 'site' || other.hidden) continue;
    const x = other.internals.positionAbsolute.x * view.zoom + view.x;
    const y = other.internals.positionAbsolute.y * view.zoom + view.y;
    if (Math.abs(x - around.x) > around.reach || Math.abs(y - around.y) > around.reach) continue;
    near.push({
      x,
      y,
      width: (other.measured.width ?? other.width ?? 0) * view.zoom,
      height: (other.measured.height ?? other.height ?? 0) * view.zoom,
    });
  }
  return near;
}

interface BubbleProps {
  id: string;
  state: DisplayState;
  text: string;
  /** How long its clients wait and which mechanism sets it; null when it is down. */
  recovery: Recovery | null;
  compact: boolean;
}

const Bubble = memo(function Bubble({ id, state, text, recovery, compact }: BubbleProps) {
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
  // Read when the view or this entrypoint changes (both re-render the bubble): the other cards
  // move only when dragged, and a subscription to every node would re-render it on each frame.
  const flow = useStoreApi();
  if (!node) return null;
  const left = node.internals.positionAbsolute.x * view.zoom + view.x;
  const top = node.internals.positionAbsolute.y * view.zoom + view.y;
  const width = (node.measured.width ?? node.width ?? 0) * view.zoom;
  const height = (node.measured.height ?? node.height ?? 0) * view.zoom;
  // Out of view: no bubble pointing at nothing.
  if (left + width < 0 || top + height < 0 || left > view.width || top > view.height) return null;
  const cards = cardsNear(flow.getState().nodeLookup, id, view, {
    x: left + width / 2,
    y: top + height / 2,
    reach: size.width + width,
  });
  const { x, y } = placeBubble({ x: left, y: top, width, height }, size, view, cards);
  return (
    <div
      ref={setElement}
      className={`what-if-bubble state-${state}${compact ? ' compact' : ''}`}
      style={{ transform: `translate(${Math.round(x)}px, ${Math.round(y)}px)` }}
      data-testid={`reason-${id}`}
      role="status"
    >
      {text}
      {recovery ? (
        <span className="what-if-bubble-recovery" data-testid={`whatif-recovery-bubble-${id}`}>
          {interruptsClients(recovery) ? (
            <>
              Recovers in {recovery.seconds === null ? 'a time not known' : recoveryFigure(recovery)} by{' '}
              {MECHANISM_WORDS[recovery.by]}.
            </>
          ) : (
            'No interruption: its clients are served throughout.'
          )}
        </span>
      ) : null}
    </div>
  );
});

/** The entrypoints not fully up, once per list of statuses (the analysis keeps it while unchanged). */
const notUpOf = new WeakMap<readonly EntrypointStatus[], EntrypointStatus[]>();
const NONE: EntrypointStatus[] = [];

function notUp(entrypoints: readonly EntrypointStatus[]): EntrypointStatus[] {
  let list = notUpOf.get(entrypoints);
  if (!list) {
    list = entrypoints.filter((e) => e.state !== 'up');
    notUpOf.set(entrypoints, list);
  }
  return list;
}

/** The bubbles of every entrypoint that is down, waiting for a person or weakened. */
export function WhatIfBubbles() {
  // The selector runs on every change of the store: it filters hundreds of statuses once per
  // answer, not once per change.
  const entrypoints = useAppStore(
    useShallow((s) => (s.whatIf && s.analysis?.detail ? notUp(s.analysis.entrypoints) : NONE)),
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
          recovery={entry.recovery}
          compact={entrypoints.length > COMPACT_ABOVE}
        />
      ))}
    </div>
  );
}
