/**
 * Deploying into the lab through the real push: `topoforge lab up DESIGN --deploy` generates the
 * bundle with the lab's host keys pinned, pushes it with push's own code from the client
 * namespace, and the services start from their units inside the lab hosts: a client then reaches
 * HAProxy at the design's floating address, held by keepalived over VRRP on the site's segment.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readState, stopLab } from '../../../deploy/lab/index';
import { runCli } from '../../cli/run-cli';
import { requireSshd } from '../../lab/sshd';
import { temporaryFolder } from '../../lab/temporary';
import { requireTool } from '../../lab/tools';

const available = requireSshd() && requireTool('haproxy') && requireTool('keepalived');

const DESIGN = {
  format: 1,
  name: 'Lab deploy',
  sites: [{ id: 'east' }],
  hosts: [
    { id: 'front-1', address: '10.77.0.11', site: 'east', interface: 'ens18' },
    { id: 'front-2', address: '10.77.0.12', site: 'east', interface: 'ens18' },
    { id: 'back-1', address: '10.77.0.21', site: 'east' },
  ],
  services: [
    { id: 'lb-a', kind: 'haproxy', host: 'front-1' },
    { id: 'lb-b', kind: 'haproxy', host: 'front-2' },
    { id: 'web', kind: 'app', host: 'back-1', port: 8080 },
  ],
  links: [
    { from: 'lb-a', to: 'web' },
    { from: 'lb-b', to: 'web' },
  ],
  entrypoints: [{ id: 'portal', port: 80, targets: ['lb-a', 'lb-b'], via: 'vip', address: '10.77.0.10' }],
};

const directories: string[] = [];
afterEach(async () => {
  for (const directory of directories.splice(0)) await stopLab(directory);
});

function digest(path: string): string | undefined {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : undefined;
}

describe.skipIf(!available)('topoforge lab up --deploy', () => {
  it(
    'pushes the bundle with the lab keys pinned and starts HAProxy and keepalived from their units',
    { timeout: 120_000 },
    async () => {
      const folder = await temporaryFolder('topoforge-lab-');
      const directory = join(folder, 'lab');
      directories.push(directory);
      const designFile = join(folder, 'deploy.topo.json');
      writeFileSync(designFile, JSON.stringify(DESIGN));
      const machineConfig = digest('/etc/haproxy/haproxy.cfg');

      const up = await runCli(['lab', 'up', designFile, '--deploy', '--dir', directory, '--json']);
      const result = JSON.parse(up.stdout) as {
        ok: boolean;
        standIns: { service: string; host: string; reason: string }[];
        push: { ok: boolean; hosts: { host: string; status: string; failure?: unknown }[] };
      };
      expect(result.push.hosts.map((host) => [host.host, host.status, host.failure])).toEqual([
        ['front-1', 'changed', undefined],
        ['front-2', 'changed', undefined],
      ]);
      expect(result.ok).toBe(true);
      expect(result.standIns).toEqual([
        expect.objectContaining({
          service: 'web',
          host: 'back-1',
          reason: 'the design gives app web no command to run',
        }),
      ]);
      expect(up.code).toBe(0);

      // The bundle pins each lab host's own key: push verified every host against it.
      const state = readState(directory)!;
      const manifest = JSON.parse(readFileSync(join(directory, 'bundle', 'manifest.json'), 'utf8')) as {
        hosts: { id: string; ssh: { hostKey: string } }[];
      };
      for (const host of manifest.hosts)
        expect(host.ssh.hostKey).toBe(
          state.hosts.find((record) => record.id === host.id)!.hostKeyFingerprint,
        );

      // The pushed config is in the lab host, not on the machine.
      const inside = await runCli([
        'lab',
        'exec',
        'front-1',
        '--dir',
        directory,
        '--',
        'head',
        '-n',
        '3',
        '/etc/haproxy/haproxy.cfg',
      ]);
      expect(inside.stdout).toContain('HAProxy lb-a.');
      expect(digest('/etc/haproxy/haproxy.cfg')).toBe(machineConfig);

      // HAProxy listens on both balancers; keepalived put the floating address on one of them.
      let status: { hosts: { id: string; services: { id: string; state: string }[] }[] } | undefined;
      for (let attempt = 0; attempt < 50; attempt += 1) {
        status = JSON.parse(
          (await runCli(['lab', 'status', '--dir', directory, '--json'])).stdout,
        ) as typeof status;
        if (status!.hosts.every((host) => host.services.every((service) => service.state === 'listening')))
          break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(
        status!.hosts.flatMap((host) => host.services.map((service) => [service.id, service.state])),
      ).toEqual([
        ['lb-a', 'listening'],
        ['lb-b', 'listening'],
        ['web', 'listening'],
      ]);
      let holders: string[] = [];
      for (let attempt = 0; attempt < 100; attempt += 1) {
        holders = [];
        for (const host of ['front-1', 'front-2']) {
          const addresses = await runCli([
            'lab',
            'exec',
            host,
            '--dir',
            directory,
            '--',
            'ip',
            '-o',
            '-4',
            'address',
            'show',
            'dev',
            'ens18',
          ]);
          if (addresses.stdout.includes('10.77.0.10/')) holders.push(host);
        }
        if (holders.length === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(holders).toHaveLength(1);

      // A client of the lab reaches HAProxy at the floating address, and through it the stand-in of
      // the web application, which has no program here.
      const response = execFileSync(
        'ip',
        [
          'netns',
          'exec',
          state.client!.namespace,
          'bash',
          '-c',
          'exec 3<>/dev/tcp/10.77.0.10/80 && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && head -n 1 <&3',
        ],
        { encoding: 'utf8', timeout: 10_000 },
      );
      expect(response).toMatch(/^HTTP\/1\.[01] 200 /u);

      expect((await runCli(['lab', 'down', '--dir', directory])).code).toBe(0);
      expect(existsSync(directory)).toBe(false);
      for (const name of state.namespaces) expect(existsSync(join('/run/netns', name))).toBe(false);
    },
  );
});
