/**
 * Lab SSH hosts: real OpenSSH `sshd` processes on 127.0.0.1 ports, each a separate "host" with its
 * own host key, hostname, `/run`, and a root directory that push tests use as `ssh.root`.
 *
 * Each sshd runs as `sshd -D -e -f CONFIG` inside `unshare -m -u` (see namespace.ts) with a tmpfs
 * over `/run` holding `/run/sshd`, Debian's stock `.bashrc` for root (root's own runs a slow init
 * that every `ssh host cmd` would pay, docs/lab.md), and stub `systemctl` and `sudo`
 * programs in `/usr/local/bin` that log how they were called into the host's directory, so that a
 * test can see `systemctl daemon-reload` and `sudo -n` without systemd or sudo. All hosts accept
 * one client key ({@link SshLab.identityFile}); more keys can be authorized while they run.
 * Every sshd is killed when the test (or `stopAllProcesses`) that started it finishes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  appendFileSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { LAB_SSHD_SETTINGS } from '../../deploy/lab/index';
import { removeTemporaryFolderSync, temporaryFolderSync } from './temporary';
import { prepareIsolated } from './namespace';
import type { LabFiles } from './namespace';
import { freePort, startProcess, waitForPort } from './processes';
import type { LabContext, LabProcess } from './processes';

const SSHD = '/usr/sbin/sshd';
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

/** One lab host: an sshd on `address:port` whose pushes land under `root`. */
export interface SshLabHost {
  id: string;
  address: string;
  port: number;
  /** Directory to use as the host's `ssh.root`; visible to the test as a plain directory. */
  root: string;
  /** Where the host's stubs log (`systemctl.log`, `sudo.log`) and its key and config live. */
  directory: string;
  /** The host key as an OpenSSH public key line: `ssh-ed25519 AAAA…`. */
  hostPublicKey: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
  /** The line OpenSSH would record in known_hosts: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`. */
  knownHostsLine: string;
  process: LabProcess;
  /** Arguments of every `systemctl` call on this host, one string per call. */
  systemctlCalls(): string[];
  /** Commands run through the stub `sudo`, one string per call. */
  sudoCalls(): string[];
  /** SIGKILL the sshd, as a crash would. */
  kill(): void;
}

/** A set of lab hosts sharing one client key. */
export interface SshLab {
  hosts: SshLabHost[];
  /** The client's private key (unencrypted ed25519), accepted by every host for root. */
  identityFile: string;
  /** The client's public key line. */
  publicKey: string;
  /** Scratch directory of the lab; removed when the lab stops. */
  directory: string;
  /** The hosts' known_hosts lines, as `ssh-keyscan` would give them. */
  knownHosts(): string;
  /** Lets `publicKeyLine` log in as root on every host. */
  authorize(publicKeyLine: string): void;
  /** Empties every host's root directory and stub logs, for the next test. */
  reset(): void;
  /** Stops every sshd and removes the lab directory. */
  stop(): Promise<void>;
}

/** Options for {@link startSshLab}. */
export interface SshLabOptions {
  /** Host ids, or how many (`host-1`, `host-2`, …). */
  hosts: string[] | number;
  /** Files placed at absolute paths inside every host (not under its root). */
  files?: LabFiles;
  /** The test that owns the hosts; by default the current test, or none in `beforeAll`. */
  context?: LabContext;
  /**
   * The loopback address each host listens on, in host order (default 127.0.0.1 for all): hosts
   * with addresses of their own can be the hosts of one design, which never shares an address.
   */
  addresses?: string[];
  /** False: no stub `sudo` on the hosts, as on a fresh host without sudo installed (default true). */
  sudo?: boolean;
}

