/**
 * Where an edge runs, and where it is drawn.
 *
 * An edge leaves the bottom of its source card and enters the top of its target card, with
 * orthogonal legs in between: down, across, down, the crossing leg in a band free of headers and
 * cards. Where a leg passes a site's or a host's header, the line is not drawn: it goes under the
 * header, so the header stays readable and takes every click (a person grabs containers there).
 * Parallel links between one pair of items run in lanes of their own, each with its label, and a
 * link between two services stacked in one host runs beside them rather than in the 8-pixel gap.
 *
 * Pure: the canvas's edges and the SVG export draw the same routes.
 */
import { SIZES } from './geometry';
import type { Geometry, ItemBox } from './geometry';

/** A point in flow coordinates. */
export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned rectangle in flow coordinates. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A route: its corners from the source handle to the target handle, and where its label sits. */
export interface Route {
  /** The handle points and lane it was routed for, and what it cost then (see {@link keepRoute}). */
  from: Point;
  to: Point;
  lane: number;
  cost: number;
  points: Point[];
  /** The SVG path as drawn: the corners rounded, no line across a header. */
  path: string;
  label: Point;
}

/**
 * React Flow puts a handle's point half a handle outside the card (derive.ts: 10-pixel handles);
 * the point is then in the middle of the padding above a host's first service, below the header.
 */
export const HANDLE_OUTSET = 5;
/** Length of the first and last leg at the handles: short enough to stay in the gap beside a card. */
const STUB = 3;
/** Distance of a corridor from the card it runs beside. */
const BESIDE_CARD = 6;
/** Space between parallel links of one pair of items. */
export const LANE_GAP = 12;
/** Distance of a crossing leg from the container it runs above or below. */
const CLEARANCE = 14;

/** A leg that runs along a header hides the edge: never, when anything else will do. */
const ALONG_HEADER_COST = 50_000;
/** A leg that passes under a header is drawn with a gap there: fine, but straighter is better. */
const UNDER_HEADER_COST = 30;
/** A leg under a card is hidden by it. */
const UNDER_CARD_COST = 600;
/** A crossing leg that runs through a host reads as belonging to it. */
const THROUGH_HOST_COST = 150;
const BEND_COST = 20;
const CELL = 256;

interface Obstacle {
  rect: Rect;
  kind: 'header' | 'card' | 'body';
  owner: string;
  /** The query that last found it (see `near`), so that one query lists it once. */
  seen: number;
}

/** What of a box the obstacles depend on. */
function sameObstacleBox(a: ItemBox, b: ItemBox): boolean {
  return (
    a.kind === b.kind &&
    a.absoluteX === b.absoluteX &&
    a.absoluteY === b.absoluteY &&
    a.width === b.width &&
    a.height === b.height
  );
}

/**
 * The obstacles of a canvas: container headers (drawn under) and cards (avoided).
 *
 * A scene is kept across edits: {@link RoutingScene.update} takes the next geometry and changes
 * only the obstacles of boxes that moved or changed size, and tells only the edges whose routes
 * run through the grid cells those obstacles left or entered ({@link RoutingScene.watch}). An edit
 * then re-routes the edges it can affect, not every edge in view.
 */
export class RoutingScene {
  private readonly byOwner = new Map<string, Obstacle[]>();
  private readonly cells = new Map<number, Obstacle[]>();
  private stamp = 0;
  /** The cells each watched edge's route runs through, and the edges of each cell. */
  private readonly routeCells = new Map<string, number[]>();
  private readonly cellRoutes = new Map<number, Set<string>>();
  private readonly versions = new Map<string, number>();
  private readonly listeners = new Map<string, () => void>();
  private pending = new Set<string>();
  private current: Geometry;

  constructor(geometry: Geometry) {
    this.current = geometry;
    for (const id of geometry.order) this.addBox(geometry.boxes.get(id)!);
  }

  /** The geometry the obstacles stand for. */
  get geometry(): Geometry {
    return this.current;
  }

  /**
   * Moves the scene to the next geometry of the same canvas: the boxes that changed give their
   * obstacles anew, and the edges whose routes cross a cell they left or entered get a new
   * {@link version}. Their listeners run at {@link flush}, not here: React calls this in a render.
   */
  update(geometry: Geometry): void {
    if (geometry === this.current) return;
    const previous = this.current.boxes;
    this.current = geometry;
    const dirty = new Set<number>();
    for (const id of geometry.order) {
      const box = geometry.boxes.get(id)!;
      const before = previous.get(id);
      if (before && sameObstacleBox(before, box)) continue;
      this.removeOwner(id, dirty);
      this.addBox(box, dirty);
    }
    for (const id of previous.keys()) if (!geometry.boxes.has(id)) this.removeOwner(id, dirty);
    for (const cell of dirty) {
      for (const edge of this.cellRoutes.get(cell) ?? []) {
        if (this.pending.has(edge)) continue;
        this.pending.add(edge);
        this.versions.set(edge, (this.versions.get(edge) ?? 0) + 1);
      }
    }
  }

