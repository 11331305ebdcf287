/**
 * The sandbox of a service unit: what every unit gets, and what each daemon needs beyond it
 * (its state and log directories, its capability to bind a low port, its open-file limit).
 */
import { listeningPortsOf } from '../../model';
import type { RedisService, Service } from '../../model';
import { daemonConfigPath } from '../context';
import type { DaemonKind } from '../context';
import { mongodPathsOf } from '../mongodb';
import type { MongodService } from '../mongodb';
import { HAPROXY_SETTINGS } from '../haproxy/view';
import { NGINX_SETTINGS } from '../nginx';
import { redisStorageOf } from '../redis/config';
import { secretCopiesCleanup } from '../redis/secrets';
import type { SentinelService } from '../redis/sentinel-plan';
import { execStart } from './command';
import { simplifyPath, unitPath } from './names';
import type { UnitSetting } from './names';
import type { DesignIndex } from '../../design-index';

/** The first port that needs CAP_NET_BIND_SERVICE no more. */
const FIRST_UNPRIVILEGED_PORT = 1024;

function directoryOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** The sandbox every service unit gets, whoever it runs as. */
export function commonSandbox(): UnitSetting[] {
  return [
    { key: 'NoNewPrivileges', value: 'yes' },
    { key: 'ProtectSystem', value: 'strict' },
    { key: 'ProtectHome', value: 'yes' },
    { key: 'PrivateTmp', value: 'yes' },
    { key: 'PrivateDevices', value: 'yes' },
    { key: 'ProtectKernelTunables', value: 'yes' },
    { key: 'ProtectKernelModules', value: 'yes' },
    { key: 'ProtectKernelLogs', value: 'yes' },
    { key: 'ProtectControlGroups', value: 'yes' },
    { key: 'ProtectClock', value: 'yes' },
    { key: 'ProtectHostname', value: 'yes' },
    { key: 'ProtectProc', value: 'invisible' },
    { key: 'LockPersonality', value: 'yes' },
    { key: 'RestrictNamespaces', value: 'yes' },
    { key: 'RestrictRealtime', value: 'yes' },
    { key: 'RestrictSUIDSGID', value: 'yes' },
    { key: 'RestrictAddressFamilies', value: 'AF_UNIX AF_INET AF_INET6' },
    { key: 'SystemCallArchitectures', value: 'native' },
    { key: 'SystemCallFilter', value: '@system-service' },
    { key: 'SystemCallErrorNumber', value: 'EPERM' },
  ];
}

/** True when the service listens on a port only root (or CAP_NET_BIND_SERVICE) may bind. */
export function bindsPrivilegedPort(service: Service): boolean {
  return listeningPortsOf(service).some((port) => port < FIRST_UNPRIVILEGED_PORT);
}

/** What differs between the daemons: their user, writable directories and extra settings. */
interface DaemonProfile {
  user: string;
  type: 'exec' | 'notify';
  /** Directories the daemon writes beyond its state and logs directories. */
  writable: string[];
  settings: UnitSetting[];
  sandbox: UnitSetting[];
}

const STATE_ROOT = '/var/lib/';

const LOGS_ROOT = '/var/log/';

/**
 * `StateDirectory=` (or `LogsDirectory=`) for a directory under `root`: systemd creates it, gives
 * it to the service's user and leaves it writable in the sandbox. Elsewhere, `ReadWritePaths=`.
 */
function ownedDirectory(path: string, root: string, key: 'StateDirectory' | 'LogsDirectory'): UnitSetting[] {
  const simplified = simplifyPath(path);
  if (!simplified.startsWith(root)) return [{ key: 'ReadWritePaths', value: unitPath(simplified) }];
  return [
    { key, value: unitPath(simplified).slice(root.length) },
    { key: `${key}Mode`, value: '0750' },
  ];
}

/** Where Debian's redis-sentinel works; it keeps nothing there, but it must exist. */
const SENTINEL_DIRECTORY = '/var/lib/redis';

