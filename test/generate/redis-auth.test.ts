/**
 * Authentication of a generated Redis + Sentinel group, live on loopback with the real
 * redis-server and redis-sentinel: the generated files unmodified, and the secret files they
 * include rendered by the secret store exactly as push renders them.
 *
 * - Strangers get NOAUTH, from every server and every Sentinel.
 * - The client user ("app") gets NOPERM for CONFIG, DEBUG, MODULE, REPLICAOF and SHUTDOWN.
 * - Replicas log in to their primary and replicate; Sentinels log in to Redis and to each other.
 * - `auth: false` opens one server or Sentinel and nothing else, and is reported.
 * - A rotation rolls through the hosts one at a time: meanwhile every server accepts the old and
 *   the new passwords, and replication resumes after each host; `--finish` retires the old ones.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { indexDesign } from '../../core/design-index';
import { generateBundle } from '../../core/generate/index';
import { secretCopiesCleanup } from '../../core/generate/redis/secrets';
import type { SentinelService } from '../../core/generate/redis/sentinel-plan';
import { mainPortOf } from '../../core/model';
import type { Design, RedisService, Service } from '../../core/model';
import { validateDesign } from '../../core/rules';
import { loopbackNodes, masterSeenBy, replicationOf, sentinelGroupDesign } from '../fixtures/sentinel-group';
import { waitUntil } from '../lab/processes';
import type { LabContext } from '../lab/processes';
import { requireStarted, requireTool, startRedis, startSentinel } from '../lab/tools';
import type { RedisLogin, RedisServer } from '../lab/tools';
import { labSecrets, temporarySecretStore } from './lab-secrets';
import type { LabSecrets } from './lab-secrets';

/** Three nodes on loopback addresses of their own, each with a redis and a sentinel. */
function groupDesign(network: string, open: Record<string, string> = {}): Promise<Design> {
  return sentinelGroupDesign({
    name: `Redis authentication ${network}`,
    hosts: loopbackNodes(network),
    services: Object.fromEntries(
      Object.entries(open).map(([id, reason]) => [id, { auth: false, authReason: reason }]),
    ),
  });
}

/** A running group: its servers by service id, and how to (re)start one. */
interface RunningGroup {
  design: Design;
  servers: Map<string, RedisServer>;
  secrets: LabSecrets;
  start(service: Service, config?: string): Promise<RedisServer>;
}

/** Starts every redis and sentinel of `design` from its generated file and rendered secrets. */
async function startGroup(design: Design, context: LabContext, secrets?: LabSecrets): Promise<RunningGroup> {
  const bundle = generateBundle(design);
  const group: RunningGroup = {
    design,
    servers: new Map(),
    secrets: secrets ?? (await labSecrets(bundle.manifest, context)),
    start: async (service, config) => {
      const file = bundle.files.find(
        (candidate) =>
          candidate.host === service.host && candidate.path === `/etc/redis/${service.kind}.conf`,
      )!;
      const admin = await group.secrets.adminOf(service);
      const options = {
        extraArgs: ['--port', String(mainPortOf(service))],
        extraFiles: group.secrets.filesOf(service.host!),
        ...(admin === null ? {} : { auth: admin }),
        context,
      };
      const content = config ?? file.content;
      const server = requireStarted(
        service.kind === 'redis' ? await startRedis(content, options) : await startSentinel(content, options),
      );
      group.servers.set(service.id, server);
      return server;
    },
  };
  for (const service of design.services) await group.start(service);
  return group;
}

/** Waits until every replica's link to the primary is up. */
async function waitForReplication(group: RunningGroup, replicas: string[]): Promise<void> {
  await waitUntil(`${replicas.join(', ')} replicating`, async () => {
    for (const id of replicas) {
      const info = await replicationOf(group.servers.get(id)!);
      if (info.get('role') !== 'slave' || info.get('master_link_status') !== 'up') return false;
    }
    return true;
  });
}