  /** Tells the edges whose routes {@link update} touched; call after the render that updated. */
  flush(): void {
    const pending = this.pending;
    this.pending = new Set();
    for (const edge of pending) this.listeners.get(edge)?.();
  }

  /** Changes each time an obstacle along the edge's route changes: part of its route's key. */
  version(edge: string): number {
    return this.versions.get(edge) ?? 0;
  }

  /** Calls `listener` when the edge's route may have to change; returns the unsubscribe. */
  watch(edge: string, listener: () => void): () => void {
    this.listeners.set(edge, listener);
    return () => {
      if (this.listeners.get(edge) === listener) this.listeners.delete(edge);
    };
  }

  /** Records where an edge's route runs (`undefined`: nowhere), for {@link update}. */
  place(edge: string, route: Route | undefined): void {
    for (const cell of this.routeCells.get(edge) ?? []) {
      const set = this.cellRoutes.get(cell);
      set?.delete(edge);
      if (set?.size === 0) this.cellRoutes.delete(cell);
    }
    if (!route) {
      this.routeCells.delete(edge);
      return;
    }
    const cells = new Set<number>();
    for (let i = 0; i < route.points.length - 1; i++) {
      forEachCell(boxOf(route.points[i]!, route.points[i + 1]!), (key) => cells.add(key));
    }
    this.routeCells.set(edge, [...cells]);
    for (const cell of cells) {
      const set = this.cellRoutes.get(cell);
      if (set) set.add(edge);
      else this.cellRoutes.set(cell, new Set([edge]));
    }
  }

  /** The containers of an item, innermost first (its host, then the host's site). */
  containersOf(id: string): ItemBox[] {
    const chain: ItemBox[] = [];
    let parent = this.current.boxes.get(id)?.parent;
    while (parent !== undefined) {
      const box = this.current.boxes.get(parent);
      if (!box) break;
      chain.push(box);
      parent = box.parent;
    }
    return chain;
  }

  private addBox(box: ItemBox, dirty?: Set<number>): void {
    const rect = { x: box.absoluteX, y: box.absoluteY, width: box.width, height: box.height };
    if (box.kind === 'host' || box.kind === 'site') {
      const height = box.kind === 'host' ? SIZES.hostHeader : SIZES.siteHeader;
      this.add({ ...rect, height }, 'header', box.id, dirty);
      if (box.kind === 'host') this.add(rect, 'body', box.id, dirty);
    } else this.add(rect, 'card', box.id, dirty);
  }

  private add(rect: Rect, kind: Obstacle['kind'], owner: string, dirty?: Set<number>): void {
    const obstacle: Obstacle = { rect, kind, owner, seen: 0 };
    const owned = this.byOwner.get(owner);
    if (owned) owned.push(obstacle);
    else this.byOwner.set(owner, [obstacle]);
    forEachCell(rect, (key) => {
      dirty?.add(key);
      const list = this.cells.get(key);
      if (list) list.push(obstacle);
      else this.cells.set(key, [obstacle]);
    });
  }

  private removeOwner(owner: string, dirty: Set<number>): void {
    for (const obstacle of this.byOwner.get(owner) ?? []) {
      forEachCell(obstacle.rect, (key) => {
        dirty.add(key);
        const list = this.cells.get(key);
        if (!list) return;
        const index = list.indexOf(obstacle);
        if (index >= 0) list.splice(index, 1);
        if (list.length === 0) this.cells.delete(key);
      });
    }
    this.byOwner.delete(owner);
  }

  /** Every obstacle a segment's box touches, once each. */
  private near(segment: Rect): Obstacle[] {
    const stamp = ++this.stamp;
    const found: Obstacle[] = [];
    forEachCell(segment, (key) => {
      const list = this.cells.get(key);
      if (!list) return;
      for (const obstacle of list) {
        if (obstacle.seen === stamp) continue;
        obstacle.seen = stamp;
        found.push(obstacle);
      }
    });
    return found;
  }

