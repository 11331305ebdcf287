/**
 * Where every item sits on the canvas and how big it is, from the design's `layout`.
 *
 * Sizes are fixed per node type and containers (hosts, sites) grow to hold what they contain, so
 * React Flow gets every node's size up front and never measures one before showing it (docs/lab.md,
 * "Canvas performance"). Positions follow core/edit/: relative to the container, else absolute.
 * Items without a position get a tidy fallback place until the automatic layout has run.
 */
import type { Design } from '../../core/model';
import { draftChanges } from '../state/layout-draft';
import { collapseOf } from './collapse';
import type { Collapse } from './collapse';

/** Above this many nodes, only visible nodes are rendered and the minimap starts hidden (docs/lab.md). */
export const LARGE_DESIGN_NODES = 400;

/** The node types of the canvas. */
export type NodeKind = 'site' | 'host' | 'service' | 'group' | 'entrypoint';

/** Fixed sizes of leaf nodes, and the padding of containers. */
export const SIZES = {
  service: { width: 216, height: 58 },
  group: { width: 232, height: 66 },
  entrypoint: { width: 216, height: 58 },
  hostHeader: 30,
  hostPadding: 10,
  siteHeader: 36,
  sitePadding: 18,
  serviceGap: 8,
  hostGap: 24,
} as const;

/** Smallest host: room for one service. */
export const HOST_MIN = {
  width: SIZES.service.width + 2 * SIZES.hostPadding,
  height: SIZES.hostHeader + SIZES.hostPadding * 2 + SIZES.service.height,
};

/** Smallest site: room for one host. */
export const SITE_MIN = {
  width: HOST_MIN.width + 2 * SIZES.sitePadding,
  height: SIZES.siteHeader + SIZES.sitePadding * 2 + HOST_MIN.height,
};

/** One item's place: `x`, `y` relative to `parent` (absolute without one) and absolute. */
export interface ItemBox {
  id: string;
  kind: NodeKind;
  parent?: string;
  x: number;
  y: number;
  absoluteX: number;
  absoluteY: number;
  width: number;
  height: number;
  /** True when the design has no position for it and the fallback placed it. */
  placed: boolean;
}

/** Every item's box, in the order React Flow needs: containers before what they contain. */
export interface Geometry {
  boxes: Map<string, ItemBox>;
  /** Ids in drawing order: sites, hosts, services, groups, entrypoints. */
  order: string[];
  /** How many items had no position. */
  unplaced: number;
  /** The collapsed pools and what they hide: hidden items have no box. */
  collapse: Collapse;
}

interface Placed {
  x: number;
  y: number;
  placed: boolean;
}

const computed = new WeakMap<Design, Geometry>();
/** The design each computed geometry is of, so that the next one can start from it. */
const designOf = new WeakMap<Geometry, Design>();
/** The last geometry asked for, the likeliest base for the next (the design before an edit). */
let latest: Geometry | undefined;

/**
 * The geometry of a design that no longer changes, computed once: the store's designs are frozen
 * (immer freezes what an edit produces), and the canvas, the overview, the commands' enabled
 * checks and the edits all ask for the same one. Callers must not change what it returns; one who
 * works on a copy asks {@link computeGeometry}.
 *
 * When only positions changed since the last geometry (a drag, a nudge, an align), it is derived
 * from that one in time proportional to the boxes that moved (see {@link deriveGeometry}).
 */
export function geometryOf(design: Design): Geometry {
  if (!Object.isFrozen(design)) return computeGeometry(design);
  let geometry = computed.get(design);
  if (!geometry) {
    geometry = (latest && deriveGeometry(design, latest)) ?? computeGeometry(design);
    computed.set(design, geometry);
    designOf.set(geometry, design);
  }
  latest = geometry;
  return geometry;
}

