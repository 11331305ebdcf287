/**
 * Collapsed pools: a pool shown as one node with a count instead of every member. Whether a pool
 * is collapsed is part of the design's layout (`layout[pool].collapsed`), so it is saved, undone
 * and redone like a position; a pool without it is collapsed when it has more than
 * {@link POOL_COLLAPSE_THRESHOLD} members.
 *
 * While a pool is collapsed its members are not drawn, nor are the hosts that hold nothing else;
 * the pool's node stands in for them, and links to and from them end at it.
 */
import type { Design } from '../../core/model';

/**
 * Pools with more members than this start collapsed. Eight service boxes fill a screen row at
 * actual size (8 × 216 px); past that, more identical workers add area but no information that
 * the pool's count and capacity summary do not give, and they are what makes a large design's
 * grids tall. Every pool of the five seed designs is smaller, so they open expanded.
 */
export const POOL_COLLAPSE_THRESHOLD = 8;

/** What collapsed pools hide, and what stands in for each hidden item. */
export interface Collapse {
  /** The collapsed pools. */
  pools: Set<string>;
  /** Hidden services and hosts. */
  hidden: Set<string>;
  /** For each hidden item, the pool whose node stands in for it. */
  standIn: Map<string, string>;
  /** Members per collapsed pool. */
  counts: Map<string, number>;
}

const NONE: Collapse = { pools: new Set(), hidden: new Set(), standIn: new Map(), counts: new Map() };

/** True when a pool is collapsed: as its layout says, else by its size. */
export function isCollapsed(design: Design, pool: string, members: number): boolean {
  return design.layout?.[pool]?.collapsed ?? members > POOL_COLLAPSE_THRESHOLD;
}

/** The collapsed pools of a design and what they hide. Linear in the design's size. */
export function collapseOf(design: Design): Collapse {
  const pools = (design.groups ?? []).filter((g) => g.kind === 'pool');
  if (pools.length === 0) return NONE;
  const members = new Map<string, string[]>();
  for (const service of design.services) {
    if (service.group === undefined) continue;
    const list = members.get(service.group);
    if (list) list.push(service.id);
    else members.set(service.group, [service.id]);
  }
  const collapse: Collapse = { pools: new Set(), hidden: new Set(), standIn: new Map(), counts: new Map() };
  for (const pool of pools) {
    const list = members.get(pool.id) ?? [];
    if (list.length === 0 || !isCollapsed(design, pool.id, list.length)) continue;
    collapse.pools.add(pool.id);
    collapse.counts.set(pool.id, list.length);
    for (const id of list) {
      collapse.hidden.add(id);
      collapse.standIn.set(id, pool.id);
    }
  }
  if (collapse.pools.size === 0) return NONE;
  // A host goes when everything on it is hidden, and then stands for the pool of its first service.
  const shown = new Set<string>();
  const firstHidden = new Map<string, string>();
  for (const service of design.services) {
    if (service.host === undefined) continue;
    if (!collapse.hidden.has(service.id)) shown.add(service.host);
    else if (!firstHidden.has(service.host)) firstHidden.set(service.host, collapse.standIn.get(service.id)!);
  }
  for (const [host, pool] of firstHidden) {
    if (shown.has(host)) continue;
    collapse.hidden.add(host);
    collapse.standIn.set(host, pool);
  }
  return collapse;
}