  /** What an axis-aligned leg costs: headers it runs along or passes under, cards it runs under. */
  legCost(a: Point, b: Point, ignore: ReadonlySet<string>): number {
    const segment = boxOf(a, b);
    const vertical = a.x === b.x;
    let cost = 0;
    for (const obstacle of this.near(segment)) {
      if (ignore.has(obstacle.owner) || !crosses(segment, obstacle.rect)) continue;
      if (obstacle.kind === 'card') cost += UNDER_CARD_COST;
      else if (obstacle.kind === 'header') cost += vertical ? UNDER_HEADER_COST : ALONG_HEADER_COST;
      else if (!vertical) cost += THROUGH_HOST_COST;
    }
    return cost;
  }

  /** The stretches of a leg that pass under a header, as [from, to] along the leg's axis. */
  headerGaps(a: Point, b: Point): [number, number][] {
    const segment = boxOf(a, b);
    const vertical = Math.abs(a.x - b.x) < 1e-6;
    const gaps: [number, number][] = [];
    for (const obstacle of this.near(segment)) {
      if (obstacle.kind !== 'header' || !crosses(segment, obstacle.rect)) continue;
      const r = obstacle.rect;
      gaps.push(vertical ? [r.y, r.y + r.height] : [r.x, r.x + r.width]);
    }
    return gaps;
  }
}

/** Calls `visit` with the key of every grid cell a rectangle touches. */
function forEachCell(rect: Rect, visit: (key: number) => void): void {
  const x0 = Math.floor(rect.x / CELL);
  const x1 = Math.floor((rect.x + rect.width) / CELL);
  const y0 = Math.floor(rect.y / CELL);
  const y1 = Math.floor((rect.y + rect.height) / CELL);
  for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) visit(cellKey(x, y));
}

/** One number per grid cell: cells span ±2^20 in each direction, far beyond any canvas. */
function cellKey(x: number, y: number): number {
  return (x + 1_048_576) * 2_097_152 + (y + 1_048_576);
}

function boxOf(a: Point, b: Point): Rect {
  return {
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    width: Math.abs(a.x - b.x),
    height: Math.abs(a.y - b.y),
  };
}

/** Whether a leg's box (zero width or height) passes through the inside of a rectangle. */
function crosses(segment: Rect, rect: Rect): boolean {
  return (
    segment.x < rect.x + rect.width &&
    segment.x + segment.width > rect.x &&
    segment.y < rect.y + rect.height &&
    segment.y + segment.height > rect.y
  );
}

/**
 * The route of an edge from the bottom of `source` to the top of `target`. `from` and `to` are the
 * handle points as the canvas has them now (they move while a node is dragged); `lane` spreads
 * parallel links of one pair (0 alone; -0.5 and 0.5 for two; -1, 0 and 1 for three).
 */
export function routeEdge(
  scene: RoutingScene,
  source: string,
  target: string,
  from: Point,
  to: Point,
  lane = 0,
): Route {
  const offset = lane * LANE_GAP;
  const start = { x: from.x + offset, y: from.y };
  const end = { x: to.x + offset, y: to.y };
  const sourceBox = shifted(scene.geometry.boxes.get(source), from, 'bottom');
  const targetBox = shifted(scene.geometry.boxes.get(target), to, 'top');
  const exit = { x: start.x, y: start.y + STUB };
  const approach = { x: end.x, y: end.y - STUB };
  const ignore = new Set([source, target]);

  // Legs beside the cards carry links between stacked services and around cards in the way.
  const exitXs = [exit.x];
  if (sourceBox)
    exitXs.push(sourceBox.x + sourceBox.width + BESIDE_CARD + offset, sourceBox.x - BESIDE_CARD + offset);
  const approachXs = [approach.x];
  if (targetBox)
    approachXs.push(targetBox.x + targetBox.width + BESIDE_CARD + offset, targetBox.x - BESIDE_CARD + offset);
  // The crossing leg: half-way, or just clear of the containers at either end; lanes apart.
  // Different pairs that cross in one band get tracks a few pixels apart, so they do not merge:
  // by a hash of the pair, and by direction, so that two links that cross each other never share one.
  const rightward = end.x >= start.x ? 1 : -1;
  const laneShift = lane * 8 + (trackOf(source, target) - 1) * 6 + rightward * 3;
  const crossYs = [(exit.y + approach.y) / 2 + laneShift, exit.y, approach.y];
  for (const box of scene.containersOf(source))
    crossYs.push(box.absoluteY + box.height + CLEARANCE + laneShift);
  for (const box of scene.containersOf(target)) crossYs.push(box.absoluteY - CLEARANCE + laneShift);

  let best: { points: Point[]; cost: number; penalty: number } | undefined;
  const consider = (x1: number, xa: number, ym: number) => {
    const points = simplify([
      start,
      exit,
      { x: x1, y: exit.y },
      { x: x1, y: ym },
      { x: xa, y: ym },
      { x: xa, y: approach.y },
      approach,
      end,
    ]);
    let cost = (points.length - 2) * BEND_COST;
    let penalty = 0;
    for (let i = 0; i < points.length - 1 && (!best || cost < best.cost); i++) {
      const a = points[i]!;
      const b = points[i + 1]!;
      // A leg that doubles back on itself reads as one line: avoid it.
      const back = i > 0 && reverses(points[i - 1]!, a, b) ? 400 : 0;
      const obstacles = scene.legCost(a, b, ignore);
      penalty += back + obstacles;
      cost += Math.abs(a.x - b.x) + Math.abs(a.y - b.y) + back + obstacles;
    }
    if (!best || cost < best.cost) best = { points, cost, penalty };
  };
  // Straight down and across first; the corridors beside the cards only when that runs under a
  // card or along a header (most edges are settled by the first few candidates).
  for (const ym of crossYs) consider(exit.x, approach.x, ym);
  if (best!.penalty >= UNDER_CARD_COST) {
    for (const x1 of exitXs) for (const xa of approachXs) for (const ym of crossYs) consider(x1, xa, ym);
  }
  const { points, cost } = best!;
  // Labels of edges that share a leg sit at different places along it.
  // Past the middle, towards the target: two links crossing each other have their labels apart.
  const along = Math.min(0.85, Math.max(0.15, 0.68 + (trackOf(source, target) - 1) * 0.08 + lane * 0.06));
  return {
    from,
    to,
    lane,
    cost,
    points,
    path: pathOf(points, scene),
    label: labelPoint(points, scene, along),
  };
}

