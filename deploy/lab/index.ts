/**
 * The rehearsal lab (docs/rehearse.md): every host of a design as a network namespace with its
 * design address, its own hostname, copy-on-write `/etc` and `/var`, private `/run` and `/tmp`,
 * and an sshd with its own host key; one bridge per site, a routed core, a client namespace.
 *
 * Everything it creates is journalled in the lab directory's state file before it is created
 * (./state.ts), so a lab is removed completely by {@link stopLab}, by an interrupted
 * {@link startLab} itself, or, after a crash, by the next start. Nothing outside the lab's own
 * namespaces is ever configured: every `ip` command names a lab namespace.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Design } from '../../core/model';
import { listeningPortsOf } from '../../core/model';
import { fingerprintOf } from '../push/known-hosts';
import { planLab } from './plan';
import type { LabHostPlan, LabPlan } from './plan';
import { createState, currentProcess, isAlive, processStartTime, readState, writeState } from './state';
import type { LabHostRecord, LabState } from './state';
import { mustRun, runTool, systemEnvironment } from './system';
import type { ToolResult } from './system';
import { LAB_SYSTEMCTL } from './systemctl';
import { STAND_IN_PROGRAM } from './standin';

export { LabPlanError, planLab } from './plan';
export type { LabPlan } from './plan';
export type { LabHostRecord, LabState } from './state';
export { readState } from './state';
export { LabCommandError, labUnsupportedReason } from './system';

/** The lab directory when none is given: one lab per machine. */
export const DEFAULT_LAB_DIRECTORY = '/run/topoforge/lab';

/** The environment variable that places the lab directory (the CLI's `--dir` overrides it). */
export const LAB_DIRECTORY_VARIABLE = 'TOPOFORGE_LAB_DIR';

/** How long the sshds of a new lab may take to answer from the client namespace. */
const SSHD_READY_TIMEOUT_MS = 20_000;

/** A lab already exists in the directory: it is refused, never joined or replaced. */
export class LabBusyError extends Error {
  constructor(
    message: string,
    readonly state: LabState,
  ) {
    super(message);
    this.name = 'LabBusyError';
  }
}

/** The start was interrupted (SIGINT, SIGTERM): what had been built was removed again. */
export class LabAbortedError extends Error {
  constructor() {
    super('the lab start was interrupted; everything it had created was removed');
    this.name = 'LabAbortedError';
  }
}

/** What a start or stop did about a lab that a crashed run had left. */
export interface Recovery {
  /** The crashed lab's id and the pid of the run that crashed. */
  id: string;
  ownerPid: number;
}

/** Options for {@link startLab}. */
export interface StartLabOptions {
  design: Design;
  /** The design file, as the user named it, for status. */
  designFile: string;
  /** The lab directory (state file, keys, copy-on-write layers). */
  directory: string;
  /** Aborting stops the start at the next step and removes what was built. */
  signal?: AbortSignal;
  /** Progress lines for people. */
  progress?: (line: string) => void;
  /** The lab id (namespace names start with `tf<id>-`); random by default. */
  id?: string;
  /**
   * The lab lives only as long as the process that starts it (a rehearsal): once ready, it is
   * still a crashed run's leftover when that process is gone, and the next start removes it.
   * Without it (`lab up`), a ready lab outlives its command for a person to explore.
   */
  ephemeral?: boolean;
}