/**
 * Waits until every redis but the primary replicates from it, the primary asked of Sentinel again
 * at each look: a restarted primary may be failed over while the replicas reconnect, and a list of
 * replicas taken once would then wait for the new primary to become a replica (a CI run did).
 */
async function waitForGroupReplication(group: RunningGroup, all: string[]): Promise<void> {
  await waitUntil('every redis but the primary replicating', async () => {
    let primary: string;
    try {
      primary = await currentPrimary(group);
    } catch {
      return false;
    }
    for (const id of replicasOf(primary, all)) {
      const info = await replicationOf(group.servers.get(id)!);
      if (info.get('role') !== 'slave' || info.get('master_link_status') !== 'up') return false;
    }
    return true;
  });
}

/** Waits until every sentinel has logged in to the primary (sees both replicas) and its two peers. */
async function waitForSentinels(group: RunningGroup): Promise<void> {
  await waitUntil('every sentinel seeing the primary, both replicas and both peers', async () => {
    for (const id of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
      const master = await masterSeenBy(group.servers.get(id)!);
      if (
        master.get('flags') !== 'master' ||
        master.get('num-slaves') !== '2' ||
        master.get('num-other-sentinels') !== '2'
      )
        return false;
    }
    return true;
  });
}

describe.skipIf(!requireTool('redis-sentinel') || !requireTool('redis-server'))(
  'a generated Redis + Sentinel group with authentication',
  () => {
    test('strangers get NOAUTH, the client NOPERM for administration; replication and Sentinel log in', async (context) => {
      const design = await groupDesign('127.0.93');
      const group = await startGroup(design, context);
      const stranger = null;
      const client: RedisLogin = await group.secrets.clientOf({ id: 'redis-1' });
      for (const id of ['redis-1', 'redis-2', 'redis-3']) {
        const server = group.servers.get(id)!;
        expect(await server.commandAs(stranger, 'SET', 'k', 'v'), id).toMatch(
          /^NOAUTH Authentication required/,
        );
        expect(await server.commandAs(stranger, 'CONFIG', 'SET', 'dir', '/tmp'), id).toMatch(/^NOAUTH/);
        for (const command of [
          ['CONFIG', 'SET', 'dir', '/tmp'],
          ['CONFIG', 'GET', 'masterauth'],
          ['DEBUG', 'SLEEP', '0'],
          ['MODULE', 'LIST'],
          ['REPLICAOF', '127.0.0.1', '1'],
          ['SHUTDOWN', 'NOSAVE'],
        ]) {
          const what = `${id} ${command.join(' ')}`;
          // Redis refuses DEBUG to everyone (enable-debug-command no) before it looks at the ACL.
          expect(await server.commandAs(client, ...command), what).toMatch(
            /^NOPERM|^ERR DEBUG command not allowed/,
          );
          expect(await server.command('ACL', 'DRYRUN', 'app', ...command), what).toMatch(
            /^This user has no permissions to run the '[a-z|]+' command$/,
          );
        }
        expect(await server.command('CONFIG', 'GET', 'dir')).not.toMatch(/NOPERM|NOAUTH/);
      }
      for (const id of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
        expect(await group.servers.get(id)!.commandAs(stranger, 'SENTINEL', 'MASTERS'), id).toMatch(
          /^NOAUTH/,
        );
      }

      await waitForReplication(group, ['redis-2', 'redis-3']);
      await waitForSentinels(group);
      // The client writes on the primary; the replicas got it over their authenticated link.
      const primary = group.servers.get('redis-1')!;
      expect(await primary.commandAs(client, 'SET', 'greeting', 'hello')).toBe('OK');
      for (const id of ['redis-2', 'redis-3']) {
        await waitUntil(
          `${id} holding the key`,
          async () => (await group.servers.get(id)!.commandAs(client, 'GET', 'greeting')) === 'hello',
        );
        expect(await group.servers.get(id)!.commandAs(client, 'SET', 'x', '1')).toMatch(/^READONLY/);
      }

      // No secret value is in any generated file of the bundle.
      const bundle = generateBundle(design);
      const values = await group.secrets.allValues();
      expect(values).toHaveLength(5);
      for (const file of bundle.files) for (const value of values) expect(file.content).not.toContain(value);
      expect(JSON.stringify(bundle.manifest)).not.toMatch(new RegExp(values.join('|')));
      // Nor in what the servers logged while replication and Sentinel logged in.
      for (const [id, server] of group.servers) {
        const log = readFileSync(server.logPath, 'utf8');
        expect(log.length, id).toBeGreaterThan(0);
        for (const value of values) expect(log.includes(value), id).toBe(false);
      }
    });

    test('auth: false opens one replica and one sentinel only; the group still replicates and is watched', async (context) => {
      const design = await groupDesign('127.0.94', {
        'redis-3': 'a cache of public data on an isolated network',
        'sentinel-3': 'monitoring reads it without a password',
      });
      const findings = validateDesign(design).findings.filter(
        (finding) => finding.rule === 'security.open-datastore',
      );
      expect(findings.map((finding) => finding.subjects)).toEqual([
        ['redis-3', 'node-3', 'cache'],
        ['sentinel-3', 'node-3', 'cache'],
      ]);
      expect(findings[0]!.message).toContain('("a cache of public data on an isolated network")');
      expect(findings[1]!.message).toContain('trigger or steer a failover');

      const group = await startGroup(design, context);
      expect(await group.servers.get('redis-3')!.commandAs(null, 'SET', 'k', 'v')).toMatch(/^READONLY/);
      expect(await group.servers.get('redis-2')!.commandAs(null, 'SET', 'k', 'v')).toMatch(/^NOAUTH/);
      expect(await group.servers.get('sentinel-3')!.commandAs(null, 'SENTINEL', 'MASTERS')).toContain(
        'cache',
      );
      expect(await group.servers.get('sentinel-2')!.commandAs(null, 'SENTINEL', 'MASTERS')).toMatch(
        /^NOAUTH/,
      );
      await waitForReplication(group, ['redis-2', 'redis-3']);
      await waitForSentinels(group);
    });

    test('a rotation rolls host by host: both passwords work meanwhile, replication resumes after each host; --finish retires the old', async (context) => {
      const design = await groupDesign('127.0.95');
      const index = indexDesign(design);
      const store = temporarySecretStore(context);
      const manifest = generateBundle(design).manifest;
      const before = await labSecrets(manifest, context, store);
      const group = await startGroup(design, context, before);
      await waitForReplication(group, ['redis-2', 'redis-3']);
      await waitForSentinels(group);
      const oldClient = await before.clientOf({ id: 'redis-1' });
      const oldSentinel = (await before.adminOf({ id: 'sentinel-1' }))!;
      // A failover's CONFIG REWRITE copies masterauth into redis.conf; the unit's ExecStartPre drops it.
      const unit = generateBundle(design).files.find(
        (file) => file.host === 'node-2' && file.path === '/etc/systemd/system/redis-server.service',
      )!;
      expect(unit.content).toContain(
        'ExecStartPre=/usr/bin/sed -i -e "/^masteruser /d" -e "/^masterauth /d" /etc/redis/redis.conf\n',
      );
      await group.servers.get('redis-2')!.command('CONFIG', 'REWRITE');
      expect(group.servers.get('redis-2')!.readConfig()).toMatch(/^masterauth /m);

      /** Restarts a host's redis and sentinel on their rewritten configs, cleaned as the unit does. */
      const restartHost = async (host: string, secrets: LabSecrets): Promise<void> => {
        group.secrets = secrets;
        for (const service of design.services.filter((candidate) => candidate.host === host)) {
          const server = group.servers.get(service.id)!;
          await server.stop();
          const config = cleanedConfig(index, service as RedisService | SentinelService, server.readConfig());
          await group.start(service, config);
        }
      };

      // Rotate: every server accepts both passwords from the moment its host is restarted.
      await store.rotate(design.name, 'cache');
      const rolling = await labSecrets(manifest, context, store);
      expect([...rolling.uploads.values()].flat().every((upload) => upload.policy === 'replace')).toBe(true);
      const newClient = await rolling.clientOf({ id: 'redis-1' });
      expect(newClient.password).not.toBe(oldClient.password);
      // Push order: the replicas' hosts first, the primary's last.
      for (const host of ['node-3', 'node-2', 'node-1']) {
        await restartHost(host, rolling);
        await waitForGroupReplication(group, ['redis-1', 'redis-2', 'redis-3']);
        const server = group.servers.get(`redis-${host.slice(-1)}`)!;
        expect(await server.commandAs(oldClient, 'PING'), host).toBe('PONG');
        expect(await server.commandAs(newClient, 'PING'), host).toBe('PONG');
      }
      expect(await group.servers.get('redis-2')!.readConfig()).not.toMatch(/^masterauth /m);
      await waitForSentinels(group);
      await store.markRolledOut(design.name, 'cache');

      // Finish: the old passwords go, host by host again; what logs in switches to the new ones.
      await store.rotate(design.name, 'cache', { finish: true });
      const finished = await labSecrets(manifest, context, store);
      for (const host of ['node-3', 'node-2', 'node-1']) await restartHost(host, finished);
      const primary = await currentPrimary(group);
      await waitForReplication(group, replicasOf(primary, ['redis-1', 'redis-2', 'redis-3']));
      await waitForSentinels(group);
      for (const id of ['redis-1', 'redis-2', 'redis-3']) {
        const server = group.servers.get(id)!;
        expect(await server.commandAs(oldClient, 'PING'), id).toMatch(/^WRONGPASS|^AUTH failed/);
        expect(await server.commandAs(newClient, 'PING'), id).toBe('PONG');
      }
      const newSentinel = (await finished.adminOf({ id: 'sentinel-1' }))!;
      expect(newSentinel.password).not.toBe(oldSentinel.password);
      expect(await group.servers.get('sentinel-1')!.commandAs(newSentinel, 'PING')).toBe('PONG');
      expect(await group.servers.get('sentinel-1')!.commandAs(oldSentinel, 'PING')).toMatch(
        /WRONGPASS|AUTH failed/,
      );
    }, 120_000);
  },
);

