/**
 * Deploying a design into its lab through the real push (docs/rehearse.md): the bundle is
 * generated from the design with each host's lab key pinned, written into the lab directory, and
 * pushed by `pushBundle`, the code behind `topoforge push`. The lab's addresses exist only inside
 * the lab, so each SSH connection runs over a relay process in the client namespace: push itself
 * is unchanged and verifies every host key as it would anywhere.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Design } from '../../core/model';
import { generateBundle } from '../../core/generate/index';
import { nodeSha256 } from '../hash';
import { writeBundle } from '../write-bundle';
import { loadPushBundle, pushBundle } from '../push/index';
import type { PushEvent, PushOutcome } from '../push/index';
import { SshConnection } from '../push/connection';
import { SecretStore } from '../secrets/index';
import type { ConnectOptions } from '../push/connection';
import type { LabState } from './state';
import { systemEnvironment } from './system';
import { clientKeyOf, knownHostsOf, runInHost } from './index';
import {
  LAB_UNIT_DIRECTORY,
  STAND_IN_DIRECTORY,
  standInCredentialsPath,
  standInSpecification,
  standInUnit,
  standInsOf,
} from './standin';
import type { StandIn, StandInCredentials } from './standin';
import { clientCredentials, readGroupLogins } from './sentinel';

/**
 * The design as the lab deploys it: every host's `ssh` points at its lab sshd (root, its port,
 * its lab host key pinned), everything else unchanged, so the bundle is the design's own.
 */
export function pinnedDesign(design: Design, state: LabState): Design {
  const records = new Map(state.hosts.map((host) => [host.id, host]));
  return {
    ...design,
    hosts: design.hosts.map((host) => {
      const record = records.get(host.id);
      if (record?.hostKeyFingerprint === undefined) throw new Error(`lab host ${host.id} has no host key`);
      return {
        ...host,
        ssh: {
          user: 'root',
          port: record.sshPort,
          hostKey: record.hostKeyFingerprint,
          root: '/',
          sudo: false,
        },
      };
    }),
  };
}

/**
 * Relays one TCP connection from the lab's client namespace to `address:port` over a child
 * process's standard streams: Node cannot open a socket in another network namespace itself.
 */
function relay(clientNamespace: string, address: string, port: number, relays: Set<ChildProcess>): Duplex {
  const script =
    "const s=require('net').connect(Number(process.argv[2]),process.argv[1]);" +
    "process.stdin.pipe(s);s.pipe(process.stdout);s.on('error',e=>{process.stderr.write(e.message);process.exit(1)});" +
    "s.on('close',()=>process.exit(0));process.stdin.on('end',()=>s.end())";
  const child = spawn(
    'ip',
    ['netns', 'exec', clientNamespace, process.execPath, '-e', script, address, String(port)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: systemEnvironment(),
    },
  );
  relays.add(child);
  child.on('exit', () => relays.delete(child));
  return Duplex.from({ readable: child.stdout, writable: child.stdin });
}

/** Options for {@link deployToLab}. */
export interface DeployOptions {
  design: Design;
  directory: string;
  state: LabState;
  signal?: AbortSignal;
  onEvent?: (event: PushEvent) => void;
}

