/**
 * The `redis.conf` and `sentinel.conf` of one server: their view models and where they keep data.
 */
import { authenticates, mainPortOf, replicaPriorityOf } from '../../model';
import type { Host, RedisService, Service } from '../../model';
import { DEFAULT_MIN_REPLICAS_MAX_LAG_SECONDS } from '../../groups/redis-sentinel';
import { daemonUnitName } from '../context';
import { commentText, redisValue } from '../quote';
import { renderTemplate } from '../render';
import { isHostname, PARALLEL_SYNCS, sentinelName } from './sentinel-plan';
import type { SentinelGroupPlan, SentinelService } from './sentinel-plan';
import { redisAuthentication, redisSecretPaths, sentinelAuthentication } from './secrets';
import type { DesignIndex } from '../../design-index';
import { GENERATED_MARK } from '../../push';

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
  return `${GENERATED_MARK} from design "${commentText(index.design.name)}"; edit the design, not this file.`;
}

/** View model of templates/redis/redis.conf.hbs. */
interface RedisConfigView {
  header: string[];
  /** The secret files it reads, or null when it lets anyone in. */
  authentication: { comments: string[]; aclFile: string; include: string | null } | null;
  bind: string;
  port: number;
  directory: string;
  snapshotFile: string;
  appendOnlyDirectory: string;
  /** `<address> <port>` of the primary, on replicas. */
  replicaOf: string | null;
  /** The design's address, which Sentinel and clients must reach this server at. */
  announceIp: string | null;
  /**
   * The group's `minReplicasToWrite` and `minReplicasMaxLagSeconds`, on every member (a replica
   * can become the primary); null outside a Sentinel group.
   */
  minReplicas: { toWrite: number; maxLagSeconds: number } | null;
  /** Sentinel's `replica-priority` of this server, as text so that 0 is written; null outside a group. */
  replicaPriority: string | null;
}

/** View model of templates/redis/sentinel.conf.hbs. */
interface SentinelConfigView {
  header: string[];
  /** The secret file it includes after `sentinel monitor`, or null. */
  authentication: { comments: string[]; include: string } | null;
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

/** The `redis.conf` of one Redis server. */
export function redisConfig(
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
  const authentication = redisAuthentication(service, plan);
  const paths = redisSecretPaths(index, service);
  const view: RedisConfigView = {
    header: [
      generatedBy(index),
      `# redis ${commentText(describeService(service))}: ${role}.`,
      ...(plan ? CREATE_ONLY_NOTE : []),
      plan
        ? `# Run by ${unit}; push restarts it only when it creates this file.`
        : `# Run by ${unit}; push restarts it when this file changes.`,
      ...(authentication.open ? [openNote(service)] : []),
    ],
    authentication: authentication.acl
      ? {
          comments: [
            '# Passwords live in secret files that push creates on this host (never in the bundle),',
            '# readable by the redis user only; `topoforge secrets list` names them.',
            authentication.open
              ? '# Users of the ACL file: the default user is open (auth: false); replication and Sentinel log in.'
              : '# Users of the ACL file: the default user is off; clients log in as "app", a person as "admin".',
          ],
          aclFile: redisValue(paths.acl),
          include: authentication.replication ? redisValue(paths.auth) : null,
        }
      : null,
    bind: bindList(host),
    port: mainPortOf(service) ?? 6379,
    directory: redisValue(storage.directory),
    snapshotFile: redisValue(storage.snapshotFile),
    appendOnlyDirectory: redisValue(storage.appendOnlyDirectory),
    replicaOf: isReplica
      ? `${redisValue(primary.host.address)} ${mainPortOf(primary.service) ?? 6379}`
      : null,
    announceIp: plan ? redisValue(host.address) : null,
    minReplicas: plan
      ? {
          toWrite: plan.group.minReplicasToWrite ?? 0,
          maxLagSeconds: plan.group.minReplicasMaxLagSeconds ?? DEFAULT_MIN_REPLICAS_MAX_LAG_SECONDS,
        }
      : null,
    replicaPriority: plan ? String(replicaPriorityOf(service)) : null,
  };
  return renderTemplate('redis/redis.conf', view);
}

/** The `sentinel.conf` of one sentinel. */
export function sentinelConfig(
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
  const authentication = sentinelAuthentication(service, plan);
  const view: SentinelConfigView = {
    header: [
      generatedBy(index),
      `# sentinel ${commentText(describeService(service))}: ${role}.`,
      ...CREATE_ONLY_NOTE,
      `# Run by ${unit}; push restarts it only when it creates this file.`,
      ...(authenticates(service) ? [] : [openNote(service)]),
    ],
    authentication:
      authentication === undefined
        ? null
        : {
            comments: [
              '# Passwords: a secret file that push creates on this host (never in the bundle), readable by',
              '# the redis user only. It comes after `sentinel monitor`, which its auth-pass refers to.',
            ],
            include: redisValue(redisSecretPaths(index, service).auth),
          },
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

/** The note in the header of a config that lets anyone in, with the design's reason. */
function openNote(service: RedisService | SentinelService): string {
  const reason = service.authReason === undefined ? '' : `: ${commentText(service.authReason)}`;
  return `# Authentication is off (auth: false)${reason}. Anyone who reaches it can use it.`;
}
