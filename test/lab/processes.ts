/**
 * Processes on loopback for failover tests: servers that are always cleaned up, TCP waits, a tiny
 * HTTP backend that can be killed abruptly, and a steady request stream that records who answered.
 *
 * Every process started here is killed when the test that started it finishes, pass or fail; one
 * started outside a test (in `beforeAll`) is killed by {@link stopAllProcesses}, and every process
 * also dies with the test worker (`setpriv --pdeathsig KILL`), so a crashed run leaves no servers.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { onTestFinished, TestRunner } from 'vitest';
import type { TestContext } from 'vitest';
import { labEnvironment } from './namespace';

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started process, registered for cleanup. */
export interface LabProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  isRunning(): boolean;
  /** Everything it printed so far, stdout and stderr interleaved (the last 1 MB). */
  output(): string;
  /** Resolves with the first output line matching `pattern`; rejects if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Signals the whole process group at once; SIGKILL by default, as a crash would. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

/**
 * The test a process belongs to: pass the test context (`test('…', async (context) => …)`) in
 * concurrent tests, where the global `onTestFinished` may pick another running test.
 */
export type LabContext = Pick<TestContext, 'onTestFinished'>;

/** Options for {@link startProcess}. */
export interface StartProcessOptions {
  /** Stop the process when this test finishes; defaults to the current test, if any. */
  context?: LabContext;
  /** Shown in errors; defaults to the command. */
  name?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Runs after the process has been stopped at cleanup time, e.g. to remove its directory. */
  cleanup?: () => void;
}

const OUTPUT_LIMIT = 1024 * 1024;
const running = new Set<RegisteredProcess>();

interface RegisteredProcess {
  process: LabProcess;
  cleanup: (() => void) | undefined;
}

