/**
 * The Rehearse view (docs/rehearse.md): the open design deployed into a lab on this Linux machine
 * by the same engine as `topoforge rehearse`, every single failure injected for real. While it
 * runs, one live timeline per entrypoint of the running scenario; as scenarios finish, their
 * verdicts in a list. Selecting a finished scenario paints it on the canvas as what-if mode does
 * (the failed hosts and services, the cut) with `match` or `mismatch` on each entrypoint.
 *
 * Where the host cannot rehearse (the web build), the view says how to run it from the CLI; where
 * the machine cannot run a lab (no root, not Linux), it says the command's one-line reason.
 */
import { useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RehearsedScenario } from '../../core/rehearse';
import {
  REHEARSE_COMMAND,
  canRehearse,
  cancelRehearsal,
  checkRehearsalSupport,
  runRehearsal,
} from '../app/rehearse';
import { useServices } from '../app/services';
import type { ScenarioProgress } from '../state/rehearsal-slice';
import { useAppStore } from '../state/store';
import { RehearsalTimeline } from './rehearsal-chart';
import type { TimelineMarker } from './rehearsal-chart';

/** How a scenario's outcome reads in the list. */
function verdictWords(result: RehearsedScenario | undefined): { text: string; tone: string } {
  if (result === undefined) return { text: 'running…', tone: 'running' };
  const mismatches = result.entrypoints.filter((entrypoint) => entrypoint.verdict === 'mismatch').length;
  return mismatches === 0
    ? { text: 'match', tone: 'match' }
    : { text: `${mismatches} mismatch${mismatches === 1 ? '' : 'es'}`, tone: 'mismatch' };
}

/** One entrypoint's predicted and measured outcome, in words. */
function entrypointWords(entrypoint: RehearsedScenario['entrypoints'][number]): string {
  const recovery = entrypoint.predicted.recovery;
  const predicted = `${entrypoint.predicted.state}${recovery?.seconds != null && entrypoint.predicted.state === 'up' ? ` after ${recovery.seconds} s (${recovery.by})` : ''}`;
  const interruption = entrypoint.measured.interruptionSeconds;
  const measured = `${entrypoint.measured.state}${interruption === null ? '' : ` after ${interruption.toFixed(2)} s`}, ${entrypoint.measured.failedRequests} failed`;
  return `predicted ${predicted}; measured ${measured}`;
}

/** The timelines of one scenario: one chart per entrypoint, markers in seconds from the injection. */
function ScenarioTimelines({ scenario, index }: { scenario: ScenarioProgress; index: number }) {
  const entrypoints = useAppStore(useShallow((s) => (s.design.entrypoints ?? []).map((e) => e.id)));
  const origin =
    scenario.injectedAt ??
    Math.min(...Object.values(scenario.samples).flatMap((samples) => (samples[0] ? [samples[0].at] : [])));
  const markers = useMemo(() => {
    const list: TimelineMarker[] = [];
    if (scenario.injectedAt !== undefined) list.push({ at: 0, label: 'injection', kind: 'injection' });
    for (const step of scenario.runbook)
      list.push({ at: (step.at - origin) / 1000, label: 'runbook step', kind: 'runbook' });
    return list;
  }, [scenario.injectedAt, scenario.runbook, origin]);
  return (
    <div className="rehearsal-timelines" data-testid={`rehearse-timelines-${index}`}>
      {entrypoints.map((entrypoint) => {
        const recoveredAt = scenario.result?.recoveredAt[entrypoint];
        const own =
          recoveredAt == null
            ? markers
            : [...markers, { at: recoveredAt / 1000, label: 'served again', kind: 'recovery' as const }];
        return (
          <RehearsalTimeline
            key={`${index}-${entrypoint}`}
            entrypoint={entrypoint}
            samples={scenario.samples[entrypoint] ?? []}
            origin={Number.isFinite(origin) ? origin : 0}
            markers={own}
            testId={`rehearse-chart-${entrypoint}`}
          />
        );
      })}
    </div>
  );
}

/** The view where the app cannot rehearse: the CLI route. */
function CliRoute() {
  return (
    <div className="rehearse-view" data-testid="rehearse-view">
      <h2 className="rehearse-title">Rehearse</h2>
      <div className="rehearse-cli-route" data-testid="rehearse-cli-route">
        <p>
          A rehearsal deploys the design into a lab of real hosts on a Linux machine, fails each host and site
          for real and measures what clients see, against the prediction. It needs network namespaces and
          root, which a browser page cannot use: the desktop app on Linux runs it here.
        </p>
        <p>From a terminal on a Linux machine, as root, with the design saved as design.json:</p>
        <pre>
          <code data-testid="rehearse-command">{REHEARSE_COMMAND}</code>
        </pre>
        <p>
          It prints a table of every scenario with its verdict (match or mismatch), and report.html draws each
          scenario&apos;s probe timeline.
        </p>
      </div>
    </div>
  );
}

