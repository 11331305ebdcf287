/**
 * The Rehearse view's main-process side, as root against a real lab: the service the IPC channel
 * reaches runs the same engine as `topoforge rehearse` on a two-host design, streams the probe
 * samples, the injection and the verdict to the window that asked, and a cancel mid-scenario
 * removes the lab (namespaces, mounts, processes, directory) before its call resolves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RehearsalStreamEvent } from '../../core/rehearse';
import { readState, stopLab } from '../../deploy/lab/index';
import type { LabState } from '../../deploy/lab/index';
import { RehearseService } from '../../electron/main/rehearse-service';
import { topoforgeCommand } from '../../electron/main/rehearsal-route';
import type { RehearsalRoute } from '../../electron/main/rehearsal-route';
import { INVOKE_CHANNELS } from '../../electron/preload/protocol';
import { eventFrom } from './fakes';
import { desktopHostOver, hostGate, quietWindow } from './gate';
import { expectNothingLeft, leftovers } from '../deploy/lab/leftovers';
import { requireSshd } from '../lab/sshd';
import { removeTemporaryFolder, temporaryFolder } from '../lab/temporary';
import { requireTool } from '../lab/tools';

const available = process.getuid?.() === 0 && requireSshd() && requireTool('haproxy') && requireTool('sudo');

/**
 * A balancer in front of one app on another host (test/fixtures/designs): failing the app's host
 * takes the entrypoint down, as predicted.
 */
const DESIGN_TEXT = readFileSync(
  join(import.meta.dirname, '../fixtures/designs/rehearse-two-hosts.topo.json'),
  'utf8',
);

const folders: string[] = [];
const directories: string[] = [];
afterEach(async () => {
  // A failed assertion may leave a lab: remove ours (only ours) before the next test.
  for (const directory of directories.splice(0)) await stopLab(directory).catch(() => undefined);
  for (const folder of folders.splice(0)) await removeTemporaryFolder(folder);
});

/**
 * The two ways the app runs a lab: the engine in the main process (an app that is root), and the
 * `topoforge rehearse --events` command through the real `sudo -n`, as for a normal user (the
 * tests run as root, whom sudo lets through without a password).
 */
const ROUTES: [string, RehearsalRoute][] = [
  ['in the app', { kind: 'in-process' }],
  ['through sudo', { kind: 'elevated', via: 'sudo', prefix: ['sudo', '-n', '--'] }],
];

async function serviceInFolder(route: RehearsalRoute) {
  const folder = await temporaryFolder('topoforge-rehearse-view-');
  folders.push(folder);
  const directory = join(folder, 'lab');
  directories.push(directory);
  const events: { window: string; event: RehearsalStreamEvent }[] = [];
  const service = new RehearseService<string>({
    send: (window, event) => events.push({ window, event }),
    directory,
    route: () => route,
    command: topoforgeCommand({
      packaged: false,
      execPath: process.execPath,
      appRoot: join(import.meta.dirname, '../..'),
    }),
  });
  return { service, events, directory };
}

describe('the Rehearse view’s service without a lab', () => {
  it('says the command’s one-line reason and refuses to start', async () => {
    const service = new RehearseService<string>({
      send: () => undefined,
      route: () => ({
        kind: 'unsupported',
        reason: 'the lab needs root to create network namespaces (run it with sudo)',
      }),
    });
    expect(service.support()).toEqual({
      supported: false,
      reason: 'the lab needs root to create network namespaces (run it with sudo)',
    });
    await expect(service.rehearse('window', { designText: DESIGN_TEXT })).rejects.toThrow(
      'the lab needs root to create network namespaces (run it with sudo)',
    );
    expect(service.isRunning()).toBe(false);
  });

  it('refuses an unknown id to fail, as the command does, before any lab exists', async () => {
    const service = new RehearseService<string>({
      send: () => undefined,
      route: () => ({ kind: 'in-process' }),
    });
    await expect(service.rehearse('window', { designText: DESIGN_TEXT, fail: ['app-hots'] })).rejects.toThrow(
      "there is no host, site or service 'app-hots' to fail",
    );
    await expect(service.rehearse('window', { designText: '{"format": 1' })).rejects.toThrow(
      'the design does not load',
    );
  });
});

describe('the rehearsal channels, through the preload and main’s gate', () => {
  const WINDOW = 5;

  /** The page's host over the router, with a rehearsal service that records what it is asked. */
  function desktop() {
    const asked: unknown[] = [];
    const rehearsals = new RehearseService<string>({
      send: () => undefined,
      route: () => ({
        kind: 'unsupported',
        reason: 'the lab needs root to create network namespaces (run it with sudo)',
      }),
    });
    const original = rehearsals.rehearse.bind(rehearsals);
    rehearsals.rehearse = (window, request) => {
      asked.push(request);
      return original(window, request);
    };
    const context = quietWindow('designer', 'window-5');
    // The other services are not reached by these channels.
    const unused = {} as never;
    const { router, log } = hostGate(
      { design: unused, recovery: unused, push: unused, imports: unused, rehearsals },
      (id) => (id === WINDOW ? context : undefined),
    );
    return { host: desktopHostOver(router, WINDOW), router, log, asked };
  }

  it('answers the machine check and forwards exactly the request’s fields', async () => {
    const { host, asked } = desktop();
    expect(await host.rehearsalSupport()).toEqual({
      supported: false,
      reason: 'the lab needs root to create network namespaces (run it with sudo)',
    });
    await expect(
      host.rehearse({ designText: DESIGN_TEXT, fail: ['app-host'], partition: [['edge-1']] }),
    ).rejects.toThrow('the lab needs root');
    expect(asked).toEqual([{ designText: DESIGN_TEXT, fail: ['app-host'], partition: [['edge-1']] }]);
    await host.cancelRehearsal();
  });

  it.each([
    ['an unknown field', { designText: DESIGN_TEXT, directory: '/' }, 'must NOT have additional properties'],
    ['a design that is not text', { designText: 3 }, '/designText must be string'],
    ['an id that is not an id', { designText: DESIGN_TEXT, fail: ['../etc'] }, '/fail/0 must match pattern'],
    [
      'an empty partition side',
      { designText: DESIGN_TEXT, partition: [[]] },
      '/partition/0 must NOT have fewer',
    ],
  ])('refuses a request with %s before the service sees it', async (_what, request, reason) => {
    const { router, log, asked } = desktop();
    const reply = await router.dispatch(INVOKE_CHANNELS.rehearse, eventFrom(WINDOW), [request]);
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.message).toContain(reason);
    expect(log.map((entry) => entry.outcome)).toEqual(['refused']);
    expect(asked).toEqual([]);
  });
});

