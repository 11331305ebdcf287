/**
 * Rules of tiers: pools, capture, reporting, storage and balancers.
 */
import { BALANCER_KINDS, capacityOf } from '../model';
import type { Service } from '../model';
import { descriptorOf } from '../groups';
import { owns } from './quorum';
import { unique } from './context';
import type { Check } from './context';
import type { DesignIndex } from '../design-index';

/** The check of `capacity.n-plus-1` (docs/rules.md). */
export const checkCapacity: Check = ({ index, report }) => {
  for (const group of index.design.groups ?? []) {
    if (group.kind !== 'pool' || group.load === undefined || !owns(group, 'capacity.n-plus-1')) continue;
    const members = index.membersByGroup.get(group.id) ?? [];
    const capacities = members.map(capacityOf);
    const total = capacities.reduce((a, b) => a + b, 0);
    const largest = Math.max(0, ...capacities);
    if (total - largest < group.load) {
      report(
        'capacity.n-plus-1',
        [group.id],
        `${group.id} must carry ${group.load} but has ${total} in all, ${total - largest} without its largest member: add capacity of at least ${group.load - (total - largest)} so it survives the loss of one member.`,
      );
    }
  }
};

/** Traffic targets of a service, with groups expanded to their members. */
function trafficTargets(index: DesignIndex, service: Service): { link: string; members: Service[] }[] {
  return (index.linksFrom.get(service.id) ?? [])
    .filter((l) => l.kind === 'traffic')
    .map((l) => ({
      link: l.to,
      members: index.services.has(l.to)
        ? [index.services.get(l.to)!]
        : (index.membersByGroup.get(l.to) ?? []),
    }));
}

/** The check of `capture.delivery-peers` (docs/rules.md). */
export const checkDeliveryPeers: Check = ({ index, report }) => {
  for (const service of index.design.services) {
    if (service.kind !== 'capture') continue;
    const peers = new Set(trafficTargets(index, service).flatMap((t) => t.members.map((m) => m.id)));
    if (peers.size < 2) {
      report(
        'capture.delivery-peers',
        [service.id],
        `${service.id} delivers to ${peers.size === 0 ? 'no peer' : `only ${[...peers][0]}`}: give it a second delivery peer (the standby router) so captured data survives the loss of one.`,
      );
    }
  }
};

/** The check of `reporting.single-active` (docs/rules.md). */
export const checkSingleActiveReporting: Check = ({ index, report }) => {
  const active = index.design.services.filter(
    (s) => s.kind === 'reporting' && (s.mode ?? 'active') === 'active',
  );
  if (active.length > 1) {
    report(
      'reporting.single-active',
      active.map((s) => s.id),
      `${active.map((s) => s.id).join(', ')} are all active, but only one reporting server may run its data service at a time: make all but one cold-standby.`,
    );
  }
};

/** Sets of services that sit behind one balancer, pool or external load balancer. */
function balancedSets(index: DesignIndex): { by: string; members: Service[] }[] {
  const sets: { by: string; members: Service[] }[] = [];
  for (const service of index.design.services) {
    if (!BALANCER_KINDS.includes(service.kind)) continue;
    sets.push({ by: service.id, members: trafficTargets(index, service).flatMap((t) => t.members) });
  }
  for (const group of index.design.groups ?? []) {
    if (descriptorOf(group).evaluation === 'best-member')
      sets.push({ by: group.id, members: index.membersByGroup.get(group.id) ?? [] });
  }
  for (const entrypoint of index.design.entrypoints ?? []) {
    if (entrypoint.via !== 'external-lb') continue;
    const members = entrypoint.targets.flatMap((t) =>
      index.services.has(t) ? [index.services.get(t)!] : (index.membersByGroup.get(t) ?? []),
    );
    sets.push({ by: entrypoint.id, members });
  }
  return sets;
}

/** The check of `storage.shared-missing` (docs/rules.md). */
export const checkSharedStorage: Check = ({ index, report }) => {
  for (const { by, members } of balancedSets(index)) {
    const stateful = unique(members.filter((m) => m.kind === 'app' && m.stateful === true));
    if (stateful.length < 2) continue;
    const storageOf = (app: Service) =>
      new Set(
        (index.linksFrom.get(app.id) ?? [])
          .filter((l) => l.kind === 'uses' && index.services.get(l.to)?.kind === 'storage')
          .map((l) => l.to),
      );
    const [first, ...rest] = stateful.map(storageOf);
    const shared = [...first!].filter((s) => rest.every((set) => set.has(s)));
    if (shared.length === 0) {
      report(
        'storage.shared-missing',
        [...stateful.map((s) => s.id), by],
        `${stateful.map((s) => s.id).join(', ')} behind ${by} keep local state but do not all use one shared storage, so their data goes out of sync: add a storage service and a uses link from each.`,
      );
    }
  }
};

/** The check of `lb.health-check` (docs/rules.md). */
export const checkHealthChecks: Check = ({ index, report }) => {
  for (const balancer of index.design.services) {
    if (!BALANCER_KINDS.includes(balancer.kind)) continue;
    const apps = unique(trafficTargets(index, balancer).flatMap((t) => t.members));
    for (const app of apps) {
      if (app.kind !== 'app' || app.healthCheck !== undefined) continue;
      report(
        'lb.health-check',
        [app.id, balancer.id],
        `${balancer.id} sends traffic to ${app.id}, which has no healthCheck, so a hung ${app.id} keeps getting requests: give ${app.id} a healthCheck path.`,
      );
    }
  }
};
