/**
 * What a group kind is, in one record (docs/design-file.md, groups; docs/availability.md): which
 * services it admits, which of them vote, bear data or are the primary, how the availability
 * engine evaluates it, its roll-out order for push, the rules it owns and its inspector fields.
 * Every place that used to switch on a group's kind reads its descriptor instead, so adding a
 * kind is one file beside this one and one line in `core/groups/index.ts`.
 */
import type { Group, GroupKind, Service, ServiceKind } from '../model';
import type { RuleId } from '../rules/catalogue';

/**
 * How the availability engine decides a group's state (docs/availability.md):
 * - `best-member`: the best of its members, degraded below its `load` (a pool);
 * - `majority`: up while a strict majority of its voters and a data-bearing member are up;
 * - `sentinel`: up while its primary is, or while a promotable replica and enough sentinels are.
 */
export type GroupEvaluation = 'best-member' | 'majority' | 'sentinel';

/** The parts a member plays in its group. */
export interface MemberRole {
  /** It votes: its loss counts against the group's majority. */
  voter: boolean;
  /** It holds the data and can serve: the group needs one of these up. */
  dataBearing: boolean;
  /** It is the group's primary (the one that serves before any failover). */
  primary: boolean;
  /** It can replace the primary by a failover (a Redis replica with `replicaPriority` > 0). */
  promotable: boolean;
}

/** One group kind, described once. */
export interface GroupKindDescriptor<K extends GroupKind = GroupKind> {
  kind: K;
  /** The service kinds it admits; undefined admits any. */
  memberKinds: readonly ServiceKind[] | undefined;
  /** How the engine evaluates it. */
  evaluation: GroupEvaluation;
  /** The role of one member, given all members of the group. */
  roleOf(member: Service, members: readonly Service[]): MemberRole;
  /**
   * Roll-out order for push: undefined when the group's hosts need no serial roll-out (a pool:
   * its entrypoints serialise it), else the member's rank; higher ranks go later (the primary 1).
   */
  rolloutRank: ((member: Service, members: readonly Service[]) => number) | undefined;
  /** What its voters are called in findings and summaries, singular. */
  voterNoun: string;
  /** How to add a voter, said in a finding ("add a sentinel on another host"). */
  addVoter: string;
  /** The group rules of docs/rules.md that apply to it. */
  rules: readonly RuleId[];
  /** The design-file fields of its kind, in the order the inspector shows them. */
  inspectorFields: readonly (keyof Extract<Group, { kind: K }> & string)[];
  /** The short prefix of a new group's id. */
  idPrefix: string;
}

/** A member that plays no part beyond being there. */
export const PLAIN_MEMBER: MemberRole = {
  voter: false,
  dataBearing: true,
  primary: false,
  promotable: false,
};