describe.skipIf(!available).each(ROUTES)('the Rehearse view’s service in a real lab, %s', (_how, route) => {
  it(
    'streams samples, the injection and the verdict of one scenario, and removes the lab',
    { timeout: 120_000 },
    async () => {
      const { service, events, directory } = await serviceInFolder(route);
      const outcome = await service.rehearse('window-1', {
        designText: DESIGN_TEXT,
        fail: ['app-host'],
      });
      expect(outcome.status).toBe('finished');
      expect(outcome.standIns.map((standIn) => [standIn.service, standIn.host])).toEqual([
        ['web', 'app-host'],
      ]);
      const [scenario] = outcome.scenarios;
      expect(scenario!.label).toBe('host app-host');
      expect(
        scenario!.entrypoints.map((e) => [e.id, e.predicted.state, e.measured.state, e.verdict]),
      ).toEqual([['shop', 'down', 'down', 'match']]);

      // Every event went to the window that asked, in the engine's order.
      expect(new Set(events.map(({ window }) => window))).toEqual(new Set(['window-1']));
      const types = events.map(({ event }) => event.type);
      expect(types[0]).toBe('progress');
      const scenarioAt = types.indexOf('scenario');
      const injectedAt = types.indexOf('injected');
      const verdictAt = types.indexOf('verdict');
      expect(scenarioAt).toBeGreaterThan(0);
      expect(injectedAt).toBeGreaterThan(scenarioAt);
      expect(verdictAt).toBe(types.length - 1);
      // The charts fill in live: samples reach the page before the injection is marked and
      // between the injection and the verdict (how many per message depends on the machine's
      // speed; that they are batched at all is proven without a lab in rehearsal-route.test.ts).
      const samplesAt = types.flatMap((type, at) => (type === 'samples' ? [at] : []));
      expect(samplesAt.some((at) => at < injectedAt)).toBe(true);
      expect(samplesAt.some((at) => at > injectedAt && at < verdictAt)).toBe(true);
      const samples = events.flatMap(({ event }) => (event.type === 'samples' ? event.samples : []));
      const injected = events[injectedAt]!.event as { at: number };
      // The engine injects once the entrypoint answered 5 times in a row.
      expect(samples.filter((sample) => sample.at < injected.at && sample.ok).length).toBeGreaterThanOrEqual(
        5,
      );
      // Every failed request the verdict counts was drawn live (the chart shows no fewer).
      const failedRequests = scenario!.entrypoints[0]!.measured.failedRequests;
      expect(failedRequests).toBeGreaterThan(0);
      expect(
        samples.filter((sample) => sample.at >= injected.at && !sample.ok).length,
      ).toBeGreaterThanOrEqual(failedRequests);
      const verdict = events[verdictAt]!.event;
      expect(verdict.type === 'verdict' && verdict.scenario.entrypoints[0]!.verdict).toBe('match');

      // Nothing of the lab is left, and the service takes the next rehearsal.
      expect(readState(directory)).toBeUndefined();
      expect(service.isRunning()).toBe(false);
    },
  );

  it(
    'cancels mid-scenario: the call resolves as cancelled once the lab is gone',
    { timeout: 120_000 },
    async () => {
      const { service, events, directory } = await serviceInFolder(route);
      const running = service.rehearse('window-1', { designText: DESIGN_TEXT });
      // A second rehearsal while one runs is refused: the machine has one lab per directory.
      await expect(service.rehearse('window-2', { designText: DESIGN_TEXT })).rejects.toThrow(
        'a rehearsal from another window is running',
      );
      const deadline = Date.now() + 90_000;
      while (!events.some(({ event }) => event.type === 'injected') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const state: LabState = readState(directory)!;
      // The lab is really there when the cancel comes: the test proves the removal.
      const left = leftovers(state, directory).pids;
      expect(left.length).toBeGreaterThan(2);
      // Another window's cancel does not stop this window's rehearsal.
      service.cancel('window-2');
      expect(service.isRunning()).toBe(true);
      service.cancel('window-1');
      // What the app's quit waits for: the lab removed, before the rehearsal's own call returns.
      await service.stop();
      expect(leftovers(state, directory).namespaces).toEqual([]);
      expect(service.isRunning()).toBe(false);
      const outcome = await running;
      expect(outcome.status).toBe('cancelled');
      expect(outcome.scenarios.length).toBeLessThan(2);
      expectNothingLeft(state, directory, left);
      expect(service.isRunning()).toBe(false);
    },
  );
});