/**
 * The geometry of `design` derived from `base`, a geometry of an earlier revision, when the two
 * differ only in the layout's positions and sizes of items that have boxes: the boxes that did not
 * change are `base`'s own objects. Undefined when the difference is more than that (an item came
 * or went, a pool collapsed, an item lacks a position): then {@link computeGeometry} answers.
 * Equal, box for box, to what {@link computeGeometry} gives (test/renderer/incremental.test.ts).
 */
export function deriveGeometry(design: Design, base: Geometry): Geometry | undefined {
  const before = designOf.get(base);
  if (!before || base.unplaced > 0) return undefined;
  if (before === design) return base;
  // An edit of an item's fields (a label, a port) leaves every box where it was: only what
  // places a box counts (ids, hosts, sites, groups and their kinds, which decide collapsing).
  if (
    !samePlacing(design.sites, before.sites, (a, b) => a.id === b.id) ||
    !samePlacing(design.hosts, before.hosts, (a, b) => a.id === b.id && a.site === b.site) ||
    !samePlacing(
      design.services,
      before.services,
      (a, b) => a.id === b.id && a.host === b.host && a.group === b.group,
    ) ||
    !samePlacing(design.groups, before.groups, (a, b) => a.id === b.id && a.kind === b.kind) ||
    !samePlacing(design.entrypoints, before.entrypoints, (a, b) => a.id === b.id)
  )
    return undefined;
  const layout = design.layout ?? {};
  const previous = before.layout ?? {};
  if (layout === previous) return base;
  // Whether pools collapse is in the layout too; a change there changes what is drawn.
  for (const pool of base.collapse.pools)
    if (layout[pool]?.collapsed !== previous[pool]?.collapsed) return undefined;
  for (const group of design.groups ?? [])
    if (group.kind === 'pool' && layout[group.id]?.collapsed !== previous[group.id]?.collapsed)
      return undefined;

  const children = childrenOf(base);
  const boxes = new Map(base.boxes);
  const changed = new Set<string>();
  const resized = new Set<string>();
  // A snapshot of an edit under way (placement.ts) knows which entries it wrote: reading every
  // entry through its proxy was most of a drag's placement at 5,000 services.
  const drafted = draftChanges(design.layout);
  const candidates =
    drafted?.base === previous ? [...drafted.keys].filter((id) => base.boxes.has(id)) : base.order;
  for (const id of candidates) {
    if (layout[id] === previous[id]) continue;
    const position = layout[id];
    if (!position) return undefined;
    const box = boxes.get(id)!;
    if (box.x !== position.x || box.y !== position.y) {
      boxes.set(id, { ...box, x: position.x, y: position.y });
      changed.add(id);
    }
    if (box.kind === 'host' || box.kind === 'site') resized.add(id);
    if (box.parent !== undefined) resized.add(box.parent);
  }
  // Containers grow to hold what they hold: hosts first, then the sites that hold them.
  const resize = (id: string) => {
    const box = boxes.get(id)!;
    const stored = layout[id];
    const padding = box.kind === 'host' ? SIZES.hostPadding : SIZES.sitePadding;
    const least = box.kind === 'host' ? HOST_MIN : SITE_MIN;
    let right: number = least.width;
    let bottom: number = least.height;
    for (const child of children.get(id) ?? []) {
      const inner = boxes.get(child)!;
      right = Math.max(right, inner.x + inner.width + padding);
      bottom = Math.max(bottom, inner.y + inner.height + padding);
    }
    const width = Math.max(right, stored?.width ?? 0);
    const height = Math.max(bottom, stored?.height ?? 0);
    if (width === box.width && height === box.height) return false;
    boxes.set(id, { ...box, width, height });
    changed.add(id);
    return true;
  };
  const sites = new Set<string>();
  for (const id of resized) {
    const kind = boxes.get(id)!.kind;
    if (kind === 'host' && resize(id)) {
      const site = boxes.get(id)!.parent;
      if (site !== undefined) sites.add(site);
    } else if (kind === 'site') sites.add(id);
  }
  for (const id of sites) resize(id);
  // Absolute places follow the container's: down from each box that changed.
  // Parents first or not: a container that moves places its children again.
  const place = (id: string) => {
    const box = boxes.get(id)!;
    const parent = box.parent !== undefined ? boxes.get(box.parent) : undefined;
    const absoluteX = box.x + (parent?.absoluteX ?? 0);
    const absoluteY = box.y + (parent?.absoluteY ?? 0);
    if (absoluteX === box.absoluteX && absoluteY === box.absoluteY) return;
    boxes.set(id, { ...box, absoluteX, absoluteY });
    changed.add(id);
    for (const child of children.get(id) ?? []) place(child);
  };
  for (const id of [...changed]) place(id);
  return withBase(base, boxes, changed, design);
}

