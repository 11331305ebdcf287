/**
 * What the canvas says about a group at a glance: "5 voters · tolerates 2" for a voting group,
 * members, capacity and load for a pool. Voters are counted as the quorum rules count them.
 */
import { descriptorOf, isVoter, isVotingGroup } from './groups';
import { capacityOf } from './model';
import type { Design, Group, Service } from './model';

/** A group's size and how many failures it survives. */
export interface GroupSummary {
  id: string;
  kind: Group['kind'];
  members: number;
  /** Voting groups: members that vote (sentinels, members with votes 1, every quorum member). */
  voters?: number;
  /** Voting groups: voters that may fail while a strict majority remains. */
  tolerates?: number;
  /** Pools: the capacity of all members, and the load the tier must carry. */
  capacity?: number;
  load?: number;
  /** One line for the canvas, e.g. `5 voters · tolerates 2`. */
  text: string;
}

export { isVoter };

/** Failures a group of `voters` survives: it needs a strict majority, floor(n / 2) + 1. */
export function toleratedFailures(voters: number): number {
  return voters === 0 ? 0 : voters - (Math.floor(voters / 2) + 1);
}

/** Summaries of every group of a design, by id. */
export function summarizeGroups(design: Design): Map<string, GroupSummary> {
  const members = new Map<string, Service[]>();
  for (const service of design.services) {
    if (service.group === undefined) continue;
    const list = members.get(service.group);
    if (list) list.push(service);
    else members.set(service.group, [service]);
  }
  const summaries = new Map<string, GroupSummary>();
  for (const group of design.groups ?? []) {
    summaries.set(group.id, summarizeGroup(group, members.get(group.id) ?? []));
  }
  return summaries;
}

/** The summary of one group with its members. */
export function summarizeGroup(group: Group, members: readonly Service[]): GroupSummary {
  const count = members.length;
  const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  if (isVotingGroup(group)) {
    const voters = members.filter((m) => isVoter(group, m)).length;
    const tolerates = toleratedFailures(voters);
    const noun = descriptorOf(group).voterNoun === 'sentinel' ? 'sentinel' : 'voter';
    const text = `${plural(voters, noun)} · tolerates ${tolerates}`;
    return { id: group.id, kind: group.kind, members: count, voters, tolerates, text };
  }
  const capacity = members.reduce((sum, m) => sum + capacityOf(m), 0);
  const load = group.kind === 'pool' ? group.load : undefined;
  const text =
    load === undefined
      ? `${plural(count, 'member')} · capacity ${capacity}`
      : `${plural(count, 'member')} · capacity ${capacity} of ${load}`;
  return { id: group.id, kind: group.kind, members: count, capacity, load, text };
}
