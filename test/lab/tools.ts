/**
 * The real tools' own checks, run on a generated file's text exactly as docs/lab.md
 * describes, without side effects on the machine.
 *
 * Each checker places the file at its production path inside a private mount namespace (see
 * `namespace.ts`) and returns the tool's verdict with its own words, so a failing test shows what
 * nginx, HAProxy, keepalived or systemd said. Guard a suite with {@link requireTool}: it skips
 * locally when a tool is missing and fails loudly in CI.
 */
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import { removeTemporaryFolderSync, temporaryFolderSync } from './temporary';
import { performance } from 'node:perf_hooks';
import { labEnvironment, prepareIsolated, runCommand, runIsolated } from './namespace';
import type { LabFiles } from './namespace';
import { sleep, startProcess } from './processes';
import type { LabContext, LabProcess } from './processes';

export type { LabFile, LabFiles } from './namespace';

/** A tool's verdict: `output` is what it printed, trimmed. */
export interface CheckResult {
  ok: boolean;
  output: string;
}

/** Where the checked file sits and what else must exist beside it. */
export interface PlacementOptions {
  /** The file's production path inside the namespace; each checker has a default. */
  path?: string;
  /** Further files at absolute paths: certificates, keys, included snippets, check scripts. */
  extraFiles?: LabFiles;
}

/** The checkers, each named by the tool it needs. */
export type LabTool =
  | 'nginx'
  | 'haproxy'
  | 'keepalived'
  | 'systemd-analyze'
  | 'redis-server'
  | 'redis-sentinel'
  | 'openssl'
  | 'rsvg-convert'
  | 'ansible-playbook'
  | 'ansible-lint'

  /** Private mount namespaces only, e.g. for a small tmpfs that fills up. */
  | 'unshare'
  | 'wrk'
  /** sudo, which the desktop app's Rehearse view runs its lab command through. */
  | 'sudo';

interface Requirement {
  /** Present when this returns true. */
  isPresent: () => boolean;
  /** Why the checker cannot run, and what fixes it. */
  missing: string;
}

function executable(name: string, debianPackage: string): Requirement {
  return {
    isPresent: () => findExecutable(name) !== undefined,
    missing: `${name} is not installed: .ci/run must apt-get install ${debianPackage}`,
  };
}

function installedFile(path: string, debianPackage: string): Requirement {
  return {
    isPresent: () => isAccessible(path, constants.R_OK),
    missing: `${path} is not installed: .ci/run must apt-get install ${debianPackage}`,
  };
}

const NAMESPACES: Requirement[] = [
  executable('unshare', 'util-linux'),
  executable('setpriv', 'util-linux'),
  {
    isPresent: () => process.getuid?.() === 0,
    missing: 'the lab needs root for its namespaces (unshare -m, unshare -n): run the tests as root',
  },
];

const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

const REQUIREMENTS: Record<LabTool, Requirement[]> = {
  nginx: [executable('nginx', 'nginx'), installedFile(STREAM_MODULE, 'libnginx-mod-stream'), ...NAMESPACES],
  haproxy: [executable('haproxy', 'haproxy'), ...NAMESPACES],
  keepalived: [executable('keepalived', 'keepalived'), executable('ip', 'iproute2'), ...NAMESPACES],
  'systemd-analyze': [executable('systemd-analyze', 'systemd'), ...NAMESPACES],
  'redis-server': [
    executable('redis-server', 'redis-server'),
    executable('redis-cli', 'redis-tools'),
    ...NAMESPACES,
  ],
  'redis-sentinel': [
    executable('redis-sentinel', 'redis-sentinel'),
    executable('redis-cli', 'redis-tools'),
    ...NAMESPACES,
  ],
  openssl: [executable('openssl', 'openssl')],
  // librsvg draws the exported diagram the way Inkscape, GNOME and most viewers do.
  'rsvg-convert': [executable('rsvg-convert', 'librsvg2-bin')],
  unshare: NAMESPACES,
  // The Ansible export is proven by Debian's own ansible-core and ansible-lint.
  'ansible-playbook': [executable('ansible-playbook', 'ansible-core')],
  'ansible-lint': [executable('ansible-lint', 'ansible-lint')],
  // The config benchmark loads balancers with wrk inside a network namespace of its own.
  wrk: [executable('wrk', 'wrk'), executable('ip', 'iproute2'), ...NAMESPACES],
  // The desktop app, not root itself, runs `topoforge rehearse --events` through `sudo -n`.
  sudo: [executable('sudo', 'sudo')],
};

