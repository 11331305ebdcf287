/**
 * What the canvas says about a group at a glance: "5 voters · tolerates 2" for a voting group,
 * members, capacity and load for a pool. Voters are counted as the quorum rules count them.
 */
import { VOTING_GROUP_KINDS, capacityOf, mongoVotesOf } from './model';
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

/** True when a member votes in its group (docs/design-file.md, groups table). */
export function isVoter(group: Pick<Group, 'kind'>, member: Service): boolean {
  if (group.kind === 'mongodb-replica-set') return mongoVotesOf(member) === 1;
  if (group.kind === 'redis-sentinel') return member.kind === 'sentinel';
  return group.kind === 'quorum';
}

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
  if (VOTING_GROUP_KINDS.includes(group.kind)) {
    const voters = members.filter((m) => isVoter(group, m)).length;
    const tolerates = toleratedFailures(voters);
    const noun = group.kind === 'redis-sentinel' ? 'sentinel' : 'voter';
    const text = `${plural(voters, noun)} · tolerates ${tolerates}`;
    return { id: group.id, kind: group.kind, members: count, voters, tolerates, text };
  }
  const capacity = members.reduce((sum, m) => sum + capacityOf(m), 0);
  const text =
    group.load === undefined
      ? `${plural(count, 'member')} · capacity ${capacity}`
      : `${plural(count, 'member')} · capacity ${capacity} of ${group.load}`;
  return { id: group.id, kind: group.kind, members: count, capacity, load: group.load, text };
}
