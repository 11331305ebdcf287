/**
 * The generated balancers fail over for real: the GENERATED haproxy.cfg and nginx.conf, unmodified
 * at their production paths (inside a private mount namespace), run in the foreground in front of
 * two HTTP backends on loopback; one backend is SIGKILLed under a steady request stream.
 *
 * What a user relies on: traffic keeps flowing, the survivor serves within 2.5 s of the kill, and
 * no idempotent request fails on the way.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import { indexDesign } from '../../core/design-index';
import { generateHaproxy } from '../../core/generate/haproxy';
import { generateNginx } from '../../core/generate/nginx';
import { checkDesign } from '../../core/load';
import type { Design } from '../../core/model';
import { BALANCER_CONFIG_PATHS, startBalancer } from '../lab/balancers';
import type { BalancerKind } from '../lab/balancers';
import {
  driveRequests,
  freePort,
  sleep,
  startHttpBackend,
  summarizeFailover,
  waitForPort,
} from '../lab/processes';
import type { FailoverSummary, LabContext, RequestRecord } from '../lab/processes';
import { checkHaproxy, checkNginx, requireTool } from '../lab/tools';
import { mapToLoopback } from './loopback';
import { estimatedRecovery, expectNearEstimate } from './recovery-estimate';

/** `backup`: the second app only takes over when the first is gone; else both serve. */
type Topology = 'backup' | 'active-active';

interface Ports {
  listen: number;
  first: number;
  second: number;
}

/** A balancer in front of two apps with health checks, on made-up addresses. */
function failoverDesign(kind: BalancerKind, topology: Topology, ports: Ports): Design {
  const result = checkDesign({
    format: 1,
    name: `Failover of the generated ${kind}`,
    hosts: [
      { id: 'lb-1', address: '10.70.0.10' },
      { id: 'app-1', address: '10.70.1.11' },
      { id: 'app-2', address: '10.70.1.12' },
    ],
    services: [
      { id: 'lb', kind, host: 'lb-1', listen: [{ port: ports.listen, protocol: 'http' }] },
      {
        id: 'web-a',
        kind: 'app',
        host: 'app-1',
        port: ports.first,
        healthCheck: { path: '/', intervalMs: 2000 },
      },
      {
        id: 'web-b',
        kind: 'app',
        host: 'app-2',
        port: ports.second,
        healthCheck: { path: '/', intervalMs: 2000 },
      },
    ],
    links: [
      { from: 'lb', to: 'web-a' },
      { from: 'lb', to: 'web-b', ...(topology === 'backup' ? { backup: true } : {}) },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.design;
}

/** What a failover run measured, for the report. */
interface FailoverRun extends FailoverSummary {
  /** What `simulate` estimates for this failure of this design. */
  estimate: ReturnType<typeof estimatedRecovery>;
  /**
   * The longest a client waited after the kill: until the stream recovered when requests failed,
   * else the slowest request (a redispatched one waits for its second connection).
   */
  interruptionMs: number;
  /** The slowest request sent after the kill, start to finish. */
  slowestAfterKillMs: number;
  requestsBeforeKill: number;
}

/**
 * Kills the first backend one second into a 20 requests/s stream and keeps streaming until the
 * survivor has answered ten requests in a row after the last failure, and at least 3 s have
 * passed (so health checks and nginx's fail_timeout have had their turn).
 */
async function measureFailover(
  kind: BalancerKind,
  topology: Topology,
  context: LabContext,
): Promise<FailoverRun> {
  const ports: Ports = { listen: await freePort(), first: await freePort(), second: await freePort() };
  const network = `127.0.${{ haproxy: 71, nginx: 72 }[kind] + (topology === 'backup' ? 0 : 10)}`;
  const { design, hosts } = mapToLoopback(failoverDesign(kind, topology, ports), { network });
  const first = await startHttpBackend('web-a', { host: hosts.get('app-1'), port: ports.first, context });
  const second = await startHttpBackend('web-b', { host: hosts.get('app-2'), port: ports.second, context });

  const generate = kind === 'haproxy' ? generateHaproxy : generateNginx;
  const [file] = generate({ index: indexDesign(design) });
  if (file === undefined) throw new Error(`no ${kind} file generated`);
  const check = kind === 'haproxy' ? await checkHaproxy(file.content) : await checkNginx(file.content);
  expect(check.ok, check.output).toBe(true);
  expect(file.path).toBe(BALANCER_CONFIG_PATHS[kind]);
  startBalancer(kind, file.content, { context });
  const balancer = hosts.get('lb-1')!;
  await waitForPort(ports.listen, balancer);

  let killedAt = Number.POSITIVE_INFINITY;
  let lastFailureSent = Number.NEGATIVE_INFINITY;
  const survivorAnswersSent: number[] = [];
  const stop = new AbortController();
  const records = driveRequests({
    url: `http://${balancer}:${ports.listen}/`,
    ratePerSecond: 20,
    durationMs: 10_000,
    signal: stop.signal,
    onRecord: (record: RequestRecord) => {
      if (record.startedAt < killedAt) return;
      if (!record.ok) lastFailureSent = Math.max(lastFailureSent, record.startedAt);
      else if (record.backend === second.name) survivorAnswersSent.push(record.startedAt);
      const settled = survivorAnswersSent.filter((sentAt) => sentAt > lastFailureSent).length >= 10;
      if (settled && performance.now() - killedAt >= 3000) stop.abort();
    },
  });
  await sleep(1000);
  killedAt = performance.now();
  first.kill();
  const all = await records;
  const beforeKill = all.filter((record) => record.finishedAt < killedAt);
  const afterKill = all.filter((record) => record.startedAt >= killedAt);
  expect(beforeKill.length).toBeGreaterThan(10);
  expect(beforeKill.every((record) => record.ok)).toBe(true);
  if (topology === 'backup') expect(beforeKill.every((record) => record.backend === first.name)).toBe(true);
  const summary = summarizeFailover(all, { killedAt, survivor: second.name });
  const slowestAfterKillMs = Math.max(...afterKill.map((record) => record.finishedAt - record.startedAt));
  return {
    ...summary,
    slowestAfterKillMs,
    requestsBeforeKill: beforeKill.length,
    estimate: estimatedRecovery(design, ['web-a'], 'lb'),
    interruptionMs: summary.failedRequests > 0 ? (summary.recoveryMs ?? Infinity) : slowestAfterKillMs,
  };
}

const runs: [BalancerKind, Topology][] = [
  ['haproxy', 'backup'],
  ['haproxy', 'active-active'],
  ['nginx', 'backup'],
  ['nginx', 'active-active'],
];

describe.skipIf(!requireTool('haproxy') || !requireTool('nginx'))(
  'generated balancers fail over on loopback',
  () => {
    test.concurrent.for(runs)(
      '%s (%s): the survivor serves within 2.5 s of a SIGKILL and no GET fails',
      async ([kind, topology], context) => {
        const run = await measureFailover(kind, topology, context);
        console.info(`${kind} ${topology}:`, run);
        expect(run.requestsAfterKill).toBeGreaterThan(40);
        expect(run.failedRequests).toBe(0);
        expect(run.firstSurvivorSuccessMs).not.toBeNull();
        expect(run.firstSurvivorSuccessMs!).toBeLessThan(2500);
        expect(run.recoveryMs!).toBeLessThan(2500);
        // A killed process refuses connections: both balancers pass the request on at once.
        expect(run.estimate.by).toBe(kind);
        expectNearEstimate(run.interruptionMs / 1000, run.estimate);
      },
    );
  },
);