/** Characters that would break an overlay mount's option list or a path argument. */
const UNSAFE_PATH = /[,:\\\s'"$`]|\p{Cc}/u;

function randomId(): string {
  return Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new LabAbortedError();
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * Removes a lab that a crashed run left in `directory` (its owner is gone and it never became
 * ready, was half torn down, or was an ephemeral lab such as a rehearsal's). Returns what it
 * removed, or undefined when there was nothing. A ready lab left by `lab up`, or one whose owner
 * still runs, is left alone.
 */
export async function recoverCrashedLab(directory: string): Promise<Recovery | undefined> {
  const state = readState(directory);
  if (state === undefined || isAlive(state.owner)) return undefined;
  if (state.phase === 'ready' && state.ephemeral !== true) return undefined;
  const recovery = { id: state.id, ownerPid: state.owner.pid };
  await teardown(directory, state);
  return recovery;
}

/**
 * Builds the lab of `design` in `directory` and leaves it running. Refuses with
 * {@link LabBusyError} when a lab is there already; removes first what a crashed run left.
 */
export async function startLab(options: StartLabOptions): Promise<{ state: LabState; recovered?: Recovery }> {
  const { design, directory, signal } = options;
  const progress = options.progress ?? (() => undefined);
  if (UNSAFE_PATH.test(directory) || !directory.startsWith('/'))
    throw new Error(`lab directory ${JSON.stringify(directory)} must be a plain absolute path`);
  const plan = planLab(design, options.id ?? randomId());
  const recovered = await recoverCrashedLab(directory);
  if (recovered !== undefined) progress(`removed a lab left by a crashed run (pid ${recovered.ownerPid})`);

  const state: LabState = {
    format: 1,
    id: plan.id,
    phase: 'starting',
    owner: currentProcess(),
    designName: design.name,
    designFile: options.designFile,
    startedAt: new Date().toISOString(),
    ...(options.ephemeral === true ? { ephemeral: true } : {}),
    // Every namespace is journalled before any is created: a crash at any point leaves nothing
    // that the next start does not know to remove.
    namespaces: [plan.core.namespace, plan.client.namespace, ...plan.hosts.map((host) => host.namespace)],
    hosts: plan.hosts.map((host) => ({
      id: host.id,
      address: host.address,
      interface: host.interface,
      namespace: host.namespace,
      sshPort: host.sshPort,
      site: host.site,
    })),
    client: { namespace: plan.client.namespace, address: plan.client.address },
    services: design.services
      .filter((service) => service.host !== undefined)
      .map((service) => ({
        id: service.id,
        kind: service.kind,
        host: service.host!,
        ports: listeningPortsOf(service),
      })),
  };
  if (!createState(directory, state)) {
    const existing = readState(directory)!;
    const owner = isAlive(existing.owner) ? ` by pid ${existing.owner.pid}` : '';
    throw new LabBusyError(
      existing.phase === 'ready'
        ? `a lab of "${existing.designName}" is already running in ${directory}: run topoforge lab down first`
        : `a lab in ${directory} is being ${existing.phase === 'starting' ? 'built' : 'removed'}${owner}`,
      existing,
    );
  }

  try {
    await buildNetwork(plan, signal, progress);
    await startHosts(directory, plan, state, signal, progress);
    await waitForSshd(plan, signal);
    checkAborted(signal);
    state.phase = 'ready';
    writeState(directory, state);
    return { state, recovered };
  } catch (error) {
    await teardown(directory, readState(directory) ?? state);
    throw error;
  }
}

/** Runs `ip` commands as one batch, inside `namespace` when given; stops at the first failure. */
async function ipBatch(namespace: string | undefined, commands: string[][]): Promise<void> {
  const input = `${commands.map((words) => words.join(' ')).join('\n')}\n`;
  await mustRun(
    'ip',
    [...(namespace === undefined ? [] : ['-n', namespace]), '-batch', '-'],
    undefined,
    input,
  );
}

async function buildNetwork(
  plan: LabPlan,
  signal: AbortSignal | undefined,
  progress: (line: string) => void,
): Promise<void> {
  const core = plan.core.namespace;
  const client = plan.client;
  checkAborted(signal);
  // Batches keep the start fast on a busy machine: one `ip` per namespace instead of one per step.
  await ipBatch(undefined, [
    ...[core, client.namespace, ...plan.hosts.map((host) => host.namespace)].map((name) => [
      'netns',
      'add',
      name,
    ]),
  ]);
  checkAborted(signal);
  // Proxy ARP lets every host treat the whole lab as on-link: the core answers for what lies in
  // another segment and forwards it, so no subnet has to be invented for the design's addresses.
  await mustRun('ip', [
    'netns',
    'exec',
    core,
    'sysctl',
    '-q',
    '-w',
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.proxy_arp=1',
    'net.ipv4.conf.all.rp_filter=0',
  ]);
  const coreCommands: string[][] = [['link', 'set', 'lo', 'up']];
  for (const segment of plan.segments) {
    coreCommands.push(
      ['link', 'add', segment.bridge, 'type', 'bridge'],
      ['address', 'add', `${plan.core.address}/32`, 'dev', segment.bridge],
      ['link', 'set', segment.bridge, 'up'],
    );
  }
  // Veth pairs are created from the core straight into their namespace: the machine never sees them.
  coreCommands.push(
    [
      'link',
      'add',
      client.coreInterface,
      'type',
      'veth',
      'peer',
      'name',
      client.interface,
      'netns',
      client.namespace,
    ],
    ['link', 'set', client.coreInterface, 'up'],
    ['address', 'add', `${plan.core.address}/32`, 'dev', client.coreInterface],
    ['route', 'add', `${client.address}/32`, 'dev', client.coreInterface],
  );
  for (const host of plan.hosts) {
    coreCommands.push(
      [
        'link',
        'add',
        host.coreInterface,
        'type',
        'veth',
        'peer',
        'name',
        host.interface,
        'netns',
        host.namespace,
      ],
      ['link', 'set', host.coreInterface, 'master', host.bridge],
      ['link', 'set', host.coreInterface, 'up'],
      ['route', 'add', `${host.address}/32`, 'dev', host.bridge],
    );
  }
  for (const floating of plan.floating)
    coreCommands.push(['route', 'add', `${floating.address}/32`, 'dev', floating.bridge]);
  await ipBatch(core, coreCommands);
  for (const end of [
    { namespace: client.namespace, interface: client.interface, address: client.address },
    ...plan.hosts,
  ]) {
    checkAborted(signal);
    await ipBatch(end.namespace, [
      ['link', 'set', 'lo', 'up'],
      ['address', 'add', `${end.address}/32`, 'dev', end.interface],
      ['link', 'set', end.interface, 'up'],
      ['route', 'add', 'default', 'dev', end.interface],
    ]);
  }
  progress(`network: ${plan.hosts.length} hosts in ${plan.segments.length} segment(s), a core and a client`);
}

/** The directory of a host's copy-on-write layers, keys and log. */
function hostDirectory(directory: string, hostId: string): string {
  return join(directory, 'hosts', hostId);
}

/** Where inside a host the lab keeps its sshd files (in the host's copy-on-write `/etc`). */
const LAB_ETC = '/etc/topoforge-lab';

/**
 * The sshd settings of a lab host, after its port, address and key files: keys only, root by key,
 * no PAM or DNS, room for push's parallel sessions. The test lab (test/lab/sshd.ts) uses them too.
 */
export const LAB_SSHD_SETTINGS: readonly string[] = [
  'PidFile none',
  'PermitRootLogin prohibit-password',
  'PubkeyAuthentication yes',
  'PasswordAuthentication no',
  'KbdInteractiveAuthentication no',
  'StrictModes no',
  'UsePAM no',
  'PrintMotd no',
  'UseDNS no',
  'MaxStartups 200',
  'MaxSessions 50',
  'LogLevel ERROR',
  'Subsystem sftp /usr/lib/openssh/sftp-server',
];

function sshdConfig(port: number): string {
  return [
    `Port ${port}`,
    `HostKey ${LAB_ETC}/ssh_host_ed25519_key`,
    `AuthorizedKeysFile ${LAB_ETC}/authorized_keys`,
    ...LAB_SSHD_SETTINGS,
    '',
  ].join('\n');
}

/**
 * The script that makes a fresh mount and UTS namespace into the host, then execs its sshd. The
 * layers are mounted before `/run` and `/tmp` are covered, since the lab directory may be under
 * either. Positional parameters carry every path, so nothing is quoted into the script.
 */
const HOST_SCRIPT = [
  'set -e',
  'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc/upper,workdir=$1/etc/work" /etc',
  'mount -t overlay overlay -o "lowerdir=/var,upperdir=$1/var/upper,workdir=$1/var/work" /var',
  // The lab's systemctl (./systemctl.ts), ahead of the machine's on root's PATH.
  'mount -t overlay overlay -o "lowerdir=/usr/local/bin,upperdir=$1/bin/upper,workdir=$1/bin/work" /usr/local/bin',
  // Root's own .bashrc here runs a slow init that every ssh command would pay (docs/lab.md).
  `if [ -f /root/.bashrc ]; then mount --bind ${LAB_ETC}/bashrc /root/.bashrc; fi`,
  'mount -t tmpfs -o mode=0755 tmpfs /run',
  'mkdir -p -m 0755 /run/sshd',
  // What a boot creates in /run for the installed packages (tmpfiles.d: /run/haproxy, …).
  'systemd-tmpfiles --create --prefix=/run >/dev/null 2>&1 || true',
  'mount -t tmpfs -o mode=1777 tmpfs /tmp',
  'hostname "$2"',
  `exec /usr/sbin/sshd -D -e -f ${LAB_ETC}/sshd_config`,
].join('\n');

const MINIMAL_BASHRC =
  '# Non-interactive shells stop here, as in /etc/skel/.bashrc.\ncase $- in *i*) ;; *) return;; esac\n';

function etcHosts(plan: LabPlan): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const host of plan.hosts) lines.push(`${host.address}\t${host.id}`);
  return `${lines.join('\n')}\n`;
}

async function prepareHostFiles(
  directory: string,
  plan: LabPlan,
  host: LabHostPlan,
  clientKey: string,
): Promise<string> {
  const base = hostDirectory(directory, host.id);
  for (const layer of ['etc', 'var', 'bin']) {
    mkdirSync(join(base, layer, 'upper'), { recursive: true, mode: 0o755 });
    mkdirSync(join(base, layer, 'work'), { recursive: true, mode: 0o755 });
  }
  writeFileSync(join(base, 'bin', 'upper', 'systemctl'), LAB_SYSTEMCTL, { mode: 0o755 });
  const etc = join(base, 'etc', 'upper');
  const lab = join(etc, 'topoforge-lab');
  mkdirSync(lab, { recursive: true, mode: 0o755 });
  await newKeyPair(join(lab, 'ssh_host_ed25519_key'), host.id);
  writeFileSync(join(lab, 'sshd_config'), sshdConfig(host.sshPort));
  mkdirSync(join(lab, 'standins'), { recursive: true, mode: 0o755 });
  writeFileSync(join(lab, 'standins', 'standin.js'), STAND_IN_PROGRAM);
  writeFileSync(join(lab, 'authorized_keys'), `${clientKey}\n`, { mode: 0o600 });
  const bashrc = existsSync('/etc/skel/.bashrc') ? readFileSync('/etc/skel/.bashrc', 'utf8') : MINIMAL_BASHRC;
  writeFileSync(join(lab, 'bashrc'), bashrc);
  writeFileSync(join(etc, 'hostname'), `${host.id}\n`);
  writeFileSync(join(etc, 'hosts'), etcHosts(plan));
  const publicKey = readFileSync(join(lab, 'ssh_host_ed25519_key.pub'), 'utf8').trim();
  return publicKey.split(/\s+/u).slice(0, 2).join(' ');
}

/** Makes an ed25519 key pair without a passphrase at `path` (and `path.pub`). */
async function newKeyPair(path: string, comment: string): Promise<void> {
  await mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/** The lab's client key: accepted by root on every lab host. */
export function clientKeyOf(directory: string): string {
  return join(directory, 'client_ed25519');
}

/** The lab's known_hosts file: every lab host's key, as OpenSSH records it. */
export function knownHostsOf(directory: string): string {
  return join(directory, 'known_hosts');
}

async function startHosts(
  directory: string,
  plan: LabPlan,
  state: LabState,
  signal: AbortSignal | undefined,
  progress: (line: string) => void,
): Promise<void> {
  await newKeyPair(clientKeyOf(directory), `topoforge-lab-${plan.id}`);
  const clientKey = readFileSync(`${clientKeyOf(directory)}.pub`, 'utf8').trim();
  const knownHosts: string[] = [];
  for (const [index, host] of plan.hosts.entries()) {
    checkAborted(signal);
    const publicKey = await prepareHostFiles(directory, plan, host, clientKey);
    const name = host.sshPort === 22 ? host.address : `[${host.address}]:${host.sshPort}`;
    knownHosts.push(`${name} ${publicKey}`);
    const record = state.hosts[index]!;
    record.sshd = spawnHost(directory, host.id, host.namespace);
    record.hostKeyFingerprint = fingerprintOf(Buffer.from(publicKey.split(' ')[1] ?? '', 'base64'));
    writeState(directory, state);
  }
  writeFileSync(knownHostsOf(directory), `${knownHosts.join('\n')}\n`, { mode: 0o600 });
  progress(`sshd started on ${plan.hosts.length} hosts`);
}

/**
 * Starts (or, after {@link crashHost}, restarts) lab host `hostId`: a fresh mount and UTS
 * namespace over its copy-on-write layers, then its sshd. Returns the sshd's process.
 */
function spawnHost(directory: string, hostId: string, namespace: string): { pid: number; startTime: number } {
  const log = openSync(join(hostDirectory(directory, hostId), 'sshd.log'), 'a', 0o600);
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      'unshare',
      '-m',
      '-u',
      '--propagation',
      'private',
      '/bin/sh',
      '-c',
      HOST_SCRIPT,
      'sh',
      hostDirectory(directory, hostId),
      hostId,
    ],
    { detached: true, stdio: ['ignore', log, log], env: systemEnvironment() },
  );
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the sshd of lab host ${hostId}`);
  return { pid, startTime: processStartTime(pid) ?? 0 };
}

/**
 * Fails lab host `hostId` as a crash would: every process in it killed (its private mounts go
 * with them). Its files stay in its copy-on-write layers for {@link restartHost}.
 */
export async function crashHost(state: LabState, hostId: string): Promise<void> {
  const host = state.hosts.find((candidate) => candidate.id === hostId);
  if (host === undefined) throw new Error(`there is no host '${hostId}' in the lab`);
  await killNamespaceProcesses(host.namespace);
}

/**
 * Boots lab host `hostId` again after {@link crashHost}, as a machine comes back: fresh `/run`
 * and `/tmp`, its `/etc` and `/var` as it left them; returns once its sshd answers.
 */
export async function restartHost(directory: string, state: LabState, hostId: string): Promise<void> {
  const host = state.hosts.find((candidate) => candidate.id === hostId);
  if (host === undefined) throw new Error(`there is no host '${hostId}' in the lab`);
  host.sshd = spawnHost(directory, host.id, host.namespace);
  writeState(directory, state);
  const deadline = Date.now() + SSHD_READY_TIMEOUT_MS;
  while (!(await answersSsh(state.client!.namespace, host.address, host.sshPort))) {
    if (Date.now() > deadline)
      throw new Error(`lab host ${hostId} did not come back within ${SSHD_READY_TIMEOUT_MS / 1000} s`);
    await delay(50);
  }
}

/** Waits until every host's sshd answers from the client namespace: the lab's routing works. */
async function waitForSshd(plan: LabPlan, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + SSHD_READY_TIMEOUT_MS;
  let waiting = plan.hosts;
  while (waiting.length > 0) {
    checkAborted(signal);
    const answers = await Promise.all(
      waiting.map((host) => answersSsh(plan.client.namespace, host.address, host.sshPort)),
    );
    waiting = waiting.filter((_, index) => !answers[index]);
    if (waiting.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `lab hosts did not answer on ssh within ${SSHD_READY_TIMEOUT_MS / 1000} s: ${waiting.map((host) => host.id).join(', ')}`,
      );
    await delay(100);
  }
}

/** Whether `address:port` sends an SSH banner to a connection from `namespace`. */
export async function answersSsh(namespace: string, address: string, port: number): Promise<boolean> {
  const result = await runTool(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      'bash',
      '-c',
      'exec 3<>"/dev/tcp/$1/$2" && head -c 4 <&3',
      'probe',
      address,
      String(port),
    ],
    3_000,
  );
  return result.exitCode === 0 && result.stdout === 'SSH-';
}

function namespaceExists(namespace: string): boolean {
  return existsSync(join('/run/netns', namespace));
}

async function namespacePids(namespace: string): Promise<number[]> {
  const result = await runTool('ip', ['netns', 'pids', namespace]);
  if (result.exitCode !== 0) return [];
  return result.stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Kills every process in `namespace` until none is left (a dying sshd may still fork). */
async function killNamespaceProcesses(namespace: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const pids = (await namespacePids(namespace)).filter((pid) => pid !== process.pid);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    await delay(20);
  }
  throw new Error(`processes in lab namespace ${namespace} would not die`);
}

/**
 * Removes everything `state` names: every process in the lab's namespaces (which takes their
 * private mounts with them), the namespaces (which takes their interfaces), then the directory.
 */
async function teardown(directory: string, state: LabState): Promise<void> {
  state.phase = 'stopping';
  state.owner = currentProcess();
  if (existsSync(directory)) writeState(directory, state);
  for (const host of state.hosts) {
    if (host.sshd !== undefined && isAlive(host.sshd)) {
      try {
        process.kill(host.sshd.pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  }
  for (const namespace of [...state.namespaces].reverse()) {
    if (!namespaceExists(namespace)) continue;
    await killNamespaceProcesses(namespace);
    const result = await runTool('ip', ['netns', 'delete', namespace]);
    if (result.exitCode !== 0 && namespaceExists(namespace))
      throw new Error(`could not delete lab namespace ${namespace}: ${result.stderr.trim()}`);
  }
  rmSync(directory, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Removes the lab in `directory`. Refuses with {@link LabBusyError} while another run is still
 * building or removing it; a lab whose builder crashed is removed like a ready one.
 */
export async function stopLab(directory: string): Promise<LabState | undefined> {
  const state = readState(directory);
  if (state === undefined) return undefined;
  if (state.phase !== 'ready' && isAlive(state.owner) && state.owner.pid !== process.pid) {
    throw new LabBusyError(
      `the lab in ${directory} is being ${state.phase === 'starting' ? 'built' : 'removed'} by pid ${state.owner.pid}`,
      state,
    );
  }
  await teardown(directory, state);
  return state;
}

/** A host as `lab status` shows it. */
export interface LabHostStatus {
  id: string;
  address: string;
  interface: string;
  site?: string;
  /** `up` while its sshd runs, else `down`. */
  state: 'up' | 'down';
  services: { id: string; kind: string; ports: number[]; state: 'listening' | 'not listening' | 'no port' }[];
}

/** The state of the lab in `directory`, read from the host namespaces themselves. */
export async function labStatus(
  directory: string,
): Promise<{ state: LabState; hosts: LabHostStatus[] } | undefined> {
  const state = readState(directory);
  if (state === undefined) return undefined;
  const hosts = await Promise.all(
    state.hosts.map(async (host): Promise<LabHostStatus> => {
      const up = host.sshd !== undefined && isAlive(host.sshd);
      const listening = up ? await listeningPorts(host.namespace) : new Set<number>();
      return {
        id: host.id,
        address: host.address,
        interface: host.interface,
        site: host.site,
        state: up ? 'up' : 'down',
        services: state.services
          .filter((service) => service.host === host.id)
          .map((service) => ({
            id: service.id,
            kind: service.kind,
            ports: service.ports,
            state:
              service.ports.length === 0
                ? 'no port'
                : service.ports.every((port) => listening.has(port))
                  ? 'listening'
                  : 'not listening',
          })),
      };
    }),
  );
  return { state, hosts };
}

/** The TCP ports something listens on inside `namespace`. */
async function listeningPorts(namespace: string): Promise<Set<number>> {
  const result = await runTool('ip', ['netns', 'exec', namespace, 'ss', '-H', '-l', '-t', '-n']);
  const ports = new Set<number>();
  if (result.exitCode !== 0) return ports;
  for (const line of result.stdout.split('\n')) {
    const local = line.trim().split(/\s+/u)[3];
    const port = Number(local?.slice(local.lastIndexOf(':') + 1));
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

/**
 * The command line that runs `command` inside lab host `hostId` (its network, mount and UTS
 * namespaces, entered through its sshd), or a one-line reason why it cannot.
 */
export function execCommandOf(
  state: LabState,
  hostId: string,
  command: string[],
): { ok: true; command: string; args: string[] } | { ok: false; message: string } {
  const host: LabHostRecord | undefined = state.hosts.find((candidate) => candidate.id === hostId);
  if (host === undefined)
    return {
      ok: false,
      message: `there is no host '${hostId}' in the lab (hosts: ${state.hosts.map((candidate) => candidate.id).join(', ')})`,
    };
  if (host.sshd === undefined || !isAlive(host.sshd))
    return { ok: false, message: `lab host ${hostId} is down (its sshd is not running)` };
  return {
    ok: true,
    command: 'nsenter',
    args: ['--target', String(host.sshd.pid), '--net', '--mount', '--uts', '--', ...command],
  };
}

/**
 * Runs `args` inside lab host `hostId` (its network, mount and UTS namespaces), with `input` on
 * standard input; for the rehearsal, which drives the hosts from outside.
 */
export async function runInHost(
  state: LabState,
  hostId: string,
  args: string[],
  input?: string,
  timeoutMs = 20_000,
): Promise<ToolResult> {
  const exec = execCommandOf(state, hostId, args);
  if (!exec.ok) throw new Error(exec.message);
  return runTool(exec.command, exec.args, timeoutMs, input);
}
