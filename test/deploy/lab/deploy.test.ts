/**
 * Deploying into the lab through the real push: `topoforge lab up DESIGN --deploy` generates the
 * bundle with the lab's host keys pinned, pushes it with push's own code from the client
 * namespace, and the services start from their units inside the lab hosts: a client then reaches
 * HAProxy at the design's floating address, held by keepalived over VRRP on the site's segment.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../../deploy/lab/index';
import { SECRETS_DIRECTORY_VARIABLE } from '../../../deploy/secrets/index';
import { runCli } from '../../cli/run-cli';
import { requireSshd } from '../../lab/sshd';
import { requireTool } from '../../lab/tools';
import { inLabHost, labFoldersStoppedAfterEach } from './lab-folder';

const available = requireSshd() && requireTool('haproxy') && requireTool('keepalived');
const redisAvailable = requireSshd() && requireTool('redis-server') && requireTool('redis-sentinel');

/**
 * A Redis group with Sentinel on three hosts. The lab hosts see this machine's `/etc`, where
 * Debian's redis-server left its stock `redis.conf` and `sentinel.conf` (`bind 127.0.0.1`): the
 * same state as a real host where the package was installed before the first push.
 */
const REDIS_DESIGN = {
  format: 1,
  name: 'Lab deploy over stock Redis files',
  sites: [{ id: 'east' }],
  hosts: [
    { id: 'cache-1', address: '10.78.0.11', site: 'east' },
    { id: 'cache-2', address: '10.78.0.12', site: 'east' },
    { id: 'cache-3', address: '10.78.0.13', site: 'east' },
  ],
  services: [
    { id: 'redis-1', kind: 'redis', host: 'cache-1', group: 'cache', port: 6379, primary: true },
    { id: 'redis-2', kind: 'redis', host: 'cache-2', group: 'cache', port: 6379 },
    { id: 'redis-3', kind: 'redis', host: 'cache-3', group: 'cache', port: 6379 },
    { id: 'sentinel-1', kind: 'sentinel', host: 'cache-1', group: 'cache' },
    { id: 'sentinel-2', kind: 'sentinel', host: 'cache-2', group: 'cache' },
    { id: 'sentinel-3', kind: 'sentinel', host: 'cache-3', group: 'cache' },
  ],
  groups: [{ id: 'cache', kind: 'redis-sentinel', quorum: 2, masterName: 'cache' }],
  links: [],
  entrypoints: [],
};

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

const newLabFolder = labFoldersStoppedAfterEach();

function digest(path: string): string | undefined {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : undefined;
}

describe.skipIf(!available)('topoforge lab up --deploy', () => {
  it(
    'pushes the bundle with the lab keys pinned and starts HAProxy and keepalived from their units',
    { timeout: 120_000 },
    async () => {
      const { directory, designFile } = await newLabFolder('topoforge-lab-', DESIGN);
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
      const inside = await inLabHost(directory, 'front-1', ['head', '-n', '3', '/etc/haproxy/haproxy.cfg']);
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
          const addresses = await inLabHost(directory, host, [
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
      // the web application, which has no program here. The stand-in starts after the push, so
      // HAProxy first finds it down and admits it after `rise` 2 checks: on a busy machine that
      // can come after the address moved, and the client asks again until then.
      let response = '';
      for (let attempt = 0; attempt < 50 && !/^HTTP\/1\.[01] 200 /u.test(response); attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200));
        response = execFileSync(
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
      }
      expect(response).toMatch(/^HTTP\/1\.[01] 200 /u);

      expect((await runCli(['lab', 'down', '--dir', directory])).code).toBe(0);
      expect(existsSync(directory)).toBe(false);
      for (const name of state.namespaces) expect(existsSync(join('/run/netns', name))).toBe(false);
    },
  );

  it.skipIf(!redisAvailable)(
    "replaces the machine's stock redis.conf and sentinel.conf through push itself, and Redis serves the design's addresses",
    { timeout: 180_000 },
    async () => {
      const { folder, directory, designFile } = await newLabFolder('topoforge-lab-', REDIS_DESIGN);
      const machineFiles = ['/etc/redis/redis.conf', '/etc/redis/sentinel.conf'].map(digest);
      // The user's own secret store: the lab's passwords must never land there, where a later
      // push of the same design to real hosts would reuse them.
      const userStore = join(folder, 'user-secrets');
      const previousStore = process.env[SECRETS_DIRECTORY_VARIABLE];
      process.env[SECRETS_DIRECTORY_VARIABLE] = userStore;
      let up: Awaited<ReturnType<typeof runCli>>;
      try {
        up = await runCli(['lab', 'up', designFile, '--deploy', '--dir', directory, '--json']);
      } finally {
        if (previousStore === undefined) delete process.env[SECRETS_DIRECTORY_VARIABLE];
        else process.env[SECRETS_DIRECTORY_VARIABLE] = previousStore;
      }
      const result = JSON.parse(up.stdout) as {
        ok: boolean;
        push: {
          hosts: {
            host: string;
            status: string;
            failure?: unknown;
            warnings: string[];
            files: { path: string; action: string }[];
          }[];
        };
      };
      expect(up.code, up.stderr).toBe(0);
      expect(existsSync(userStore)).toBe(false);
      expect(readdirSync(join(directory, 'secrets')).length).toBeGreaterThan(0);
      for (const host of result.push.hosts) {
        expect(host.status, JSON.stringify(host.failure)).toBe('changed');
        // Where the machine has the package's files, push itself replaces them, once, with a warning.
        for (const [path, machineDigest] of [
          ['/etc/redis/redis.conf', machineFiles[0]],
          ['/etc/redis/sentinel.conf', machineFiles[1]],
        ] as const) {
          const action = host.files.find((file) => file.path === path)?.action;
          if (machineDigest === undefined) expect(action).toBe('create');
          else {
            expect(action, `${host.host} ${path}`).toBe('update');
            expect(host.warnings).toContainEqual(
              expect.stringContaining(`${path} on the host was not written by Topoforge`),
            );
          }
        }
      }

      // Each Sentinel listens on its host's design address and sees the design's group: a primary
      // of the group (the rollout restarts each member, so the Sentinels may have moved it), both
      // replicas and the other two Sentinels (the stock files bind 127.0.0.1 and monitor a
      // 127.0.0.1 "mymaster").
      const wanted = [/^ip\n10\.78\.0\.1[123]$/mu, /^num-slaves\n2$/mu, /^num-other-sentinels\n2$/mu];
      for (const [host, address] of [
        ['cache-1', '10.78.0.11'],
        ['cache-2', '10.78.0.12'],
        ['cache-3', '10.78.0.13'],
      ] as const) {
        let master = '';
        for (let attempt = 0; attempt < 150; attempt += 1) {
          // The Sentinel's password is the one push wrote into the lab host, beside its config.
          const command = [
            'sh',
            '-c',
            `REDISCLI_AUTH=$(sed -n 's/^requirepass //p' /etc/redis/sentinel.auth.conf) redis-cli -h ${address} -p 26379 sentinel master cache`,
          ];
          master = (await inLabHost(directory, host, command)).stdout;
          if (wanted.every((pattern) => pattern.test(master))) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        for (const pattern of wanted) expect(master, host).toMatch(pattern);
      }
      // The machine's own files are untouched.
      expect(['/etc/redis/redis.conf', '/etc/redis/sentinel.conf'].map(digest)).toEqual(machineFiles);
      expect((await runCli(['lab', 'down', '--dir', directory])).code).toBe(0);
      expect(existsSync(directory)).toBe(false);
    },
  );
});
