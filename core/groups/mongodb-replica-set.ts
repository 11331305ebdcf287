/** The `mongodb-replica-set` group kind: mongod members and arbiters (docs/availability.md). */
import { mongoPriorityOf, mongoVotesOf } from '../model';
import type { GroupId, Service } from '../model';
import type { GroupKindDescriptor } from './descriptor';

/** A MongoDB replica set. */
export interface MongoReplicaSetGroup {
  id: GroupId;
  kind: 'mongodb-replica-set';
  label?: string;
  /** Replica set name, default the id. */
  name?: string;
  /** MongoDB's `settings.electionTimeoutMillis`, default 10000. */
  electionTimeoutMs?: number;
}

function isElectable(member: Service): boolean {
  return member.kind === 'mongodb' && mongoPriorityOf(member) > 0 && member.votes !== 0;
}

/**
 * The member that is primary while all are up: the electable member with the highest priority,
 * the first such in design order on a tie.
 */
function isExpectedPrimary(member: Service, members: readonly Service[]): boolean {
  if (!isElectable(member)) return false;
  const electable = members.filter(isElectable);
  const best = Math.max(...electable.map(mongoPriorityOf));
  return electable.find((m) => mongoPriorityOf(m) === best) === member;
}

/** The descriptor of `mongodb-replica-set`: members with votes 1 vote, mongod with priority > 0 bear data. */
export const MONGODB_REPLICA_SET: GroupKindDescriptor<'mongodb-replica-set'> = {
  kind: 'mongodb-replica-set',
  memberKinds: ['mongodb', 'arbiter'],
  evaluation: 'majority',
  roleOf: (member, members) => ({
    voter: mongoVotesOf(member) === 1,
    dataBearing: member.kind === 'mongodb' && mongoPriorityOf(member) > 0,
    primary: isExpectedPrimary(member, members),
    promotable: isElectable(member),
  }),
  // The primary goes last, so a roll-out steps down one primary at most.
  rolloutRank: (member, members) => (isExpectedPrimary(member, members) ? 1 : 0),
  voterNoun: 'voting member',
  addVoter: 'add a voting member or an arbiter in a third site',
  rules: [
    'quorum.even',
    'quorum.too-small',
    'quorum.same-host',
    'quorum.site-majority',
    'mongodb.voting-max',
    'mongodb.members-max',
    'mongodb.arbiters',
    'mongodb.no-electable',
    'mongodb.member',
    'mongodb.arbiter-host',
    'mongodb.psa',
  ],
  inspectorFields: ['name', 'electionTimeoutMs'],
  idPrefix: 'rs',
};
