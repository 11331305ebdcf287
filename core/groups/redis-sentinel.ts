/** The `redis-sentinel` group kind: Redis servers and the Sentinels that fail them over. */
import { replicaPriorityOf } from '../model';
import type { GroupId, Service } from '../model';
import type { GroupKindDescriptor } from './descriptor';

/** Redis servers, exactly one `primary`, and their Sentinels. */
export interface RedisSentinelGroup {
  id: GroupId;
  kind: 'redis-sentinel';
  label?: string;
  /** Sentinels that must agree the primary is down, default a majority of the sentinels. */
  quorum?: number;
  masterName?: string;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** A primary refuses writes while fewer than this many replicas are up (default 0: never). */
  minReplicasToWrite?: number;
  /** A replica counts for `minReplicasToWrite` only while its lag is at most this (default 10). */
  minReplicasMaxLagSeconds?: number;
}

/** Redis's default `min-replicas-max-lag`. */
export const DEFAULT_MIN_REPLICAS_MAX_LAG_SECONDS = 10;

/** Sentinel quorum of a group: its own, else a majority of its sentinels. */
export function sentinelQuorumOf(group: Pick<RedisSentinelGroup, 'quorum'>, sentinels: number): number {
  return group.quorum ?? Math.floor(sentinels / 2) + 1;
}

/**
 * Sentinels that must be up and reach each other to replace the primary: `quorum` of them to
 * agree it is down, and a majority of all sentinels to authorise the failover (Redis Sentinel
 * documentation, "Quorum").
 */
export function sentinelsForFailoverOf(group: Pick<RedisSentinelGroup, 'quorum'>, sentinels: number): number {
  return Math.max(sentinelQuorumOf(group, sentinels), Math.floor(sentinels / 2) + 1);
}

/** True for a replica Sentinel may promote: a non-primary redis with `replicaPriority` > 0. */
export function isPromotable(member: Service): boolean {
  return member.kind === 'redis' && member.primary !== true && replicaPriorityOf(member) > 0;
}

/**
 * The descriptor of `redis-sentinel`: sentinels vote (on failovers only), redis servers bear
 * data, the group serves from its primary (docs/availability.md).
 */
export const REDIS_SENTINEL: GroupKindDescriptor<'redis-sentinel'> = {
  kind: 'redis-sentinel',
  memberKinds: ['redis', 'sentinel'],
  evaluation: 'sentinel',
  roleOf: (member) => ({
    voter: member.kind === 'sentinel',
    dataBearing: member.kind === 'redis',
    primary: member.kind === 'redis' && member.primary === true,
    promotable: isPromotable(member),
  }),
  // The primary goes last; sentinels and replicas before it.
  rolloutRank: (member) => (member.kind === 'redis' && member.primary ? 1 : 0),
  voterNoun: 'sentinel',
  addVoter: 'add a sentinel on another host',
  // Not quorum.even: an even number of sentinels is valid (redis.sentinel-even says what it costs).
  rules: [
    'quorum.too-small',
    'quorum.same-host',
    'quorum.site-majority',
    'redis.primary',
    'redis.sentinel-quorum',
    'redis.sentinel-host',
    'redis.sentinel-even',
    'redis.no-promotable',
    'redis.split-brain',
  ],
  inspectorFields: [
    'quorum',
    'masterName',
    'downAfterMs',
    'failoverTimeoutMs',
    'minReplicasToWrite',
    'minReplicasMaxLagSeconds',
  ],
  idPrefix: 'redis-ha',
};
