/**
 * The generated Redis + Sentinel group fails over in time: three redis servers and three sentinels,
 * started from the generated files unmodified on loopback addresses of their own, with
 * authentication on (the secret files rendered by the secret store, as push renders them), promote
 * a replica within 3 s of the primary's SIGKILL with the default `down-after-milliseconds`.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import { estimatedRecovery, expectNearEstimate } from './recovery-estimate';
import type { TestContext } from 'vitest';
import type { BundleFile } from '../../core/generate/bundle';
import { indexDesign } from '../../core/design-index';
import { generateBundle } from '../../core/generate/index';
import { DEFAULT_DOWN_AFTER_MS } from '../../core/generate/redis/sentinel-plan';
import { generateRedis } from '../../core/generate/redis';
import { mainPortOf } from '../../core/model';
import type { Design } from '../../core/model';
import { loopbackNodes, sentinelGroupDesign } from '../fixtures/sentinel-group';
import { sleep, waitUntil } from '../lab/processes';
import { requireStarted, requireTool, startRedis, startSentinel } from '../lab/tools';
import type { RedisServer } from '../lab/tools';
import { labSecrets } from './lab-secrets';

/** `waitUntil` asking every 20 ms, for 15 s at most: these waits end in measured failover figures. */
function waitMeasured(what: string, condition: () => Promise<boolean>): Promise<void> {
  return waitUntil(what, condition, { timeoutMs: 15_000, intervalMs: 20 });
}

/**
 * Three nodes, each with a redis and a sentinel, as Teramind runs them; Sentinel timings left to
 * the defaults.
 */
function threeNodeDesign(
  group: Record<string, unknown> = {},
  replica: Record<string, unknown> = {},
): Promise<Design> {
  return sentinelGroupDesign({
    name: 'Sentinel failover on loopback',
    hosts: loopbackNodes('127.0.90'),
    group,
    replica,
  });
}

/** Starts services of `design` from their generated files, unmodified, with their secrets. */
async function starterOf(
  design: Design,
  context: TestContext,
): Promise<{ start: (serviceId: string) => Promise<RedisServer>; files: BundleFile[] }> {
  const files = generateRedis({ index: indexDesign(design) });
  const secrets = await labSecrets(generateBundle(design).manifest, context);
  const start = async (serviceId: string): Promise<RedisServer> => {
    const service = design.services.find((candidate) => candidate.id === serviceId)!;
    const file = files.find(
      (candidate) => candidate.host === service.host && candidate.path.endsWith(`${service.kind}.conf`),
    )!;
    // The lab starts servers with `--port 0`; the generated port (and the file's own bind) win again.
    const options = {
      extraArgs: ['--port', String(mainPortOf(service))],
      extraFiles: secrets.filesOf(service.host!),
      auth: (await secrets.adminOf(service))!,
      context,
    };
    return requireStarted(
      service.kind === 'redis'
        ? await startRedis(file.content, options)
        : await startSentinel(file.content, options),
    );
  };
  return { start, files };
}