/** Generates the bundle of `design` into the lab directory and pushes it into the lab. */
export async function deployToLab(options: DeployOptions): Promise<PushOutcome> {
  const { directory, state } = options;
  const bundleDirectory = join(directory, 'bundle');
  const bundle = generateBundle(pinnedDesign(options.design, state), { sha256: nodeSha256 });
  await writeBundle(bundle, bundleDirectory);
  const loaded = await loadPushBundle(bundleDirectory);
  if (!loaded.ok) return loaded;
  const clientNamespace = state.client!.namespace;
  const relays = new Set<ChildProcess>();
  try {
    return await pushBundle({
      bundle: loaded.bundle,
      authentication: { identityFile: clientKeyOf(directory) },
      hostKeys: { knownHosts: { read: [knownHostsOf(directory)], write: knownHostsOf(directory) } },
      // A lab has no certificates of the design's own: self-signed ones, created only where missing.
      labCertificates: true,
      // The lab's passwords live and die with the lab: never in the user's own store, where a
      // later push of the same design to real hosts would reuse them.
      secretStore: new SecretStore({ directory: join(directory, 'secrets') }),
      connect: (connectOptions: ConnectOptions) =>
        SshConnection.open({
          ...connectOptions,
          sock: relay(clientNamespace, connectOptions.address, connectOptions.port, relays),
        }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
  } finally {
    // A relay outlives its connection until the far end closes: end them with the push.
    for (const child of relays) child.kill('SIGKILL');
  }
}

/** The `.service` and `.mount` units of each host in the pushed bundle. */
function bundleUnits(directory: string): Map<string, Set<string>> {
  const manifest = JSON.parse(readFileSync(join(directory, 'bundle', 'manifest.json'), 'utf8')) as {
    files: { host?: string; path: string }[];
  };
  const units = new Map<string, Set<string>>();
  for (const file of manifest.files) {
    const match = /^\/etc\/systemd\/system\/([^/]+\.(service|mount))$/u.exec(file.path);
    if (file.host === undefined || match === null) continue;
    units.set(file.host, new Set([...(units.get(file.host) ?? []), match[1]!]));
  }
  return units;
}

async function mustRunInHost(state: LabState, host: string, args: string[], input?: string): Promise<string> {
  const result = await runInHost(state, host, args, input);
  if (result.exitCode !== 0)
    throw new Error(
      `on lab host ${host}: ${args.join(' ')} exited ${result.exitCode ?? result.signal}: ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' / ')}`,
    );
  return result.stdout;
}

/**
 * Starts the stand-ins of a design pushed into its lab (./standin.ts): writes each one's
 * specification (and lab unit) into its host, then starts every one but the cold standbys
 * through the lab's systemctl. Returns them all.
 */
export async function startStandIns(design: Design, directory: string, state: LabState): Promise<StandIn[]> {
  const standIns = standInsOf(design, bundleUnits(directory));
  for (const standIn of standIns) {
    const base = standIn.unit.replace(/\.service$/u, '');
    await mustRunInHost(
      state,
      standIn.host,
      ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', `${STAND_IN_DIRECTORY}/${base}.json`],
      standInSpecification(standIn),
    );
    if (standIn.labUnit)
      await mustRunInHost(
        state,
        standIn.host,
        [
          'sh',
          '-c',
          'mkdir -p "$(dirname "$1")" && cat > "$1"',
          'sh',
          `${LAB_UNIT_DIRECTORY}/${standIn.unit}`,
        ],
        standInUnit(standIn, process.execPath),
      );
  }
  // A client of a Sentinel group holds its logins, as an application's own config would.
  const logins = new Map<string, StandInCredentials>();
  for (const standIn of standIns) {
    const groups = standIn.needs.flatMap((need) =>
      need.sentinel === undefined ? [] : [need.sentinel.group],
    );
    if (groups.length === 0) continue;
    const credentials: Record<string, StandInCredentials> = {};
    for (const group of groups) {
      if (!logins.has(group))
        logins.set(group, clientCredentials(await readGroupLogins(directory, state, group)));
      credentials[group] = logins.get(group)!;
    }
    await mustRunInHost(
      state,
      standIn.host,
      [
        'sh',
        '-c',
        'umask 077 && mkdir -p "$(dirname "$1")" && cat > "$1"',
        'sh',
        standInCredentialsPath(standIn),
      ],
      `${JSON.stringify(credentials)}\n`,
    );
  }
  for (const standIn of standIns)
    if (!standIn.coldStandby) await mustRunInHost(state, standIn.host, ['systemctl', 'start', standIn.unit]);
  return standIns;
}