/**
 * Whether a route found on an earlier scene still stands on this one: same ends and lane, and its
 * legs cost what they did (no header or card came or went along them). Checking costs a few legs;
 * routing again costs dozens of candidates, and an edit re-renders every edge in view.
 */
export function keepRoute(
  scene: RoutingScene,
  route: Route,
  source: string,
  target: string,
  from: Point,
  to: Point,
  lane: number,
): boolean {
  if (
    route.lane !== lane ||
    route.from.x !== from.x ||
    route.from.y !== from.y ||
    route.to.x !== to.x ||
    route.to.y !== to.y
  )
    return false;
  const ignore = new Set([source, target]);
  let cost = (route.points.length - 2) * BEND_COST;
  for (let i = 0; i < route.points.length - 1; i++) {
    const a = route.points[i]!;
    const b = route.points[i + 1]!;
    const back = i > 0 && reverses(route.points[i - 1]!, a, b) ? 400 : 0;
    cost += Math.abs(a.x - b.x) + Math.abs(a.y - b.y) + back + scene.legCost(a, b, ignore);
    if (cost > route.cost) return false;
  }
  return cost === route.cost;
}

/** One of three tracks, the same for a pair every time. */
function trackOf(source: string, target: string): number {
  let hash = 0;
  for (const text of [source, target])
    for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(hash) % 3;
}

/** Whether b turns straight back towards a. */
function reverses(a: Point, corner: Point, b: Point): boolean {
  return (
    (a.x === corner.x && corner.x === b.x && Math.sign(corner.y - a.y) === -Math.sign(b.y - corner.y)) ||
    (a.y === corner.y && corner.y === b.y && Math.sign(corner.x - a.x) === -Math.sign(b.x - corner.x))
  );
}

/** The card's box where the canvas draws it now, found from its handle point. */
function shifted(box: ItemBox | undefined, handle: Point, side: 'top' | 'bottom'): Rect | undefined {
  if (!box) return undefined;
  const expectedY =
    side === 'top' ? box.absoluteY - HANDLE_OUTSET : box.absoluteY + box.height + HANDLE_OUTSET;
  const dx = handle.x - (box.absoluteX + box.width / 2);
  const dy = handle.y - expectedY;
  return { x: box.absoluteX + dx, y: box.absoluteY + dy, width: box.width, height: box.height };
}

/** Drops repeated points and the middle of three points on one line. */
function simplify(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const point of points) {
    const last = out[out.length - 1];
    if (last && last.x === point.x && last.y === point.y) continue;
    const before = out[out.length - 2];
    if (
      before &&
      last &&
      ((before.x === last.x && last.x === point.x) || (before.y === last.y && last.y === point.y)) &&
      !reverses(before, last, point)
    ) {
      out[out.length - 1] = point;
      continue;
    }
    out.push(point);
  }
  return out;
}

