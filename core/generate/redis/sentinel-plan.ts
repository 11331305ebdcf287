/**
 * The plan of a Sentinel group: its primary, replicas and sentinels where they run, the name
 * Sentinel monitors it under, and the timings it fails over with.
 */
import { sentinelQuorumOf } from '../../groups/redis-sentinel';
import { IP_PATTERN } from '../../schema/patterns';
import { hostOf } from '../context';
import { redisValue, UnsafeValueError } from '../quote';
import type { DesignIndex } from '../../design-index';
import type { Host, PlainService, RedisSentinelGroup, RedisService, Service } from '../../model';

/**
 * `down-after-milliseconds` when the group sets none. Sentinel then promotes a replica about 1.4 s
 * after the primary dies (measured on loopback: SDOWN after 1 s, then agreement, election and
 * promotion), well within 3 s; a longer value trades failover time for tolerance of network stalls.
 */
export const DEFAULT_DOWN_AFTER_MS = 1000;

/**
 * `failover-timeout` when the group sets none. Redis's own default is 180 s, and a failover that
 * does not complete is retried only after twice this time: 10 s bounds a stalled failover to a 20 s
 * retry while leaving replicas ample time to resynchronize with the new primary.
 */
export const DEFAULT_FAILOVER_TIMEOUT_MS = 10_000;

/** Replicas that resynchronize with a new primary at once; 1 keeps the others serving reads. */
export const PARALLEL_SYNCS = 1;

const IP_REGEX = new RegExp(IP_PATTERN);

/** A redis or sentinel service placed on a host. */
interface Placed<S extends Service> {
  service: S;
  host: Host;
}

/** A sentinel service. */
export type SentinelService = PlainService & { kind: 'sentinel' };

/** What a Sentinel group's files agree on, decided once per group. */
export interface SentinelGroupPlan {
  group: RedisSentinelGroup;
  /** The name Sentinel monitors the primary under: `masterName`, else the group id. */
  masterName: string;
  /** The redis marked `primary` (the first redis when none is), when it has a host. */
  primary: Placed<RedisService> | undefined;
  replicas: Placed<RedisService>[];
  sentinels: Placed<SentinelService>[];
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  /** Some address of the group is a DNS name: Sentinel must resolve and announce host names. */
  usesHostnames: boolean;
}

/** True when an address is a DNS name, not an IP address. */
export function isHostname(address: string): boolean {
  return !IP_REGEX.test(address);
}

function placed<S extends Service>(index: DesignIndex, services: S[]): Placed<S>[] {
  return services.flatMap((service) => {
    const host = hostOf(index, service);
    return host ? [{ service, host }] : [];
  });
}

/** The plan of a `redis-sentinel` group. */
export function planSentinelGroup(index: DesignIndex, group: RedisSentinelGroup): SentinelGroupPlan {
  const members = index.membersByGroup.get(group.id) ?? [];
  const redis = members.filter((member): member is RedisService => member.kind === 'redis');
  const sentinels = members.filter((member): member is SentinelService => member.kind === 'sentinel');
  // With `--force` a group may lack its one primary (rule redis.primary): the first redis stands in.
  const primaryService = redis.find((member) => member.primary === true) ?? redis[0];
  const primary = primaryService ? placed(index, [primaryService])[0] : undefined;
  const replicas = placed(
    index,
    redis.filter((member) => member !== primaryService),
  );
  const placedSentinels = placed(index, sentinels);
  const addresses = [primary, ...replicas, ...placedSentinels].flatMap((item) =>
    item ? [item.host.address] : [],
  );
  return {
    group,
    masterName: group.masterName ?? group.id,
    primary,
    replicas,
    sentinels: placedSentinels,
    quorum: sentinelQuorumOf(group, sentinels.length),
    downAfterMs: group.downAfterMs ?? DEFAULT_DOWN_AFTER_MS,
    failoverTimeoutMs: group.failoverTimeoutMs ?? DEFAULT_FAILOVER_TIMEOUT_MS,
    usesHostnames: addresses.some(isHostname),
  };
}

/**
 * A master name for `sentinel monitor`. Sentinel writes it back unquoted whenever it rewrites its
 * file, so a name that needs quoting would break the file at the next start: it is refused.
 */
export function sentinelName(value: string): string {
  const token = redisValue(value);
  if (token !== value) {
    throw new UnsafeValueError('Sentinel', value, 'Sentinel rewrites master names without quoting them');
  }
  return token;
}

/** The Sentinel plan of the group a service belongs to, if it is in a Sentinel group. */
export function planOf(index: DesignIndex, service: Service): SentinelGroupPlan | undefined {
  const group = service.group === undefined ? undefined : index.groups.get(service.group);
  return group?.kind === 'redis-sentinel' ? planSentinelGroup(index, group) : undefined;
}

/** The plan of every Sentinel group, by group id. */
export function sentinelPlans(index: DesignIndex): Map<string, SentinelGroupPlan> {
  const plans = new Map<string, SentinelGroupPlan>();
  for (const group of index.design.groups ?? []) {
    if (group.kind === 'redis-sentinel') plans.set(group.id, planSentinelGroup(index, group));
  }
  return plans;
}

/** True for the services that run a Redis daemon: a server or a sentinel. */
function isRedisDaemon(service: Service): service is RedisService | SentinelService {
  return service.kind === 'redis' || service.kind === 'sentinel';
}

/**
 * Every redis server and sentinel placed on a host, in design order, with its host and the plan
 * of its Sentinel group: what the configs and the secret files are written for.
 */
export function placedRedisDaemons(
  index: DesignIndex,
): { service: RedisService | SentinelService; host: Host; plan: SentinelGroupPlan | undefined }[] {
  const plans = sentinelPlans(index);
  const daemons = [];
  for (const service of index.design.services) {
    if (!isRedisDaemon(service)) continue;
    const host = hostOf(index, service);
    if (!host) continue;
    daemons.push({ service, host, plan: service.group === undefined ? undefined : plans.get(service.group) });
  }
  return daemons;
}
