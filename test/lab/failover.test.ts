/**
 * Calibrates the failover harness against the HAProxy figures of docs/lab.md: a hand-written HAProxy in front
 * of two loopback backends, the primary killed under a steady request stream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import {
  driveRequests,
  freePort,
  sleep,
  startHttpBackend,
  startProcess,
  summarizeFailover,
  waitForPort,
} from './processes';
import type { FailoverSummary, HttpBackend, LabContext, RequestRecord } from './processes';
import { checkHaproxy, requireTool } from './tools';

function haproxyConfig(
  port: number,
  primary: HttpBackend,
  backup: HttpBackend,
  serverOptions: string,
): string {
  return `global
    maxconn 256

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend web
    bind 127.0.0.1:${port}
    default_backend app

backend app
    server ${primary.name} ${primary.host}:${primary.port} check ${serverOptions}
    server ${backup.name} ${backup.host}:${backup.port} check ${serverOptions} backup
`;
}

/** Kills the primary one second into a 20 requests/s stream; returns what the clients saw. */
async function measureFailover(context: LabContext, serverOptions: string): Promise<FailoverSummary> {
  const primary = await startHttpBackend('alpha', { host: '127.0.0.2', context });
  const backup = await startHttpBackend('bravo', { host: '127.0.0.3', context });
  const port = await freePort();
  const config = haproxyConfig(port, primary, backup, serverOptions);
  const check = await checkHaproxy(config);
  expect(check.ok, check.output).toBe(true);

  const directory = mkdtempSync(join(tmpdir(), 'topoforge-failover-'));
  const configPath = join(directory, 'haproxy.cfg');
  writeFileSync(configPath, config);
  startProcess('haproxy', ['-db', '-f', configPath], {
    name: 'haproxy',
    context,
    cleanup: () => rmSync(directory, { recursive: true, force: true }),
  });
  await waitForPort(port);

  let killedAt = Number.POSITIVE_INFINITY;
  let lastFailureSent = Number.NEGATIVE_INFINITY;
  const survivorAnswersSent: number[] = [];
  const stop = new AbortController();
  const records = driveRequests({
    url: `http://127.0.0.1:${port}/`,
    ratePerSecond: 20,
    durationMs: 12_000,
    signal: stop.signal,
    onRecord: (record: RequestRecord) => {
      if (record.startedAt < killedAt) return;
      if (!record.ok) lastFailureSent = Math.max(lastFailureSent, record.startedAt);
      else if (record.backend === backup.name) survivorAnswersSent.push(record.startedAt);
      // Ten answers in a row from the survivor, all sent after the last failure: it has taken over.
      if (survivorAnswersSent.filter((sentAt) => sentAt > lastFailureSent).length >= 10) stop.abort();
    },
  });
  await sleep(1000);
  killedAt = performance.now();
  primary.kill();
  const summary = summarizeFailover(await records, { killedAt, survivor: backup.name });
  const beforeKill = (await records).filter((record) => record.finishedAt < killedAt);
  expect(beforeKill.every((record) => record.ok && record.backend === primary.name)).toBe(true);
  return summary;
}

describe.skipIf(!requireTool('haproxy'))('HAProxy failover on loopback', () => {
  test.concurrent(
    'health checks alone: the backup serves after about three failed checks',
    async (context) => {
      const summary = await measureFailover(context, 'inter 2s fall 3 rise 2');
      console.info('check inter 2s fall 3 rise 2:', summary);
      expect(summary.recoveryMs).not.toBeNull();
      expect(summary.recoveryMs).toBeGreaterThan(3500);
      expect(summary.recoveryMs).toBeLessThan(7500);
      expect(summary.failedRequests).toBeGreaterThan(50);
    },
  );

  test.concurrent(
    'observe layer4 marks the primary down on its first refused connection',
    async (context) => {
      const summary = await measureFailover(
        context,
        'inter 2s fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down',
      );
      console.info('with observe layer4 error-limit 1 on-error mark-down:', summary);
      expect(summary.recoveryMs).not.toBeNull();
      expect(summary.recoveryMs).toBeLessThan(1000);
      expect(summary.failedRequests).toBeLessThanOrEqual(3);
    },
  );
});