/** A place on the longest stretch of line that is drawn, clear of headers: `along` of its way. */
function labelPoint(points: readonly Point[], scene: RoutingScene | undefined, along: number): Point {
  let best = { a: points[0]!, b: points[points.length - 1]!, length: -1 };
  for (let i = 0; i < points.length - 1; i++) {
    for (const [a, b] of visiblePieces(points[i]!, points[i + 1]!, scene)) {
      const length = Math.abs(a.x - b.x) + Math.abs(a.y - b.y);
      if (length > best.length) best = { a, b, length };
    }
  }
  return { x: best.a.x + (best.b.x - best.a.x) * along, y: best.a.y + (best.b.y - best.a.y) * along };
}

/** The parts of a leg that are drawn: all of it but where it passes under a header. */
function visiblePieces(a: Point, b: Point, scene: RoutingScene | undefined): [Point, Point][] {
  // A leg out of a rounded corner can be off its axis by a rounding error: still a straight leg.
  const vertical = Math.abs(a.x - b.x) < 1e-6;
  if (!scene || (!vertical && Math.abs(a.y - b.y) >= 1e-6)) return [[a, b]];
  const from = vertical ? a.y : a.x;
  const to = vertical ? b.y : b.x;
  const low = Math.min(from, to);
  const high = Math.max(from, to);
  const gaps = scene
    .headerGaps(a, b)
    .map(([g0, g1]) => [Math.max(low, g0), Math.min(high, g1)] as [number, number])
    .filter(([g0, g1]) => g1 > g0)
    .sort((p, q) => p[0] - q[0]);
  const pieces: [number, number][] = [];
  let cursor = low;
  for (const [g0, g1] of gaps) {
    if (g0 > cursor) pieces.push([cursor, g0]);
    cursor = Math.max(cursor, g1);
  }
  if (cursor < high) pieces.push([cursor, high]);
  const at = (value: number): Point => (vertical ? { x: a.x, y: value } : { x: value, y: a.y });
  const ordered = from <= to ? pieces : pieces.reverse().map(([p, q]) => [q, p] as [number, number]);
  return ordered.map(([p, q]) => [at(p), at(q)]);
}

/**
 * An SVG path through the corners, each rounded by up to `radius`, with a gap wherever a leg
 * passes under a header of the scene.
 */
export function pathOf(points: readonly Point[], scene?: RoutingScene, radius = 8): string {
  if (points.length < 2) return '';
  // Where each corner's rounding starts and ends.
  const cut: { into: Point; out: Point }[] = points.map((corner, i) => {
    if (i === 0 || i === points.length - 1) return { into: corner, out: corner };
    const previous = points[i - 1]!;
    const next = points[i + 1]!;
    const r = Math.min(
      radius,
      Math.hypot(corner.x - previous.x, corner.y - previous.y) / 2,
      Math.hypot(next.x - corner.x, next.y - corner.y) / 2,
    );
    return { into: towards(corner, previous, r), out: towards(corner, next, r) };
  });
  const parts: string[] = [];
  let pen: Point | undefined;
  const lineTo = (p: Point) => parts.push(`L${round(p.x)},${round(p.y)}`);
  const moveTo = (p: Point) => parts.push(`M${round(p.x)},${round(p.y)}`);
  for (let i = 0; i < points.length - 1; i++) {
    const a = cut[i]!.out;
    const b = cut[i + 1]!.into;
    const pieces = visiblePieces(a, b, scene);
    for (const [p, q] of pieces) {
      if (!pen || pen.x !== p.x || pen.y !== p.y) moveTo(p);
      lineTo(q);
      pen = q;
    }
    const corner = points[i + 1]!;
    const after = cut[i + 1]!.out;
    // The rounding is drawn only where the leg reached the corner, and the next leg leaves it
    // drawn: a corner just above a header would otherwise curve into the header.
    const nextLeg = i + 2 < points.length ? visiblePieces(after, cut[i + 2]!.into, scene) : [];
    const leavesDrawn = nextLeg.length > 0 && nextLeg[0]![0].x === after.x && nextLeg[0]![0].y === after.y;
    if (i + 1 < points.length - 1 && pen && pen.x === b.x && pen.y === b.y && leavesDrawn) {
      parts.push(`Q${round(corner.x)},${round(corner.y)} ${round(after.x)},${round(after.y)}`);
      pen = after;
    }
  }
  return parts.join('');
}

function towards(from: Point, to: Point, distance: number): Point {
  const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  return {
    x: from.x + ((to.x - from.x) / length) * distance,
    y: from.y + ((to.y - from.y) / length) * distance,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