describe.skipIf(!requireTool('redis-sentinel') || !requireTool('redis-server'))(
  'generated Sentinel group',
  () => {
    test('promotes a replica within 3 s of the primary being SIGKILLed, and every sentinel agrees', async (context) => {
      const design = await threeNodeDesign();
      const { start, files } = await starterOf(design, context);
      expect(files.find((file) => file.path === '/etc/redis/sentinel.conf')!.content).toContain(
        `sentinel down-after-milliseconds cache ${DEFAULT_DOWN_AFTER_MS}`,
      );

      const bootedAt = performance.now();
      const [primary, ...replicas] = await Promise.all(['redis-1', 'redis-2', 'redis-3'].map(start));
      const sentinels = await Promise.all(['sentinel-1', 'sentinel-2', 'sentinel-3'].map(start));
      // Authentication is on: nobody gets in without a password.
      for (const server of [primary!, ...replicas, ...sentinels])
        expect(await server.commandAs(null, 'PING')).toMatch(/^NOAUTH/);
      const replicaPorts = ['redis-2', 'redis-3'].map((id) =>
        String(mainPortOf(design.services.find((service) => service.id === id)!)),
      );

      // Kill only once every sentinel knows both replicas and both peers (docs/lab.md).
      await waitMeasured('every sentinel discovering the replicas and its peers', async () => {
        const views = await Promise.all(
          sentinels.map(async (sentinel) => ({
            replicas: (await sentinel.command('SENTINEL', 'REPLICAS', 'cache')).split('\n'),
            peers: (await sentinel.command('SENTINEL', 'SENTINELS', 'cache')).split('\n'),
          })),
        );
        return views.every(
          (view) =>
            replicaPorts.every((port) => view.replicas.includes(port)) &&
            view.peers.filter((line) => line === 'name').length === 2,
        );
      });
      const discoveredMs = performance.now() - bootedAt;

      const killedAt = performance.now();
      primary!.kill();
      let promoted: RedisServer | undefined;
      await waitMeasured('a replica becoming primary', async () => {
        for (const replica of replicas) {
          if ((await replica.command('ROLE')).startsWith('master')) promoted = replica;
        }
        return promoted !== undefined;
      });
      const promotedMs = performance.now() - killedAt;
      const promotedAddress = ['127.0.90.2', '127.0.90.3'][replicas.indexOf(promoted!)];
      const promotedPort = replicaPorts[replicas.indexOf(promoted!)];
      await waitMeasured('every sentinel naming the new primary', async () => {
        const addresses = await Promise.all(
          sentinels.map((sentinel) => sentinel.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'cache')),
        );
        return addresses.every((address) => address === `${promotedAddress}\n${promotedPort}`);
      });
      const agreedMs = performance.now() - killedAt;
      // The other replica follows the new primary, and Sentinel wrote that into its redis.conf.
      const other = replicas.find((replica) => replica !== promoted)!;
      await waitMeasured('the other replica following the new primary', async () =>
        other.readConfig().includes(`replicaof ${promotedAddress} ${promotedPort}`),
      );
      const followedMs = performance.now() - killedAt;

      console.info('Generated Sentinel group, 3 redis + 3 sentinels, quorum 2, down-after 1000 ms:', {
        discoveredMs: Math.round(discoveredMs),
        promotedMs: Math.round(promotedMs),
        agreedMs: Math.round(agreedMs),
        followedMs: Math.round(followedMs),
      });
      expect(promotedMs).toBeLessThan(3000);
      expect(agreedMs).toBeLessThan(5000);
      // Clients that ask any Sentinel for the primary are served again once every Sentinel names
      // the promoted replica: that is the interruption the estimate stands for.
      const estimate = estimatedRecovery(design, ['redis-1'], 'cache');
      expect(estimate.by).toBe('sentinel');
      expectNearEstimate(agreedMs / 1000, estimate);
    });

    test('a primary with minReplicasToWrite 1 answers writes with NOREPLICAS once its replicas are killed', async (context) => {
      // Redis Sentinel documentation, "Example 2": the price of min-replicas-to-write is that a
      // primary without replicas refuses writes.
      const design = await threeNodeDesign({ minReplicasToWrite: 1, minReplicasMaxLagSeconds: 1 });
      const { start, files } = await starterOf(design, context);
      for (const file of files.filter((candidate) => candidate.path.endsWith('redis.conf'))) {
        expect(file.content).toContain('min-replicas-to-write 1');
        expect(file.content).toContain('min-replicas-max-lag 1');
      }
      const [primary, ...replicas] = await Promise.all(['redis-1', 'redis-2', 'redis-3'].map(start));
      await waitMeasured('both replicas connected', async () =>
        (await primary!.command('INFO', 'replication')).includes('connected_slaves:2'),
      );
      // Writes are accepted once both replicas acknowledged within the lag.
      await waitMeasured(
        'the primary accepting writes',
        async () => (await primary!.command('SET', 'key', 'before')) === 'OK',
      );
      for (const replica of replicas) replica.kill();
      await waitMeasured('the primary refusing writes', async () =>
        (await primary!.command('SET', 'key', 'after')).startsWith('NOREPLICAS'),
      );
      expect(await primary!.command('GET', 'key')).toBe('before');
    });

    test('a group whose replicas all have replicaPriority 0 is never failed over when the primary dies', async (context) => {
      const design = await threeNodeDesign({}, { replicaPriority: 0 });
      const { start, files } = await starterOf(design, context);
      expect(
        files.find((file) => file.host === 'node-2' && file.path.endsWith('redis.conf'))!.content,
      ).toContain('replica-priority 0');
      // Two replicas, both priority 0: the primary has no successor.
      const [primary, ...replicas] = await Promise.all(['redis-1', 'redis-2', 'redis-3'].map(start));
      const sentinels = await Promise.all(['sentinel-1', 'sentinel-2', 'sentinel-3'].map(start));
      await waitMeasured('every sentinel discovering both replicas', async () => {
        const views = await Promise.all(sentinels.map((s) => s.command('SENTINEL', 'REPLICAS', 'cache')));
        return views.every((view) => view.split('\n').filter((line) => line === 'name').length === 2);
      });
      primary!.kill();
      // Four times the measured promotion (1.45 s, docs/lab.md): a promotable replica would be primary by then.
      const deadline = performance.now() + 6000;
      let sawObjectiveDown = false;
      while (performance.now() < deadline) {
        for (const replica of replicas) expect(await replica.command('ROLE')).toMatch(/^slave/);
        const flags = await sentinels[0]!.command('SENTINEL', 'MASTER', 'cache');
        if (flags.includes('o_down')) sawObjectiveDown = true;
        await sleep(200);
      }
      // The sentinels did agree that the primary is down; they just had no one to promote.
      expect(sawObjectiveDown).toBe(true);
    });
  },
);