/** Writes files under a host's root, at paths relative to it (`etc/nginx/nginx.conf`), with their folders. */
export function placeFiles(host: SshLabHost, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(host.root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

/** How `topoforge collect` and import from hosts name a lab host: `root@ADDRESS:PORT`. */
export function loginTarget(host: { address: string; port: number }): string {
  return `root@${host.address}:${host.port}`;
}

/**
 * The network interface a lab host has for keepalived (lab hosts share the machine's network):
 * `eth0` where the machine has it (the design default), else its first other than `lo`.
 */
export function labInterface(): string {
  const names = readdirSync('/sys/class/net')
    .filter((name) => name !== 'lo')
    .sort();
  return names.includes('eth0') ? 'eth0' : (names[0] ?? 'eth0');
}

const MINIMAL_BASHRC =
  '# Non-interactive shells stop here, as in /etc/skel/.bashrc.\ncase $- in *i*) ;; *) return;; esac\n';

function isPresent(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether lab SSH hosts can run here: `sshd`, `sftp-server` and `ssh-keygen` (Debian
 * `openssh-server`, which pulls in `openssh-sftp-server`, and `openssh-client`), `unshare` and
 * root. Throws in CI (`CI=true`) when they cannot, so a suite never skips silently there; returns
 * false locally so the caller can skip.
 */
export function requireSshd(): boolean {
  const problems = [
    isPresent(SSHD, constants.X_OK) ? undefined : `${SSHD} is missing: apt-get install openssh-server`,
    isPresent(SFTP_SERVER, constants.X_OK)
      ? undefined
      : `${SFTP_SERVER} is missing: apt-get install openssh-sftp-server (openssh-server depends on it)`,
    isPresent('/usr/bin/ssh-keygen', constants.X_OK)
      ? undefined
      : 'ssh-keygen is missing: apt-get install openssh-client',
    isPresent('/usr/bin/unshare', constants.X_OK)
      ? undefined
      : 'unshare is missing: apt-get install util-linux',
    process.getuid?.() === 0 ? undefined : 'lab SSH hosts need root for their namespaces',
  ].filter((problem) => problem !== undefined);
  if (problems.length === 0) return true;
  if (process.env.CI === 'true') throw new Error(problems.join('; '));
  return false;
}

/** Generates an ed25519 key pair at `path` (and `path.pub`); returns the public key line. */
export function generateKey(path: string, options: { passphrase?: string; comment?: string } = {}): string {
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    options.passphrase ?? '',
    '-C',
    options.comment ?? 'topoforge-lab',
    '-f',
    path,
  ]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** `SHA256:…` of an OpenSSH public key line, as `ssh-keygen -l` prints it. */
export function fingerprintOf(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.split(/\s+/u)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/u, '')}`;
}

function sshdConfig(directory: string, address: string, port: number, authorizedKeys: string): string {
  return [
    `Port ${port}`,
    `ListenAddress ${address}`,
    `HostKey ${join(directory, 'ssh_host_ed25519_key')}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    ...LAB_SSHD_SETTINGS,
    '',
  ].join('\n');
}

function stubs(directory: string, sudo: boolean): LabFiles {
  const files: LabFiles = {
    '/usr/local/bin/systemctl': {
      content: `#!/bin/sh\necho "$*" >> '${join(directory, 'systemctl.log')}'\n`,
      mode: 0o755,
    },
    '/usr/local/bin/sudo': {
      content: [
        '#!/bin/sh',
        '# Only the non-interactive form is allowed, as push must use it.',
        '[ "$1" = -n ] || { echo "sudo: a password is required" >&2; exit 1; }',
        'shift',
        `echo "$*" >> '${join(directory, 'sudo.log')}'`,
        'exec "$@"',
        '',
      ].join('\n'),
      mode: 0o755,
    },
  };
  // A host without sudo: this machine may have it installed (the desktop rehearsal uses it), so
  // the lab host's sudo answers as a shell does for a program that is not there.
  if (!sudo)
    files['/usr/local/bin/sudo'] = {
      content: '#!/bin/sh\necho "sh: 1: sudo: not found" >&2\nexit 127\n',
      mode: 0o755,
    };
  return files;
}

