/**
 * Placement in free space: where a new or moved item goes so that it lands on nothing, and how
 * the canvas makes room when a host or site grows to hold what entered it.
 *
 * Positions follow core/edit/: a service's relative to its host, a host's relative to its site,
 * everything else absolute. An item goes where it is wanted (the pointer) when that place is free;
 * else to the nearest free place in the same container, preferring places inside the container
 * as it is, so that it grows only when it is full. A container that grew pushes the siblings it
 * now overlaps to the right or down, and so on up to the canvas.
 */
import { snapshotOf } from '../state/layout-draft';
import type { Point } from '../../core/edit/ids';
import type { Design } from '../../core/model';
import { childrenIn, computeGeometry, containerAt, deriveGeometry, SIZES } from './geometry';
import type { Geometry, ItemBox } from './geometry';

/** A box: top-left corner and size. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Room kept between top-level items (sites, free hosts, groups, entrypoints). */
export const TOP_LEVEL_GAP = 40;

/** True when two boxes overlap, or come closer than `gap`. */
export function overlaps(a: Rect, b: Rect, gap = 0): boolean {
  return (
    a.x < b.x + b.width + gap &&
    b.x < a.x + a.width + gap &&
    a.y < b.y + b.height + gap &&
    b.y < a.y + a.height + gap
  );
}

/** Where a search for a free place may look. */
export interface SpotOptions {
  /** Room to keep to every occupied box. */
  gap: number;
  /** The container's content starts here: nothing goes left of or above it. */
  min?: Point;
  /** The container's content as it is now: places inside it are preferred (it need not grow). */
  bounds?: Rect;
}

/**
 * The free place nearest `wanted` for a box of `size` among `occupied` boxes: `wanted` itself when
 * it is free, else a place beside one of the boxes or on the container's grid.
 */
export function freeSpot(
  occupied: readonly Rect[],
  size: { width: number; height: number },
  wanted: Point,
  options: SpotOptions,
): Point {
  const { gap, min, bounds } = options;
  const clamp = (point: Point): Point => ({
    x: Math.round(min ? Math.max(min.x, point.x) : point.x),
    y: Math.round(min ? Math.max(min.y, point.y) : point.y),
  });
  const isFree = (point: Point) => {
    const box = { ...point, ...size };
    return occupied.every((other) => !overlaps(box, other, gap));
  };
  const start = clamp(wanted);
  if (isFree(start) && (!bounds || inside(start, size, bounds))) return start;

  const candidates: Point[] = [start];
  for (const box of occupied) {
    const right = box.x + box.width + gap;
    const below = box.y + box.height + gap;
    const left = box.x - gap - size.width;
    const above = box.y - gap - size.height;
    candidates.push(
      { x: right, y: box.y },
      { x: box.x, y: below },
      { x: left, y: box.y },
      { x: box.x, y: above },
      { x: right, y: start.y },
      { x: start.x, y: below },
    );
  }
  if (min) {
    // The container's own grid, one row and one column beyond what it holds.
    let right = min.x + size.width;
    let bottom = min.y + size.height;
    for (const box of occupied) {
      right = Math.max(right, box.x + box.width);
      bottom = Math.max(bottom, box.y + box.height);
    }
    if (bounds) {
      right = Math.max(right, bounds.x + bounds.width);
      bottom = Math.max(bottom, bounds.y + bounds.height);
    }
    for (let y = min.y; y <= bottom + gap; y += size.height + gap)
      for (let x = min.x; x <= right + gap; x += size.width + gap) candidates.push({ x, y });
  }
  let best: Point | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const point = clamp(candidate);
    if (!isFree(point)) continue;
    const outside = bounds && !inside(point, size, bounds) ? 1e12 : 0;
    const score = outside + (point.x - start.x) ** 2 + (point.y - start.y) ** 2;
    if (score < bestScore) {
      bestScore = score;
      best = point;
    }
  }
  if (best) return best;
  // Everything near is taken: below all of it, which is always free.
  const bottom = Math.max(...occupied.map((box) => box.y + box.height));
  return clamp({ x: start.x, y: bottom + gap });
}

function inside(point: Point, size: { width: number; height: number }, bounds: Rect): boolean {
  return (
    point.x >= bounds.x &&
    point.y >= bounds.y &&
    point.x + size.width <= bounds.x + bounds.width &&
    point.y + size.height <= bounds.y + bounds.height
  );
}

