/**
 * The daemon catalogue: one descriptor per kind of file Topoforge puts on a host (nginx, HAProxy,
 * keepalived, Redis, Sentinel, mongod, systemd service units, mount units), with where its file
 * lives, the mode and owner it gets, the command that checks it and the commands that apply it.
 *
 * The generators take these values from here, and push verifies every manifest entry against the
 * same descriptors before it runs anything as root: a manifest is data anyone can edit, so a check,
 * a reload, a mode, an owner or a path that no descriptor gives is refused, naming the field.
 */
import type { FilePolicy } from './generate/bundle';
import { shellCommand, shellQuote } from './shell';

/** Where generated units go: the administrator's unit directory, which wins over the packages'. */
export const UNIT_DIRECTORY = '/etc/systemd/system';

/** The names of the descriptors. */
export type DaemonName =
  'nginx' | 'haproxy' | 'keepalived' | 'redis' | 'sentinel' | 'mongod' | 'service-unit' | 'mount-unit';

/** A command as its words; `{}` stands for the file a check reads. */
export type CommandWords = readonly string[];

/** One kind of file on a host and everything push may do with it. */
export interface DaemonDescriptor {
  name: DaemonName;
  /** What the file is, for messages: `the nginx config`. */
  what: string;
  /** The program that reads the file, as its package installs it. */
  program: string;
  /** Permission bits the file gets, e.g. `0644`. */
  mode: string;
  /** `user:group` that owns the file; root when unset. */
  owner?: string;
  /** The policies the generators give it (docs/bundle.md). */
  policies: readonly FilePolicy[];
  /** The systemd unit the file at `path` belongs to, or undefined when the path is not this kind's. */
  unitOf(path: string): string | undefined;
  /** The checks push accepts for the file of `unit`, the one the generators write first. */
  checks(unit: string): readonly CommandWords[];
  /** The reloads push accepts for the file of `unit`, the one the generators write first. */
  reloads(unit: string): readonly CommandWords[];
}

/** A daemon whose config is `<directory>/<prefix>-<id>.conf` when its host runs two of it. */
export interface ConfiguredDaemon extends DaemonDescriptor {
  /** The reload the generators write for the file of `unit`. */
  reload(unit: string): string;
  /** The distribution's config path, e.g. `/etc/redis/redis.conf`. */
  configPath: string;
  /** The distribution's unit, e.g. `redis-server.service`. */
  unit: string;
  /** Folder and name prefix of a config and unit named after the service. */
  directory: string;
  prefix: string;
}

const SERVICE_ID = '[a-z][a-z0-9-]{0,62}';

/** systemd's restart of a unit: how a daemon without a reload applies a new config. */
function restart(unit: string): CommandWords {
  return ['systemctl', 'restart', unit];
}

/**
 * A daemon with one fixed config path and the unit `<name>.service` (nginx, HAProxy, keepalived),
 * owned by root and readable by all; `systemctl reload` applies it unless `reloads` says otherwise.
 */
function singleConfig(
  name: 'nginx' | 'haproxy' | 'keepalived',
  what: string,
  configPath: string,
  checks: readonly CommandWords[],
  reloads: readonly CommandWords[] = [['systemctl', 'reload', name]],
): DaemonDescriptor & { configPath: string; unit: string; check: string; reload: string } {
  const unit = `${name}.service`;
  return {
    name,
    what,
    program: name,
    configPath,
    unit,
    mode: '0644',
    policies: ['replace'],
    unitOf: (path) => (path === configPath ? unit : undefined),
    checks: () => checks,
    reloads: () => reloads,
    check: shellCommand(checks[0]!),
    reload: shellCommand(reloads[0]!),
  };
}

/** How a per-service daemon's file is kept on the host, and its check if the program has one. */
interface PerServiceFile {
  mode: string;
  owner?: string;
  policies: readonly FilePolicy[];
  check?: CommandWords;
}

/**
 * A daemon of which a host may run several, each with its own config and unit (mongod, Redis,
 * Sentinel): the distribution's `configPath` and `<program>.service` for the first, and
 * `<folder of configPath>/<name>-<id>.conf` with `<name>-<id>.service` for one named after its service.
 */
