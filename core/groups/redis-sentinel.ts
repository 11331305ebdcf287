/** The `redis-sentinel` group kind: Redis servers and the Sentinels that fail them over. */
import type { GroupId } from '../model';
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
}

/** The descriptor of `redis-sentinel`: sentinels vote, redis servers bear data. */
export const REDIS_SENTINEL: GroupKindDescriptor<'redis-sentinel'> = {
  kind: 'redis-sentinel',
  memberKinds: ['redis', 'sentinel'],
  evaluation: 'majority',
  roleOf: (member) => ({
    voter: member.kind === 'sentinel',
    dataBearing: member.kind === 'redis',
    primary: member.kind === 'redis' && member.primary === true,
    promotable: member.kind === 'redis' && member.primary !== true,
  }),
  // The primary goes last; sentinels and replicas before it.
  rolloutRank: (member) => (member.kind === 'redis' && member.primary ? 1 : 0),
  voterNoun: 'sentinel',
  addVoter: 'add a sentinel on another host',
  rules: [
    'quorum.even',
    'quorum.too-small',
    'quorum.same-host',
    'quorum.site-majority',
    'redis.primary',
    'redis.sentinel-quorum',
    'redis.sentinel-host',
  ],
  inspectorFields: ['quorum', 'masterName', 'downAfterMs', 'failoverTimeoutMs'],
  idPrefix: 'redis-ha',
};