/** Whether two lists hold items placed alike, index for index (the same objects, mostly). */
function samePlacing<T>(
  list: readonly T[] | undefined,
  other: readonly T[] | undefined,
  alike: (a: T, b: T) => boolean,
): boolean {
  if (list === other) return true;
  if (!list || !other || list.length !== other.length) return false;
  for (let i = 0; i < list.length; i++) if (list[i] !== other[i] && !alike(list[i]!, other[i]!)) return false;
  return true;
}

/** What a derived geometry knows of the one it came from. */
interface Derivation {
  base: Geometry;
  changed: ReadonlySet<string>;
}

const derivations = new WeakMap<Geometry, Derivation>();
const childLists = new WeakMap<Geometry, Map<string, string[]>>();

/** The geometry `derived` came from and the boxes that differ, if it was derived. */
export function derivationOf(derived: Geometry): Derivation | undefined {
  return derivations.get(derived);
}

function withBase(
  base: Geometry,
  boxes: Map<string, ItemBox>,
  changed: Set<string>,
  design: Design,
): Geometry {
  const geometry: Geometry = { boxes, order: base.order, unplaced: 0, collapse: base.collapse };
  derivations.set(geometry, { base, changed });
  childLists.set(geometry, childrenOf(base));
  designOf.set(geometry, design);
  return geometry;
}

/** The ids a container holds, in drawing order. */
export function childrenIn(geometry: Geometry, container: string): readonly string[] {
  return childrenOf(geometry).get(container) ?? [];
}

/** The ids each container holds, in drawing order. */
function childrenOf(geometry: Geometry): Map<string, string[]> {
  let children = childLists.get(geometry);
  if (!children) {
    children = new Map();
    for (const id of geometry.order) {
      const parent = geometry.boxes.get(id)!.parent;
      if (parent === undefined) continue;
      const list = children.get(parent);
      if (list) list.push(id);
      else children.set(parent, [id]);
    }
    childLists.set(geometry, children);
  }
  return children;
}