function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** Starts the lab hosts and waits until every one accepts connections. */
export async function startSshLab(options: SshLabOptions): Promise<SshLab> {
  const ids =
    typeof options.hosts === 'number'
      ? Array.from({ length: options.hosts }, (_, index) => `host-${index + 1}`)
      : options.hosts;
  const directory = temporaryFolderSync('topoforge-sshd-');
  const identityFile = join(directory, 'client_ed25519');
  const publicKey = generateKey(identityFile, { comment: 'topoforge-lab-client' });
  const authorizedKeys = join(directory, 'authorized_keys');
  writeFileSync(authorizedKeys, `${publicKey}\n`, { mode: 0o600 });
  const bashrc = existsSync('/etc/skel/.bashrc') ? readFileSync('/etc/skel/.bashrc', 'utf8') : MINIMAL_BASHRC;

  const hosts: SshLabHost[] = [];
  /** Removes the namespaces' staging folders; startProcess would only do it at test end or exit. */
  const disposals: (() => void)[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(hosts.map((host) => host.process.stop()));
    for (const dispose of disposals) dispose();
    removeTemporaryFolderSync(directory);
  };
  try {
    for (const [index, id] of ids.entries()) {
      const address = options.addresses?.[index] ?? '127.0.0.1';
      if (!address.startsWith('127.')) throw new Error(`lab: ${address} is not a loopback address`);
      const hostDirectory = join(directory, id);
      const root = join(hostDirectory, 'root');
      mkdirSync(root, { recursive: true, mode: 0o755 });
      const hostPublicKey = generateKey(join(hostDirectory, 'ssh_host_ed25519_key'), { comment: id });
      const port = await freePort(address);
      const configPath = join(hostDirectory, 'sshd_config');
      writeFileSync(configPath, sshdConfig(hostDirectory, address, port, authorizedKeys));
      const prepared = prepareIsolated(
        [
          'unshare',
          '-u',
          '/bin/sh',
          '-c',
          'mkdir -p -m 0755 /run/sshd && hostname "$1" && exec "$2" -D -e -f "$3"',
          'sh',
          id,
          SSHD,
          configPath,
        ],
        {
          files: {
            ...options.files,
            ...stubs(hostDirectory, options.sudo !== false),
            '/root/.bashrc': bashrc,
          },
          tmpfs: ['/run'],
        },
      );
      disposals.push(() => prepared.dispose());
      const labProcess = startProcess(prepared.command, prepared.args, {
        name: `sshd ${id}`,
        context: options.context,
        cleanup: () => prepared.dispose(),
      });
      const [type, body] = hostPublicKey.split(/\s+/u);
      hosts.push({
        id,
        address,
        port,
        root,
        directory: hostDirectory,
        hostPublicKey: `${type} ${body}`,
        hostKeyFingerprint: fingerprintOf(hostPublicKey),
        knownHostsLine: `[${address}]:${port} ${type} ${body}`,
        process: labProcess,
        systemctlCalls: () => readLines(join(hostDirectory, 'systemctl.log')),
        sudoCalls: () => readLines(join(hostDirectory, 'sudo.log')),
        kill: () => labProcess.kill('SIGKILL'),
      });
    }
    await Promise.all(
      hosts.map(async (host) => {
        try {
          await waitForPort(host.port, host.address);
        } catch (error) {
          throw new Error(`${(error as Error).message}\n${host.process.output()}`);
        }
      }),
    );
  } catch (error) {
    await stopAll();
    throw error;
  }

  return {
    hosts,
    identityFile,
    publicKey,
    directory,
    knownHosts: () => hosts.map((host) => `${host.knownHostsLine}\n`).join(''),
    authorize: (publicKeyLine) => appendFileSync(authorizedKeys, `${publicKeyLine.trim()}\n`),
    reset: () => {
      for (const host of hosts) {
        rmSync(host.root, { recursive: true, force: true });
        mkdirSync(host.root, { recursive: true, mode: 0o755 });
        rmSync(join(host.directory, 'systemctl.log'), { force: true });
        rmSync(join(host.directory, 'sudo.log'), { force: true });
      }
    },
    stop: stopAll,
  };
}