/** The primary as the sentinels name it. */
async function currentPrimary(group: RunningGroup): Promise<string> {
  const address = (
    await group.servers.get('sentinel-1')!.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'cache')
  ).split('\n');
  const service = group.design.services.find(
    (candidate) =>
      candidate.kind === 'redis' &&
      group.design.hosts.find((host) => host.id === candidate.host)!.address === address[0] &&
      String(mainPortOf(candidate)) === address[1],
  );
  if (service === undefined) throw new Error(`no redis at ${address.join(':')}`);
  return service.id;
}

function replicasOf(primary: string, all: string[]): string[] {
  return all.filter((id) => id !== primary);
}

/**
 * A rewritten config as the unit starts it: its ExecStartPre (the generator's own command line)
 * run with the real sed on a copy.
 */
function cleanedConfig(
  index: ReturnType<typeof indexDesign>,
  service: RedisService | SentinelService,
  config: string,
): string {
  const command = secretCopiesCleanup(index, service);
  if (command === undefined) return config;
  const directory = mkdtempSync(join(tmpdir(), 'topoforge-cleanup-'));
  try {
    const copy = join(directory, 'config');
    writeFileSync(copy, config);
    const [program, ...words] = command;
    const result = spawnSync(program!, [...words.slice(0, -1), copy], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command.join(' ')} failed: ${result.stderr}`);
    return readFileSync(copy, 'utf8');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
