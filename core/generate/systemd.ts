/**
 * systemd units: a service unit for every hosted service with a `command`, one for every mongod
 * (data member or replica-set arbiter), Redis server and Sentinel, and a `.mount` unit for NFS
 * storage on every host whose services use it.
 *
 * Every service unit is sandboxed so that `systemd-analyze security` rates its exposure 4.0 or
 * lower, while keeping what the daemon needs: the directories it writes, the shared storage it
 * uses, and the one capability to bind a port below 1024 when it listens on one.
 */
import { MOUNT_UNIT, SERVICE_UNIT, UNIT_DIRECTORY as CATALOGUE_UNIT_DIRECTORY } from '../daemons';
import type { DesignIndex } from '../design-index';
import { listeningPortsOf } from '../model';
import type { Host, RedisService, Service, StorageService } from '../model';
import type { BundleFile } from './bundle';
import { daemonConfigPath, daemonUnitName } from './context';
import type { DaemonKind, Generator } from './context';
import { mongodPathsOf } from './mongodb';
import type { MongodService } from './mongodb';
import { HAPROXY_SETTINGS } from './haproxy';
import { NGINX_SETTINGS } from './nginx';
import { commentText, systemdArgument, systemdText, UnsafeValueError } from './quote';
import { redisStorageOf, secretCopiesCleanup } from './redis';
import type { SentinelService } from './redis';
import { renderTemplate } from './render';

/** Where generated units go (the catalogue's): the administrator's unit directory, which wins over the packages'. */
export const UNIT_DIRECTORY = CATALOGUE_UNIT_DIRECTORY;

/** How often a failed service is restarted: after {@link RESTART_DELAY}, at most 5 times in 5 minutes. */
const RESTART_DELAY = '5s';
const START_LIMIT_INTERVAL = '300s';
const START_LIMIT_BURST = 5;

/** The first port that needs CAP_NET_BIND_SERVICE no more. */
const FIRST_UNPRIVILEGED_PORT = 1024;

/** A `key=value` line of a unit section; the value is already quoted for systemd. */
export interface UnitSetting {
  key: string;
  value: string;
}

interface ServiceUnitView {
  header: string[];
  unit: UnitSetting[];
  service: UnitSetting[];
  sandbox: UnitSetting[];
  install: UnitSetting[];
}

interface MountUnitView {
  header: string[];
  unit: UnitSetting[];
  mount: UnitSetting[];
  install: UnitSetting[];
}

/**
 * A path as systemd keeps it (`path_simplify`): no repeated slashes, no `.` segments, no trailing
 * slash. Throws on `..` segments, which systemd refuses in unit paths.
 */
export function simplifyPath(path: string): string {
  if (!path.startsWith('/')) throw new UnsafeValueError('systemd', path, 'it is not an absolute path');
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw new UnsafeValueError('systemd', path, 'it has a ".." segment');
  return `/${segments.join('/')}`;
}

const UNIT_NAME_CHARACTERS = /[A-Za-z0-9:_.]/;
/** systemd's UNIT_NAME_MAX, the terminating NUL included. */
const UNIT_NAME_MAX = 256;

/**
 * `systemd-escape --path`: the unit-name form of a path, as systemd names the mount unit of
 * `Where=` (`/var/opt/hth/shared` → `var-opt-hth-shared`). `/` becomes `-`; `-`, `\`, a leading
 * `.` and every byte outside `[A-Za-z0-9:_.]` become `\xNN`.
 */
export function escapeSystemdPath(path: string): string {
  const simplified = simplifyPath(path);
  if (simplified === '/') return '-';
  const bytes = new TextEncoder().encode(simplified.slice(1));
  let escaped = '';
  bytes.forEach((byte, position) => {
    const character = String.fromCharCode(byte);
    if (character === '/') escaped += '-';
    else if (byte < 0x80 && UNIT_NAME_CHARACTERS.test(character) && !(position === 0 && character === '.'))
      escaped += character;
    else escaped += `\\x${byte.toString(16).padStart(2, '0')}`;
  });
  return escaped;
}

/** The `.mount` unit systemd expects for a mount point: `<escaped path>.mount`. */
export function mountUnitName(where: string): string {
  const name = `${escapeSystemdPath(where)}.mount`;
  if (name.length >= UNIT_NAME_MAX) {
    throw new UnsafeValueError(
      'systemd',
      where,
      `its mount unit name would exceed ${UNIT_NAME_MAX - 1} characters`,
    );
  }
  return name;
}

