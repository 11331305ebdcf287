/**
 * Issue 21, item 6, for push: a Redis + Sentinel group started live (the real redis-server and
 * redis-sentinel on loopback) from exactly the files push left on real OpenSSH lab hosts, after a
 * first push and a `secrets rotate` rolled out by the next push. Strangers still get NOAUTH, the
 * client logs in with the new password (and the old one, until --finish), replicas replicate,
 * Sentinels log in, and a failover still promotes a replica.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { replicationOf, sentinelGroupDesign } from '../fixtures/sentinel-group';
import { mainPortOf } from '../../core/model';
import type { Design, Service } from '../../core/model';
import { nodeSha256 } from '../../deploy/hash';
import { loadPushBundle, pushBundle } from '../../deploy/push/index';
import type { PushReport } from '../../deploy/push/index';
import { SecretStore } from '../../deploy/secrets/index';
import { writeBundle } from '../../deploy/write-bundle';
import { waitUntil } from '../lab/processes';
import { requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab } from '../lab/sshd';
import { temporaryFolder } from '../lab/temporary';
import { requireStarted, requireTool, startRedis, startSentinel } from '../lab/tools';
import type { LabFiles, RedisLogin, RedisServer } from '../lab/tools';

const NODES = [1, 2, 3];
let lab: SshLab;

beforeAll(async () => {
  if (!requireSshd()) return;
  lab = await startSshLab({
    hosts: NODES.map((node) => `node-${node}`),
    addresses: NODES.map((node) => `127.0.98.${node}`),
  });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

function groupDesign(): Promise<Design> {
  return sentinelGroupDesign({
    name: 'Pushed Redis secrets',
    hosts: lab.hosts.map((host) => ({
      id: host.id,
      address: host.address,
      ssh: { user: 'root', port: host.port, root: host.root, hostKey: host.hostKeyFingerprint },
    })),
  });
}

describe.skipIf(!requireSshd() || !requireTool('redis-server') || !requireTool('redis-sentinel'))(
  'a Redis group started from what push left on the hosts',
  () => {
    test('after a first push and a rotation rolled out by push: NOAUTH for strangers, replication, Sentinel and failover', async (context) => {
      const design = await groupDesign();
      const folder = await temporaryFolder('topoforge-push-redis-');
      const bundleDirectory = join(folder, 'bundle');
      const generated = generateBundle(design, { sha256: nodeSha256 });
      await writeBundle(generated, bundleDirectory);
      const store = new SecretStore({ directory: join(folder, 'store') });
      const knownHosts = join(folder, 'known_hosts');
      const push = async (): Promise<PushReport> => {
        const loaded = await loadPushBundle(bundleDirectory);
        if (!loaded.ok) throw new Error(loaded.problem.message);
        const outcome = await pushBundle({
          bundle: loaded.bundle,
          authentication: { identityFile: lab.identityFile },
          hostKeys: { knownHosts: { read: [knownHosts], write: knownHosts } },
          secretStore: store,
        });
        if (!outcome.ok) throw new Error(outcome.problem.message);
        return outcome.report;
      };
      expect((await push()).summary.changed).toBe(3);
      const names = ['redis-admin', 'redis-app', 'sentinel-auth'] as const;
      const first = (await store.peek(design.name, 'cache', names))!.values;
      await store.rotate(design.name, 'cache');
      const rolled = await push();
      expect(rolled.summary, JSON.stringify(rolled.hosts.map((host) => host.failure))).toEqual({
        changed: 3,
        unchanged: 0,
        failed: 0,
      });
      const rotated = (await store.peek(design.name, 'cache', names))!.values;
      expect(rotated['redis-app']!.current).not.toBe(first['redis-app']!.current);

      // The files exactly as the hosts have them: configs and secret files at their real paths.
      const hostFile = (host: string, path: string): { content: string; mode: number } => {
        const onHost = join(lab.hosts.find((candidate) => candidate.id === host)!.root, path);
        return { content: readFileSync(onHost, 'utf8'), mode: statSync(onHost).mode & 0o777 };
      };
      const secretFilesOf = (host: string): LabFiles =>
        Object.fromEntries(
          generated.manifest.secrets
            .filter((file) => file.host === host)
            .map((file) => [file.path, hostFile(host, file.path)]),
        );
      const admin: RedisLogin = { user: 'admin', password: rotated['redis-admin']!.current };
      // Sentinel takes one requirepass: while a rotation rolls out, the previous one.
      const sentinelLogin: RedisLogin = { password: rotated['sentinel-auth']!.previous! };
      const servers = new Map<string, RedisServer>();
      const start = async (service: Service): Promise<void> => {
        const config = hostFile(service.host!, `/etc/redis/${service.kind}.conf`).content;
        const options = {
          extraArgs: ['--port', String(mainPortOf(service))],
          extraFiles: secretFilesOf(service.host!),
          auth: service.kind === 'redis' ? admin : sentinelLogin,
          context,
        };
        servers.set(
          service.id,
          requireStarted(
            service.kind === 'redis'
              ? await startRedis(config, options)
              : await startSentinel(config, options),
          ),
        );
      };
      for (const service of design.services) await start(service);

      const newClient: RedisLogin = { user: 'app', password: rotated['redis-app']!.current };
      const oldClient: RedisLogin = { user: 'app', password: first['redis-app']!.current };
      for (const id of ['redis-1', 'redis-2', 'redis-3']) {
        const server = servers.get(id)!;
        expect(await server.commandAs(null, 'SET', 'k', 'v'), id).toMatch(/^NOAUTH/);
        expect(await server.commandAs(newClient, 'PING'), id).toBe('PONG');
        expect(await server.commandAs(oldClient, 'PING'), id).toBe('PONG');
        expect(await server.commandAs(newClient, 'CONFIG', 'SET', 'dir', '/tmp'), id).toMatch(/^NOPERM/);
      }
      for (const id of ['sentinel-1', 'sentinel-2', 'sentinel-3'])
        expect(await servers.get(id)!.commandAs(null, 'SENTINEL', 'MASTERS'), id).toMatch(/^NOAUTH/);

      await waitUntil('both replicas replicating', async () => {
        for (const id of ['redis-2', 'redis-3']) {
          const info = await replicationOf(servers.get(id)!);
          if (info.get('role') !== 'slave' || info.get('master_link_status') !== 'up') return false;
        }
        return true;
      });
      expect(await servers.get('redis-1')!.commandAs(newClient, 'SET', 'written', 'before')).toBe('OK');
      await waitUntil('the write on both replicas', async () => {
        for (const id of ['redis-2', 'redis-3'])
          if ((await servers.get(id)!.commandAs(newClient, 'GET', 'written')) !== 'before') return false;
        return true;
      });
      await waitUntil('every sentinel seeing both replicas and both peers', async () => {
        for (const id of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
          const lines = (await servers.get(id)!.command('SENTINEL', 'MASTER', 'cache')).split('\n');
          const field = (name: string) => lines[lines.indexOf(name) + 1];
          if (field('num-slaves') !== '2' || field('num-other-sentinels') !== '2') return false;
        }
        return true;
      });

      // Failover: the primary dies; the Sentinels, logging in to Redis and to each other, promote a replica.
      servers.get('redis-1')!.kill();
      let promoted: string | undefined;
      await waitUntil(
        'a replica promoted',
        async () => {
          for (const id of ['redis-2', 'redis-3']) {
            if ((await replicationOf(servers.get(id)!)).get('role') === 'master') promoted = id;
          }
          return promoted !== undefined;
        },
        { timeoutMs: 30_000 },
      );
      // The other replica follows the new primary, logging in to it: then it takes writes again.
      const other = promoted === 'redis-2' ? 'redis-3' : 'redis-2';
      const promotedPort = String(mainPortOf(design.services.find((service) => service.id === promoted)!));
      await waitUntil(
        `${other} replicating from ${promoted}`,
        async () => {
          const info = await replicationOf(servers.get(other)!);
          return info.get('master_port') === promotedPort && info.get('master_link_status') === 'up';
        },
        { timeoutMs: 30_000 },
      );
      expect(await servers.get(promoted!)!.commandAs(newClient, 'SET', 'written', 'after')).toBe('OK');
      expect(await servers.get(promoted!)!.commandAs(null, 'SET', 'k', 'v')).toMatch(/^NOAUTH/);
    }, 120_000);
  },
);
