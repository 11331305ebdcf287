/**
 * The level of detail of a large design: zoomed far out, where a card's text is a few pixels high
 * and nobody reads it, React Flow does not mount the cards at all. The design is drawn instead as
 * a handful of SVG paths (one per colour: sites, hosts, cards, group marks, finding marks, what-if
 * states, links), and a click, a box selection or the keyboard finds the item by its box. Opening
 * a 5,000-service design fits it at zoom 0.055, where mounting all its 8,000 nodes made opening
 * take 12.9 s.
 *
 * What stays exact at that zoom: where everything is and how big, the what-if colour of every
 * item, the colour of every group's mark and frame, the severity of the worst finding on an item,
 * and every link, as a straight line. What goes: text, icons and handles, which is what the
 * threshold was picked by (see {@link FAR_ZOOM}).
 */
import type { CanvasEdge, CanvasNode } from './derive';
import type { Geometry } from './geometry';
import type { Rect } from './window';

/**
 * Below this zoom the cards are drawn, not mounted. A card's title is 13 px: at 0.35 it is 4.5
 * pixels high, a grey smudge; at 0.5 (6.5 px) some titles can still be made out, so the line is
 * below that. A 1,000-service design opens at 0.11, a 300-service one at 0.2 to 0.3.
 */
export const FAR_ZOOM = 0.35;

/**
 * Designs of up to this many nodes keep their cards at every zoom: a 300-service design (about
 * 500 nodes) opens at zoom 0.2, and mounting it all is quick (the cost that made the level of
 * detail worth having grew with the nodes: 3.2 s to open 1,619, 12.9 s for 8,105).
 */
export const FAR_DESIGN_NODES = 1000;

/**
 * Whether a view at `zoom` shows the drawn picture instead of React Flow's cards; for a design of
 * `nodes` nodes when given (a small one never does).
 */
export function isFar(zoom: number, nodes = Infinity): boolean {
  return zoom < FAR_ZOOM && nodes > FAR_DESIGN_NODES;
}

/** Where an item is, with its parent (containers hold what they contain). */
export interface AbsoluteBox extends Rect {
  parent?: string;
}

/**
 * The item under a point of the flow: the smallest box that holds it, so a card before its host
 * and a host before its site (what a click on a drawn card means). Undefined on empty canvas.
 */
export function itemAt(geometry: Geometry, point: { x: number; y: number }): string | undefined {
  let found: string | undefined;
  let area = Infinity;
  for (const [id, box] of geometry.boxes) {
    if (
      point.x < box.absoluteX ||
      point.y < box.absoluteY ||
      point.x > box.absoluteX + box.width ||
      point.y > box.absoluteY + box.height
    )
      continue;
    const size = box.width * box.height;
    if (size < area) {
      area = size;
      found = id;
    }
  }
  return found;
}

/** The items whose whole box lies inside `rect` (what a selection box drawn over them takes). */
export function itemsInside(geometry: Geometry, rect: Rect): string[] {
  const inside: string[] = [];
  for (const [id, box] of geometry.boxes)
    if (
      box.absoluteX >= rect.x &&
      box.absoluteY >= rect.y &&
      box.absoluteX + box.width <= rect.x + rect.width &&
      box.absoluteY + box.height <= rect.y + rect.height
    )
      inside.push(id);
  return inside;
}

/** What the drawn picture shows of the analysis: what-if states and the worst finding per item. */
export interface FarDecorations {
  /** What-if states by item (the failed ones as `failed`); empty outside what-if mode. */
  states: Readonly<Record<string, string>>;
  /** Groups up on two sides of a network cut: their own colour, not that of up or down. */
  splitBrain: ReadonlySet<string>;
  /** The worst finding's severity by item. */
  severities: Readonly<Record<string, string>>;
}

/** One path of the picture: its class (what it is, for its colour) or a colour of its own. */
export interface FarPath {
  key: string;
  className: string;
  d: string;
  /** A group's colour (its marks, its frame): the fill or stroke the class leaves to it. */
  color?: string;
}

/** The drawn picture: its paths, bottom first, and how many cards it draws. */
export interface FarPicture {
  paths: FarPath[];
  cards: number;
}

const CARD_KINDS = new Set(['service', 'group', 'entrypoint']);
/** The group mark: a stripe down the left of a member's card, as wide as the card's mark reads. */
const MARK_WIDTH = 14;
/** The finding mark: a square in the card's top-right corner, where the badge is. */
const BADGE_SIZE = 22;

