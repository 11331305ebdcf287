/**
 * The automatic layout: a design an architect can read at a glance, shaped like the pane it is
 * shown in.
 *
 * - Sites stand side by side (in rows of sites beyond four), each a grid of its hosts; hosts
 *   without a site form one more block beside them.
 * - A grid's column count is chosen so that the whole design has the pane's aspect ratio: a
 *   design of 1,000 services is a wide rectangle, not a column 8,000 px tall, and one of five
 *   hosts is not a single wide row.
 * - Hosts are ordered by tier: how many links the traffic takes from an entrypoint to reach them
 *   (balancers first, data last), a new row at each tier; within a tier, the hosts of one group's
 *   members sit together.
 * - Services fill their host in a small grid; entrypoints sit above what they reach; groups and
 *   external services below, each under the middle of its members or users.
 * - Hosts hidden by a collapsed pool (canvas/collapse.ts) go after the visible ones of their
 *   site, so that expanding the pool grows the site downward instead of leaving a hole.
 *
 * A grid of boxes is linear to lay out, so this runs in milliseconds at thousands of services
 * (it still runs in the layout worker, off the main thread). Pure: tests call it directly.
 */
import { indexDesign } from '../../core/design-index';
import type { Design, LayoutPosition } from '../../core/model';
import { collapseOf } from '../canvas/collapse';
import { HOST_MIN, SIZES } from '../canvas/geometry';

/** What the layout worker is asked. */
export interface LayoutRequest {
  design: Design;
  options: LayoutOptions;
}

/** What the layout adapts to. */
export interface LayoutOptions {
  /** Width over height of the pane the design is shown in; 1.6 when unknown. */
  aspect?: number;
}

/** Room between blocks (sites), and between the bands of entrypoints and groups and the blocks. */
const BLOCK_GAP = 80;
const BAND_GAP = 90;
const ITEM_GAP = 40;

interface Size {
  width: number;
  height: number;
}

/** Columns of a host's own grid of services: one column up to four, then about square. */
function serviceColumns(count: number): number {
  return count <= 4 ? 1 : Math.ceil(Math.sqrt(count / 3));
}

/**
 * Places boxes in a grid of `columns`, a new row at each tier; columns and rows fit their widest
 * and tallest box. With `groups` (a group number per box, -1 for none), a run of one group's boxes
 * that fits in a row but not in what is left of the current one starts a new row, so a group's
 * members sit together.
 */
function grid(
  sizes: readonly Size[],
  tiers: readonly number[],
  columns: number,
  gap: Size,
  groups?: readonly number[],
): { cells: { x: number; y: number }[]; size: Size } {
  const rows: number[][] = [];
  let row: number[] = [];
  const runLength = (start: number): number => {
    let end = start;
    while (end < sizes.length && groups![end] === groups![start] && tiers[end] === tiers[start]) end++;
    return end - start;
  };
  sizes.forEach((_, index) => {
    const startsRun =
      groups !== undefined && groups[index]! >= 0 && (index === 0 || groups[index - 1] !== groups[index]);
    const run = startsRun ? runLength(index) : 0;
    if (
      row.length === columns ||
      (row.length > 0 && tiers[index] !== tiers[row[0]!]) ||
      (row.length > 0 && run <= columns && row.length + run > columns)
    ) {
      rows.push(row);
      row = [];
    }
    row.push(index);
  });
  if (row.length > 0) rows.push(row);
  const widths = new Array<number>(columns).fill(0);
  for (const r of rows)
    r.forEach((index, column) => (widths[column] = Math.max(widths[column]!, sizes[index]!.width)));
  const cells: { x: number; y: number }[] = new Array(sizes.length);
  let y = 0;
  let width = 0;
  for (const r of rows) {
    let x = 0;
    let height = 0;
    r.forEach((index, column) => {
      cells[index] = { x, y };
      x += widths[column]! + gap.width;
      height = Math.max(height, sizes[index]!.height);
    });
    width = Math.max(width, x - gap.width);
    y += height + gap.height;
  }
  return { cells, size: { width, height: Math.max(0, y - gap.height) } };
}

