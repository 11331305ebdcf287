/**
 * How the desktop app reaches a lab without running as root (docs/rehearse.md, "In the desktop
 * app"): the route it picks on a machine (itself as root, `sudo -n`, pkexec, or one line saying
 * what it needs), the command it runs, and how the service reads that command's event stream: the
 * samples batched for the page, a failure's own words, and a cancel that waits until the command
 * has cleaned up and exited. The real `topoforge rehearse --events` through the real sudo, against
 * a real lab, is in rehearse-service.test.ts.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RehearsalStreamEvent, RehearsedScenario } from '../../core/rehearse';
import {
  NO_COMMAND_REASON,
  NO_ROOT_REASON,
  rehearsalRoute,
  rehearseCommand,
  topoforgeCommand,
} from '../../electron/main/rehearsal-route';
import type { RouteProbe } from '../../electron/main/rehearsal-route';
import { RehearseService } from '../../electron/main/rehearse-service';
import { removeTemporaryFolder, temporaryFolder } from '../lab/temporary';

const DESIGN_TEXT = readFileSync(
  join(import.meta.dirname, '../fixtures/designs/rehearse-two-hosts.topo.json'),
  'utf8',
);

function probe(overrides: Partial<RouteProbe>): RouteProbe {
  return {
    platform: 'linux',
    uid: 1000,
    labReasonAsRoot: () => undefined,
    sudoWithoutPassword: () => false,
    pkexecAvailable: () => false,
    ...overrides,
  };
}

describe('the route to a lab', () => {
  it('runs the engine in the app only when the app already is root', () => {
    expect(rehearsalRoute(probe({ uid: 0 }))).toEqual({ kind: 'in-process' });
  });

  it('prefers password-free sudo, then pkexec, for a normal user', () => {
    expect(rehearsalRoute(probe({ sudoWithoutPassword: () => true, pkexecAvailable: () => true }))).toEqual({
      kind: 'elevated',
      via: 'sudo',
      prefix: ['sudo', '-n', '--'],
    });
    expect(rehearsalRoute(probe({ pkexecAvailable: () => true }))).toEqual({
      kind: 'elevated',
      via: 'pkexec',
      prefix: ['pkexec'],
    });
  });

  it('says in one line what it needs when neither works', () => {
    const route = rehearsalRoute(probe({}));
    expect(route).toEqual({ kind: 'unsupported', reason: NO_ROOT_REASON });
    expect(NO_ROOT_REASON).not.toContain('\n');
    expect(NO_ROOT_REASON).toContain('sudo topoforge rehearse');
  });

  it('names a missing program before asking for root, and another platform as the command does', () => {
    const sudoAsked: boolean[] = [];
    const missing = probe({
      labReasonAsRoot: () => 'the lab needs /usr/sbin/sshd: apt-get install openssh-server',
      sudoWithoutPassword: () => sudoAsked.push(true) > 0,
    });
    expect(rehearsalRoute(missing)).toEqual({
      kind: 'unsupported',
      reason: 'the lab needs /usr/sbin/sshd: apt-get install openssh-server',
    });
    expect(sudoAsked).toEqual([]);
    const route = rehearsalRoute(probe({ platform: 'darwin', uid: 501 }));
    expect(route.kind === 'unsupported' && route.reason).toContain('this is darwin');
  });
});

describe('the command the app runs as root', () => {
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) await removeTemporaryFolder(folder);
  });

  it('is the repository’s own script run by the Electron binary as Node while developing', () => {
    expect(topoforgeCommand({ packaged: false, execPath: '/x/electron', appRoot: '/repo' })).toEqual([
      'env',
      'ELECTRON_RUN_AS_NODE=1',
      '/x/electron',
      '/repo/bin/topoforge.js',
    ]);
  });

  it('is the installed topoforge with node from PATH in a packaged app, whose binary cannot be Node', async () => {
    const folder = await temporaryFolder('topoforge-route-');
    folders.push(folder);
    expect(topoforgeCommand({ packaged: true, execPath: '/x', appRoot: '/y', path: folder })).toBeUndefined();
    for (const program of ['node', 'topoforge']) {
      writeFileSync(join(folder, program), '#!/bin/sh\n');
      chmodSync(join(folder, program), 0o755);
    }
    expect(topoforgeCommand({ packaged: true, execPath: '/x', appRoot: '/y', path: folder })).toEqual([
      join(folder, 'node'),
      join(folder, 'topoforge'),
    ]);
    // No command to run: the view says so instead of offering a rehearsal that cannot start.
    const service = new RehearseService<string>({
      send: () => undefined,
      route: () => ({ kind: 'elevated', via: 'sudo', prefix: ['sudo', '-n', '--'] }),
    });
    expect(service.support()).toEqual({ supported: false, reason: NO_COMMAND_REASON });
  });

  it('passes the request as the command’s own options, with the event stream on', () => {
    expect(
      rehearseCommand(['topoforge'], '/tmp/d.topo.json', {
        directory: '/run/topoforge/lab',
        request: { designText: '{}', fail: ['app-host'], partition: [['edge-1', 'site-a']] },
      }),
    ).toEqual([
      'topoforge',
      'rehearse',
      '/tmp/d.topo.json',
      '--events',
      '--dir',
      '/run/topoforge/lab',
      '--fail',
      'app-host',
      '--partition',
      'edge-1,site-a',
    ]);
  });
});

/**
 * The service reading a command's stream. The command here is a short Node script that writes
 * what `topoforge rehearse --events` writes (the same line shapes), so that the reader's batching,
 * failure and cancel can be checked without a lab and without timing.
 */
