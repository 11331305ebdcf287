/**
 * The process helpers keep their promises: a failing test still leaves no server behind, a killed
 * backend really stops answering, and the failover summary measures what a client would notice.
 */
import { describe, expect, test } from 'vitest';
import { freePort, startHttpBackend, startProcess, summarizeFailover, waitForPort } from './processes';
import type { RequestRecord } from './processes';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cleanup', () => {
  let startedByFailingTest = 0;

  test.fails('a test that fails after starting a process', () => {
    startedByFailingTest = startProcess('sleep', ['60']).pid;
    expect(isAlive(startedByFailingTest)).toBe(true);
    throw new Error('this test fails on purpose');
  });

  test('left nothing running', () => {
    expect(startedByFailingTest).toBeGreaterThan(0);
    expect(isAlive(startedByFailingTest)).toBe(false);
  });
});

describe('HTTP backend', () => {
  test('answers with its name on its own loopback address until killed', async () => {
    const backend = await startHttpBackend('alpha', { host: '127.0.0.4', port: await freePort('127.0.0.4') });
    const response = await fetch(backend.url);
    expect(response.headers.get('x-backend')).toBe('alpha');
    expect(await response.text()).toBe('alpha\n');

    backend.kill();
    expect(await backend.process.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await expect(waitForPort(backend.port, backend.host, 200)).rejects.toThrow(
      'nothing accepted connections',
    );
  });
});

function record(index: number, startedAt: number, finishedAt: number, backend: string | null): RequestRecord {
  const ok = backend !== null;
  return { index, startedAt, finishedAt, status: ok ? 200 : 503, backend, error: null, ok };
}

describe('summarizeFailover', () => {
  test('measures from the kill to the survivor taking over, counting only what completed after it', () => {
    const records = [
      record(0, 0, 5, 'alpha'),
      record(1, 100, 3100, null),
      record(2, 200, 205, 'bravo'),
      record(3, 300, 3300, null),
      record(4, 400, 410, 'bravo'),
      record(5, 500, 505, 'bravo'),
    ];
    expect(summarizeFailover(records, { killedAt: 50, survivor: 'bravo' })).toEqual({
      requestsAfterKill: 5,
      failedRequests: 2,
      firstSurvivorSuccessMs: 155,
      recoveryMs: 360,
      lastFailureMs: 3250,
    });
  });

  test('reports no recovery when the stream ends failing', () => {
    const summary = summarizeFailover([record(0, 0, 5, 'alpha'), record(1, 100, 200, null)], {
      killedAt: 50,
      survivor: 'bravo',
    });
    expect(summary.recoveryMs).toBeNull();
    expect(summary.firstSurvivorSuccessMs).toBeNull();
  });
});
