// @vitest-environment happy-dom
/**
 * The Resilience view shows what the command line prints for the same design, and its objectives
 * are edited in place: a missed one turns red, and Ctrl+Z brings the design (and the view) back.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ServicesContext } from '../../renderer/app/services';
import type { AppServices } from '../../renderer/app/services';
import { helpSections } from '../../renderer/chrome/HelpOverlay';
import { useShortcuts } from '../../renderer/chrome/shortcuts';
import { formatSeconds } from '../../renderer/panels/resilience-charts';
import { ResiliencePanel } from '../../renderer/panels/ResiliencePanel';
import { StoreContext } from '../../renderer/state/store';
import { syntheticDesign } from '../../bench/synthetic';
import { Analyzer } from '../../renderer/workers/analyze';
import { ALL_FAILURES_UP_TO, resilienceReport } from '../../renderer/workers/resilience';
import { compileAvailability } from '../../core/availability';
import { estimateRecovery } from '../../core/recovery/estimate';
import { example, testApp } from './fixtures';
import { commit } from './render-inspector';

afterEach(cleanup);

const ROOT = join(import.meta.dirname, '../..');

/** What the real command line prints as JSON for a seed example. */
function cli(command: 'availability' | 'simulate', fileName: string): unknown {
  const file = join(ROOT, 'examples', fileName);
  try {
    return JSON.parse(
      execFileSync(process.execPath, [join(ROOT, 'bin/topoforge.js'), command, file, '--json']).toString(),
    );
  } catch (error) {
    // `availability` exits 1 when an objective is missed; its output is still the answer.
    const stdout = (error as { stdout?: Buffer }).stdout;
    if (stdout && stdout.length > 0) return JSON.parse(stdout.toString());
    throw error;
  }
}

interface CliAvailability {
  entrypoints: {
    id: string;
    nines: number | null;
    downtimeMinutesPerYear: number;
    contributors: { failed: string[]; kind: string; downtimeMinutesPerYear: number; share: number }[];
  }[];
}

interface CliSimulate {
  scenarios: {
    failed: string[];
    kind: string;
    entrypoints: { id: string; recovery: { seconds: number | null; by: string; detail: string } | null }[];
  }[];
}

/** The view as the app shows it, with the app's keyboard. */
function View({ services }: { services: AppServices }) {
  useShortcuts(services);
  return <ResiliencePanel />;
}

function renderView(services: AppServices) {
  act(() => services.store.getState().setPanel('resilience'));
  return render(
    <StoreContext.Provider value={services.store}>
      <ServicesContext.Provider value={services}>
        <View services={services} />
      </ServicesContext.Provider>
    </StoreContext.Provider>,
  );
}