process.once('exit', () => {
  for (const entry of running) {
    killGroup(entry.process.pid, 'SIGKILL');
    entry.cleanup?.();
  }
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function release(entry: RegisteredProcess): Promise<void> {
  if (!running.delete(entry)) return;
  await entry.process.stop();
  entry.cleanup?.();
}

/**
 * Starts `command` in its own process group and registers it for cleanup: killed when its test
 * finishes, or by {@link stopAllProcesses} when started outside a test.
 */
export function startProcess(command: string, args: string[], options: StartProcessOptions = {}): LabProcess {
  const child: ChildProcess = spawn('setpriv', ['--pdeathsig', 'KILL', command, ...args], {
    cwd: options.cwd,
    env: labEnvironment(options.env ?? process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const name = options.name ?? command;
  let output = '';
  let exit: ProcessExit | undefined;
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on('error', (error) => {
      output += `\n(lab: could not start ${name}: ${error.message})`;
      exit = { code: null, signal: null };
      resolve(exit);
    });
    child.on('close', (code, signal) => {
      exit = { code, signal };
      for (const listener of listeners) listener();
      resolve(exit);
    });
  });
  if (child.pid === undefined) throw new Error(`lab: could not start ${name}`);
  const pid = child.pid;

  const labProcess: LabProcess = {
    name,
    pid,
    exited,
    isRunning: () => exit === undefined,
    output: () => output.trim(),
    waitForOutput: (pattern, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const line = output.split('\n').find((candidate) => pattern.test(candidate));
          if (line !== undefined) finish(() => resolve(line));
          else if (exit !== undefined)
            finish(() => reject(new Error(`${name} exited before printing ${pattern}:\n${output.trim()}`)));
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${output.trim()}`)),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      }),
    kill: (signal = 'SIGKILL') => {
      if (exit === undefined) killGroup(pid, signal);
    },
    stop: async (graceMs = 2000) => {
      if (exit !== undefined) return exit;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };

  const entry: RegisteredProcess = { process: labProcess, cleanup: options.cleanup };
  running.add(entry);
  if (options.context !== undefined) options.context.onTestFinished(() => release(entry));
  else if (TestRunner.getCurrentTest() !== undefined) onTestFinished(() => release(entry));
  return labProcess;
}

/** Stops every process still registered, e.g. from `afterAll` for servers started in `beforeAll`. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map(release));
}

/** A TCP port that was free on `host` a moment ago (another process may still take it first). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `host:port` accepts a TCP connection; rejects after `timeoutMs`. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    if (performance.now() > deadline)
      throw new Error(`nothing accepted connections on ${host}:${port} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Waits `milliseconds`. */
export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** How long `waitUntil` waits, and how often it asks. */
export interface WaitOptions {
  /** 20 s unless given. */
  timeoutMs?: number;
  /** 50 ms unless given; shorter where the wait is a measured figure. */
  intervalMs?: number;
}

/** Asks `condition` every `intervalMs` until it holds; throws, naming `what`, after `timeoutMs`. */
export async function waitUntil(
  what: string,
  condition: () => Promise<boolean>,
  { timeoutMs = 20_000, intervalMs = 50 }: WaitOptions = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** An HTTP server in its own process that answers every request with its name. */
export interface HttpBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `http://host:port/` */
  readonly url: string;
  readonly process: LabProcess;
  /** SIGKILL: the listening socket and open connections vanish as in a crash. */
  kill(): void;
}

const BACKEND_SCRIPT = `
const [name, host, port] = process.argv.slice(1);
const server = require('node:http').createServer((request, response) => {
  request.resume();
  response.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
  response.end(name + '\\n');
});
server.listen(Number(port), host, () => process.stdout.write('listening ' + server.address().port + '\\n'));
`;

/**
 * Starts a backend named `name` on `host` (any 127.0.0.x) and `port` (0 picks a free one).
 *
 * It runs in a separate process so that killing it is a real crash, and so that it never competes
 * with the test's own event loop.
 */
export async function startHttpBackend(
  name: string,
  options: { host?: string; port?: number; context?: LabContext } = {},
): Promise<HttpBackend> {
  const host = options.host ?? '127.0.0.1';
  const labProcess = startProcess(
    process.execPath,
    ['-e', BACKEND_SCRIPT, name, host, String(options.port ?? 0)],
    {
      name: `backend ${name}`,
      context: options.context,
    },
  );
  const line = await labProcess.waitForOutput(/^listening \d+$/u);
  const port = Number(line.split(' ')[1]);
  return {
    name,
    host,
    port,
    url: `http://${host}:${port}/`,
    process: labProcess,
    kill: () => labProcess.kill('SIGKILL'),
  };
}

/** One request of a stream. Times are `performance.now()` milliseconds. */
export interface RequestRecord {
  index: number;
  startedAt: number;
  finishedAt: number;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Who answered (the `x-backend` header), or null for a proxy's own error page. */
  backend: string | null;
  /** Why no response arrived: connection refused, timeout, … */
  error: string | null;
  /** A 2xx response. */
  ok: boolean;
}

/** Options for {@link driveRequests}. */
export interface RequestStreamOptions {
  url: string;
  /** Requests started per second, regardless of how long earlier ones take (an open loop). */
  ratePerSecond: number;
  durationMs: number;
  /**
   * Per request; default 5000, above HAProxy's three 1 s retries to a dead server, so the proxy's
   * own 503 is recorded rather than a client timeout.
   */
  timeoutMs?: number;
  /** Ends the stream early; requests already sent still complete. */
  signal?: AbortSignal;
  /** Called as each request completes, e.g. to abort once a test has seen enough. */
  onRecord?: (record: RequestRecord) => void;
}

function sendRequest(index: number, url: string, timeoutMs: number): Promise<RequestRecord> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (fields: Pick<RequestRecord, 'status' | 'backend' | 'error'>): void => {
      if (settled) return;
      settled = true;
      const ok = fields.status !== null && fields.status >= 200 && fields.status < 300;
      resolve({ index, startedAt, finishedAt: performance.now(), ok, ...fields });
    };
    const outgoing = request(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () => {
        const header = response.headers['x-backend'];
        finish({
          status: response.statusCode ?? null,
          backend: typeof header === 'string' ? header : null,
          error: null,
        });
      });
      response.on('error', (error) => finish({ status: null, backend: null, error: error.message }));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no response within ${timeoutMs} ms`)));
    outgoing.on('error', (error) => finish({ status: null, backend: null, error: error.message }));
    outgoing.end();
  });
}

/**
 * Sends requests to `url` at a steady rate for `durationMs` and records each one's timing, status
 * and answering backend, in the order they were sent.
 */
export async function driveRequests(options: RequestStreamOptions): Promise<RequestRecord[]> {
  const intervalMs = 1000 / options.ratePerSecond;
  const timeoutMs = options.timeoutMs ?? 5000;
  const start = performance.now();
  const pending: Promise<RequestRecord>[] = [];
  const isAborted = (): boolean => options.signal?.aborted === true;
  for (let index = 0; ; index += 1) {
    const due = start + index * intervalMs;
    if (due - start >= options.durationMs || isAborted()) break;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (isAborted()) break;
    const sent = sendRequest(index, options.url, timeoutMs);
    if (options.onRecord !== undefined) void sent.then(options.onRecord);
    pending.push(sent);
  }
  return Promise.all(pending);
}

/** What a client saw around a kill: failures and how long until the survivor served again. */
export interface FailoverSummary {
  /** Requests that completed after the kill. */
  requestsAfterKill: number;
  /** Of those, the ones without a 2xx response. */
  failedRequests: number;
  /** Kill to the first 2xx from the survivor; null if it never answered. */
  firstSurvivorSuccessMs: number | null;
  /** Kill to the first 2xx after which no request sent later failed; null if the stream ended failing. */
  recoveryMs: number | null;
  /** Kill to the moment the last failure reached its client (a slow 503 arrives late); null if none. */
  lastFailureMs: number | null;
}

/** Summarizes a request stream around `killedAt` (a `performance.now()` time). */
export function summarizeFailover(
  records: RequestRecord[],
  options: { killedAt: number; survivor: string },
): FailoverSummary {
  const afterKill = records
    .filter((record) => record.finishedAt >= options.killedAt)
    .sort((left, right) => left.startedAt - right.startedAt);
  const lastFailure = afterKill.findLastIndex((record) => !record.ok);
  const recovery = afterKill.slice(lastFailure + 1).find((record) => record.ok);
  const failures = afterKill.filter((record) => !record.ok);
  const lastFailureAt = Math.max(...failures.map((record) => record.finishedAt));
  const firstSurvivor = afterKill
    .filter((record) => record.ok && record.backend === options.survivor)
    .sort((left, right) => left.finishedAt - right.finishedAt)[0];
  return {
    requestsAfterKill: afterKill.length,
    failedRequests: failures.length,
    firstSurvivorSuccessMs: firstSurvivor === undefined ? null : firstSurvivor.finishedAt - options.killedAt,
    recoveryMs: recovery === undefined ? null : recovery.finishedAt - options.killedAt,
    lastFailureMs: failures.length === 0 ? null : lastFailureAt - options.killedAt,
  };
}
