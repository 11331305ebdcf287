/**
 * A stand-in that uses a Redis Sentinel group, live on loopback against the real redis-server and
 * redis-sentinel of a generated group (its files unmodified, its secret files rendered as push
 * renders them): the stand-in asks the Sentinels for the primary as a client library does, so it
 * stops serving while no primary accepts its writes and serves again once the Sentinels have
 * promoted a replica. Before, a stand-in counted the group as met while any Redis server accepted
 * a connection, and the failover was invisible.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import { generateBundle } from '../../../core/generate/index';
import { mainPortOf } from '../../../core/model';
import type { Design } from '../../../core/model';
import { clientCredentials, loginsFromSecretFiles } from '../../../deploy/lab/sentinel';
import { STAND_IN_PROGRAM, standInSpecification, standInsOf } from '../../../deploy/lab/standin';
import { loopbackNodes, masterSeenBy, sentinelGroupDesign } from '../../fixtures/sentinel-group';
import { labSecrets } from '../../generate/lab-secrets';
import { waitUntil } from '../../lab/processes';
import { temporaryFolder } from '../../lab/temporary';
import { requireStarted, requireTool, startRedis, startSentinel } from '../../lab/tools';
import type { RedisServer } from '../../lab/tools';

const NETWORK = '127.0.97';

/** Three nodes, each with a redis and a sentinel; an application on node 1 uses the group. */
function groupDesign(): Promise<Design> {
  return sentinelGroupDesign({
    name: 'Stand-in and Sentinel',
    hosts: loopbackNodes(NETWORK),
    group: { quorum: 2, downAfterMs: 1000 },
    application: true,
  });
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(300, () => done(false));
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

describe.skipIf(!requireTool('redis-sentinel') || !requireTool('redis-server'))(
  'a stand-in using a Redis Sentinel group',
  () => {
    test('is unmet while no primary answers, and met again once the Sentinels promote a replica', async (context) => {
      const design = await groupDesign();
      const bundle = generateBundle(design);
      const secrets = await labSecrets(bundle.manifest, context);
      const servers = new Map<string, RedisServer>();
      for (const service of design.services) {
        if (service.kind !== 'redis' && service.kind !== 'sentinel') continue;
        const file = bundle.files.find(
          (candidate) =>
            candidate.host === service.host && candidate.path === `/etc/redis/${service.kind}.conf`,
        )!;
        const admin = await secrets.adminOf(service);
        const options = {
          extraArgs: ['--port', String(mainPortOf(service))],
          extraFiles: secrets.filesOf(service.host!),
          ...(admin === null ? {} : { auth: admin }),
          context,
        };
        servers.set(
          service.id,
          requireStarted(
            service.kind === 'redis'
              ? await startRedis(file.content, options)
              : await startSentinel(file.content, options),
          ),
        );
      }

      // The stand-in of `web`, with the logins read from the group's secret files as push rendered them.
      const standIn = standInsOf(design, new Map(), () => false).find(
        (candidate) => candidate.service === 'web',
      )!;
      expect(standIn.needs).toEqual([
        expect.objectContaining({
          what: 'uses cache (its primary, as Sentinel names it)',
          sentinel: {
            group: 'cache',
            masterName: 'cache',
            sentinels: [1, 2, 3].map((node) => ({
              address: `${NETWORK}.${node}`,
              port: mainPortOf(design.services.find((service) => service.id === `sentinel-${node}`)!),
            })),
          },
        }),
      ]);
      const contents = bundle.manifest.secrets
        .filter((file) => file.scope === 'cache')
        .map((file) => ({
          render: file.render,
          content: secrets.uploads
            .get(file.host)!
            .find((upload) => upload.path === file.path)!
            .content.toString('utf8'),
        }));
      const credentials = clientCredentials(loginsFromSecretFiles(contents));
      expect(credentials).toEqual({
        sentinelPassword: await secrets.value('cache', 'sentinel-auth'),
        user: 'app',
        password: await secrets.value('cache', 'redis-app'),
      });
      const folder = await temporaryFolder('topoforge-standin-sentinel-');
      const credentialsPath = join(folder, 'web.credentials.json');
      writeFileSync(credentialsPath, JSON.stringify({ cache: credentials }), { mode: 0o600 });
      writeFileSync(join(folder, 'program.js'), STAND_IN_PROGRAM);
      writeFileSync(join(folder, 'web.json'), standInSpecification(standIn, credentialsPath));
      const child = spawn(process.execPath, [join(folder, 'program.js'), join(folder, 'web.json')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      context.onTestFinished(() => {
        child.kill('SIGKILL');
      });
      const address = `${NETWORK}.1`;
      const port = standIn.ports[0]!;

      await waitUntil('the stand-in serving with the primary answering', () => accepts(address, port));
      // Fail over only once every Sentinel knows both replicas and both peers (docs/lab.md).
      await waitUntil('every sentinel seeing both replicas and both peers', async () => {
        for (const id of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
          const master = await masterSeenBy(servers.get(id)!);
          if (master.get('num-slaves') !== '2' || master.get('num-other-sentinels') !== '2') return false;
        }
        return true;
      });
      // The client's probe key is on the primary: the stand-in wrote it as the user "app".
      expect(await servers.get('redis-1')!.command('EXISTS', 'topoforge-lab:standin:web')).toBe('1');

      // The primary crashes. Its replicas still accept connections, but neither accepts a write.
      const killedAt = performance.now();
      servers.get('redis-1')!.kill();
      await waitUntil('the stand-in to stop serving', async () => !(await accepts(address, port)), {
        timeoutMs: 2_000,
      });
      const unmetAfter = performance.now() - killedAt;
      for (const id of ['redis-2', 'redis-3'])
        expect(
          await accepts(`${NETWORK}.${id.slice(-1)}`, mainPortOf(design.services.find((s) => s.id === id)!)!),
        ).toBe(true);

      // It stays unmet until a replica is the primary, then serves again.
      let promotedAt: number | undefined;
      let servedAt: number | undefined;
      let servedBeforePromotion = false;
      await waitUntil(
        'the stand-in serving again after the failover',
        async () => {
          if (promotedAt === undefined)
            for (const id of ['redis-2', 'redis-3'])
              if ((await servers.get(id)!.command('ROLE')).startsWith('master'))
                promotedAt = performance.now();
          const serving = await accepts(address, port);
          if (serving && promotedAt === undefined) servedBeforePromotion = true;
          if (serving) servedAt = performance.now();
          return serving;
        },
        { timeoutMs: 20_000 },
      );
      expect(servedBeforePromotion).toBe(false);
      expect(promotedAt).toBeDefined();
      const promotedMs = promotedAt! - killedAt;
      const servedMs = servedAt! - killedAt;
      console.info('stand-in through Sentinel, down-after-milliseconds 1000, quorum 2 of 3:', {
        unmetAfterMs: Math.round(unmetAfter),
        promotedMs: Math.round(promotedMs),
        servedAgainMs: Math.round(servedMs),
      });
      // Served within a second of the promotion (one cached answer at most, then the Sentinels again).
      expect(servedMs - promotedMs).toBeLessThan(1_500);
      expect(output).toContain('uses cache (its primary, as Sentinel names it) is not met');
      // No password in what the stand-in printed.
      for (const value of await secrets.allValues()) expect(output.includes(value)).toBe(false);
    });
  },
);
