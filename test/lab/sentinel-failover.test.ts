/**
 * Calibrates the Redis helpers against the Sentinel figure of docs/lab.md: a primary SIGKILLed on loopback
 * under three Sentinels with `down-after-milliseconds 1000` and quorum 2.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import { freePort, waitUntil } from './processes';
import { requireStarted, requireTool, startRedis, startSentinel } from './tools';
import type { RedisServer } from './tools';

/** `waitUntil` asking every 20 ms, for 15 s at most: these waits end in measured failover figures. */
function waitMeasured(what: string, condition: () => Promise<boolean>): Promise<void> {
  return waitUntil(what, condition, { timeoutMs: 15_000, intervalMs: 20 });
}

describe.skipIf(!requireTool('redis-sentinel'))('Redis Sentinel failover on loopback', () => {
  test.concurrent('three sentinels promote the replica when the primary is SIGKILLed', async (context) => {
    const redisConf = 'save ""\nappendonly no\n';
    const primary = requireStarted(await startRedis(redisConf, { port: await freePort(), context }));
    const replica = requireStarted(
      await startRedis(redisConf, {
        port: await freePort(),
        extraArgs: ['--replicaof', primary.host, String(primary.port)],
        context,
      }),
    );
    const sentinelConf = `sentinel monitor cache ${primary.host} ${primary.port} 2
sentinel down-after-milliseconds cache 1000
sentinel failover-timeout cache 10000
`;
    const sentinels: RedisServer[] = [];
    for (let index = 0; index < 3; index += 1) {
      sentinels.push(requireStarted(await startSentinel(sentinelConf, { port: await freePort(), context })));
    }
    // docs/lab.md: kill only once every sentinel knows the replica and its two peers.
    await waitMeasured('sentinels discovering the replica and each other', async () => {
      const views = await Promise.all(
        sentinels.map(async (sentinel) => ({
          replicas: await sentinel.command('SENTINEL', 'replicas', 'cache'),
          peers: await sentinel.command('SENTINEL', 'sentinels', 'cache'),
        })),
      );
      return views.every(
        (view) =>
          view.replicas.split('\n').includes(String(replica.port)) &&
          view.peers.split('\n').filter((line) => line === 'name').length === 2,
      );
    });

    const killedAt = performance.now();
    primary.kill();
    await waitMeasured('the replica becoming primary', async () =>
      (await replica.command('ROLE')).startsWith('master'),
    );
    const promotedMs = performance.now() - killedAt;
    await waitMeasured('every sentinel naming the new primary', async () => {
      const addresses = await Promise.all(
        sentinels.map((sentinel) => sentinel.command('SENTINEL', 'get-master-addr-by-name', 'cache')),
      );
      return addresses.every((address) => address === `${replica.host}\n${replica.port}`);
    });
    const agreedMs = performance.now() - killedAt;
    console.info('Sentinel, down-after-milliseconds 1000, quorum 2 of 3:', { promotedMs, agreedMs });
    expect(promotedMs).toBeLessThan(5000);
    expect(agreedMs).toBeLessThan(6000);
  });
});