const PAINT_ORDER = ['site', 'host', 'frame', 'edge', 'card', 'mark', 'badge'];

function rectPath(x: number, y: number, width: number, height: number): string {
  return `M${Math.round(x)} ${Math.round(y)}h${Math.round(width)}v${Math.round(height)}h${-Math.round(width)}z`;
}

/** Where every node is on the flow: its position is its parent's plus its own. */
export function absoluteBoxes(nodes: readonly CanvasNode[]): Map<string, AbsoluteBox> {
  const boxes = new Map<string, AbsoluteBox>();
  for (const node of nodes) {
    const parent = node.parentId === undefined ? undefined : boxes.get(node.parentId);
    boxes.set(node.id, {
      x: node.position.x + (parent?.x ?? 0),
      y: node.position.y + (parent?.y ?? 0),
      width: node.width ?? 0,
      height: node.height ?? 0,
      ...(node.parentId !== undefined ? { parent: node.parentId } : {}),
    });
  }
  return boxes;
}

/**
 * The picture of every node and edge React Flow does not hold (`held`), as few paths as there are
 * colours: each path is one `d` of many rectangles or lines, so 13,000 items cost the browser a
 * dozen elements, built in a few milliseconds.
 */
export function farPicture(
  nodes: readonly CanvasNode[],
  edges: readonly CanvasEdge[],
  boxes: ReadonlyMap<string, AbsoluteBox>,
  held: ReadonlySet<string>,
  decorations: FarDecorations,
): FarPicture {
  const layers = new Map<string, { className: string; color?: string; parts: string[] }>();
  const add = (layer: string, className: string, part: string, color?: string) => {
    let entry = layers.get(layer);
    if (!entry) {
      entry = { className, parts: [], ...(color !== undefined ? { color } : {}) };
      layers.set(layer, entry);
    }
    entry.parts.push(part);
  };
  let cards = 0;
  const stateOf = (id: string): string => {
    if (decorations.splitBrain.has(id)) return ' far-split-brain';
    const state = decorations.states[id];
    return state ? ` far-state-${state}` : '';
  };
  for (const node of nodes) {
    if (held.has(node.id)) continue;
    const box = boxes.get(node.id);
    if (!box) continue;
    const rect = rectPath(box.x, box.y, box.width, box.height);
    if (node.type === 'frame') {
      add(`frame ${node.data.frame.color}`, 'far-frame', rect, node.data.frame.color);
      continue;
    }
    const state = stateOf(node.id);
    if (node.type === 'site' || node.type === 'host') {
      add(`${node.type}${state}`, `far-${node.type}${state}`, rect);
    } else if (CARD_KINDS.has(node.type)) {
      cards++;
      add(`card ${node.type}${state}`, `far-card far-${node.type}${state}`, rect);
      const mark = node.type === 'service' || node.type === 'group' ? node.data.mark : undefined;
      if (mark)
        add(`mark ${mark.color}`, 'far-mark', rectPath(box.x, box.y, MARK_WIDTH, box.height), mark.color);
    }
    const severity = decorations.severities[node.id];
    if (severity) {
      const size = Math.min(BADGE_SIZE, box.height);
      add(
        `badge ${severity}`,
        `far-badge far-severity-${severity}`,
        rectPath(box.x + box.width - size, box.y, size, size),
      );
    }
  }
  for (const edge of edges) {
    if (held.has(edge.source) && held.has(edge.target)) continue;
    const source = boxes.get(edge.source);
    const target = boxes.get(edge.target);
    if (!source || !target) continue;
    const className = edge.className ?? '';
    add(
      `edge ${className}`,
      `far-edge ${className}`.trim(),
      `M${Math.round(source.x + source.width / 2)} ${Math.round(source.y + source.height)}L${Math.round(target.x + target.width / 2)} ${Math.round(target.y)}`,
    );
  }
  // Bottom first: sites, hosts, frames, links, cards, marks; within a kind, in the order met.
  const rank = (key: string) => PAINT_ORDER.findIndex((kind) => key.startsWith(kind));
  const paths = [...layers]
    .map(([key, layer], index) => ({ key, layer, index }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.index - b.index)
    .map(({ key, layer }) => ({
      key,
      className: layer.className,
      d: layer.parts.join(''),
      ...(layer.color !== undefined ? { color: layer.color } : {}),
    }));
  return { paths, cards };
}