describe('the service reading the command’s event stream', () => {
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) await removeTemporaryFolder(folder);
  });

  const SCENARIO: RehearsedScenario = {
    failed: ['app-host'],
    partition: [],
    kind: 'host',
    label: 'host app-host',
    entrypoints: [
      {
        id: 'shop',
        predicted: { state: 'down', degraded: false, recovery: null },
        measured: { state: 'down', interruptionSeconds: null, failedRequests: 40 },
        verdict: 'match',
        differences: [],
      },
    ],
    runbook: [],
    recoveredAt: { shop: null },
  };

  /** A service whose command is `script` run by Node (no prefix: the test already is who it is). */
  async function serviceRunning(script: string | ((folder: string) => string)) {
    const folder = await temporaryFolder('topoforge-route-');
    folders.push(folder);
    const file = join(folder, 'command.cjs');
    writeFileSync(file, typeof script === 'string' ? script : script(folder));
    const events: RehearsalStreamEvent[] = [];
    const service = new RehearseService<string>({
      send: (_window, event) => events.push(event),
      directory: join(folder, 'lab'),
      route: () => ({ kind: 'elevated', via: 'none', prefix: [] }),
      command: [process.execPath, file],
    });
    return { service, events, folder };
  }

  it('batches the samples for the page, in order and none lost, and ends with the verdict', async () => {
    const lines = [
      { type: 'progress', line: 'lab up: 2 hosts' },
      { type: 'scenario', index: 0, count: 1, label: 'host app-host' },
      ...Array.from({ length: 60 }, (_, i) => ({
        type: 'samples',
        index: 0,
        samples: [{ entrypoint: 'shop', at: 1000 + i * 40, ok: i < 30 }],
      })),
      { type: 'injected', index: 0, at: 2190 },
      { type: 'verdict', index: 0, scenario: SCENARIO },
      // An answer still in flight when the probes stopped: the finished chart does not change.
      { type: 'samples', index: 0, samples: [{ entrypoint: 'shop', at: 9000, ok: false }] },
      {
        type: 'result',
        lab: {},
        standIns: [
          { service: 'web', kind: 'app', host: 'app-host', unit: 'web.service', reason: 'not installed' },
        ],
        seconds: 12.5,
        scenarios: [],
      },
    ];
    const { service, events } = await serviceRunning(
      `for (const line of ${JSON.stringify(lines.map((line) => JSON.stringify(line)))}) process.stdout.write(line + '\\n');`,
    );
    const outcome = await service.rehearse('window', { designText: DESIGN_TEXT, fail: ['app-host'] });
    expect(outcome).toEqual({
      status: 'finished',
      scenarios: [SCENARIO],
      standIns: [{ service: 'web', kind: 'app', host: 'app-host', reason: 'not installed' }],
      seconds: 12.5,
    });
    const types = events.map((event) => event.type);
    // 60 samples written at once reach the page in a message or two, not 60.
    expect(types.filter((type) => type === 'samples').length).toBeLessThanOrEqual(2);
    expect(types.filter((type) => type !== 'samples')).toEqual([
      'progress',
      'scenario',
      'injected',
      'verdict',
    ]);
    const samples = events.flatMap((event) => (event.type === 'samples' ? event.samples : []));
    expect(samples.map((sample) => sample.at)).toEqual(Array.from({ length: 60 }, (_, i) => 1000 + i * 40));
    // Every sample before the injection was drawn before its mark.
    expect(types.lastIndexOf('samples')).toBeLessThan(types.indexOf('injected'));
  });

  it('rejects with the command’s own words when it fails', async () => {
    const { service } = await serviceRunning(
      `process.stdout.write(JSON.stringify({ ok: false, error: { message: 'the lab needs /usr/sbin/sshd: apt-get install openssh-server', path: '(machine)' } }) + '\\n'); process.exitCode = 2;`,
    );
    await expect(service.rehearse('window', { designText: DESIGN_TEXT })).rejects.toThrow(
      'the lab needs /usr/sbin/sshd: apt-get install openssh-server',
    );
    expect(service.isRunning()).toBe(false);
  });

  it('says what sudo said when the command never started its stream', async () => {
    const { service } = await serviceRunning(
      `process.stderr.write('sudo: a password is required\\n'); process.exitCode = 1;`,
    );
    await expect(service.rehearse('window', { designText: DESIGN_TEXT })).rejects.toThrow(
      'the rehearsal stopped without a result (exit 1): sudo: a password is required',
    );
  });

  it('cancels by closing the command’s input and resolves only once the command has cleaned up', async () => {
    // Like the command: it streams until its input closes, then removes its lab (here: writes a
    // marker on the way out, a little later) and exits as interrupted.
    const { service, events, folder } = await serviceRunning(
      (folder) => `
      const { writeFileSync } = require('node:fs');
      process.stdout.write(JSON.stringify({ type: 'scenario', index: 0, count: 2, label: 'host app-host' }) + '\\n');
      process.stdin.on('end', () => setTimeout(() => {
        writeFileSync(${JSON.stringify(join(folder, 'lab-removed'))}, '');
        process.stdout.write(JSON.stringify({ ok: false, error: { message: 'interrupted by SIGTERM', path: '(lab)' } }) + '\\n');
        process.exit(143);
      }, 300));
      process.stdin.resume();
    `,
    );
    const running = service.rehearse('window', { designText: DESIGN_TEXT });
    while (!events.some((event) => event.type === 'scenario'))
      await new Promise((resolve) => setTimeout(resolve, 10));
    service.cancel('window');
    await service.stop();
    // The app's quit waits for exactly this: the command's cleanup done before stop resolves.
    expect(existsSync(join(folder, 'lab-removed'))).toBe(true);
    expect(service.isRunning()).toBe(false);
    expect((await running).status).toBe('cancelled');
  });
});