/** The boxes directly inside a container (relative to it), or the top-level ones (absolute). */
export function childBoxes(
  geometry: Geometry,
  parent: string | undefined,
  exclude?: ReadonlySet<string>,
): ItemBox[] {
  const boxes: ItemBox[] = [];
  for (const id of geometry.order) {
    const box = geometry.boxes.get(id)!;
    if (box.parent === parent && !exclude?.has(id)) boxes.push(box);
  }
  return boxes;
}

/** Where a container's content starts, and the part of it that holds content now. */
function contentOf(box: ItemBox): { min: Point; bounds: Rect } {
  const header = box.kind === 'host' ? SIZES.hostHeader : SIZES.siteHeader;
  const padding = box.kind === 'host' ? SIZES.hostPadding : SIZES.sitePadding;
  const min = { x: padding, y: header + padding };
  return {
    min,
    bounds: { ...min, width: box.width - 2 * padding, height: box.height - header - 2 * padding },
  };
}

/**
 * A free place in a container (a host for a service, a site for a host) for a box of `size`,
 * relative to the container, nearest `wanted` (relative too; the first free slot without one).
 */
export function spotInContainer(
  geometry: Geometry,
  container: string,
  size: { width: number; height: number },
  wanted?: Point,
  exclude?: ReadonlySet<string>,
): Point {
  const box = geometry.boxes.get(container);
  if (!box) throw new Error(`no container ${container} on the canvas`);
  const { min, bounds } = contentOf(box);
  const gap = box.kind === 'host' ? SIZES.serviceGap : SIZES.hostGap;
  return freeSpot(childBoxes(geometry, container, exclude), size, wanted ?? min, { gap, min, bounds });
}

/** A free top-level place (absolute) for a box of `size`, nearest `wanted`. */
export function spotOnCanvas(
  geometry: Geometry,
  size: { width: number; height: number },
  wanted: Point,
  exclude?: ReadonlySet<string>,
): Point {
  return freeSpot(childBoxes(geometry, undefined, exclude), size, wanted, { gap: TOP_LEVEL_GAP });
}

/**
 * Makes room after an edit: the items in `fixed` (just placed by the person) and every container
 * that grew (compared with `before`) push the siblings they now overlap right or down, whichever
 * is the shorter way; a pushed item pushes in turn; then the same one level up, where a site that
 * grew pushes its neighbours. `fixed` items never move. Changes the design's layout (an immer
 * draft in the app).
 */
export function makeRoom(design: Design, before: Geometry, fixed: Iterable<string> = []): void {
  const pinned = new Set(fixed);
  const pushers = new Set(pinned);
  const levels: ((geometry: Geometry) => (string | undefined)[])[] = [
    // Hosts inside each site, then everything on the canvas itself.
    (geometry) => [...geometry.boxes.values()].filter((box) => box.kind === 'site').map((box) => box.id),
    () => [undefined],
  ];
  // A snapshot of the draft reads far faster than its proxies and copies only what the edit
  // wrote (layout-draft.ts); its geometry comes from `before` when only positions changed, at the
  // cost of what moved.
  const snapshot = () => {
    const now = snapshotOf(design);
    return deriveGeometry(now, before) ?? computeGeometry(now);
  };
  let geometry = snapshot();
  for (const parentsOf of levels) {
    for (const [id, box] of geometry.boxes) {
      const old = before.boxes.get(id);
      if (!old || box.width > old.width || box.height > old.height) pushers.add(id);
    }
    // Nothing grew and nothing is pinned: nothing pushes, at this level or the next.
    if (pushers.size === 0) return;
    let movedAny = false;
    // Only a container holding a pusher has anything to push apart: one pass finds those,
    // instead of a pass over every box for each of the design's sites.
    const pushing = new Set<string | undefined>();
    for (const id of pushers) {
      const box = geometry.boxes.get(id);
      if (box) pushing.add(box.parent);
    }
    for (const parent of parentsOf(geometry)) {
      if (!pushing.has(parent)) continue;
      const gap = parent === undefined ? TOP_LEVEL_GAP : SIZES.hostGap;
      const moved = pushApart(childBoxes(geometry, parent), pushers, pinned, gap);
      for (const [id, point] of moved) {
        design.layout ??= {};
        design.layout[id] = { ...design.layout[id], x: point.x, y: point.y };
        pushers.add(id);
        movedAny = true;
      }
    }
    // The next level sees the containers this one moved (and so grew); unchanged, the same picture.
    if (movedAny) geometry = snapshot();
  }
}