function perServiceConfig(
  name: 'redis' | 'sentinel' | 'mongod',
  what: string,
  program: string,
  configPath: string,
  file: PerServiceFile,
): ConfiguredDaemon {
  const { check, ...kept } = file;
  const unit = `${program}.service`;
  const directory = configPath.slice(0, configPath.lastIndexOf('/'));
  const named = new RegExp(`^${escapeRegExp(directory)}/${escapeRegExp(name)}-(${SERVICE_ID})\\.conf$`, 'u');
  return {
    name,
    what,
    program,
    configPath,
    unit,
    directory,
    prefix: name,
    ...kept,
    unitOf: (path) => {
      if (path === configPath) return unit;
      const match = named.exec(path);
      return match ? `${name}-${match[1]}.service` : undefined;
    },
    checks: () => (check ? [check] : []),
    reloads: (unit) => [restart(unit)],
    reload: (unit) => shellCommand(restart(unit)),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');
}

/** nginx: `nginx -t` checks a config in place of the real one; a reload keeps connections. */
export const NGINX = singleConfig('nginx', 'the nginx config', '/etc/nginx/nginx.conf', [
  // The second form is the one docs/bundle.md names; both only read the file.
  ['nginx', '-t', '-q', '-c', '{}'],
  ['nginx', '-t', '-c', '{}'],
]);

/** HAProxy: `haproxy -c` checks; a reload starts new workers and lets the old ones finish. */
export const HAPROXY = singleConfig('haproxy', 'the HAProxy config', '/etc/haproxy/haproxy.cfg', [
  ['haproxy', '-c', '-f', '{}'],
]);

/**
 * keepalived: `-t` checks (`-e` fails on a missing file, exit 5 on any problem, warnings too). The
 * reload is a reload-or-restart: a reload (SIGHUP) keeps the instances' state when keepalived runs,
 * and the first push starts it, where a plain reload of a stopped keepalived would fail.
 */
export const KEEPALIVED = singleConfig(
  'keepalived',
  'the keepalived config',
  '/etc/keepalived/keepalived.conf',
  [
    ['keepalived', '-t', '-e', '-f', '{}'],
    ['keepalived', '-t', '-f', '{}'],
  ],
  [
    ['systemctl', 'reload-or-restart', 'keepalived'],
    ['systemctl', 'reload', 'keepalived'],
  ],
);

/** Redis and Sentinel files: readable by the redis user only, as they hold a password when auth is on. */
const REDIS_OWNED = { mode: '0640', owner: 'redis:redis' } as const;

/**
 * A Redis server. No check: redis-server has no check mode, so the lab starts it instead
 * (docs/bundle.md). In a Sentinel group the running server rewrites its file (CONFIG REWRITE after
 * a failover), so there push only creates it.
 */
export const REDIS = perServiceConfig('redis', 'a Redis config', 'redis-server', '/etc/redis/redis.conf', {
  ...REDIS_OWNED,
  policies: ['replace', 'create-only'],
});

/** A Redis Sentinel. Sentinel rewrites its file at run time, so push only ever creates it. */
export const SENTINEL = perServiceConfig(
  'sentinel',
  'a Redis Sentinel config',
  'redis-sentinel',
  '/etc/redis/sentinel.conf',
  { ...REDIS_OWNED, policies: ['create-only'] },
);

/** A mongod, data-bearing member or arbiter. No check here: the lab parses it as YAML instead. */
export const MONGOD = perServiceConfig('mongod', 'a mongod config', 'mongod', '/etc/mongod.conf', {
  mode: '0644',
  policies: ['replace'],
});

/**
 * The check of a unit file. Push checks a temporary file beside the destination, whose name lacks
 * the unit suffix that `systemd-analyze verify` needs; `FILE:NAME` verifies FILE as the unit NAME
 * (systemd-analyze(1), "verify"). It catches what breaks on the host: a missing program, a
 * dependency that does not exist, a syntax error.
 */
function unitCheck(unit: string): CommandWords {
  return ['systemd-analyze', 'verify', '--man=no', `{}:${unit}`];
}

/**
 * How a changed service unit is applied (push runs `systemctl daemon-reload` before): enabled and
 * restarted, so that the new definition runs and starts at boot; one `sh -c` so that a `sudo -n`
 * prefix covers both steps. A cold standby is stopped until a person starts it: it is only
 * restarted if it already runs.
 */
function serviceReloads(unit: string): CommandWords[] {
  const quoted = shellQuote(unit);
  return [
    ['sh', '-c', `systemctl enable ${quoted} && systemctl restart ${quoted}`],
    ['systemctl', 'try-restart', unit],
  ];
}

const SERVICE_UNIT_PATH = new RegExp(`^${escapeRegExp(UNIT_DIRECTORY)}/(${SERVICE_ID}\\.service)$`, 'u');

/**
 * A kind of systemd unit file in {@link UNIT_DIRECTORY}, its unit named by the first capture of
 * `path`: checked by `systemd-analyze verify`, applied by `reloads` (the first is the generators').
 */
function systemdUnit(
  name: 'service-unit' | 'mount-unit',
  what: string,
  path: RegExp,
  reloads: (unit: string) => readonly CommandWords[],
): DaemonDescriptor & { check(unit: string): string } {
  return {
    name,
    what,
    program: 'systemd',
    mode: '0644',
    policies: ['replace'],
    unitOf: (file) => path.exec(file)?.[1],
    checks: (unit) => [unitCheck(unit)],
    reloads,
    check: (unit) => shellCommand(unitCheck(unit)),
  };
}

/** A service unit: the daemons' (`mongod.service`, `redis-cache.service`) and the apps' (`<id>.service`). */
export const SERVICE_UNIT = {
  ...systemdUnit('service-unit', 'a systemd service unit', SERVICE_UNIT_PATH, serviceReloads),
  reload: (unit: string, coldStandby: boolean) => shellCommand(serviceReloads(unit)[coldStandby ? 1 : 0]!),
};

/** The name systemd gives a mount unit: a path escaped by `systemd-escape --path`, and `.mount`. */
const MOUNT_UNIT_PATH = new RegExp(
  `^${escapeRegExp(UNIT_DIRECTORY)}/((?:[A-Za-z0-9:_.-]|\\\\x[0-9a-f]{2}){1,249}\\.mount)$`,
  'u',
);

/** How a changed mount unit is applied: enabled and mounted if it is not yet. */
function mountReload(unit: string): CommandWords {
  return ['systemctl', 'enable', '--now', unit];
}

/** An NFS mount unit, named after its mount point as systemd requires. */
export const MOUNT_UNIT = {
  ...systemdUnit('mount-unit', 'a systemd mount unit', MOUNT_UNIT_PATH, (unit) => [mountReload(unit)]),
  reload: (unit: string) => shellCommand(mountReload(unit)),
};

/** Every descriptor, in the order push tries them. */
export const DAEMONS: readonly DaemonDescriptor[] = [
  NGINX,
  HAPROXY,
  KEEPALIVED,
  REDIS,
  SENTINEL,
  MONGOD,
  SERVICE_UNIT,
  MOUNT_UNIT,
];

/** The commands that apply a changed unit file to systemd itself, run before any unit's reload. */
export const DAEMON_RELOAD = 'systemctl daemon-reload';

/** The fields of a manifest entry that decide what push does on the host. */
export interface CatalogueEntry {
  path: string;
  mode: string;
  owner?: string;
  check?: string;
  reload?: string;
  policy: FilePolicy;
}

/** A field of an entry that no descriptor gives. */
export interface CatalogueProblem {
  field: 'path' | 'mode' | 'owner' | 'check' | 'reload' | 'policy';
  message: string;
}

/** What the catalogue says about an entry: its descriptor and the check to run, or what is wrong. */
export type CatalogueMatch =
  | { ok: true; daemon: DaemonDescriptor; unit: string; check?: CommandWords }
  | { ok: false; problem: CatalogueProblem };

/** Octal bits as the generators write them, so `644` and `0644` compare equal. */
function normalMode(mode: string): string {
  return mode.replace(/^0*/u, '').padStart(4, '0');
}

function listed(commands: readonly CommandWords[]): string {
  return commands.map((words) => `'${shellCommand(words)}'`).join(' or ');
}

/**
 * Finds the descriptor of an entry and checks every field that decides what push does against
 * it: the path, the mode, the owner, the policy, the check and the reload. The first field that
 * differs is the problem.
 */
export function matchCatalogue(entry: CatalogueEntry): CatalogueMatch {
  const found = DAEMONS.map((daemon) => ({ daemon, unit: daemon.unitOf(entry.path) })).find(
    (candidate): candidate is { daemon: DaemonDescriptor; unit: string } => candidate.unit !== undefined,
  );
  if (!found)
    return {
      ok: false,
      problem: {
        field: 'path',
        message: `${entry.path} is no file that Topoforge generates (its catalogue knows the nginx, HAProxy, keepalived, Redis, Sentinel and mongod configs and the units in ${UNIT_DIRECTORY})`,
      },
    };
  const { daemon, unit } = found;
  const fail = (field: CatalogueProblem['field'], message: string): CatalogueMatch => ({
    ok: false,
    problem: { field, message: `${entry.path} is ${daemon.what}: ${message}` },
  });
  if (normalMode(entry.mode) !== normalMode(daemon.mode))
    return fail('mode', `its mode is ${daemon.mode}, not ${entry.mode}`);
  if ((entry.owner ?? undefined) !== daemon.owner)
    return fail(
      'owner',
      daemon.owner === undefined
        ? `it belongs to root, not ${entry.owner}`
        : `it belongs to ${daemon.owner}, not ${entry.owner ?? 'root'}`,
    );
  if (!daemon.policies.includes(entry.policy))
    return fail('policy', `its policy is ${daemon.policies.join(' or ')}, not ${entry.policy}`);
  const checks = daemon.checks(unit);
  let check: CommandWords | undefined;
  if (entry.check !== undefined) {
    check = checks.find((words) => shellCommand(words) === entry.check);
    if (check === undefined)
      return fail(
        'check',
        checks.length === 0
          ? `it has no check, and push runs no other command as one`
          : `its check is ${listed(checks)}, and push runs no other command as one`,
      );
  }
  const reloads = daemon.reloads(unit);
  if (entry.reload !== undefined && !reloads.some((words) => shellCommand(words) === entry.reload))
    return fail('reload', `its reload is ${listed(reloads)}, and push runs no other command as one`);
  return { ok: true, daemon, unit, ...(check ? { check } : {}) };
}

/**
 * The check command to run on the host: the check's words with `{}` replaced by the file checked,
 * each word quoted again, so a path never changes how the command reads.
 */
export function checkCommandFor(words: CommandWords, file: string): string {
  return shellCommand(words.map((word) => word.replaceAll('{}', file)));
}