/** Computes the geometry of a design. Linear in the number of items. */
export function computeGeometry(design: Design): Geometry {
  const layout = design.layout ?? {};
  const boxes = new Map<string, ItemBox>();
  const order: string[] = [];
  let unplaced = 0;
  const positionOf = (id: string, fallback: () => { x: number; y: number }): Placed => {
    const position = layout[id];
    if (position) return { x: position.x, y: position.y, placed: false };
    unplaced++;
    return { ...fallback(), placed: true };
  };

  const collapse = collapseOf(design);
  const { hidden } = collapse;
  const siteIds = new Set((design.sites ?? []).map((s) => s.id as string));
  const hostIds = new Set(design.hosts.filter((h) => !hidden.has(h.id)).map((h) => h.id as string));
  const servicesByHost = new Map<string, string[]>();
  for (const service of design.services) {
    if (service.host === undefined || !hostIds.has(service.host) || hidden.has(service.id)) continue;
    const list = servicesByHost.get(service.host) ?? [];
    list.push(service.id);
    servicesByHost.set(service.host, list);
  }
  const hostsBySite = new Map<string, string[]>();
  for (const host of design.hosts) {
    if (host.site === undefined || !siteIds.has(host.site) || hidden.has(host.id)) continue;
    const list = hostsBySite.get(host.site) ?? [];
    list.push(host.id);
    hostsBySite.set(host.site, list);
  }

  // Services inside hosts, relative to the host: the fallback stacks them in a column.
  const serviceBoxes = new Map<string, Placed>();
  const hostSizes = new Map<string, { width: number; height: number }>();
  for (const host of design.hosts) {
    if (hidden.has(host.id)) continue;
    let right = HOST_MIN.width;
    let bottom = HOST_MIN.height;
    (servicesByHost.get(host.id) ?? []).forEach((serviceId, index) => {
      const place = positionOf(serviceId, () => ({
        x: SIZES.hostPadding,
        y: SIZES.hostHeader + SIZES.hostPadding + index * (SIZES.service.height + SIZES.serviceGap),
      }));
      serviceBoxes.set(serviceId, place);
      right = Math.max(right, place.x + SIZES.service.width + SIZES.hostPadding);
      bottom = Math.max(bottom, place.y + SIZES.service.height + SIZES.hostPadding);
    });
    const stored = layout[host.id];
    hostSizes.set(host.id, {
      width: Math.max(right, stored?.width ?? 0),
      height: Math.max(bottom, stored?.height ?? 0),
    });
  }

  // Hosts inside sites, relative to the site: the fallback lays them out in a row.
  const hostPlaces = new Map<string, Placed>();
  const siteSizes = new Map<string, { width: number; height: number }>();
  for (const site of design.sites ?? []) {
    let right = SITE_MIN.width;
    let bottom = SITE_MIN.height;
    let cursor = SIZES.sitePadding;
    for (const hostId of hostsBySite.get(site.id) ?? []) {
      const size = hostSizes.get(hostId)!;
      const at = cursor;
      const place = positionOf(hostId, () => ({ x: at, y: SIZES.siteHeader + SIZES.sitePadding }));
      cursor += size.width + SIZES.hostGap;
      hostPlaces.set(hostId, place);
      right = Math.max(right, place.x + size.width + SIZES.sitePadding);
      bottom = Math.max(bottom, place.y + size.height + SIZES.sitePadding);
    }
    const stored = layout[site.id];
    siteSizes.set(site.id, {
      width: Math.max(right, stored?.width ?? 0),
      height: Math.max(bottom, stored?.height ?? 0),
    });
  }

  // Top-level items without a position go in rows below everything that has one.
  let fallbackY = 0;
  for (const position of Object.values(layout)) fallbackY = Math.max(fallbackY, position.y + 200);
  let fallbackX = 0;
  let rowHeight = 0;
  const nextFree = (width: number, height: number) => {
    if (fallbackX > 2400) {
      fallbackX = 0;
      fallbackY += rowHeight + 40;
      rowHeight = 0;
    }
    const at = { x: fallbackX, y: fallbackY };
    fallbackX += width + 40;
    rowHeight = Math.max(rowHeight, height);
    return at;
  };

  const add = (box: ItemBox) => {
    boxes.set(box.id, box);
    order.push(box.id);
  };

  for (const site of design.sites ?? []) {
    const size = siteSizes.get(site.id)!;
    const place = positionOf(site.id, () => nextFree(size.width, size.height));
    add({
      id: site.id,
      kind: 'site',
      x: place.x,
      y: place.y,
      absoluteX: place.x,
      absoluteY: place.y,
      ...size,
      placed: place.placed,
    });
  }
  for (const host of design.hosts) {
    if (hidden.has(host.id)) continue;
    const size = hostSizes.get(host.id)!;
    const site = host.site !== undefined && siteIds.has(host.site) ? boxes.get(host.site) : undefined;
    const place = hostPlaces.get(host.id) ?? positionOf(host.id, () => nextFree(size.width, size.height));
    add({
      id: host.id,
      kind: 'host',
      parent: site?.id,
      x: place.x,
      y: place.y,
      absoluteX: place.x + (site?.absoluteX ?? 0),
      absoluteY: place.y + (site?.absoluteY ?? 0),
      ...size,
      placed: place.placed,
    });
  }
  for (const service of design.services) {
    if (hidden.has(service.id)) continue;
    const host = service.host !== undefined ? boxes.get(service.host) : undefined;
    const place =
      serviceBoxes.get(service.id) ??
      positionOf(service.id, () => nextFree(SIZES.service.width, SIZES.service.height));
    add({
      id: service.id,
      kind: 'service',
      parent: host?.id,
      x: place.x,
      y: place.y,
      absoluteX: place.x + (host?.absoluteX ?? 0),
      absoluteY: place.y + (host?.absoluteY ?? 0),
      ...SIZES.service,
      placed: place.placed,
    });
  }
  for (const group of design.groups ?? []) {
    const place = positionOf(group.id, () => nextFree(SIZES.group.width, SIZES.group.height));
    add({
      id: group.id,
      kind: 'group',
      x: place.x,
      y: place.y,
      absoluteX: place.x,
      absoluteY: place.y,
      ...SIZES.group,
      placed: place.placed,
    });
  }
  for (const entrypoint of design.entrypoints ?? []) {
    const place = positionOf(entrypoint.id, () => nextFree(SIZES.entrypoint.width, SIZES.entrypoint.height));
    add({
      id: entrypoint.id,
      kind: 'entrypoint',
      x: place.x,
      y: place.y,
      absoluteX: place.x,
      absoluteY: place.y,
      ...SIZES.entrypoint,
      placed: place.placed,
    });
  }
  return { boxes, order, unplaced, collapse };
}