describe('the Resilience view', () => {
  it.each(['tessera-ha.topo.json', 'tealeaf-resilient.topo.json', 'expertflow-two-sites.topo.json'])(
    'shows the command line’s nines, downtime, contributors and recoveries for %s',
    (fileName) => {
      const availability = cli('availability', fileName) as CliAvailability;
      const simulate = cli('simulate', fileName) as CliSimulate;
      const { services } = testApp(example(fileName));
      renderView(services);
      expect(availability.entrypoints.length).toBeGreaterThan(0);
      for (const entrypoint of availability.entrypoints) {
        const section = screen.getByTestId(`resilience-entrypoint-${entrypoint.id}`);
        expect(screen.getByTestId(`resilience-nines-${entrypoint.id}`).textContent).toBe(
          entrypoint.nines === null ? '∞' : entrypoint.nines.toFixed(2),
        );
        expect(screen.getByTestId(`resilience-downtime-${entrypoint.id}`).textContent).toBe(
          `${entrypoint.downtimeMinutesPerYear.toFixed(1)} min`,
        );
        const rows = within(section)
          .getByTestId(`resilience-contributors-${entrypoint.id}`)
          .querySelectorAll('tbody tr');
        const shown = [...rows].map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent));
        expect(shown).toEqual(
          entrypoint.contributors
            .slice(0, shown.length)
            .map((c) => [
              c.kind === 'failover' ? `failover after ${c.failed.join(' + ')}` : c.failed.join(' + '),
              c.downtimeMinutesPerYear.toFixed(2),
              `${Math.round(c.share * 100)}%`,
            ]),
        );
        expect(shown.length).toBe(Math.min(entrypoint.contributors.length, 6));

        const hostAndSite = simulate.scenarios.filter((s) => s.kind !== 'partition');
        expect(hostAndSite.length).toBeLessThanOrEqual(ALL_FAILURES_UP_TO);
        for (const scenario of hostAndSite) {
          const failed = scenario.failed[0]!;
          const recovery = scenario.entrypoints.find((e) => e.id === entrypoint.id)!.recovery;
          const row = screen.getByTestId(`resilience-recovery-${entrypoint.id}-${failed}`);
          const [what, how, why] = [...row.querySelectorAll('td')].map((cell) => cell.textContent);
          expect(what).toBe(`${scenario.kind} ${failed}`);
          if (recovery === null) expect(how).toMatch(/^down/);
          else {
            expect(how).toContain(
              recovery.seconds === null ? 'not known' : `${formatSeconds(recovery.seconds)} (${recovery.by})`,
            );
            expect(why).toBe(recovery.detail);
          }
        }
        expect(section.querySelectorAll('[data-testid^="resilience-recovery-"]').length).toBe(
          1 + hostAndSite.length,
        );
      }
    },
  );

  it('turns a missed objective red when it is set, and Ctrl+Z restores the design and the colour', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    renderView(services);
    const state = () => services.store.getState();
    const nines = () => screen.getByTestId('resilience-nines-q2t');
    const rto = () => screen.getByTestId('resilience-objective-rto');
    expect(nines().dataset.missed).toBe('false');
    expect(rto().dataset.missed).toBe('false');
    const before = state().design;

    // The VIP takes 3.45 s to move after lb-1 fails: an RTO of 3 s is missed, 5 s is met.
    commit(rto(), '3');
    expect(state().design.objectives).toEqual({ rtoSeconds: 3 });
    expect(rto().dataset.missed).toBe('true');
    expect(rto().getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('resilience-recovery-q2t-lb-1').dataset.missed).toBe('true');
    expect(screen.getByTestId('resilience-recovery-q2t-lb-1').textContent).toContain('beyond the RTO');
    expect(screen.getByTestId('resilience-recovery-q2t-lb-2').dataset.missed).toBe('false');
    expect(screen.getByTestId('resilience-rto-missed-q2t').textContent).toBe(
      'Interrupted beyond its RTO objective of 3 s when host lb-1 fails.',
    );

    // q2t is available 99.999935%: an objective of seven nines is missed, on q2t alone.
    commit(screen.getByTestId('resilience-objective-availability-q2t'), '99.99999');
    expect(state().design.entrypoints!.find((e) => e.id === 'q2t')!.objectives).toEqual({
      availability: 0.9999999,
    });
    expect(nines().dataset.missed).toBe('true');
    expect(screen.getByTestId('resilience-missed-q2t').textContent).toBe(
      'Below its availability objective of 99.999990%.',
    );
    expect(screen.getByTestId('resilience-objective-availability-q2t').dataset.missed).toBe('true');
    expect(screen.getByTestId('resilience-nines-p2p').dataset.missed).toBe('false');

    // Ctrl+Z from inside the field undoes the last edit, then the one before.
    act(() => {
      fireEvent.keyDown(screen.getByTestId('resilience-objective-availability-q2t'), {
        key: 'z',
        ctrlKey: true,
      });
    });
    expect(nines().dataset.missed).toBe('false');
    expect(screen.queryByTestId('resilience-missed-q2t')).toBeNull();
    expect((screen.getByTestId('resilience-objective-availability-q2t') as HTMLInputElement).value).toBe('');
    act(() => {
      fireEvent.keyDown(document.body, { key: 'z', ctrlKey: true });
    });
    expect(state().design).toBe(before);
    expect(rto().dataset.missed).toBe('false');
    expect((rto() as HTMLInputElement).value).toBe('');
    expect(screen.queryByTestId('resilience-rto-missed-q2t')).toBeNull();
  });

  it('refuses what is not an objective with a sentence, and leaves the design alone', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    renderView(services);
    const before = services.store.getState().design;
    commit(screen.getByTestId('resilience-objective-availability'), '120');
    expect(screen.getByTestId('resilience-objective-availability-error').textContent).toBe(
      '120% is not an availability: type a percentage above 0, at most 100',
    );
    commit(screen.getByTestId('resilience-objective-rto'), 'soon');
    expect(screen.getByTestId('resilience-objective-rto-error').textContent).toBe(
      "'soon' is not a number of seconds: type e.g. 30",
    );
    expect(services.store.getState().design).toBe(before);
  });

  it('is computed only while the view is open, and at 300 services lists only the failures that interrupt', () => {
    const design = syntheticDesign({ services: 300 });
    const analyzer = new Analyzer();
    expect(analyzer.analyze({ revision: 1, design, failed: [], detail: false }).resilience).toBeUndefined();
    const report = analyzer.analyze({ revision: 1, failed: [], detail: false, resilience: true }).resilience!;
    const failures = design.hosts.length + (design.sites?.length ?? 0);
    expect(failures).toBeGreaterThan(ALL_FAILURES_UP_TO);
    expect(report.entrypoints.length).toBeGreaterThan(10);
    for (const entry of report.entrypoints) {
      expect(entry.recoveries.length + entry.uninterrupted).toBe(failures);
      for (const point of entry.recoveries) expect(point.recovery?.seconds).not.toBe(0);
    }
    expect(report.entrypoints.some((entry) => entry.recoveries.length > 0)).toBe(true);
  });

  it('charts, beyond 24 failures, what estimating every failure for every entrypoint gives', () => {
    // The view reuses the yearly figures' estimates, made only for the entrypoints a failure can
    // interrupt; estimating every failure for every entrypoint must give the same points.
    const design = syntheticDesign({ services: 300, seed: 7 });
    const model = compileAvailability(design);
    const report = resilienceReport(model, []);
    const failures = model.singleFailures();
    expect(failures.length).toBeGreaterThan(ALL_FAILURES_UP_TO);
    const expected = new Map<string, { failed: string; seconds: number | null; by: string }[]>();
    for (const failure of failures)
      for (const { id, recovery } of estimateRecovery(model, model.evaluate([failure.failed]))) {
        if (recovery !== null && recovery.seconds === 0) continue;
        const list = expected.get(id) ?? [];
        list.push({ failed: failure.failed, seconds: recovery?.seconds ?? null, by: recovery?.by ?? 'down' });
        expected.set(id, list);
      }
    let charted = 0;
    for (const entry of report.entrypoints) {
      const points = entry.recoveries.map((point) => ({
        failed: point.failed,
        seconds: point.recovery?.seconds ?? null,
        by: point.recovery?.by ?? 'down',
      }));
      expect(points, entry.id).toEqual(expected.get(entry.id) ?? []);
      expect(entry.uninterrupted).toBe(failures.length - points.length);
      charted += points.length;
    }
    expect(charted).toBeGreaterThan(0);
  });

  it('opens and closes with R, which the help lists under View', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const view = helpSections(services, { keyboard: 'other', shell: 'browser' }).find(
      (s) => s.title === 'View',
    )!;
    const row = view.rows.find((r) => r.id === 'view.resilience')!;
    expect(row.text).toBe('Nines, downtime and recovery per entrypoint, with the objectives');
    expect(row.keys.map((k) => k.text)).toEqual(['R']);
    render(
      <StoreContext.Provider value={services.store}>
        <ServicesContext.Provider value={services}>
          <View services={services} />
        </ServicesContext.Provider>
      </StoreContext.Provider>,
    );
    act(() => {
      fireEvent.keyDown(document.body, { key: 'r' });
    });
    expect(services.store.getState().panel).toBe('resilience');
    expect(screen.getByTestId('resilience-view')).toBeTruthy();
    act(() => {
      fireEvent.keyDown(document.body, { key: 'r' });
    });
    expect(services.store.getState().panel).toBe('findings');
  });
});