/**
 * Moves boxes that overlap a pushing box away from it (right or down, the shorter way); a moved
 * box pushes in turn; `pinned` boxes never move. Returns the new places of the boxes that moved.
 */
function pushApart(
  boxes: readonly ItemBox[],
  pushers: ReadonlySet<string>,
  pinned: ReadonlySet<string>,
  gap: number,
): Map<string, Point> {
  const places = new Map(
    boxes.map((box) => [box.id, { x: box.x, y: box.y, width: box.width, height: box.height }]),
  );
  const moved = new Map<string, Point>();
  const queue = boxes.filter((box) => pushers.has(box.id)).map((box) => box.id);
  // Each box moves only right or down, so this ends; the bound guards against a bug looping.
  for (let steps = 0; queue.length > 0 && steps < boxes.length * boxes.length + 10; steps++) {
    const id = queue.shift()!;
    const pusher = places.get(id)!;
    for (const [otherId, other] of places) {
      if (otherId === id || pinned.has(otherId) || !overlaps(pusher, other, gap - 1)) continue;
      const right = pusher.x + pusher.width + gap - other.x;
      const down = pusher.y + pusher.height + gap - other.y;
      const canRight = other.x >= pusher.x;
      const canDown = other.y >= pusher.y;
      if (canRight && (!canDown || right <= down)) other.x += right;
      else other.y += down;
      moved.set(otherId, { x: Math.round(other.x), y: Math.round(other.y) });
      queue.push(otherId);
    }
  }
  return moved;
}

/** Where a drag puts what it carries: into a host, into a site, or onto the canvas itself. */
export type DropTarget = { kind: 'host' | 'site'; id: string } | { kind: 'canvas' };

/**
 * The container under the pointer that would take the dragged items: a host for services, a site
 * for hosts (and for services, which get a new host there), else the canvas. Undefined when the
 * drag carries nothing that changes container (sites, groups, entrypoints). The dragged items and
 * what they contain are never their own target.
 */
export function dropTargetOf(
  geometry: Geometry,
  dragged: readonly string[],
  pointer: Point,
): DropTarget | undefined {
  const kinds = new Set(dragged.map((id) => geometry.boxes.get(id)?.kind));
  if (!kinds.has('service') && !kinds.has('host')) return undefined;
  // What the dragged items hold, and what that holds (a set visits what is added while it is walked).
  const carried = new Set(dragged);
  for (const id of carried) for (const child of childrenIn(geometry, id)) carried.add(child);
  if (kinds.has('service')) {
    const host = containerAt(geometry, pointer, 'host', carried);
    if (host) return { kind: 'host', id: host.id };
  }
  const site = containerAt(geometry, pointer, 'site', carried);
  return site ? { kind: 'site', id: site.id } : { kind: 'canvas' };
}

/**
 * Moves items just added (pasted, duplicated) to the free place nearest where they were put, each
 * in its own container, one after the other; what they carry moves with them. Then makes room for
 * the containers that grew. Changes the design's layout (an immer draft in the app).
 */
export function settleNewItems(design: Design, before: Geometry, added: ReadonlySet<string>): void {
  const geometry = computeGeometry(snapshotOf(design));
  const pending = new Set(added);
  for (const id of geometry.order) {
    if (!added.has(id)) continue;
    const box = geometry.boxes.get(id)!;
    pending.delete(id);
    if (box.parent !== undefined && added.has(box.parent)) continue;
    const exclude = new Set([...pending, id]);
    const spot =
      box.parent === undefined
        ? spotOnCanvas(geometry, box, box, exclude)
        : spotInContainer(geometry, box.parent, box, box, exclude);
    if (spot.x === box.x && spot.y === box.y) continue;
    box.x = spot.x;
    box.y = spot.y;
    design.layout ??= {};
    design.layout[id] = { ...design.layout[id], x: spot.x, y: spot.y };
  }
  makeRoom(design, before, added);
}

/**
 * Gives every item without a position (a design written by hand or by another tool) a free place
 * near where the canvas would show it, so that nothing without a position lands on something
 * with one. Changes the design's layout.
 */
export function placeMissing(design: Design): void {
  const geometry = computeGeometry(snapshotOf(design));
  const missing = new Set(geometry.order.filter((id) => geometry.boxes.get(id)!.placed));
  if (missing.size === 0) return;
  design.layout ??= {};
  for (const id of missing) {
    const box = geometry.boxes.get(id)!;
    design.layout[id] = { x: box.x, y: box.y };
  }
  settleNewItems(design, geometry, missing);
}
