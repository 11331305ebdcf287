/**
 * Redis + Sentinel: a `redis.conf` for every redis server and a `sentinel.conf` for every sentinel
 * (SPEC sections 1 and 5).
 *
 * Both files are `create-only`: Sentinel rewrites its own file at start-up and on every failover
 * (the current primary, the replicas and peers it discovered, the epochs), and during a failover
 * it rewrites the replicas' `replicaof` too. Push writes them once; a re-push never undoes what
 * the running cluster learned. Their `reload` therefore only ever runs when push has just created
 * the file, i.e. when the daemon still runs the distribution's config: it restarts the unit.
 */
import type { DesignIndex } from '../design-index';
import { mainPortOf } from '../model';
import type { Group, Host, PlainService, RedisService, Service } from '../model';
import { sentinelQuorumOf } from '../rules';
import { IP_PATTERN } from '../schema/patterns';
import type { BundleFile } from './bundle';
import { DAEMON_OF, daemonConfigPath, daemonUnitName, hostOf } from './context';
import type { Generator } from './context';
import { UnsafeValueError, commentText, redisValue } from './quote';
import { renderTemplate } from './render';

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

/**
 * A primary refuses writes when fewer than this many replicas have acknowledged within
 * {@link MIN_REPLICAS_MAX_LAG_S} seconds, so an old primary cut off from the others stops taking
 * writes that the failover would throw away (Redis Sentinel documentation, "Example 2"). Only set
 * in groups with two replicas or more, so that losing one replica does not stop writes.
 */
export const MIN_REPLICAS_TO_WRITE = 1;
export const MIN_REPLICAS_MAX_LAG_S = 10;

const IP_REGEX = new RegExp(IP_PATTERN);

/** A redis or sentinel service placed on a host. */
interface Placed<S extends Service> {
  service: S;
  host: Host;
}

type SentinelService = PlainService & { kind: 'sentinel' };

