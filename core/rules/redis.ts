/**
 * Redis + Sentinel rules: one primary, promotable replicas, the Sentinel quorum.
 */
import { isPromotable, sentinelQuorumOf } from '../groups/redis-sentinel';
import { groupBy } from './context';
import type { Check } from './context';

/** The check of `redis.no-promotable`, `redis.primary`, `redis.sentinel-even`, `redis.sentinel-host` and `redis.sentinel-quorum` (docs/rules.md). */
export const checkRedis: Check = ({ index, report }) => {
  for (const group of index.design.groups ?? []) {
    if (group.kind !== 'redis-sentinel') continue;
    const members = index.membersByGroup.get(group.id) ?? [];
    const primaries = members.filter((m) => m.kind === 'redis' && m.primary === true);
    const sentinels = members.filter((m) => m.kind === 'sentinel');
    if (primaries.length !== 1) {
      report(
        'redis.primary',
        [...primaries.map((p) => p.id), group.id],
        primaries.length === 0
          ? `${group.id} has no primary redis: mark exactly one redis member primary: true.`
          : `${group.id} has ${primaries.length} primaries (${primaries.map((p) => p.id).join(', ')}): keep primary: true on exactly one.`,
      );
    }
    const quorum = sentinelQuorumOf(group, sentinels.length);
    if (quorum < 1 || quorum > sentinels.length) {
      report(
        'redis.sentinel-quorum',
        [group.id],
        `${group.id} has quorum ${quorum} with ${sentinels.length} sentinel${sentinels.length === 1 ? '' : 's'}, so no failover can ever be agreed: set quorum between 1 and ${Math.max(1, sentinels.length)}${sentinels.length === 0 ? ' and add sentinels' : ''}.`,
      );
    }
    if (sentinels.length > 0 && sentinels.length % 2 === 0) {
      const tolerated = sentinels.length - (Math.floor(sentinels.length / 2) + 1);
      report(
        'redis.sentinel-even',
        [group.id],
        `${group.id} has ${sentinels.length} sentinels: a failover needs a majority of ${sentinels.length / 2 + 1}, so it survives losing ${tolerated}, as ${sentinels.length - 1} would: add a sentinel on another host to survive one more, or remove one.`,
      );
    }
    const redis = members.filter((m) => m.kind === 'redis');
    if (primaries.length <= 1 && redis.length > 0 && !redis.some(isPromotable)) {
      const replicas = redis.filter((m) => m.primary !== true);
      report(
        'redis.no-promotable',
        [...replicas.map((r) => r.id), group.id],
        replicas.length === 0
          ? `${group.id} has no replica, so Sentinel can never replace its primary: add a redis replica on another host.`
          : `Every replica of ${group.id} (${replicas.map((r) => r.id).join(', ')}) has replicaPriority 0, so Sentinel can never replace its primary: give at least one replica a replicaPriority above 0 (default 100).`,
      );
    }
    for (const [host, shared] of groupBy(sentinels, (s) => s.host)) {
      if (host === undefined || shared.length < 2) continue;
      report(
        'redis.sentinel-host',
        [...shared.map((s) => s.id), host, group.id],
        `Sentinels ${shared.map((s) => s.id).join(' and ')} of ${group.id} share host ${host}, so one host failure silences ${shared.length}: put each sentinel on its own host.`,
      );
    }
  }
};
