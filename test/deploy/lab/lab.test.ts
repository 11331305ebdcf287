/**
 * The rehearsal lab for real (root, real namespaces, real sshd): `topoforge lab up|status|exec|down`
 * builds hosts with the design's addresses, names and private filesystems, reaches them from the
 * client namespace, leaves the machine's own network alone, and takes everything away again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { answersSsh, readState } from '../../../deploy/lab/index';
import { runCli } from '../../cli/run-cli';
import { requireSshd } from '../../lab/sshd';
import { isRunning, LAB_DESIGN } from './fixture';
import { inLabHost, labFoldersStoppedAfterEach } from './lab-folder';

const available = requireSshd();

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}

/** The machine's own network, as a person would look at it. */
function machineNetwork(): string {
  return [sh('ip', ['-o', 'link', 'show']), sh('ip', ['-o', 'address', 'show']), sh('ip', ['route', 'show'])]
    .join('\n')
    .replace(/\s+\d+ bytes|qlen \d+/gu, '');
}

function labNamespaces(id: string): string[] {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`tf${id}-`));
}

function mountsUnder(directory: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(directory) || line.includes('/run/netns/tf'));
}

const newLabFolder = labFoldersStoppedAfterEach();
const labDirectory = () => newLabFolder('topoforge-lab-', LAB_DESIGN);

describe.skipIf(!available)('topoforge lab', () => {
  let before: string;
  beforeAll(() => {
    before = machineNetwork();
  });

  it(
    'builds hosts a person can look around in, and removes them without a trace',
    { timeout: 90_000 },
    async () => {
      const { directory, designFile } = await labDirectory();
      const up = await runCli(['lab', 'up', designFile, '--dir', directory, '--json']);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      const started = JSON.parse(up.stdout) as { id: string; hosts: { id: string; hostKey: string }[] };
      expect(started.hosts.map((host) => host.id)).toEqual(['front-1', 'front-2', 'back-1']);
      for (const host of started.hosts) expect(host.hostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/u);
      const state = readState(directory)!;
      expect(state.phase).toBe('ready');
      expect(labNamespaces(started.id).sort()).toEqual(state.namespaces.slice().sort());

      // Inside a host: its name, its design address on the design's interface, private /tmp.
      const inside = await inLabHost(directory, 'front-1', [
        'sh',
        '-c',
        'hostname; ip -o -4 address show dev ens18; echo lab > /tmp/private; echo lab > /etc/topoforge-lab-probe; cat /etc/hostname',
      ]);
      expect(inside.code).toBe(0);
      const [hostname, address, etcHostname] = inside.stdout.trim().split('\n');
      expect(hostname).toBe('front-1');
      expect(address).toContain('10.77.0.11/32');
      expect(etcHostname).toBe('front-1');
      // Copy-on-write /etc and private /tmp: the machine sees neither file, nor does another host.
      expect(existsSync('/etc/topoforge-lab-probe')).toBe(false);
      expect(existsSync('/tmp/private')).toBe(false);
      const other = await inLabHost(directory, 'front-2', [
        'sh',
        '-c',
        'ls /tmp /etc/topoforge-lab-probe 2>&1; hostname',
      ]);
      expect(other.stdout).toContain('No such file');
      expect(other.stdout.trim().split('\n').at(-1)).toBe('front-2');

      // The client reaches every host's sshd, across the sites, by its design address.
      for (const host of state.hosts)
        expect(await answersSsh(state.client!.namespace, host.address, 22)).toBe(true);
      // Hosts of one site share a segment, and the core routes between sites.
      const across = await inLabHost(directory, 'back-1', [
        'bash',
        '-c',
        'exec 3<>/dev/tcp/10.77.0.12/22 && head -c 4 <&3',
      ]);
      expect(across.stdout).toBe('SSH-');

      // The pinned key of a host is the one its sshd shows.
      const scanned = sh('ip', [
        'netns',
        'exec',
        state.client!.namespace,
        'ssh-keyscan',
        '-t',
        'ed25519',
        '10.77.1.11',
      ]);
      const keyLine = scanned.split('\n').find((line) => line.startsWith('10.77.1.11 '))!;
      expect(readFileSync(join(directory, 'known_hosts'), 'utf8')).toContain(
        keyLine.split(' ').slice(1).join(' '),
      );

      // Status: hosts, addresses, services and whether they listen.
      await inLabHost(directory, 'back-1', [
        'redis-server',
        '--port',
        '8080',
        '--daemonize',
        'yes',
        '--save',
        '',
        '--dir',
        '/tmp',
        '--logfile',
        '/tmp/redis.log',
      ]);
      let status:
        | {
            hosts: {
              id: string;
              address: string;
              state: string;
              services: { id: string; state: string }[];
            }[];
          }
        | undefined;
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const result = await runCli(['lab', 'status', '--dir', directory, '--json']);
        status = JSON.parse(result.stdout) as typeof status;
        if (status!.hosts.find((host) => host.id === 'back-1')!.services[0]!.state === 'listening') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status!.hosts.map((host) => [host.id, host.address, host.state])).toEqual([
        ['front-1', '10.77.0.11', 'up'],
        ['front-2', '10.77.0.12', 'up'],
        ['back-1', '10.77.1.11', 'up'],
      ]);
      expect(
        status!.hosts.flatMap((host) => host.services.map((service) => [service.id, service.state])),
      ).toEqual([
        ['lb-a', 'not listening'],
        ['lb-b', 'not listening'],
        ['web', 'listening'],
      ]);
      const text = await runCli(['lab', 'status', '--dir', directory]);
      expect(text.stdout).toMatch(/up\s+back-1\s+10\.77\.1\.11 on eth0, site west/u);
      expect(text.stdout).toMatch(/web \(app :8080\)\s+listening/u);

      // The machine's own interfaces, addresses and routes were never touched.
      expect(machineNetwork()).toBe(before);

      // Every process in the lab, the sshds and what was started inside a host included.
      const labPids = state.namespaces.flatMap((name) =>
        sh('ip', ['netns', 'pids', name]).split('\n').filter(Boolean),
      );
      expect(labPids.length).toBeGreaterThanOrEqual(4);
      const down = await runCli(['lab', 'down', '--dir', directory]);
      expect(down.code).toBe(0);
      expect(down.stdout).toContain('removed');
      expect(labNamespaces(started.id)).toEqual([]);
      for (const pid of labPids) expect(isRunning(pid), `lab process ${pid}`).toBe(false);
      expect(mountsUnder(directory)).toEqual([]);
      expect(existsSync(directory)).toBe(false);
      expect(machineNetwork()).toBe(before);
    },
  );
});
