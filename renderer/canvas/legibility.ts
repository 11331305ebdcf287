/**
 * What keeps a canvas of a thousand services readable, derived from the design and its geometry:
 *
 * - group membership as a coloured mark on each member and, where the members sit together, a
 *   frame around them, instead of a mesh of membership edges;
 * - lanes for parallel links between one pair of items, so each is drawn (and labelled) apart;
 * - reading order: sites, hosts and services in the order a person reads the canvas (top to
 *   bottom, left to right, a container before what it holds), which is also the Tab order.
 */
import type { Design } from '../../core/model';
import { SIZES } from './geometry';
import { childrenIn, derivationOf } from './geometry';
import type { Geometry, ItemBox } from './geometry';

/** The mark of a group on its members. */
export interface GroupMark {
  group: string;
  /** The group's label, else its id. */
  name: string;
  color: string;
}

/**
 * Distinct, readable colours for group marks (white text on each passes WCAG AA at 11px bold):
 * a group keeps its colour while the groups before it in the file stay.
 */
export const MARK_COLORS = [
  '#0f7b6c',
  '#9a3ec6',
  '#b45309',
  '#1d4ed8',
  '#be123c',
  '#4d7c0f',
  '#0e7490',
  '#7c3aed',
  '#a16207',
  '#c2410c',
] as const;

/** The mark of every group, by group id. */
export function groupMarks(design: Design): Map<string, GroupMark> {
  const marks = new Map<string, GroupMark>();
  (design.groups ?? []).forEach((group, index) => {
    marks.set(group.id, {
      group: group.id,
      name: group.label ?? group.id,
      color: MARK_COLORS[index % MARK_COLORS.length]!,
    });
  });
  return marks;
}