/** The grid of boxes whose shape is nearest `aspect` (compared as a ratio, either way). */
function gridFor(
  sizes: readonly Size[],
  tiers: readonly number[],
  aspect: number,
  gap: Size,
  groups?: readonly number[],
) {
  let best = grid(sizes, tiers, 1, gap, groups);
  let bestMiss = Infinity;
  const most = Math.max(1, sizes.length);
  for (let columns = 1; columns <= most; columns++) {
    const candidate = grid(sizes, tiers, columns, gap, groups);
    const miss = Math.abs(Math.log(candidate.size.width / Math.max(1, candidate.size.height) / aspect));
    if (miss < bestMiss - 1e-9) {
      best = candidate;
      bestMiss = miss;
    }
    // One more column can only widen it from here on.
    if (candidate.size.width / Math.max(1, candidate.size.height) > aspect * 4) break;
  }
  return best;
}

/** How many links from an entrypoint reach each service (its tier); unreached ones come last. */
function tiersOf(design: Design): Map<string, number> {
  const index = indexDesign(design);
  const tiers = new Map<string, number>();
  const queue: string[] = [];
  const reach = (id: string, tier: number) => {
    const members = index.membersByGroup.get(id);
    for (const target of members ? members.map((m) => m.id as string) : [id]) {
      if (tiers.has(target) || !index.services.has(target)) continue;
      tiers.set(target, tier);
      queue.push(target);
    }
  };
  for (const entrypoint of index.entrypoints) for (const target of entrypoint.targets) reach(target, 0);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const link of index.linksFrom.get(id) ?? []) reach(link.to, tiers.get(id)! + 1);
  }
  const last = Math.max(0, ...tiers.values()) + 1;
  for (const service of design.services) if (!tiers.has(service.id)) tiers.set(service.id, last);
  return tiers;
}

/**
 * Spreads boxes in rows about `width` wide, each box as near its wanted middle as the others in
 * its row let it. Returns each box's place, relative to the band.
 */
function band(
  wanted: { id: string; middle: number; width: number; height: number }[],
  width: number,
): { places: Map<string, { x: number; y: number }>; height: number } {
  const places = new Map<string, { x: number; y: number }>();
  if (wanted.length === 0) return { places, height: 0 };
  const sorted = [...wanted].sort((a, b) => a.middle - b.middle || a.id.localeCompare(b.id));
  const total = sorted.reduce((sum, item) => sum + item.width + ITEM_GAP, 0);
  const rows = Math.max(1, Math.ceil(total / Math.max(width, 1)));
  let y = 0;
  // Every row takes every rows-th box: each row spans the width, each box near its middle.
  for (let first = 0; first < rows; first++) {
    const row = sorted.filter((_, index) => index % rows === first);
    if (row.length === 0) continue;
    let right = -Infinity;
    let height = 0;
    for (const item of row) {
      const x = Math.max(item.middle - item.width / 2, right + ITEM_GAP);
      places.set(item.id, { x: Math.round(x), y });
      right = x + item.width;
      height = Math.max(height, item.height);
    }
    y += height + ITEM_GAP;
  }
  return { places, height: y - ITEM_GAP };
}

/**
 * Lays a design out; returns every item's position, relative to its container (core/edit/).
 * A pool's `collapsed` flag is kept.
 */
