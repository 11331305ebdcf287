/**
 * End to end: the Rehearse view in the web build, in Debian's Chromium. A browser page cannot
 * create network namespaces, so the view opens from the toolbar, the View menu and its tab and
 * explains how to rehearse from the CLI instead of offering to run it; axe-core finds nothing to
 * fix in either theme. With the desktop's host members put in place in the page (a host that
 * replays a recorded rehearsal of Tessera), Chart.js draws the live timelines, the verdicts fill
 * the list, and a finished scenario is painted on the canvas. Screenshots in test-results/e2e/.
 */
import { describe, expect, it } from 'vitest';
import { Designer, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 90_000;

/**
 * Puts the desktop's rehearsal members on the page's host: the rehearsal it starts replays the
 * events `window.replay(events)` is given, and resolves with `window.finish(outcome)`.
 */
async function replayHost(app: Designer): Promise<void> {
  await app.page.evaluate(() => {
    type Listener = (event: unknown) => void;
    const page = window as unknown as {
      topoforge: { services: { host: Record<string, unknown> } };
      replay: (events: unknown[]) => void;
      finish: (outcome: unknown) => void;
    };
    const listeners = new Set<Listener>();
    let finish: (outcome: unknown) => void = () => undefined;
    page.topoforge.services.host = {
      ...page.topoforge.services.host,
      platform: 'desktop',
      rehearsalSupport: async () => ({ supported: true }),
      rehearse: () => new Promise((resolve) => (finish = resolve)),
      cancelRehearsal: async () => undefined,
      onRehearsalEvent: (listener: Listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    page.replay = (events) => events.forEach((event) => listeners.forEach((listener) => listener(event)));
    page.finish = (outcome) => finish(outcome);
  });
}

const ENTRYPOINTS = ['third-party', 'q2t', 'p2p'];
const T0 = 1_800_000_000_000;

/** A recorded scenario's events: served, the injection, 3 s of failures, served again. */
function scenarioEvents(index: number, failed: string, interruption: number) {
  const samples = [];
  for (let at = -2_000; at < 6_000; at += 40)
    for (const entrypoint of ENTRYPOINTS)
      samples.push({ entrypoint, at: T0 + at, ok: at < 0 || at >= interruption });
  const result = {
    failed: [failed],
    partition: [],
    kind: 'host',
    label: `host ${failed}`,
    runbook: [],
    recoveredAt: Object.fromEntries(ENTRYPOINTS.map((id) => [id, interruption])),
    entrypoints: ENTRYPOINTS.map((id) => ({
      id,
      predicted: {
        state: 'up',
        degraded: true,
        recovery: { seconds: 3.41, by: 'keepalived', detail: 'VIP moves' },
      },
      measured: { state: 'up', interruptionSeconds: interruption / 1000, failedRequests: interruption / 40 },
      verdict: id === 'p2p' && interruption > 0 ? 'mismatch' : 'match',
      differences: id === 'p2p' && interruption > 0 ? ['interrupted 6.2 s, predicted 3.41 s ± 1.71 s'] : [],
    })),
  };
  return {
    running: [
      { type: 'scenario', index, count: 2, label: `host ${failed}` },
      { type: 'samples', index, samples: samples.filter((sample) => sample.at < T0) },
      { type: 'injected', index, at: T0 },
      { type: 'samples', index, samples: samples.filter((sample) => sample.at >= T0) },
    ],
    verdict: { type: 'verdict', index, scenario: result },
    result,
  };
}

describe.skipIf(!availability.run)('the Rehearse view in a browser', () => {
  const lab = useLab();

  it(
    'opens from the toolbar, the menu and its tab, and explains the CLI route instead of running',
    async () => {
      const app = await Designer.open(lab(), 'rehearse');
      try {
        await app.openExample('tessera-ha');
        await app.page.getByTestId('rehearse-button').click();
        const route = app.page.getByTestId('rehearse-cli-route');
        await route.waitFor();
        expect(await app.page.getByTestId('rehearse-button').getAttribute('aria-pressed')).toBe('true');
        expect(await app.page.getByTestId('tab-rehearse').getAttribute('aria-selected')).toBe('true');
        expect(await app.page.getByTestId('rehearse-command').textContent()).toBe(
          'topoforge rehearse design.json --report report.html',
        );
        expect(await route.textContent()).toContain('a browser page cannot');
        // Nothing to start here: the page cannot run a lab.
        expect(await app.page.getByTestId('rehearse-start').count()).toBe(0);
        await app.shot('cli-route');

        // The toolbar's button closes it again; the View menu and the tab open it.
        await app.page.getByTestId('rehearse-button').click();
        await app.page.getByTestId('rehearse-view').waitFor({ state: 'detached' });
        await app.page.getByTestId('menu-view').click();
        await app.page.getByTestId('menu-rehearse').click();
        await route.waitFor();
        await app.page.getByTestId('tab-inspector').click();
        await app.page.getByTestId('tab-rehearse').click();
        await route.waitFor();
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'with a desktop host: draws the live timelines, lists the verdicts and paints a scenario on the canvas, axe-clean',
    async () => {
      const app = await Designer.open(lab(), 'rehearse-desktop');
      try {
        await app.openExample('tessera-ha');
        await replayHost(app);
        await app.page.getByTestId('rehearse-button').click();
        await app.page.getByTestId('rehearse-start').click();
        await app.page.evaluate(
          (events) => (window as unknown as { replay: (events: unknown[]) => void }).replay(events),
          [{ type: 'progress', line: 'network: 5 hosts in 1 segment(s), a core and a client' }],
        );
        await app.page.getByText('network: 5 hosts in 1 segment(s)').waitFor();
        const first = scenarioEvents(0, 'lb-1', 6_200);
        await app.page.evaluate(
          (events) => (window as unknown as { replay: (events: unknown[]) => void }).replay(events),
          first.running,
        );
        // Chart.js drew served requests (above) and failed ones (below) in the view's colours.
        const counts = app.page.getByTestId('rehearse-chart-q2t-counts');
        expect(await counts.textContent()).toBe('q2t: 50 served, 150 failed');
        const colours = await app.page.evaluate(() => {
          const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="rehearse-chart-q2t"]')!;
          const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          const styles = getComputedStyle(document.documentElement);
          const rgb = (name: string) => {
            const probe = document.createElement('div');
            probe.style.color = styles.getPropertyValue(name);
            document.body.append(probe);
            const value = getComputedStyle(probe).color.match(/\d+/g)!.map(Number);
            probe.remove();
            return value;
          };
          const count = ([r, g, b]: number[]) => {
            let found = 0;
            for (let i = 0; i < data.length; i += 4)
              if (Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) < 24)
                found += 1;
            return found;
          };
          return { served: count(rgb('--accent')), failed: count(rgb('--down')) };
        });
        expect(colours.served).toBeGreaterThan(500);
        expect(colours.failed).toBeGreaterThan(500);
        await app.shot('live');

        const second = scenarioEvents(1, 'lb-2', 0);
        await app.page.evaluate(
          (events) => (window as unknown as { replay: (events: unknown[]) => void }).replay(events),
          [first.verdict, ...second.running, second.verdict],
        );
        await app.page.evaluate(
          (outcome) => (window as unknown as { finish: (outcome: unknown) => void }).finish(outcome),
          { status: 'finished', scenarios: [first.result, second.result], standIns: [], seconds: 40 },
        );
        await app.page.getByTestId('rehearse-start').waitFor();
        expect(await app.page.getByTestId('rehearse-scenario-0').getAttribute('data-verdict')).toBe(
          'mismatch',
        );
        expect(await app.page.getByTestId('rehearse-scenario-1').getAttribute('data-verdict')).toBe('match');

        // The finished lb-1 scenario on the canvas: lb-1 failed as what-if shows it, verdicts on
        // the entrypoints.
        await app.page.getByTestId('rehearse-scenario-0').click();
        await app.page.getByTestId('rehearse-verdict-tag-p2p').waitFor();
        expect(await app.page.getByTestId('rehearse-verdict-tag-p2p').getAttribute('data-verdict')).toBe(
          'mismatch',
        );
        expect(await app.page.getByTestId('rehearse-verdict-tag-q2t').getAttribute('data-verdict')).toBe(
          'match',
        );
        expect(await app.page.getByTestId('what-if-button').getAttribute('aria-pressed')).toBe('true');
        expect(await app.node('lb-1').getAttribute('class')).toContain('state-failed');
        await app.page.waitForTimeout(300);
        await app.shot('painted');
        expect(await app.accessibilityViolations('painted')).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'passes axe-core (WCAG 2.1 AA) in both themes',
    async () => {
      for (const theme of ['light', 'dark'] as const) {
        const app = await Designer.open(lab(), `rehearse-accessible-${theme}`, { theme });
        try {
          await app.openExample('expertflow-two-sites');
          await app.page.getByTestId('tab-rehearse').click();
          await app.page.getByTestId('rehearse-cli-route').waitFor();
          expect(await app.accessibilityViolations(theme)).toEqual([]);
        } finally {
          await app.shot('last');
          await app.close();
        }
      }
    },
    2 * TIMEOUT,
  );
});