/** What a Sentinel group's files agree on, decided once per group. */
export interface SentinelGroupPlan {
  group: Group;
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

function isHostname(address: string): boolean {
  return !IP_REGEX.test(address);
}

function placed<S extends Service>(index: DesignIndex, services: S[]): Placed<S>[] {
  return services.flatMap((service) => {
    const host = hostOf(index, service);
    return host ? [{ service, host }] : [];
  });
}

/** The plan of a `redis-sentinel` group. */
export function planSentinelGroup(index: DesignIndex, group: Group): SentinelGroupPlan {
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
function sentinelName(value: string): string {
  const token = redisValue(value);
  if (token !== value) {
    throw new UnsafeValueError('Sentinel', value, 'Sentinel rewrites master names without quoting them');
  }
  return token;
}

/** Where a redis server keeps its data. */
export interface RedisStorage {
  directory: string;
  /** RDB snapshot file, in `directory`. */
  snapshotFile: string;
  /** Folder of the append-only files, in `directory`. */
  appendOnlyDirectory: string;
}

/**
 * Data files of a redis server: the distribution's when it is alone on its host, else named after
 * the service. All stay in /var/lib/redis, which the package creates and its units may write;
 * Redis refuses to start when `dir` does not exist.
 */
export function redisStorageOf(index: DesignIndex, service: RedisService): RedisStorage {
  const alone = daemonUnitName(index, service) === 'redis-server.service';
  return {
    directory: '/var/lib/redis',
    snapshotFile: alone ? 'dump.rdb' : `dump-${service.id}.rdb`,
    appendOnlyDirectory: alone ? 'appendonlydir' : `appendonlydir-${service.id}`,
  };
}

/** Sentinel keeps nothing in its working directory; the distribution's is the one that exists. */
const SENTINEL_DIRECTORY = '/var/lib/redis';

function bindList(host: Host): string {
  return [...new Set([host.address, '127.0.0.1'])].map(redisValue).join(' ');
}

function describeService(service: Service): string {
  return service.label === undefined ? service.id : `${service.id} (${service.label})`;
}

function generatedBy(index: DesignIndex): string {
  return `# Generated by Topoforge from design "${commentText(index.design.name)}"; edit the design, not this file.`;
}

/** View model of templates/redis/redis.conf.hbs. */
interface RedisConfigView {
  header: string[];
  bind: string;
  port: number;
  directory: string;
  snapshotFile: string;
  appendOnlyDirectory: string;
  /** `<address> <port>` of the primary, on replicas. */
  replicaOf: string | null;
  /** The design's address, which Sentinel and clients must reach this server at. */
  announceIp: string | null;
  minReplicas: { toWrite: number; maxLagSeconds: number } | null;
}

/** View model of templates/redis/sentinel.conf.hbs. */
interface SentinelConfigView {
  header: string[];
  bind: string;
  port: number;
  directory: string;
  announceIp: string;
  resolveHostnames: boolean;
  monitor: {
    masterName: string;
    address: string;
    port: number;
    quorum: number;
    downAfterMs: number;
    failoverTimeoutMs: number;
    parallelSyncs: number;
  } | null;
}

const CREATE_ONLY_NOTE = [
  '# Created once and never overwritten by push (policy create-only): the running cluster rewrites',
  '# this file, and a re-push must not undo what it learned. Delete it to have push write it again.',
];

function redisConfig(
  index: DesignIndex,
  service: RedisService,
  host: Host,
  plan: SentinelGroupPlan | undefined,
): string {
  const unit = daemonUnitName(index, service);
  const storage = redisStorageOf(index, service);
  const primary = plan?.primary;
  const isReplica = primary !== undefined && primary.service !== service;
  let role = 'standalone Redis server (in no Sentinel group)';
  if (plan) {
    const group = `Sentinel group ${commentText(plan.group.id)} (master name ${commentText(plan.masterName)})`;
    if (primary === undefined) role = `member of ${group}, whose primary has no host`;
    else if (isReplica) role = `replica of ${commentText(primary.service.id)} in ${group}`;
    else role = `primary of ${group}`;
  }
  const view: RedisConfigView = {
    header: [
      generatedBy(index),
      `# redis ${commentText(describeService(service))}: ${role}.`,
      ...(plan ? CREATE_ONLY_NOTE : []),
      plan
        ? `# Run by ${unit}; push restarts it only when it creates this file.`
        : `# Run by ${unit}; push restarts it when this file changes.`,
    ],
    bind: bindList(host),
    port: mainPortOf(service) ?? 6379,
    directory: redisValue(storage.directory),
    snapshotFile: redisValue(storage.snapshotFile),
    appendOnlyDirectory: redisValue(storage.appendOnlyDirectory),
    replicaOf: isReplica
      ? `${redisValue(primary.host.address)} ${mainPortOf(primary.service) ?? 6379}`
      : null,
    announceIp: plan ? redisValue(host.address) : null,
    minReplicas:
      plan && plan.replicas.length >= 2
        ? { toWrite: MIN_REPLICAS_TO_WRITE, maxLagSeconds: MIN_REPLICAS_MAX_LAG_S }
        : null,
  };
  return renderTemplate('redis/redis.conf', view);
}

function sentinelConfig(
  index: DesignIndex,
  service: SentinelService,
  host: Host,
  plan: SentinelGroupPlan | undefined,
): string {
  const unit = daemonUnitName(index, service);
  const primary = plan?.primary;
  let role = 'sentinel in no Sentinel group: it monitors nothing';
  if (plan) {
    const count = plan.sentinels.length;
    const majority = Math.floor(count / 2) + 1;
    role = `one of ${count} sentinel${count === 1 ? '' : 's'} of group ${commentText(plan.group.id)}; ${plan.quorum} must agree that the primary is down and ${majority} must authorize the failover`;
    if (primary === undefined) role += ', but the primary has no host, so it monitors nothing';
  }
  const view: SentinelConfigView = {
    header: [
      generatedBy(index),
      `# sentinel ${commentText(describeService(service))}: ${role}.`,
      ...CREATE_ONLY_NOTE,
      `# Run by ${unit}; push restarts it only when it creates this file.`,
    ],
    bind: bindList(host),
    port: mainPortOf(service) ?? 26379,
    directory: redisValue(SENTINEL_DIRECTORY),
    announceIp: redisValue(host.address),
    resolveHostnames: plan?.usesHostnames === true || isHostname(host.address),
    monitor:
      plan && primary
        ? {
            masterName: sentinelName(plan.masterName),
            address: redisValue(primary.host.address),
            port: mainPortOf(primary.service) ?? 6379,
            quorum: plan.quorum,
            downAfterMs: plan.downAfterMs,
            failoverTimeoutMs: plan.failoverTimeoutMs,
            parallelSyncs: PARALLEL_SYNCS,
          }
        : null,
  };
  return renderTemplate('redis/sentinel.conf', view);
}

/** Files of every redis server and sentinel in the design. */
export const generateRedis: Generator = ({ index }) => {
  const plans = new Map<string, SentinelGroupPlan>();
  for (const group of index.design.groups ?? []) {
    if (group.kind === 'redis-sentinel') plans.set(group.id, planSentinelGroup(index, group));
  }
  const files: BundleFile[] = [];
  for (const service of index.design.services) {
    if (!isRedisDaemon(service)) continue;
    const host = hostOf(index, service);
    if (!host) continue;
    const plan = service.group === undefined ? undefined : plans.get(service.group);
    files.push({
      host: host.id,
      path: daemonConfigPath(index, service),
      content:
        service.kind === 'redis'
          ? redisConfig(index, service, host, plan)
          : sentinelConfig(index, service, host, plan),
      mode: DAEMON_OF[service.kind].mode,
      ...(DAEMON_OF[service.kind].owner ? { owner: DAEMON_OF[service.kind].owner } : {}),
      reload: DAEMON_OF[service.kind].reload(daemonUnitName(index, service)),
      // Sentinel always rewrites its file; it rewrites a redis.conf only in a Sentinel group.
      policy: service.kind === 'sentinel' || plan !== undefined ? 'create-only' : 'replace',
    });
  }
  return files;
};

function isRedisDaemon(service: Service): service is RedisService | SentinelService {
  return service.kind === 'redis' || service.kind === 'sentinel';
}