const SAFE_PATH = /^\/[A-Za-z0-9._@+/-]*$/;

/**
 * A path for a unit setting that takes paths (`Where=`, `ReadWritePaths=`, `RequiresMountsFor=`).
 * Only characters that no such setting unquotes, expands or splits on pass.
 */
function unitPath(path: string): string {
  const simplified = simplifyPath(path);
  if (!SAFE_PATH.test(simplified)) {
    throw new UnsafeValueError('systemd', path, 'a unit path may hold only letters, digits and . _ @ + / -');
  }
  return systemdText(simplified);
}

const SAFE_EXPORT = /^[A-Za-z0-9._@+/:[\]-]+$/;

/**
 * An NFS export for `What=`, which expands specifiers but neither unquotes nor unescapes: only
 * characters that need neither pass, so the mount source is exactly the design's.
 */
function unitExport(endpoint: string): string {
  if (!SAFE_EXPORT.test(endpoint)) {
    throw new UnsafeValueError(
      'systemd',
      endpoint,
      'an NFS export may hold only letters, digits and . _ @ + / : [ ] -',
    );
  }
  return systemdText(endpoint);
}

/** Where an NFS storage service is mounted: its `mountPoint`, default `/mnt/<id>`. */
export function mountPointOf(storage: StorageService): string {
  return simplifyPath(storage.mountPoint ?? `/mnt/${storage.id}`);
}

/** True for NFS storage that names its export, which is what gets a `.mount` unit. */
function isMountable(service: Service): service is StorageService & { endpoint: string } {
  return service.kind === 'storage' && service.type === 'nfs' && service.endpoint !== undefined;
}

/** The NFS storage a service uses (`uses` links to it), in link order. */
export function storageUsedBy(
  index: DesignIndex,
  service: Service,
): (StorageService & { endpoint: string })[] {
  const used: (StorageService & { endpoint: string })[] = [];
  for (const link of index.linksFrom.get(service.id) ?? []) {
    const target = index.services.get(link.to);
    if (link.kind === 'uses' && target && isMountable(target) && !used.includes(target)) used.push(target);
  }
  return used;
}

/** What kind of unit a hosted service gets, if any. */
type UnitKind =
  { kind: 'daemon'; daemon: DaemonKind } | { kind: 'command'; command: string } | { kind: 'none' };

/**
 * mongodb, redis and sentinel run their daemon; an arbiter runs mongod when it arbitrates a
 * replica set (in a `quorum` group it is a generic witness and runs its `command`); any other
 * service runs its `command` when it has one.
 */
function unitKindOf(index: DesignIndex, service: Service): UnitKind {
  switch (service.kind) {
    case 'mongodb':
    case 'redis':
    case 'sentinel':
      return { kind: 'daemon', daemon: service.kind };
    case 'arbiter': {
      const group = service.group === undefined ? undefined : index.groups.get(service.group);
      if (group?.kind === 'mongodb-replica-set') return { kind: 'daemon', daemon: 'arbiter' };
      return service.command === undefined ? { kind: 'none' } : { kind: 'command', command: service.command };
    }
    case 'app':
    case 'capture':
    case 'router':
    case 'processing':
    case 'reporting':
      return service.command === undefined ? { kind: 'none' } : { kind: 'command', command: service.command };
    default:
      return { kind: 'none' };
  }
}

/** The words of a command line: split at spaces, each kept whole (quoting is the renderer's job). */
export function commandWords(command: string): string[] {
  return command.split(' ').filter((word) => word !== '');
}

/** `ExecStart=` from the words of a command; the program must be an absolute path. */
function execStart(words: string[]): string {
  const [program] = words;
  if (program === undefined || !program.startsWith('/')) {
    throw new UnsafeValueError('systemd', words.join(' '), 'ExecStart= needs an absolute program path first');
  }
  return words.map(systemdArgument).join(' ');
}

function commandOf(service: Service): string | undefined {
  return 'command' in service ? service.command : undefined;
}

/** ExecStart of a daemon: the distribution's program on the shared config path. */
function daemonWords(index: DesignIndex, service: Service & { kind: DaemonKind }): string[] {
  const config = daemonConfigPath(index, service);
  switch (service.kind) {
    case 'mongodb':
    case 'arbiter':
      return ['/usr/bin/mongod', '--config', config];
    case 'redis':
      return ['/usr/bin/redis-server', config, '--supervised', 'systemd', '--daemonize', 'no'];
    case 'sentinel':
      return ['/usr/bin/redis-sentinel', config, '--supervised', 'systemd', '--daemonize', 'no'];
  }
}

function directoryOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** The sandbox every service unit gets, whoever it runs as. */
function commonSandbox(): UnitSetting[] {
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
function bindsPrivilegedPort(service: Service): boolean {
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
function daemonProfile(index: DesignIndex, service: Service & { kind: DaemonKind }): DaemonProfile {
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
function balancedFileLimit(index: DesignIndex, service: Service): { setting: UnitSetting; why: string[] }[] {
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

interface UnitPlan {
  service: Service;
  host: Host;
  name: string;
  what: string;
  /** Header lines after the first, saying why a setting is there. */
  notes: string[];
  words: string[];
  coldStandby: boolean;
  user: string | undefined;
  type: 'exec' | 'notify';
  /** Paths the sandbox leaves writable, besides the service's own directories. */
  writable: string[];
  /** Further [Service] settings: limits, runtime and state directories. */
  settings: UnitSetting[];
  /** Further sandbox settings. */
  sandbox: UnitSetting[];
}

function descriptionOf(service: Service): string {
  return service.label ?? `${service.kind} ${service.id}`;
}

function header(index: DesignIndex, lines: string[]): string[] {
  return [
    `Generated by Topoforge from the design "${commentText(index.design.name)}".`,
    ...lines,
    'Edit the design, not this file: the next push replaces it.',
  ];
}

function serviceUnit(index: DesignIndex, plan: UnitPlan): BundleFile {
  const { service, host } = plan;
  const storage = storageUsedBy(index, service).map(mountPointOf);
  const privileged = bindsPrivilegedPort(service);
  const capabilities = privileged ? 'CAP_NET_BIND_SERVICE' : '';

  const unit: UnitSetting[] = [
    { key: 'Description', value: systemdText(descriptionOf(service)) },
    { key: 'After', value: 'network-online.target' },
    { key: 'Wants', value: 'network-online.target' },
    ...storage.map((path) => ({ key: 'RequiresMountsFor', value: unitPath(path) })),
    { key: 'StartLimitIntervalSec', value: START_LIMIT_INTERVAL },
    { key: 'StartLimitBurst', value: String(START_LIMIT_BURST) },
  ];
  const serviceSettings: UnitSetting[] = [
    { key: 'Type', value: plan.type },
    ...(plan.user === undefined
      ? []
      : [
          { key: 'User', value: plan.user },
          { key: 'Group', value: plan.user },
        ]),
    { key: 'ExecStart', value: execStart(plan.words) },
    { key: 'Restart', value: 'on-failure' },
    { key: 'RestartSec', value: RESTART_DELAY },
    ...plan.settings,
  ];
  const writable = [...plan.writable, ...storage].map(unitPath);
  const sandbox: UnitSetting[] = [
    ...commonSandbox(),
    ...plan.sandbox,
    ...writable.map((path) => ({ key: 'ReadWritePaths', value: path })),
    { key: 'CapabilityBoundingSet', value: capabilities },
    ...(plan.user === undefined
      ? []
      : [
          { key: 'AmbientCapabilities', value: capabilities },
          { key: 'RemoveIPC', value: 'yes' },
          ...(privileged ? [] : [{ key: 'PrivateUsers', value: 'yes' }]),
        ]),
    { key: 'UMask', value: plan.user === 'redis' ? '0007' : '0027' },
  ];
  const view: ServiceUnitView = {
    header: header(index, [
      `${plan.what} of ${service.kind} ${service.id} on host ${host.id}.`,
      ...plan.notes,
      ...(plan.coldStandby ? ['Cold standby: not enabled; a person starts it (see the bundle README).'] : []),
      'Writable beyond its own directories: add ReadWritePaths= in a drop-in (systemctl edit).',
    ]),
    unit,
    service: serviceSettings,
    sandbox,
    install: [{ key: 'WantedBy', value: 'multi-user.target' }],
  };
  return {
    host: host.id,
    path: `${UNIT_DIRECTORY}/${plan.name}`,
    content: renderTemplate('systemd/service', view),
    mode: SERVICE_UNIT.mode,
    check: SERVICE_UNIT.check(plan.name),
    reload: SERVICE_UNIT.reload(plan.name, plan.coldStandby),
    policy: 'replace',
  };
}

function unitPlanOf(index: DesignIndex, service: Service, host: Host): UnitPlan | undefined {
  const unitKind = unitKindOf(index, service);
  const coldStandby = service.mode === 'cold-standby';
  if (unitKind.kind === 'none') return undefined;
  if (unitKind.kind === 'command') {
    const fileLimit = balancedFileLimit(index, service);
    return {
      service,
      host,
      name: `${service.id}.service`,
      what: 'Runs the command',
      notes: fileLimit.flatMap((limit) => limit.why),
      words: commandWords(unitKind.command),
      coldStandby,
      user: undefined,
      type: 'exec',
      writable: [],
      settings: [
        { key: 'StateDirectory', value: service.id },
        { key: 'LogsDirectory', value: service.id },
        { key: 'RuntimeDirectory', value: service.id },
        ...fileLimit.map((limit) => limit.setting),
      ],
      sandbox: [],
    };
  }
  const daemon = service as Service & { kind: DaemonKind };
  const profile = daemonProfile(index, daemon);
  const command = commandOf(service);
  return {
    service,
    host,
    name: daemonUnitName(index, daemon),
    what: 'Runs the daemon',
    notes: [],
    words: command === undefined ? daemonWords(index, daemon) : commandWords(command),
    coldStandby,
    user: profile.user,
    type: profile.type,
    writable: profile.writable,
    settings: profile.settings,
    sandbox: profile.sandbox,
  };
}

function mountUnit(
  index: DesignIndex,
  storage: StorageService & { endpoint: string },
  host: Host,
  users: Service[],
): BundleFile {
  const where = mountPointOf(storage);
  if (where === '/')
    throw new UnsafeValueError('systemd', where, 'mounting a share over / would hide the system');
  const name = mountUnitName(where);
  const view: MountUnitView = {
    header: header(index, [
      `NFS storage ${storage.id} on host ${host.id}, for ${users.map((s) => s.id).join(', ')}.`,
    ]),
    unit: [
      { key: 'Description', value: systemdText(descriptionOf(storage)) },
      { key: 'After', value: 'network-online.target' },
      { key: 'Wants', value: 'network-online.target' },
    ],
    mount: [
      { key: 'What', value: unitExport(storage.endpoint) },
      { key: 'Where', value: unitPath(where) },
      { key: 'Type', value: 'nfs' },
      // _netdev: a network file system, mounted once the network is up; nofail: a dead server
      // does not hold up boot (the services that use it require it themselves); hard: I/O waits
      // for the server instead of failing, as an HA share fails over.
      { key: 'Options', value: '_netdev,nofail,hard,noatime' },
      { key: 'TimeoutSec', value: '90s' },
    ],
    install: [{ key: 'WantedBy', value: 'remote-fs.target' }],
  };
  return {
    host: host.id,
    path: `${UNIT_DIRECTORY}/${name}`,
    content: renderTemplate('systemd/mount', view),
    mode: MOUNT_UNIT.mode,
    check: MOUNT_UNIT.check(name),
    reload: MOUNT_UNIT.reload(name),
    policy: 'replace',
  };
}

/** Files of every systemd unit in the design, per host in design order. */
export const generateSystemd: Generator = ({ index }) => {
  const files: BundleFile[] = [];
  for (const host of index.design.hosts) {
    const services = index.servicesByHost.get(host.id) ?? [];
    // By path, so that a host with thousands of units finds a clash at once.
    const hostFiles = new Map<string, { file: BundleFile; owner: string }>();
    const add = (file: BundleFile, owner: string): void => {
      const clash = hostFiles.get(file.path);
      if (clash) {
        throw new UnsafeValueError(
          'systemd',
          file.path,
          `${clash.owner} and ${owner} would both write it on host ${host.id}`,
        );
      }
      hostFiles.set(file.path, { file, owner });
    };

    const mounts = new Map<string, { storage: StorageService & { endpoint: string }; users: Service[] }>();
    for (const service of services) {
      for (const storage of storageUsedBy(index, service)) {
        const entry = mounts.get(storage.id) ?? { storage, users: [] };
        entry.users.push(service);
        mounts.set(storage.id, entry);
      }
    }
    for (const { storage, users } of mounts.values()) add(mountUnit(index, storage, host, users), storage.id);

    for (const service of services) {
      const plan = unitPlanOf(index, service, host);
      if (plan) add(serviceUnit(index, plan), service.id);
    }
    for (const entry of hostFiles.values()) files.push(entry.file);
  }
  return files;
};
