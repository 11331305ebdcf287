/**
 * Redis + Sentinel: a `redis.conf` for every redis server and a `sentinel.conf` for every sentinel
 * (docs/design-file.md and docs/bundle.md).
 *
 * Both files are `create-only`: Sentinel rewrites its own file at start-up and on every failover
 * (the current primary, the replicas and peers it discovered, the epochs), and during a failover
 * it rewrites the replicas' `replicaof` too. Push writes them once; a re-push never undoes what
 * the running cluster learned. Their `reload` therefore only ever runs when push has just created
 * the file, i.e. when the daemon still runs the distribution's config: it restarts the unit.
 */
import type { DesignIndex } from '../design-index';
import { authenticates, mainPortOf, replicaPriorityOf } from '../model';
import { DEFAULT_MIN_REPLICAS_MAX_LAG_SECONDS } from '../groups/redis-sentinel';
import type { Host, PlainService, RedisSentinelGroup, RedisService, Service } from '../model';
import { sentinelQuorumOf } from '../rules';
import { IP_PATTERN } from '../schema/patterns';
import type { BundleFile } from './bundle';
import { DAEMON_OF, daemonConfigPath, daemonUnitName, hostOf, secretScopeOf } from './context';
import type { Generator } from './context';
import { UnsafeValueError, commentText, redisValue } from './quote';
import { renderTemplate } from './render';
import type { CheckedSecrets, SecretFile, SecretName, SecretRender } from './secrets';

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

// ---------------------------------------------------------------------------------------------
// Authentication

/**
 * The ACL users of every generated Redis server and what each may do. Clients log in as `app`,
 * which may run every command but the administrative ones (`@admin`: CONFIG, DEBUG, MODULE,
 * REPLICAOF, SHUTDOWN, ACL, MONITOR, ...), so a leaked application password cannot take the server
 * over. `admin` keeps them for a person; `replica` and `sentinel` have exactly what replication and
 * Sentinel need (Redis documentation, "Replication" and "High availability with Redis Sentinel",
 * on ACL users).
 */
export const REDIS_USERS = {
  app: '~* &* +@all -@admin',
  admin: '~* &* +@all',
  replica: '+psync +replconf +ping',
  sentinel:
    'allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill',
} as const;

/** The secret each ACL user's password is. */
const USER_SECRETS: Record<keyof typeof REDIS_USERS, SecretName> = {
  app: 'redis-app',
  admin: 'redis-admin',
  replica: 'redis-replica',
  sentinel: 'redis-sentinel',
};

/**
 * Directives that `CONFIG REWRITE` (which Sentinel runs after every failover) and Sentinel's own
 * rewrites copy from the secret files into the main config file. The unit deletes them before every
 * start (ExecStartPre), so the secret file, included at the top, stays the one source: a rotated
 * password takes effect at the next restart, and the main file holds no password once restarted.
 */
export const COPIED_SECRET_DIRECTIVES = {
  redis: ['masteruser', 'masterauth'],
  sentinel: [
    'requirepass',
    'user default',
    'sentinel sentinel-pass',
    'sentinel auth-user',
    'sentinel auth-pass',
  ],
} as const;

function planOf(index: DesignIndex, service: Service): SentinelGroupPlan | undefined {
  const group = service.group === undefined ? undefined : index.groups.get(service.group);
  return group?.kind === 'redis-sentinel' ? planSentinelGroup(index, group) : undefined;
}

/**
 * The command line (ExecStartPre) that deletes from a config file the secret directives Redis or
 * Sentinel copied into it, or undefined when the service includes no secret file.
 */
export function secretCopiesCleanup(
  index: DesignIndex,
  service: RedisService | SentinelService,
): string[] | undefined {
  const plan = planOf(index, service);
  const includes =
    service.kind === 'redis'
      ? redisAuthentication(service, plan).replication
      : sentinelAuthentication(service, plan) !== undefined;
  if (!includes) return undefined;
  const expressions = COPIED_SECRET_DIRECTIVES[service.kind].flatMap((directive) => [
    '-e',
    `/^${directive} /d`,
  ]);
  return ['/usr/bin/sed', '-i', ...expressions, daemonConfigPath(index, service)];
}

/** Where the secret files of a redis server or sentinel go, beside its config file. */
export function redisSecretPaths(
  index: DesignIndex,
  service: RedisService | SentinelService,
): { acl: string; auth: string } {
  const stem = daemonConfigPath(index, service).replace(/\.conf$/, '');
  return { acl: `${stem}.acl`, auth: `${stem}.auth.conf` };
}

/** What a redis server's authentication needs: an ACL file, and for a group member how to log in to a primary. */
interface RedisAuthentication {
  /** The ACL file: in a Sentinel group always (replicas and Sentinels log in), else unless `auth: false`. */
  acl: boolean;
  /** `masteruser`/`masterauth`: every member of a Sentinel group may become a replica. */
  replication: boolean;
  /** The default user lets anyone in (`auth: false`). */
  open: boolean;
}

function redisAuthentication(
  service: RedisService,
  plan: SentinelGroupPlan | undefined,
): RedisAuthentication {
  const open = !authenticates(service);
  const replication = plan !== undefined;
  return { acl: replication || !open, replication, open };
}