/** The Rehearse tab of the side panel. */
export function RehearsePanel() {
  const services = useServices();
  const run = useAppStore((s) => s.rehearsalRun);
  const select = useAppStore((s) => s.selectRehearsedScenario);
  const able = canRehearse(services);
  useEffect(() => {
    if (able) void checkRehearsalSupport(services);
  }, [able, services]);
  if (!able) return <CliRoute />;

  const running = run.phase === 'running';
  const shown = run.current ?? run.selected;
  const shownScenario = shown === undefined ? undefined : run.scenarios[shown];
  const selected = run.selected === undefined ? undefined : run.scenarios[run.selected]?.result;
  return (
    <div className="rehearse-view" data-testid="rehearse-view">
      <h2 className="rehearse-title">Rehearse</h2>
      {run.support?.supported === false ? (
        <p className="rehearse-unsupported" role="status" data-testid="rehearse-unsupported">
          {run.support.reason}
        </p>
      ) : null}
      <div className="rehearse-actions">
        {running ? (
          <button
            type="button"
            data-testid="rehearse-cancel"
            disabled={run.cancelling}
            onClick={() => void cancelRehearsal(services)}
          >
            {run.cancelling ? 'Cancelling: removing the lab…' : 'Cancel'}
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            data-testid="rehearse-start"
            disabled={run.support?.supported !== true}
            onClick={() => void runRehearsal(services)}
          >
            Rehearse every single failure
          </button>
        )}
      </div>
      {running ? (
        <p className="rehearse-progress" role="status" aria-live="polite" data-testid="rehearse-progress">
          {run.current === undefined
            ? (run.progress[run.progress.length - 1] ?? 'Building the lab…')
            : `Scenario ${run.current + 1} of ${run.scenarios.length}: ${run.scenarios[run.current]?.label ?? ''}`}
        </p>
      ) : null}
      {run.phase === 'failed' ? (
        <p className="rehearse-error" role="alert" data-testid="rehearse-error">
          The rehearsal could not run: {run.error}
        </p>
      ) : null}
      {run.phase === 'cancelled' ? (
        <p className="rehearse-note" data-testid="rehearse-cancelled">
          Cancelled; the lab was removed.
        </p>
      ) : null}
      {run.scenarios.length > 0 ? (
        <ol className="rehearse-scenarios" aria-label="Scenarios" data-testid="rehearse-scenarios">
          {run.scenarios.map((scenario, index) => {
            const verdict = verdictWords(scenario.result);
            const started = scenario.label !== '';
            return (
              <li key={index}>
                <button
                  type="button"
                  className={`rehearse-scenario verdict-${started ? verdict.tone : 'waiting'}${run.selected === index ? ' active' : ''}`}
                  data-testid={`rehearse-scenario-${index}`}
                  data-verdict={scenario.result ? verdict.tone : started ? 'running' : 'waiting'}
                  aria-pressed={run.selected === index}
                  disabled={scenario.result === undefined}
                  title={scenario.result ? 'Show this scenario on the canvas' : undefined}
                  onClick={() => select(run.selected === index ? undefined : index)}
                >
                  <span className="rehearse-scenario-label">{started ? scenario.label : 'waiting'}</span>
                  <span className="rehearse-verdict">{started ? verdict.text : ''}</span>
                </button>
              </li>
            );
          })}
        </ol>
      ) : null}
      {selected ? (
        <table className="rehearse-entrypoints" data-testid="rehearse-selected">
          <caption>{selected.label}: each entrypoint</caption>
          <thead>
            <tr>
              <th scope="col">Entrypoint</th>
              <th scope="col">Verdict</th>
              <th scope="col">Predicted and measured</th>
            </tr>
          </thead>
          <tbody>
            {selected.entrypoints.map((entrypoint) => (
              <tr key={entrypoint.id} className={`verdict-${entrypoint.verdict}`}>
                <td>{entrypoint.id}</td>
                <td data-testid={`rehearse-verdict-${entrypoint.id}`}>
                  {entrypoint.verdict}
                  {entrypoint.differences.length > 0 ? `: ${entrypoint.differences.join('; ')}` : ''}
                </td>
                <td>{entrypointWords(entrypoint)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {shownScenario !== undefined && shown !== undefined ? (
        <ScenarioTimelines scenario={shownScenario} index={shown} />
      ) : null}
      {run.standIns.length > 0 ? (
        <details className="rehearse-standins">
          <summary>{run.standIns.length} stand-in(s): programs not installed on this machine</summary>
          <ul>
            {run.standIns.map((standIn) => (
              <li key={`${standIn.host}-${standIn.service}`}>
                {standIn.service} ({standIn.kind}) on {standIn.host}: {standIn.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