function isAccessible(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function findExecutable(name: string): string | undefined {
  const directories = (labEnvironment().PATH ?? '').split(delimiter);
  return directories
    .map((directory) => join(directory, name))
    .find((path) => isAccessible(path, constants.X_OK));
}

/**
 * Whether the checker for `tool` can run here. When it cannot, this throws in CI
 * (`CI=true`) so a suite never skips silently there, and returns false locally so the caller can
 * skip: `describe.skipIf(!requireTool('nginx'))(…)`.
 */
export function requireTool(tool: LabTool): boolean {
  const missing = missingRequirement(tool);
  if (missing === undefined) return true;
  if (process.env.CI === 'true') throw new Error(missing);
  return false;
}

/** Why `tool` cannot run here and what fixes it, or undefined when it can. */
export function missingRequirement(tool: LabTool): string | undefined {
  return REQUIREMENTS[tool].find((requirement) => !requirement.isPresent())?.missing;
}

/**
 * `nginx -t -q -c PATH` on a production nginx.conf, unmodified.
 *
 * tmpfs over /run, /var/lib/nginx and /var/log/nginx absorbs the pid file, temp directories and
 * logs that the test creates. With `-q`, warnings still print but exit 0: any output fails.
 */
export async function checkNginx(conf: string, options: PlacementOptions = {}): Promise<CheckResult> {
  const path = options.path ?? '/etc/nginx/nginx.conf';
  const result = await runIsolated(['nginx', '-t', '-q', '-c', path], {
    files: { ...options.extraFiles, [path]: conf },
    tmpfs: ['/run', '/var/lib/nginx', '/var/log/nginx'],
  });
  return { ok: result.exitCode === 0 && result.output === '', output: result.output };
}

/**
 * `haproxy -c -dW -f PATH`: warnings are failures.
 *
 * `-q` is left out on purpose: it also silences the warning and alert lines, leaving only the exit
 * status, and a failing test should show HAProxy's own words.
 */
export async function checkHaproxy(cfg: string, options: PlacementOptions = {}): Promise<CheckResult> {
  const path = options.path ?? '/etc/haproxy/haproxy.cfg';
  const result = await runIsolated(['haproxy', '-c', '-dW', '-f', path], {
    files: { ...options.extraFiles, [path]: cfg },
    tmpfs: ['/run'],
  });
  return { ok: result.exitCode === 0, output: result.output };
}

/**
 * `keepalived -t -e -f PATH` in a network namespace where each of `interfaces` exists as a bridge.
 *
 * A `vrrp_script` (or notify script) must exist at its path, owned by root and not writable through
 * any directory on its way, or keepalived disables it and exits 5: pass it in `extraFiles`. It
 * need not be executable for `-t`.
 */
export async function checkKeepalived(
  conf: string,
  interfaces: string[],
  options: PlacementOptions = {},
): Promise<CheckResult> {
  const path = options.path ?? '/etc/keepalived/keepalived.conf';
  const result = await runIsolated(['keepalived', '-t', '-e', '-f', path], {
    files: { ...options.extraFiles, [path]: conf },
    tmpfs: ['/run'],
    interfaces,
  });
  return { ok: result.exitCode === 0, output: result.output };
}

/** {@link verifySystemdUnits}'s verdict, with the executables it had to stub. */
export interface SystemdVerifyResult extends CheckResult {
  /** Absolute `Exec*=` paths missing on this machine, stubbed with an empty script. */
  stubbed: string[];
}

const EXEC_LINE = /^\s*Exec(?:Start|StartPre|StartPost|Condition|Reload|Stop|StopPost)\s*=\s*(.*)$/gmu;
const DROP_IN = /^([^/]+)\.d\/[^/]+\.conf$/u;

/** The absolute programs that the `Exec*=` lines of `content` run. */
function execPrograms(content: string): string[] {
  const programs: string[] = [];
  for (const match of content.matchAll(EXEC_LINE)) {
    const command = (match[1] ?? '').replace(/^[-@:+!]+/u, '');
    const program = command.split(/\s/u)[0]?.replace(/^"(.*)"$/u, '$1') ?? '';
    if (program.startsWith('/') && !/[%$]/u.test(program)) programs.push(program);
  }
  return programs;
}

/**
 * `systemd-analyze verify --man=no` on units placed in /etc/systemd/system. Any stderr fails: unknown
 * keys and bad values only warn and exit 0.
 *
 * Keys are unit names (`topoforge-app.service`) or drop-ins (`haproxy.service.d/10-topoforge.conf`,
 * which verify their unit). Dependency units that are not on the machine must be among `files`.
 * Missing `Exec*=` programs are stubbed unless `stubMissingExecutables` is false; the result lists
 * them so a test can insist on real ones. `--man=no`: `Documentation=man:…` would otherwise fail
 * wherever man pages are not installed, which says nothing about the unit.
 */
export async function verifySystemdUnits(
  files: Record<string, string>,
  options: { extraFiles?: LabFiles; stubMissingExecutables?: boolean } = {},
): Promise<SystemdVerifyResult> {
  const placed: LabFiles = { ...options.extraFiles };
  const targets = new Set<string>();
  const stubbed = new Set<string>();
  for (const [name, content] of Object.entries(files)) {
    placed[`/etc/systemd/system/${name}`] = content;
    if (!name.includes('/')) {
      targets.add(`/etc/systemd/system/${name}`);
    } else {
      const unit = DROP_IN.exec(name)?.[1];
      if (unit === undefined) throw new Error(`lab: ${name} is neither a unit name nor a drop-in`);
      if (!(unit in files)) targets.add(unit);
    }
    for (const program of execPrograms(content)) {
      if (options.stubMissingExecutables !== false && !isAccessible(program, constants.F_OK))
        stubbed.add(program);
    }
  }
  for (const program of stubbed) placed[program] = { content: '#!/bin/sh\nexit 0\n', mode: 0o755 };

  const result = await runIsolated(['systemd-analyze', 'verify', '--man=no', ...targets], { files: placed });
  return {
    ok: result.exitCode === 0 && result.stderr.trim() === '',
    output: result.output,
    stubbed: [...stubbed].sort(),
  };
}

/**
 * The overall exposure score (0 to 10, lower is safer) of `systemd-analyze security --offline=true`.
 * Throws with the tool's output when it prints no score.
 */
export async function systemdSecurityScore(unitName: string, content: string): Promise<number> {
  const directory = temporaryFolderSync('topoforge-unit-');
  try {
    const path = join(directory, unitName);
    writeFileSync(path, content);
    const result = await runCommand('systemd-analyze', ['security', '--offline=true', '--no-pager', path]);
    const score = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/u.exec(result.stdout)?.[1];
    if (result.exitCode !== 0 || score === undefined) {
      throw new Error(`systemd-analyze security gave no score for ${unitName}:\n${result.output}`);
    }
    return Number(score);
  } finally {
    removeTemporaryFolderSync(directory);
  }
}

/** Where and how to start a Redis server or Sentinel. */
export interface RedisStartOptions {
  /**
   * Serve TCP on this port (and `host`, default 127.0.0.1) for a failover test. Without it the
   * server listens on its unix socket only (`--port 0`): a pure check.
   */
  port?: number;
  host?: string;
  /** More command-line overrides, which win over the file: `['--replicaof', '127.0.0.1', '6400']`. */
  extraArgs?: string[];
  extraFiles?: LabFiles;
  /** How long to wait for the first answer; default 5000 ms. */
  timeoutMs?: number;
  /** The test that owns the server (needed in concurrent tests); defaults to the current test. */
  context?: LabContext;
  /**
   * How `command` logs in: an ACL user and its password, or the password alone (the default user,
   * Sentinel's `requirepass`). The password reaches redis-cli through REDISCLI_AUTH, never argv.
   */
  auth?: RedisLogin;
}

/** A Redis login: an ACL user, or the default user when `user` is left out. */
export interface RedisLogin {
  user?: string;
  password: string;
}

/** A running Redis server or Sentinel, stopped and removed when the test finishes. */
export interface RedisServer {
  readonly process: LabProcess;
  /** The throwaway copy of the config, which the server may rewrite. */
  readonly configPath: string;
  readonly logPath: string;
  readonly socket: string;
  /** The TCP port, or 0 when it serves the unix socket only. */
  readonly port: number;
  readonly host: string;
  /** The config as the server has rewritten it so far. */
  readConfig(): string;
  /**
   * Runs `redis-cli -s SOCKET …` as the start's `auth` (if any) and returns its trimmed output;
   * throws if redis-cli fails.
   */
  command(...args: string[]): Promise<string>;
  /** The same, logged in as `login`, or as nobody when it is null. Returns errors as text too. */
  commandAs(login: RedisLogin | null, ...args: string[]): Promise<string>;
  /** SIGKILL, as a crash would. */
  kill(): void;
  stop(): Promise<void>;
}

/** A started server, or why it did not start (the FATAL block or the log). */
export type RedisStart = { ok: true; output: string; server: RedisServer } | { ok: false; output: string };

/** Starts a Redis server on a throwaway copy of `conf`, with the lab's overrides. */
export function startRedis(conf: string, options: RedisStartOptions = {}): Promise<RedisStart> {
  return startRedisProgram('redis-server', conf, options);
}

/** Starts a Sentinel on a throwaway copy of `conf` (Sentinel rewrites its file at start-up). */
export function startSentinel(conf: string, options: RedisStartOptions = {}): Promise<RedisStart> {
  return startRedisProgram('redis-sentinel', conf, options);
}

/** The server of a successful start; throws with the server's own words otherwise. */
export function requireStarted(start: RedisStart): RedisServer {
  if (!start.ok) throw new Error(`the server did not start:\n${start.output}`);
  return start.server;
}

/** Whether something answers a RESP `PING` on `socket` (`-NOAUTH` and `-LOADING` count). */
function answersPing(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = createConnection({ path: socket });
    const finish = (answered: boolean): void => {
      connection.destroy();
      resolve(answered);
    };
    connection.setTimeout(500, () => finish(false));
    connection.once('connect', () => connection.write('PING\r\n'));
    connection.once('data', (reply: Buffer) => finish(/^[+-]/u.test(reply.toString('latin1'))));
    connection.once('error', () => finish(false));
  });
}

