/**
 * The part of a large design React Flow is given: the nodes and edges in or near the viewport.
 *
 * React Flow 12 does work linear in all the nodes and edges it holds on every change of its store,
 * drag and pan frames included (it adopts the whole `nodes` array when the array changes, walks
 * every node for its selection listener, and every edge to find the visible ones);
 * `onlyRenderVisibleElements` saves the mounting only. So React Flow holds a window over the
 * projection (derive.ts): the viewport with a margin around it, taken again only when the view
 * moves past the margin or the zoom changes much, never on each frame. Its arrays keep their
 * identity while what is in them does not change, and the node objects are the projection's own,
 * so React Flow adopts only what entered or left.
 *
 * What is in a window:
 * - every node whose box meets the window's rectangle;
 * - every edge with an end in it, with its other end however far: an edge from a card on the
 *   screen to one off it is drawn (React Flow draws an edge only between nodes it holds);
 * - not the edges that only pass through it, both ends outside. In a large design laid out by
 *   site these are most of them (at 5,000 services, 1,930 of 2,100 edges near a view of 1,000 ×
 *   900 pixels, and 2,800 far ends to hold for them), and the box of a long diagonal edge's ends
 *   covers far more than its line does; they are returned apart, as `passing`;
 * - the pinned nodes (the selection, so that dragging a selection moves all of it, and a node the
 *   keyboard goes to);
 * - the containers of everything above, as React Flow needs a parent before its children.
 *
 * Zoomed far out (detail.ts), a window holds only the pinned nodes, their edges with the nodes at
 * the other ends (a selected group's membership edges, a selected service's links), and their
 * containers: everything else is drawn, not mounted, wherever the view is, so panning there
 * never takes a window again.
 *
 * Arrays keep the projection's order (containers first, reading order).
 */
import type { Viewport } from '@xyflow/react';
import type { CanvasEdge, CanvasNode } from './derive';
import { absoluteBoxes, isFar } from './detail';
import type { AbsoluteBox } from './detail';

/** A rectangle of the flow (design coordinates). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A window's rectangle and the zoom it was taken at. */
export interface WindowArea extends Rect {
  zoom: number;
  /** The margin around the viewport it was taken with, in flow units. */
  margin: number;
  /** Taken zoomed far out (detail.ts): it holds only what is pinned, the rest is drawn. */
  far: boolean;
}

/** The margin around the viewport, as a share of the viewport's larger side. */
export const WINDOW_MARGIN = 0.5;
/** A window is taken again when the zoom changed by more than this factor since it was taken. */
const ZOOM_CHANGE = 1.5;

/** The part of the flow a pane of `width` × `height` pixels shows at `viewport`. */
export function viewRect(viewport: Viewport, width: number, height: number): Rect {
  return {
    x: -viewport.x / viewport.zoom,
    y: -viewport.y / viewport.zoom,
    width: width / viewport.zoom,
    height: height / viewport.zoom,
  };
}

/**
 * The window around a view: the view grown by the margin on every side. `far` says whether the
 * view is drawn instead of mounted (detail.ts; by default, by the zoom alone).
 */
export function windowAround(
  view: Rect,
  zoom: number,
  far = isFar(zoom),
  margin = WINDOW_MARGIN,
): WindowArea {
  const grow = Math.max(view.width, view.height) * margin;
  return {
    x: view.x - grow,
    y: view.y - grow,
    width: view.width + 2 * grow,
    height: view.height + 2 * grow,
    zoom,
    margin: grow,
    far,
  };
}

/**
 * How much larger than its larger end a move's window may be and still be mounted: a jump
 * between two far apart cards (a search result) would otherwise mount everything between them.
 */
const SPAN_GROWTH = 4;

/**
 * A window holding two: where an animated move starts and where it ends (at the smaller zoom).
 * When either end is drawn far out, or the two are far apart, the move is drawn (it holds only
 * what is pinned): a fit from a card to the whole design, or a jump to a card across the design,
 * mounts nothing on the way, and the window at the end is taken when the move is over.
 */
export function spanning(a: WindowArea, b: WindowArea): WindowArea {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  const width = Math.max(a.x + a.width, b.x + b.width) - x;
  const height = Math.max(a.y + a.height, b.y + b.height) - y;
  const apart = width * height > SPAN_GROWTH * Math.max(a.width * a.height, b.width * b.height);
  return {
    x,
    y,
    width,
    height,
    zoom: Math.min(a.zoom, b.zoom),
    margin: Math.max(a.margin, b.margin),
    far: a.far || b.far || apart,
  };
}

/**
 * Whether a window still serves a view: the view is inside it with at least half the margin to
 * spare on every side, and the zoom is about the one it was taken at (zoomed far in, a window
 * taken zoomed out would hold far more than the screen shows). Zoomed far out, any view at a far
 * zoom (what such a window holds does not depend on where it is); never one on either side of
 * the level of detail's line from the window's.
 */
export function serves(area: WindowArea, view: Rect, zoom: number, far = isFar(zoom)): boolean {
  if (area.far !== far) return false;
  if (far) return true;
  const spare = area.margin / 2;
  return (
    zoom <= area.zoom * ZOOM_CHANGE &&
    zoom >= area.zoom / ZOOM_CHANGE &&
    view.x >= area.x + spare &&
    view.y >= area.y + spare &&
    view.x + view.width <= area.x + area.width - spare &&
    view.y + view.height <= area.y + area.height - spare
  );
}