export function arrangeDesign(design: Design, options: LayoutOptions = {}): Record<string, LayoutPosition> {
  const aspect = Math.min(3, Math.max(0.5, options.aspect ?? 1.6));
  const positions: Record<string, LayoutPosition> = {};
  const { hidden } = collapseOf(design);
  const tiers = tiersOf(design);
  const order = new Map(design.services.map((s, i) => [s.id as string, i]));
  const groupOrder = new Map((design.groups ?? []).map((g, i) => [g.id as string, i]));

  // Services in their hosts: shown ones first, then the ones a collapsed pool hides.
  const servicesOf = new Map<string, string[]>();
  const hostIds = new Set(design.hosts.map((h) => h.id as string));
  for (const service of design.services) {
    if (service.host === undefined || !hostIds.has(service.host)) continue;
    const list = servicesOf.get(service.host) ?? [];
    list.push(service.id);
    servicesOf.set(service.host, list);
  }
  const hostSize = new Map<string, Size>();
  const hostTier = new Map<string, number>();
  const hostGroup = new Map<string, number>();
  for (const host of design.hosts) {
    const all = servicesOf.get(host.id) ?? [];
    const ordered = [...all.filter((id) => !hidden.has(id)), ...all.filter((id) => hidden.has(id))];
    const shown = all.filter((id) => !hidden.has(id)).length;
    const columns = serviceColumns(shown || all.length);
    const stepX = SIZES.service.width + SIZES.serviceGap;
    const stepY = SIZES.service.height + SIZES.serviceGap;
    ordered.forEach((id, i) => {
      positions[id] = {
        x: SIZES.hostPadding + (i % columns) * stepX,
        y: SIZES.hostHeader + SIZES.hostPadding + Math.floor(i / columns) * stepY,
      };
    });
    const rows = Math.max(1, Math.ceil((shown || all.length) / columns));
    hostSize.set(host.id, {
      width: Math.max(HOST_MIN.width, 2 * SIZES.hostPadding + columns * stepX - SIZES.serviceGap),
      height: Math.max(
        HOST_MIN.height,
        SIZES.hostHeader + 2 * SIZES.hostPadding + rows * stepY - SIZES.serviceGap,
      ),
    });
    // An empty host goes after every tier.
    hostTier.set(
      host.id,
      all.length === 0 ? Number.MAX_SAFE_INTEGER : Math.min(...all.map((id) => tiers.get(id)!)),
    );
    const grouped = all.map((id) => design.services[order.get(id)!]!.group).find((g) => g !== undefined);
    hostGroup.set(host.id, grouped === undefined ? -1 : (groupOrder.get(grouped) ?? -1));
  }

  // Blocks: each site, and the hosts without a site.
  const siteIds = new Set((design.sites ?? []).map((s) => s.id as string));
  const blocks: { id: string | undefined; hosts: string[] }[] = (design.sites ?? []).map((s) => ({
    id: s.id,
    hosts: [],
  }));
  const loose: string[] = [];
  const hostOrder = new Map(design.hosts.map((h, i) => [h.id as string, i]));
  for (const host of design.hosts) {
    if (host.site !== undefined && siteIds.has(host.site))
      blocks.find((b) => b.id === host.site)!.hosts.push(host.id);
    else loose.push(host.id);
  }
  if (loose.length > 0) blocks.push({ id: undefined, hosts: loose });

  const perRow =
    blocks.length <= 4 ? Math.max(1, blocks.length) : Math.ceil(Math.sqrt(blocks.length * aspect));
  const blockRows = Math.ceil(blocks.length / perRow);
  const blockAspect = (aspect * blockRows) / perRow;

  const blockSizes: Size[] = blocks.map((block) => {
    const byTier = (a: string, b: string) =>
      Number(hidden.has(a)) - Number(hidden.has(b)) ||
      hostTier.get(a)! - hostTier.get(b)! ||
      hostGroup.get(a)! - hostGroup.get(b)! ||
      hostOrder.get(a)! - hostOrder.get(b)!;
    const hosts = [...block.hosts].sort(byTier);
    const shown = hosts.filter((h) => !hidden.has(h));
    // Rows further apart than columns: the links between tiers run across this gap, in lanes of
    // their own with their labels, and turn into their target's host below its header.
    const gap = { width: SIZES.hostGap, height: 2 * SIZES.hostGap };
    const shape = gridFor(
      shown.map((h) => hostSize.get(h)!),
      shown.map((h) => hostTier.get(h)!),
      blockAspect,
      gap,
      shown.map((h) => hostGroup.get(h)!),
    );
    // The hidden hosts continue the grid below, in as many columns, for when the pool expands.
    const columns = Math.max(1, new Set(shape.cells.map((c) => c.x)).size);
    const rest = grid(
      hosts.slice(shown.length).map((h) => hostSize.get(h)!),
      hosts.slice(shown.length).map(() => 0),
      columns,
      gap,
    );
    const inset =
      block.id === undefined
        ? { x: 0, y: 0 }
        : { x: SIZES.sitePadding, y: SIZES.siteHeader + SIZES.sitePadding };
    shown.forEach(
      (h, i) => (positions[h] = { x: inset.x + shape.cells[i]!.x, y: inset.y + shape.cells[i]!.y }),
    );
    const below = shape.size.height + (shown.length > 0 ? SIZES.hostGap : 0);
    hosts.slice(shown.length).forEach((h, i) => {
      positions[h] = { x: inset.x + rest.cells[i]!.x, y: inset.y + below + rest.cells[i]!.y };
    });
    const padding =
      block.id === undefined
        ? { x: 0, y: 0 }
        : { x: 2 * SIZES.sitePadding, y: SIZES.siteHeader + 2 * SIZES.sitePadding };
    return {
      width: Math.max(block.id === undefined ? 0 : HOST_MIN.width + padding.x, shape.size.width + padding.x),
      height: Math.max(
        block.id === undefined ? 0 : HOST_MIN.height + padding.y,
        shape.size.height + padding.y,
      ),
    };
  });

  // Blocks side by side, in rows; a block without a site places its hosts at its own corner.
  const corner = new Map<string | undefined, { x: number; y: number }>();
  let y = 0;
  let blocksRight = 0;
  for (let start = 0; start < blocks.length; start += perRow) {
    let x = 0;
    let height = 0;
    for (let i = start; i < Math.min(blocks.length, start + perRow); i++) {
      corner.set(blocks[i]!.id, { x, y });
      x += blockSizes[i]!.width + BLOCK_GAP;
      height = Math.max(height, blockSizes[i]!.height);
    }
    blocksRight = Math.max(blocksRight, x - BLOCK_GAP);
    y += height + BLOCK_GAP;
  }
  const blocksBottom = Math.max(0, y - BLOCK_GAP);
  for (const block of blocks) {
    const at = corner.get(block.id)!;
    if (block.id !== undefined) positions[block.id] = { x: at.x, y: at.y };
    else for (const h of block.hosts) positions[h] = { x: positions[h]!.x + at.x, y: positions[h]!.y + at.y };
  }

  // Where each service's middle is on the canvas, for the bands above and below.
  const middleOf = (id: string): number | undefined => {
    const service = design.services[order.get(id) ?? -1];
    if (!service?.host || !hostIds.has(service.host)) return undefined;
    const host = design.hosts[hostOrder.get(service.host)!]!;
    const site = host.site !== undefined && siteIds.has(host.site) ? positions[host.site]! : { x: 0, y: 0 };
    return site.x + positions[host.id]!.x + positions[id]!.x + SIZES.service.width / 2;
  };
  const mean = (values: (number | undefined)[]) => {
    const known = values.filter((v): v is number => v !== undefined);
    return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0) / known.length;
  };
  const membersOf = new Map<string, string[]>();
  for (const service of design.services) {
    if (service.group === undefined) continue;
    membersOf.set(service.group, [...(membersOf.get(service.group) ?? []), service.id]);
  }
  const reachOf = (id: string) => membersOf.get(id) ?? [id];

  // Groups, then external services, in bands below the blocks, as wide as the blocks.
  const bandWidth = Math.max(blocksRight, 4 * (SIZES.group.width + ITEM_GAP));
  const groups = band(
    (design.groups ?? []).map((g) => ({
      id: g.id as string,
      ...SIZES.group,
      middle: mean(reachOf(g.id).map(middleOf)) ?? blocksRight / 2,
    })),
    bandWidth,
  );
  const groupsY = blocksBottom + BAND_GAP;
  for (const [id, at] of groups.places) positions[id] = { x: at.x, y: groupsY + at.y };
  const groupMiddle = (id: string) =>
    positions[id] && membersOf.has(id) ? positions[id]!.x + SIZES.group.width / 2 : undefined;
  const linked = new Map<string, string[]>();
  for (const link of design.links ?? []) {
    linked.set(link.to, [...(linked.get(link.to) ?? []), link.from]);
    linked.set(link.from, [...(linked.get(link.from) ?? []), link.to]);
  }
  const externals = band(
    design.services
      .filter((s) => s.host === undefined || !hostIds.has(s.host))
      .map((s) => ({
        id: s.id as string,
        ...SIZES.service,
        middle: mean((linked.get(s.id) ?? []).map((u) => middleOf(u) ?? groupMiddle(u))) ?? blocksRight / 2,
      })),
    bandWidth,
  );
  const externalsY = groups.places.size > 0 ? groupsY + groups.height + BAND_GAP : blocksBottom + BAND_GAP;
  for (const [id, at] of externals.places) positions[id] = { x: at.x, y: externalsY + at.y };

  // Entrypoints in a band above, each over the middle of what it reaches.
  const entrypoints = band(
    (design.entrypoints ?? []).map((e) => ({
      id: e.id as string,
      ...SIZES.entrypoint,
      middle:
        mean(e.targets.flatMap((t) => reachOf(t)).map((t) => middleOf(t) ?? groupMiddle(t))) ??
        blocksRight / 2,
    })),
    bandWidth,
  );
  for (const [id, at] of entrypoints.places)
    positions[id] = { x: at.x, y: at.y - entrypoints.height - BAND_GAP };

  for (const [id, previous] of Object.entries(design.layout ?? {}))
    if (previous.collapsed !== undefined && positions[id])
      positions[id] = { ...positions[id]!, collapsed: previous.collapsed };
  return positions;
}

/** Lays a design out (see {@link arrangeDesign}); async, as the layout worker answers. */
export async function autoLayout(
  design: Design,
  options: LayoutOptions = {},
): Promise<Record<string, LayoutPosition>> {
  return arrangeDesign(design, options);
}