/**
 * mongod as Debian's and MongoDB's packages run it (user `mongodb`), owning the dbPath and log
 * directory that the mongodb generator chose; no MemoryDenyWriteExecute, since server-side
 * JavaScript compiles code at run time. Redis and Sentinel as Debian's units run them (user
 * `redis`, logging to the journal), owning their data directory, with their config directory
 * writable: both rewrite their config file (`CONFIG REWRITE`, failovers).
 */
export function daemonProfile(index: DesignIndex, service: Service & { kind: DaemonKind }): DaemonProfile {
  switch (service.kind) {
    case 'mongodb':
    case 'arbiter': {
      const paths = mongodPathsOf(index, service as MongodService);
      return {
        user: 'mongodb',
        type: 'exec',
        writable: [],
        settings: [
          { key: 'Environment', value: 'MONGODB_CONFIG_OVERRIDE_NOFORK=1' },
          ...ownedDirectory(paths.dbPath, STATE_ROOT, 'StateDirectory'),
          ...ownedDirectory(directoryOf(paths.logPath), LOGS_ROOT, 'LogsDirectory'),
          { key: 'LimitFSIZE', value: 'infinity' },
          { key: 'LimitCPU', value: 'infinity' },
          { key: 'LimitAS', value: 'infinity' },
          { key: 'LimitNOFILE', value: '64000' },
          { key: 'LimitNPROC', value: '64000' },
          { key: 'LimitMEMLOCK', value: 'infinity' },
          { key: 'TasksMax', value: 'infinity' },
        ],
        sandbox: [],
      };
    }
    case 'redis':
    case 'sentinel': {
      const data = service.kind === 'redis' ? redisStorageOf(index, service).directory : SENTINEL_DIRECTORY;
      const cleanup = secretCopiesCleanup(index, service as RedisService | SentinelService);
      return {
        user: 'redis',
        type: 'notify',
        writable: [directoryOf(daemonConfigPath(index, service))],
        settings: [
          // Passwords that CONFIG REWRITE copied into the config file go; the secret file it includes
          // gives them again, so a rotated one takes effect at this start.
          ...(cleanup === undefined ? [] : [{ key: 'ExecStartPre', value: execStart(cleanup) }]),
          ...ownedDirectory(data, STATE_ROOT, 'StateDirectory'),
          { key: 'LimitNOFILE', value: '65535' },
          { key: 'TimeoutStopSec', value: '30s' },
        ],
        sandbox: [
          { key: 'MemoryDenyWriteExecute', value: 'yes' },
          { key: 'SystemCallFilter', value: '~@privileged @resources' },
        ],
      };
    }
  }
}

/**
 * File limit of a service that a generated balancer sends traffic to. The balancers hold many
 * connections to it at once and keep idle ones open for reuse (HAProxy up to its `maxconn`, nginx
 * up to `worker_connections` per worker); systemd's default soft limit of 1024 descriptors would
 * make it refuse them long before the balancers reach their own limits.
 */
const BALANCED_FILE_LIMIT = 65_536;

/** True when an nginx or HAProxy of the design sends traffic to `service` or to its group. */
function isBalancerTarget(index: DesignIndex, service: Service): boolean {
  const links = [
    ...(index.linksTo.get(service.id) ?? []),
    ...(service.group === undefined ? [] : (index.linksTo.get(service.group) ?? [])),
  ];
  return links.some((link) => {
    const from = index.services.get(link.from);
    return link.kind === 'traffic' && (from?.kind === 'nginx' || from?.kind === 'haproxy');
  });
}

/** The file limit of a command unit, and the header lines that say why; none when nothing balances to it. */
export function balancedFileLimit(
  index: DesignIndex,
  service: Service,
): { setting: UnitSetting; why: string[] }[] {
  if (!isBalancerTarget(index, service)) return [];
  return [
    {
      setting: { key: 'LimitNOFILE', value: String(BALANCED_FILE_LIMIT) },
      why: [
        `LimitNOFILE=${BALANCED_FILE_LIMIT}: balancers send it traffic and keep connections to it open for reuse`,
        `(HAProxy up to ${HAPROXY_SETTINGS.maxConnections} at once, nginx up to ${NGINX_SETTINGS.workerConnections} per worker); systemd's`,
        'default soft limit of 1024 descriptors would refuse them first.',
      ],
    },
  ];
}
