/**
 * Roll-out order (docs/push.md): the members of one voting group are pushed one at a time,
 * secondaries and arbiters before the primary, and so are the hosts behind one entrypoint, so a
 * roll-out never takes down more than the design can lose. The manifest carries these groups as
 * `serial`; push (deploy/push/order.ts) runs hosts under them.
 */
import { designIndexOf, reachFrom } from '../design-index';
import type { DesignIndex } from '../design-index';
import { descriptorOf } from '../groups';
import { MinHeap } from '../priority-queue';
import type { Design, Service } from '../model';

/** Hosts that are pushed one at a time, in this order. */
export interface SerialGroup {
  /** The group or entrypoint id. */
  id: string;
  kind: 'group' | 'entrypoint';
  hosts: string[];
}

/** The services an entrypoint depends on for its traffic: its targets and, through traffic links, theirs. */
function servicesBehind(index: DesignIndex, targets: readonly string[]): Service[] {
  const reached = reachFrom(
    targets,
    (id) =>
      index.membersByGroup.get(id)?.map((member) => member.id) ??
      (index.linksFrom.get(id) ?? []).filter((link) => link.kind === 'traffic').map((link) => link.to),
  );
  return reached.flatMap((id) => {
    const service = index.membersByGroup.has(id) ? undefined : index.services.get(id);
    return service ? [service] : [];
  });
}

/**
 * The serial groups of a design. Within a voting group the primary's host goes after the
 * others (secondaries, arbiters, sentinels); these wishes are merged into one
 * order of all hosts (design order where they leave a choice), and every group lists its hosts in
 * that order, so groups never ask for opposite orders and a roll-out cannot deadlock. Only when
 * two groups' primaries cross (each on a host that is a secondary of the other) can one of them
 * not go last. Groups with fewer than two hosts are left out, and so is a group with the same
 * hosts as an earlier one.
 */
export function serialGroupsOf(design: Design | DesignIndex): SerialGroup[] {
  const index = designIndexOf(design);
  const groups: { id: string; kind: SerialGroup['kind']; hosts: Set<string> }[] = [];
  const edges: [string, string][] = [];

  for (const group of index.design.groups ?? []) {
    // The group kind's descriptor says whether its members go one at a time, and in which order.
    const rankOf = descriptorOf(group).rolloutRank;
    if (rankOf === undefined) continue;
    const members = index.membersByGroup.get(group.id) ?? [];
    const rank = new Map<string, number>();
    for (const member of members) {
      if (member.host === undefined) continue;
      rank.set(member.host, Math.max(rank.get(member.host) ?? 0, rankOf(member, members)));
    }
    for (const [early, earlyRank] of rank)
      for (const [late, lateRank] of rank) if (earlyRank < lateRank) edges.push([early, late]);
    groups.push({ id: group.id, kind: 'group', hosts: new Set(rank.keys()) });
  }
  for (const entrypoint of index.entrypoints) {
    const hosts = new Set(
      servicesBehind(index, entrypoint.targets)
        .map((service) => service.host)
        .filter((host) => host !== undefined),
    );
    groups.push({ id: entrypoint.id, kind: 'entrypoint', hosts });
  }

  const order = topologicalOrder(
    index.design.hosts.map((host) => host.id as string),
    edges,
  );
  const position = new Map(order.map((host, place) => [host, place]));
  const seen = new Set<string>();
  return groups
    .filter((group) => group.hosts.size >= 2)
    .map((group) => ({
      id: group.id,
      kind: group.kind,
      hosts: [...group.hosts].sort((left, right) => position.get(left)! - position.get(right)!),
    }))
    .filter((group) => {
      const key = group.hosts.join(' ');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/**
 * `items` ordered so that every `[before, after]` edge holds, keeping the given order wherever the
 * edges leave a choice (Kahn's algorithm, the ready item earliest in `items` first); a cycle is
 * broken at its earliest item.
 */
export function topologicalOrder(items: string[], edges: [string, string][]): string[] {
  const given = new Map(items.map((item, place) => [item, place]));
  const successors = items.map(() => [] as number[]);
  const waiting = new Int32Array(items.length);
  const seenEdges = new Set<string>();
  for (const [before, after] of edges) {
    const from = given.get(before);
    const to = given.get(after);
    if (from === undefined || to === undefined || from === to || seenEdges.has(`${from} ${to}`)) continue;
    seenEdges.add(`${from} ${to}`);
    successors[from]!.push(to);
    waiting[to]!++;
  }
  const ready = new MinHeap();
  for (let place = 0; place < items.length; place++) if (waiting[place] === 0) ready.push(place);
  const placed = new Uint8Array(items.length);
  const order: string[] = [];
  let scan = 0;
  while (order.length < items.length) {
    let next = ready.pop();
    if (next === undefined) {
      // A cycle: release its earliest unplaced item.
      while (placed[scan]) scan++;
      next = scan;
    }
    if (placed[next]) continue;
    placed[next] = 1;
    order.push(items[next]!);
    for (const successor of successors[next]!)
      if (--waiting[successor]! === 0 && !placed[successor]) ready.push(successor);
  }
  return order;
}