function meets(a: Rect, b: Rect): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;
}

/**
 * Windows over a projection, keeping the identity of what it returns while the content is the
 * same. One per canvas.
 */
export class CanvasWindow {
  private boxesFor: readonly CanvasNode[] | undefined;
  private boxes = new Map<string, AbsoluteBox>();
  private lastNodes: CanvasNode[] = [];
  private lastEdges: CanvasEdge[] = [];
  private lastPassing: CanvasEdge[] = [];

  /** Where every node of the last projection taken from is on the flow. */
  boxesOf(nodes: readonly CanvasNode[]): ReadonlyMap<string, AbsoluteBox> {
    // Worked out once per projection (a new node array comes with each edit only), and then only
    // for the nodes the edit replaced: an inspector edit or a drag at 5,000 services changes one
    // or two of 8,000 nodes, and working every box out again was a good part of its main thread.
    if (this.boxesFor !== nodes) {
      const last = this.boxesFor;
      this.boxes = (last && patchedBoxes(last, nodes, this.boxes)) ?? absoluteBoxes(nodes);
      this.boxesFor = nodes;
    }
    return this.boxes;
  }

  /**
   * The nodes and edges of `area` (see the module's comment); `pinned` are in whatever it is. An
   * area taken zoomed far out ({@link WindowArea.far}) holds only the pinned ones.
   */
  take(
    nodes: readonly CanvasNode[],
    edges: readonly CanvasEdge[],
    area: Rect & { far?: boolean },
    pinned: Iterable<string> = [],
  ): { nodes: CanvasNode[]; edges: CanvasEdge[]; passing: CanvasEdge[] } {
    const boxes = this.boxesOf(nodes);
    const far = area.far === true;
    const inside = new Set<string>();
    const take = (id: string) => {
      let current: string | undefined = id;
      while (current !== undefined && !inside.has(current)) {
        const box = boxes.get(current);
        if (!box) return;
        inside.add(current);
        current = box.parent;
      }
    };
    if (!far) for (const [id, box] of boxes) if (meets(box, area)) take(id);
    const pins = new Set(pinned);
    for (const id of pins) take(id);

    const keptEdges: CanvasEdge[] = [];
    const passing: CanvasEdge[] = [];
    if (far) {
      for (const edge of edges)
        if (pins.has(edge.source) || pins.has(edge.target)) {
          take(edge.source);
          take(edge.target);
          keptEdges.push(edge);
        }
    } else
      for (const edge of edges) {
        const source = boxes.get(edge.source);
        const target = boxes.get(edge.target);
        if (!source || !target) continue;
        if (meets(source, area) || meets(target, area)) {
          take(edge.source);
          take(edge.target);
          keptEdges.push(edge);
          continue;
        }
        const x = Math.min(source.x, target.x);
        const y = Math.min(source.y, target.y);
        const span = {
          x,
          y,
          width: Math.max(source.x + source.width, target.x + target.width) - x,
          height: Math.max(source.y + source.height, target.y + target.height) - y,
        };
        if (meets(span, area)) passing.push(edge);
      }
    const keptNodes = nodes.filter((node) => inside.has(node.id));

    if (!sameItems(keptNodes, this.lastNodes)) this.lastNodes = keptNodes;
    if (!sameItems(keptEdges, this.lastEdges)) this.lastEdges = keptEdges;
    if (!sameItems(passing, this.lastPassing)) this.lastPassing = passing;
    return { nodes: this.lastNodes, edges: this.lastEdges, passing: this.lastPassing };
  }
}

/** Beyond this many replaced nodes, the boxes are worked out again from scratch. */
const PATCH_LIMIT = 256;

/**
 * The absolute boxes of `nodes` from those of `last`, the array they replace, when the two hold
 * the same ids in the same order and only a few node objects differ; undefined otherwise, or when
 * a container moved (what it holds would move with it).
 */
function patchedBoxes(
  last: readonly CanvasNode[],
  nodes: readonly CanvasNode[],
  boxes: ReadonlyMap<string, AbsoluteBox>,
): Map<string, AbsoluteBox> | undefined {
  if (last.length !== nodes.length) return undefined;
  const replaced: CanvasNode[] = [];
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!;
    if (node === last[index]) continue;
    if (node.id !== last[index]!.id || replaced.length === PATCH_LIMIT) return undefined;
    replaced.push(node);
  }
  const next = new Map(boxes);
  // In the array's order, containers before what they hold, as absoluteBoxes works.
  for (const node of replaced) {
    const parent = node.parentId === undefined ? undefined : next.get(node.parentId);
    const box: AbsoluteBox = {
      x: node.position.x + (parent?.x ?? 0),
      y: node.position.y + (parent?.y ?? 0),
      width: node.width ?? 0,
      height: node.height ?? 0,
      ...(node.parentId !== undefined ? { parent: node.parentId } : {}),
    };
    const before = next.get(node.id);
    const container = node.type === 'site' || node.type === 'host';
    if (container && (before?.x !== box.x || before.y !== box.y)) return undefined;
    next.set(node.id, box);
  }
  return next;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
