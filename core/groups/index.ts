/**
 * The registry of group kinds: one descriptor per kind (core/groups/descriptor.ts). The mapped
 * type makes a kind added to GROUP_KINDS without a descriptor a type error.
 */
import type { Group, GroupKind, Service } from '../model';
import type { GroupKindDescriptor, MemberRole } from './descriptor';
import { MONGODB_REPLICA_SET } from './mongodb-replica-set';
import { POOL } from './pool';
import { QUORUM } from './quorum';
import { REDIS_SENTINEL } from './redis-sentinel';

export type { GroupEvaluation, GroupKindDescriptor, MemberRole } from './descriptor';

/** Every group kind's descriptor, by kind. */
export const GROUP_DESCRIPTORS: { readonly [K in GroupKind]: GroupKindDescriptor<K> } = {
  'mongodb-replica-set': MONGODB_REPLICA_SET,
  'redis-sentinel': REDIS_SENTINEL,
  quorum: QUORUM,
  pool: POOL,
};

/** The descriptor of a group's kind. */
export function descriptorOf(group: Pick<Group, 'kind'>): GroupKindDescriptor {
  return GROUP_DESCRIPTORS[group.kind] as GroupKindDescriptor;
}

/** True when the group's members vote (a replica set, a Sentinel group, a quorum). */
export function isVotingGroup(group: Pick<Group, 'kind'>): boolean {
  return descriptorOf(group).evaluation !== 'best-member';
}

/** The role of a member in its group. */
export function memberRoleOf(
  group: Pick<Group, 'kind'>,
  member: Service,
  members: readonly Service[],
): MemberRole {
  return descriptorOf(group).roleOf(member, members);
}

/** True when a member votes in its group (docs/design-file.md, groups table). */
export function isVoter(group: Pick<Group, 'kind'>, member: Service): boolean {
  return descriptorOf(group).roleOf(member, [member]).voter;
}