/** A frame drawn around the members of a group that sit together. */
export interface GroupFrame {
  id: string;
  group: string;
  color: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

const FRAME_MARGIN = 4;

/** A group whose members could take a frame: what stands for them and what the frame may hold. */
interface FrameCandidate {
  group: string;
  /** The boxes that stand for the members: a whole host, else the member's card. */
  boxes: string[];
  /** The container they all sit in (undefined: the canvas). */
  parent: string | undefined;
  /** Ids inside the frame: those boxes and the cards of whole hosts. */
  inside: Set<string>;
}

/** The candidates of a design's structure, which an edit that only moves items keeps. */
const candidatesOf = new WeakMap<Geometry, { services: Design['services']; list: FrameCandidate[] }>();

function frameCandidates(design: Design, geometry: Geometry): FrameCandidate[] {
  const base = derivationOf(geometry)?.base;
  const known = candidatesOf.get(geometry) ?? (base ? candidatesOf.get(base) : undefined);
  if (known && known.services === design.services) {
    candidatesOf.set(geometry, known);
    return known.list;
  }
  const servicesOnHost = new Map<string, string[]>();
  const groupsOnHost = new Map<string, (string | undefined)[]>();
  const memberCount = new Map<string, number>();
  for (const service of design.services) {
    if (service.group !== undefined)
      memberCount.set(service.group, (memberCount.get(service.group) ?? 0) + 1);
    if (service.host === undefined) continue;
    const ids = servicesOnHost.get(service.host) ?? [];
    ids.push(service.id);
    servicesOnHost.set(service.host, ids);
    const groups = groupsOnHost.get(service.host) ?? [];
    groups.push(service.group);
    groupsOnHost.set(service.host, groups);
  }
  const members = new Map<string, Set<ItemBox>>();
  for (const service of design.services) {
    if (service.group === undefined || (memberCount.get(service.group) ?? 0) < 2) continue;
    const card = geometry.boxes.get(service.id);
    if (!card) continue;
    const host = service.host !== undefined ? geometry.boxes.get(service.host) : undefined;
    const whole = host && (groupsOnHost.get(service.host!) ?? []).every((g) => g === service.group);
    const set = members.get(service.group) ?? new Set<ItemBox>();
    set.add(whole ? host : card);
    members.set(service.group, set);
  }
  const list: FrameCandidate[] = [];
  for (const [group, set] of members) {
    const boxes = [...set];
    // Together means in one container: members in one host, or whole hosts in one site.
    if (new Set(boxes.map((b) => b.parent)).size > 1) continue;
    const inside = new Set<string>();
    for (const box of boxes) {
      inside.add(box.id);
      if (box.kind === 'host') for (const id of servicesOnHost.get(box.id) ?? []) inside.add(id);
    }
    list.push({ group, boxes: boxes.map((b) => b.id), parent: boxes[0]!.parent, inside });
  }
  candidatesOf.set(geometry, { services: design.services, list });
  return list;
}

/**
 * Frames around groups whose members sit together in one container. A member counts with its
 * whole host when the host runs nothing else, else with its own card; the frame is the box around
 * them, drawn only when the boxes share a container and the frame holds nothing else: no other
 * card, no other host, no header it would cut.
 * Members spread over the canvas get no frame; their marks say which group they belong to.
 *
 * `reuse` gives a group's frame from an earlier geometry when nothing in its container changed
 * since (see {@link framesOf}).
 */
export function groupFrames(
  design: Design,
  geometry: Geometry,
  reuse?: (candidate: { group: string; parent: string | undefined }) => GroupFrame | null | undefined,
): GroupFrame[] {
  const marks = groupMarks(design);
  let topLevel: string[] | undefined;
  const siblingsOf = (parent: string | undefined): readonly string[] => {
    if (parent !== undefined) return childrenIn(geometry, parent);
    // Top-level items are found by a walk of every box, once per call.
    topLevel ??= geometry.order.filter((id) => geometry.boxes.get(id)!.parent === undefined);
    return topLevel;
  };
  const frames: GroupFrame[] = [];
  for (const candidate of frameCandidates(design, geometry)) {
    const kept = reuse?.(candidate);
    if (kept !== undefined) {
      if (kept) frames.push(kept);
      continue;
    }
    const boxes = candidate.boxes.map((id) => geometry.boxes.get(id)!);
    const left = Math.min(...boxes.map((b) => b.absoluteX)) - FRAME_MARGIN;
    const top = Math.min(...boxes.map((b) => b.absoluteY)) - FRAME_MARGIN;
    const right = Math.max(...boxes.map((b) => b.absoluteX + b.width)) + FRAME_MARGIN;
    const bottom = Math.max(...boxes.map((b) => b.absoluteY + b.height)) + FRAME_MARGIN;
    const frame = { x: left, y: top, width: right - left, height: bottom - top };
    // Only compact groups: a frame twice the size of what it holds says nothing.
    if (frame.width * frame.height > boxes.reduce((sum, b) => sum + b.width * b.height, 0) * 2.5) continue;
    // What could be in the way: the other items of the container, and the container's header.
    const parent = candidate.parent !== undefined ? geometry.boxes.get(candidate.parent) : undefined;
    const rects = siblingsOf(parent?.id)
      .filter((id) => !candidate.inside.has(id))
      .map((id) => geometry.boxes.get(id)!)
      .map((box) => ({ x: box.absoluteX, y: box.absoluteY, width: box.width, height: box.height }));
    if (parent) {
      const height = parent.kind === 'host' ? SIZES.hostHeader : SIZES.siteHeader;
      rects.push({ x: parent.absoluteX, y: parent.absoluteY, width: parent.width, height });
    }
    if (rects.some((rect) => overlaps(frame, rect))) continue;
    frames.push({
      id: `frame:${candidate.group}`,
      group: candidate.group,
      color: marks.get(candidate.group)?.color ?? MARK_COLORS[0],
      ...frame,
    });
  }
  return frames;
}

function overlaps(
  a: { x: number; y: number; width: number; height: number },
  b: { x: number; y: number; width: number; height: number },
): boolean {
  return a.x < b.x + b.width && a.x + a.width > b.x && a.y < b.y + b.height && a.y + a.height > b.y;
}

/**
 * The lane of every link: 0 for a link alone between its two items, else its place among the links
 * of that pair (either direction) centred on 0: -0.5 and 0.5 for two, -1, 0 and 1 for three.
 */
export function linkLanes(design: Design): number[] {
  const pairs = new Map<string, number[]>();
  (design.links ?? []).forEach((link, index) => {
    const key = [link.from, link.to].sort().join('\u0000');
    const list = pairs.get(key) ?? [];
    list.push(index);
    pairs.set(key, list);
  });
  const lanes: number[] = new Array<number>(design.links?.length ?? 0).fill(0);
  for (const indexes of pairs.values()) {
    indexes.forEach((index, place) => {
      lanes[index] = place - (indexes.length - 1) / 2;
    });
  }
  return lanes;
}

/** Rows of this height count as one line when reading top-level items left to right. */
const ROW = 48;

/** Each container's items (undefined: the canvas's) sorted for reading, per geometry. */
const sortedLists = new WeakMap<Geometry, Map<string | undefined, string[]>>();
/** Each id's place in a drawing order, the last word between items at one spot. */
const places = new WeakMap<readonly string[], Map<string, number>>();
const orders = new WeakMap<Geometry, string[]>();

/**
 * Item ids in reading order: top-level items by row then column; each container followed by what
 * it holds, in the same order. Parents always come before their children, as React Flow needs.
 * Once per geometry; a geometry derived from another (an edit that moved items) sorts again only
 * the containers whose items moved.
 */
export function readingOrder(geometry: Geometry): string[] {
  const known = orders.get(geometry);
  if (known) return known;
  let place = places.get(geometry.order);
  if (!place) {
    place = new Map(geometry.order.map((id, index) => [id, index]));
    places.set(geometry.order, place);
  }
  const rank = place;
  const byReading = (a: ItemBox, b: ItemBox) =>
    Math.floor(a.absoluteY / ROW) - Math.floor(b.absoluteY / ROW) ||
    a.absoluteX - b.absoluteX ||
    a.absoluteY - b.absoluteY ||
    rank.get(a.id)! - rank.get(b.id)!;
  const sortIds = (ids: readonly string[]) =>
    ids
      .map((id) => geometry.boxes.get(id)!)
      .sort(byReading)
      .map((box) => box.id);

  const derivation = derivationOf(geometry);
  const base = derivation && sortedLists.get(derivation.base);
  let lists: Map<string | undefined, string[]>;
  if (base && derivation) {
    const moved = new Set<string | undefined>();
    for (const id of derivation.changed) moved.add(geometry.boxes.get(id)!.parent);
    const sorted = new Map<string | undefined, string[]>();
    for (const parent of moved) {
      const list = base.get(parent);
      if (!list) continue;
      const again = sortIds(list);
      if (again.some((id, index) => id !== list[index])) sorted.set(parent, again);
    }
    // A move that kept every container's order (a nudge, most drags) keeps the very order: what
    // reads it (the nodes' order, the keyboard's) need not be built again.
    const baseOrder = orders.get(derivation.base);
    if (sorted.size === 0 && baseOrder) {
      sortedLists.set(geometry, base);
      orders.set(geometry, baseOrder);
      return baseOrder;
    }
    lists = new Map(base);
    for (const [parent, list] of sorted) lists.set(parent, list);
  } else {
    const children = new Map<string | undefined, string[]>();
    for (const id of geometry.order) {
      const parent = geometry.boxes.get(id)!.parent;
      const list = children.get(parent);
      if (list) list.push(id);
      else children.set(parent, [id]);
    }
    lists = new Map([...children].map(([parent, ids]) => [parent, sortIds(ids)]));
  }
  sortedLists.set(geometry, lists);
  const order: string[] = [];
  const visit = (parent: string | undefined) => {
    for (const id of lists.get(parent) ?? []) {
      order.push(id);
      visit(id);
    }
  };
  visit(undefined);
  orders.set(geometry, order);
  return order;
}
