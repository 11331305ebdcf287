/**
 * The VRRP plan of a `vip` entrypoint: which keepalived instance holds the address first and how
 * the tracking script moves it. The keepalived generator renders this plan and the rule
 * `keepalived.priority` checks it, so what is checked is what is generated.
 */
import type { DesignIndex, EffectiveEntrypoint } from './design-index';

/** Priority of the first target; each next target is {@link PRIORITY_STEP} lower. */
export const TOP_PRIORITY = 150;
/** How much lower each next target's priority is. */
export const PRIORITY_STEP = 10;
/** keepalived accepts priorities 1..254 for instances that do not own the address. */
const LOWEST_PRIORITY = 1;
const HIGHEST_PRIORITY = 254;
/** keepalived accepts tracking weights from -253 to 253. */
const WEIGHT_LIMIT = 253;

/** One keepalived instance of a `vip` entrypoint. */
export interface VrrpMember {
  service: string;
  host: string | undefined;
  priority: number;
}

/** Priorities and tracking weight of one `vip` entrypoint, with what keeps the address from moving. */
export interface VrrpPlan {
  entrypoint: string;
  members: VrrpMember[];
  /** Added to an instance's priority while its balancer is down (negative). */
  weight: number;
  /** Why the address cannot move when a balancer dies; empty when it can. */
  problems: string[];
}

/** Plans priorities so that a dead balancer always drops below every healthy one. */
export function planVrrp(index: DesignIndex, entrypoint: EffectiveEntrypoint): VrrpPlan {
  const members = entrypoint.targets.map((service, position) => ({
    service,
    host: index.services.get(service)?.host,
    priority: TOP_PRIORITY - PRIORITY_STEP * position,
  }));
  // The holder must fall below the lowest backup: top - step*(n-1) - 1 at least.
  const weight = -PRIORITY_STEP * members.length;
  return { entrypoint: entrypoint.id, members, weight, problems: vrrpProblems(members, weight) };
}

function vrrpProblems(members: VrrpMember[], weight: number): string[] {
  const problems: string[] = [];
  if (members.length < 2) problems.push('it has one balancer, so there is nowhere to move the address to');
  const external = members.filter((m) => m.host === undefined).map((m) => m.service);
  if (external.length > 0) problems.push(`${external.join(', ')} has no host to run keepalived on`);
  const byHost = new Map<string, string[]>();
  for (const member of members) {
    if (member.host === undefined) continue;
    byHost.set(member.host, [...(byHost.get(member.host) ?? []), member.service]);
  }
  for (const [host, services] of byHost) {
    if (services.length > 1) {
      problems.push(`${services.join(' and ')} share host ${host}, which runs one keepalived for both`);
    }
  }
  const priorities = members.map((m) => m.priority);
  if (priorities.some((p) => p < LOWEST_PRIORITY || p > HIGHEST_PRIORITY)) {
    problems.push(`${members.length} balancers need priorities outside keepalived's 1 to 254`);
  }
  if (Math.abs(weight) > WEIGHT_LIMIT)
    problems.push(`the tracking weight ${weight} is beyond keepalived's ±253`);
  for (const member of members) {
    const others = members.filter((m) => m !== member && m.host !== member.host);
    if (others.length > 0 && !others.some((o) => member.priority + weight < o.priority)) {
      problems.push(`${member.service} keeps priority ${member.priority + weight} when its balancer dies`);
    }
  }
  return problems;
}
