/**
 * Redis and Sentinel passwords: the ACL users, the replication and Sentinel credentials, the
 * secret files push copies to each host and the config directives that read them.
 */
import { authenticates } from '../../model';
import type { RedisService } from '../../model';
import { daemonConfigPath, daemonUnitName, secretScopeOf } from '../context';
import { placedRedisDaemons, planOf, sentinelName } from './sentinel-plan';
import type { SentinelGroupPlan, SentinelService } from './sentinel-plan';
import type { DesignIndex } from '../../design-index';
import type { CheckedSecrets, SecretFile, SecretName, SecretRender } from '../secrets';

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

/** How one Redis server authenticates: its ACL users and, in a Sentinel group, replication. */
export function redisAuthentication(
  service: RedisService,
  plan: SentinelGroupPlan | undefined,
): RedisAuthentication {
  const open = !authenticates(service);
  const replication = plan !== undefined;
  return { acl: replication || !open, replication, open };
}

/** What a sentinel's secret file holds, if it needs one. */
export function sentinelAuthentication(
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
  const files: SecretFile[] = [];
  for (const { service, host, plan } of placedRedisDaemons(index)) {
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