/** What a sentinel's secret file holds, if it needs one. */
function sentinelAuthentication(
  service: SentinelService,
  plan: SentinelGroupPlan | undefined,
): Extract<SecretRender, { kind: 'sentinel-auth' }> | undefined {
  const clientAuth = authenticates(service);
  // Sentinels log in to each other with the group's password when any of them asks for one.
  const group = plan !== undefined && plan.sentinels.some(({ service: peer }) => authenticates(peer));
  const masterName = plan?.primary === undefined ? null : sentinelName(plan.masterName);
  if (!clientAuth && !group && masterName === null) return undefined;
  return { kind: 'sentinel-auth', masterName, group, clientAuth };
}

function aclSecrets(replication: boolean): SecretName[] {
  return replication
    ? ['redis-app', 'redis-admin', 'redis-replica', 'redis-sentinel']
    : ['redis-app', 'redis-admin'];
}

function sentinelSecrets(render: Extract<SecretRender, { kind: 'sentinel-auth' }>): SecretName[] {
  return [
    ...(render.clientAuth || render.group ? (['sentinel-auth'] as const) : []),
    ...(render.masterName === null ? [] : (['redis-sentinel'] as const)),
  ];
}

/** The secret files of every redis server and sentinel placed on a host. */
export function redisSecretFiles(index: DesignIndex): SecretFile[] {
  const plans = sentinelPlans(index);
  const files: SecretFile[] = [];
  for (const service of index.design.services) {
    if (!isRedisDaemon(service)) continue;
    const host = hostOf(index, service);
    if (!host) continue;
    const plan = service.group === undefined ? undefined : plans.get(service.group);
    const paths = redisSecretPaths(index, service);
    const common = {
      host: host.id,
      owner: 'redis:redis',
      scope: secretScopeOf(service),
      service: service.id,
      reload: `systemctl restart ${daemonUnitName(index, service)}`,
    };
    if (service.kind === 'redis') {
      const authentication = redisAuthentication(service, plan);
      if (authentication.acl) {
        files.push({
          ...common,
          path: paths.acl,
          // `ACL SAVE` rewrites it, as its owner.
          mode: '0600',
          secrets: aclSecrets(authentication.replication),
          render: { kind: 'redis-acl', open: authentication.open, replication: authentication.replication },
        });
      }
      if (authentication.replication) {
        files.push({
          ...common,
          path: paths.auth,
          mode: '0400',
          secrets: ['redis-replica'],
          render: { kind: 'redis-replication' },
        });
      }
      continue;
    }
    const render = sentinelAuthentication(service, plan);
    if (render !== undefined) {
      files.push({ ...common, path: paths.auth, mode: '0400', secrets: sentinelSecrets(render), render });
    }
  }
  return files;
}

/**
 * The ACL file of a redis server. Redis reads `user` lines only (no comments). While a rotation
 * rolls out, every user accepts both its passwords.
 */
export function renderRedisAcl(
  render: Extract<SecretRender, { kind: 'redis-acl' }>,
  secrets: CheckedSecrets,
): string {
  const users = (
    render.replication ? (['app', 'admin', 'replica', 'sentinel'] as const) : (['app', 'admin'] as const)
  ).map((user) => {
    const passwords = secrets.accepted(USER_SECRETS[user]).map((password) => `>${password}`);
    return `user ${user} on ${passwords.join(' ')} ${REDIS_USERS[user]}`;
  });
  const defaultUser = render.open ? 'user default on nopass ~* &* +@all' : 'user default off';
  return `${[defaultUser, ...users].join('\n')}\n`;
}

/** Included by redis.conf: how it logs in to its primary when it is a replica. */
export function renderRedisReplication(secrets: CheckedSecrets): string {
  return [
    '# How this server logs in to its primary once it is a replica (the ACL user "replica").',
    'masteruser replica',
    `masterauth ${secrets.sent('redis-replica')}`,
    '',
  ].join('\n');
}

/** Included by sentinel.conf, after its `sentinel monitor` line. */
export function renderSentinelAuth(
  render: Extract<SecretRender, { kind: 'sentinel-auth' }>,
  secrets: CheckedSecrets,
): string {
  const lines: string[] = [];
  if (render.clientAuth) {
    lines.push(
      '# Clients and the other Sentinels log in with this password.',
      `requirepass ${secrets.sent('sentinel-auth')}`,
    );
  }
  if (render.group) {
    lines.push(
      '# How this Sentinel logs in to the other Sentinels of its group.',
      `sentinel sentinel-pass ${secrets.sent('sentinel-auth')}`,
    );
  }
  if (render.masterName !== null) {
    lines.push(
      '# How this Sentinel logs in to the Redis servers it monitors (the ACL user "sentinel").',
      `sentinel auth-user ${render.masterName} sentinel`,
      `sentinel auth-pass ${render.masterName} ${secrets.sent('redis-sentinel')}`,
    );
  }
  return `${lines.join('\n')}\n`;
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

function sentinelPlans(index: DesignIndex): Map<string, SentinelGroupPlan> {
  const plans = new Map<string, SentinelGroupPlan>();
  for (const group of index.design.groups ?? []) {
    if (group.kind === 'redis-sentinel') plans.set(group.id, planSentinelGroup(index, group));
  }
  return plans;
}

/** Files of every redis server and sentinel in the design. */
export const generateRedis: Generator = ({ index }) => {
  const plans = sentinelPlans(index);
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