/** `redis-cli -s SOCKET`, logged in as `login`: the user on the command line, the password in the environment. */
function redisCli(socket: string, login: RedisLogin | null, args: string[]) {
  const user = login?.user === undefined ? [] : ['--user', login.user];
  return runCommand(
    'redis-cli',
    ['-s', socket, ...user, ...args],
    20_000,
    login === null ? {} : { REDISCLI_AUTH: login.password },
  );
}

function readIfPresent(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

async function startRedisProgram(
  program: 'redis-server' | 'redis-sentinel',
  conf: string,
  options: RedisStartOptions,
): Promise<RedisStart> {
  const directory = temporaryFolderSync(`topoforge-${program}-`);
  const configPath = join(directory, program === 'redis-server' ? 'redis.conf' : 'sentinel.conf');
  const socket = join(directory, 'redis.sock');
  const logPath = join(directory, 'redis.log');
  writeFileSync(configPath, conf, { mode: 0o600 });
  const port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  const argv = [
    program,
    configPath,
    '--daemonize',
    'no',
    '--port',
    String(port),
    ...(port === 0 ? [] : ['--bind', host]),
    '--unixsocket',
    socket,
    '--unixsocketperm',
    '700',
    '--dir',
    directory,
    '--logfile',
    logPath,
    '--pidfile',
    join(directory, 'redis.pid'),
    ...(options.extraArgs ?? []),
  ];
  let prepared: ReturnType<typeof prepareIsolated>;
  try {
    prepared = prepareIsolated(argv, { files: options.extraFiles });
  } catch (error) {
    removeTemporaryFolderSync(directory);
    throw error;
  }
  const labProcess = startProcess(prepared.command, prepared.args, {
    name: program,
    context: options.context,
    cleanup: () => {
      prepared.dispose();
      removeTemporaryFolderSync(directory);
    },
  });

  const server: RedisServer = {
    process: labProcess,
    configPath,
    logPath,
    socket,
    port,
    host,
    readConfig: () => readFileSync(configPath, 'utf8'),
    command: async (...args) => {
      const result = await redisCli(socket, options.auth ?? null, args);
      if (result.exitCode !== 0) throw new Error(`redis-cli ${args.join(' ')} failed:\n${result.output}`);
      return result.stdout.trim();
    },
    commandAs: async (login, ...args) => (await redisCli(socket, login, args)).output,
    kill: () => labProcess.kill('SIGKILL'),
    stop: async () => {
      await labProcess.stop();
    },
  };

  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = performance.now() + timeoutMs;
  let timedOut = false;
  for (;;) {
    if (!labProcess.isRunning()) break;
    if (await answersPing(socket)) return { ok: true, output: readIfPresent(logPath).trim(), server };
    if (performance.now() > deadline) {
      timedOut = true;
      labProcess.kill('SIGKILL');
      break;
    }
    await sleep(10);
  }
  await labProcess.exited;
  const timeoutNote = timedOut ? `(lab: ${program} did not answer PING within ${timeoutMs} ms)` : '';
  const output = [labProcess.output(), readIfPresent(logPath).trim(), timeoutNote]
    .filter((part) => part !== '')
    .join('\n');
  return { ok: false, output: output === '' ? `${program} exited without a word` : output };
}

/** A throwaway self-signed certificate and its unencrypted key, both PEM. */
export interface Certificate {
  certificate: string;
  key: string;
}

/** Makes a self-signed P-256 certificate for `commonName`, for configs that read TLS files. */
export async function createSelfSignedCertificate(commonName = 'lab.test'): Promise<Certificate> {
  const directory = temporaryFolderSync('topoforge-certificate-');
  try {
    const certificatePath = join(directory, 'certificate.pem');
    const keyPath = join(directory, 'key.pem');
    const result = await runCommand('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-keyout',
      keyPath,
      '-out',
      certificatePath,
    ]);
    if (result.exitCode !== 0) throw new Error(`openssl could not make a certificate:\n${result.output}`);
    return { certificate: readFileSync(certificatePath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  } finally {
    removeTemporaryFolderSync(directory);
  }
}