const containerLists = new WeakMap<Geometry, { host: ItemBox[]; site: ItemBox[] }>();

/**
 * The boxes of a kind of container in drawing order, listed once per geometry: a drag asks where
 * it would drop on every frame and again on release, each time over every box of the design. Only
 * for the geometries {@link geometryOf} and {@link deriveGeometry} give, which nobody changes.
 */
function containersOf(geometry: Geometry, kind: 'host' | 'site'): readonly ItemBox[] | undefined {
  if (!designOf.has(geometry)) return undefined;
  let lists = containerLists.get(geometry);
  if (!lists) {
    lists = { host: [], site: [] };
    for (const id of geometry.order) {
      const box = geometry.boxes.get(id)!;
      if (box.kind === 'host' || box.kind === 'site') lists[box.kind].push(box);
    }
    containerLists.set(geometry, lists);
  }
  return lists[kind];
}

/** The innermost container of a kind whose box holds the point, skipping `exclude`. */
export function containerAt(
  geometry: Geometry,
  point: { x: number; y: number },
  kind: 'host' | 'site',
  exclude?: ReadonlySet<string>,
): ItemBox | undefined {
  let found: ItemBox | undefined;
  const boxes = containersOf(geometry, kind) ?? geometry.order.map((id) => geometry.boxes.get(id)!);
  for (const box of boxes) {
    const id = box.id;
    if (box.kind !== kind || exclude?.has(id)) continue;
    if (
      point.x >= box.absoluteX &&
      point.x <= box.absoluteX + box.width &&
      point.y >= box.absoluteY &&
      point.y <= box.absoluteY + box.height
    ) {
      found = box;
    }
  }
  return found;
}

/** The first free spot for a new service inside a host, relative to the host. */
export function freeSlotInHost(geometry: Geometry, design: Design, hostId: string): { x: number; y: number } {
  let bottom = SIZES.hostHeader + SIZES.hostPadding;
  for (const service of design.services) {
    if (service.host !== hostId) continue;
    const box = geometry.boxes.get(service.id);
    if (box) bottom = Math.max(bottom, box.y + box.height + SIZES.serviceGap);
  }
  return { x: SIZES.hostPadding, y: bottom };
}
