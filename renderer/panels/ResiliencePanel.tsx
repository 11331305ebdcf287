/**
 * The Resilience view (docs/designer.md): per entrypoint, its nines and minutes down a year, the
 * largest contributors to that downtime and the recovery after every single failure, each as a
 * chart and a table; the objectives edited in place, red where missed. The figures are the
 * analysis worker's (renderer/workers/resilience.ts), the same as `topoforge availability` and
 * `topoforge simulate` print.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatAvailability } from '../../core/objectives';
import type { Design, Objectives } from '../../core/model';
import { useServices } from '../app/services';
import { DESIGN_FIELD_ATTRIBUTE } from '../chrome/shortcuts';
import { useAppStore } from '../state/store';
import type { EntrypointResilience, ResilienceReport } from '../workers/resilience';
import {
  ContributorsChart,
  RecoveryChart,
  contributorWords,
  formatSeconds,
  recoveryWords,
} from './resilience-charts';
import { saveResiliencePicture } from './resilience-picture';
import { OBJECTIVE_LABELS, objectiveText, parseObjective } from './objectives';
import type { ObjectiveKind } from './objectives';

/** Sets or clears one objective on the design or an entrypoint, as one undoable step. */
function setObjective(
  draft: Design,
  entrypoint: string | undefined,
  kind: ObjectiveKind,
  value: number | undefined,
): void {
  const owner = entrypoint === undefined ? draft : draft.entrypoints?.find((e) => e.id === entrypoint);
  if (owner === undefined) return;
  const objectives: Objectives = { ...owner.objectives };
  if (value === undefined) delete objectives[kind];
  else objectives[kind] = value;
  if (Object.keys(objectives).length === 0) delete owner.objectives;
  else owner.objectives = objectives;
}

/** One objective's field: committed on Enter or when it loses focus, Escape puts it back. */
function ObjectiveField({
  kind,
  entrypoint,
  value,
  inherited,
  missed,
  testId,
}: {
  kind: ObjectiveKind;
  entrypoint: string | undefined;
  value: number | undefined;
  inherited: number | undefined;
  missed: boolean;
  testId: string;
}) {
  const services = useServices();
  const id = useId();
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const shown = draft ?? objectiveText(kind, value);
  const whose = entrypoint === undefined ? 'the design' : entrypoint;
  const commit = () => {
    if (draft === undefined) return;
    const parsed = parseObjective(kind, draft);
    if (typeof parsed === 'string') {
      setProblem(parsed);
      return;
    }
    const words = kind === 'availability' ? 'availability objective' : 'RTO objective';
    const outcome = services.store
      .getState()
      .editDesign(`Set ${whose}'s ${words}`, (design) => setObjective(design, entrypoint, kind, parsed));
    if (!outcome.ok) {
      setProblem(outcome.problems.map((p) => p.message).join('; '));
      return;
    }
    setProblem(undefined);
    setDraft(undefined);
  };
  const placeholder = inherited === undefined ? 'none' : `${objectiveText(kind, inherited)} (design)`;
  return (
    <div className={`resilience-objective field${problem ? ' has-error' : ''}${missed ? ' missed' : ''}`}>
      <label htmlFor={id}>{OBJECTIVE_LABELS[kind]}</label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        value={shown}
        placeholder={placeholder}
        aria-invalid={missed || problem !== undefined}
        aria-describedby={missed || problem ? `${id}-note` : undefined}
        data-testid={testId}
        data-missed={missed}
        {...{ [DESIGN_FIELD_ATTRIBUTE]: '' }}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          if (event.key === 'Enter') commit();
          if (event.key === 'Escape') {
            setDraft(undefined);
            setProblem(undefined);
          }
        }}
      />
      {problem ? (
        <div className="field-error" role="alert" id={`${id}-note`} data-testid={`${testId}-error`}>
          {problem}
        </div>
      ) : missed ? (
        <div className="field-error" id={`${id}-note`}>
          missed
        </div>
      ) : null}
    </div>
  );
}

function EntrypointSection({ entry, theme }: { entry: EntrypointResilience; theme: string }) {
  const name = entry.label ?? entry.id;
  const nines = entry.nines === null ? '∞' : entry.nines.toFixed(2);
  return (
    <section
      className="resilience-entrypoint"
      data-testid={`resilience-entrypoint-${entry.id}`}
      aria-labelledby={`resilience-title-${entry.id}`}
    >
      <h3 id={`resilience-title-${entry.id}`}>
        {name}
        {name !== entry.id ? <span className="resilience-id"> ({entry.id})</span> : null}
      </h3>
      <dl className={`resilience-figures${entry.availabilityMissed ? ' missed' : ''}`}>
        <div>
          <dt>Nines</dt>
          <dd data-testid={`resilience-nines-${entry.id}`} data-missed={entry.availabilityMissed}>
            {nines}
          </dd>
        </div>
        <div>
          <dt>Available</dt>
          <dd data-testid={`resilience-availability-${entry.id}`}>
            {formatAvailability(entry.availability)}
          </dd>
        </div>
        <div>
          <dt>Down a year</dt>
          <dd data-testid={`resilience-downtime-${entry.id}`}>
            {entry.downtimeMinutesPerYear.toFixed(1)} min
          </dd>
        </div>
      </dl>
      {entry.availabilityMissed ? (
        <p className="resilience-verdict missed" data-testid={`resilience-missed-${entry.id}`}>
          Below its availability objective of {formatAvailability(entry.objectives.availability!)}.
        </p>
      ) : null}
      {entry.rtoMissed ? (
        <p className="resilience-verdict missed" data-testid={`resilience-rto-missed-${entry.id}`}>
          Interrupted beyond its RTO objective of {formatSeconds(entry.objectives.rtoSeconds!)} when{' '}
          {entry.recoveries
            .filter((point) => point.missed)
            .map((point) => `${point.kind} ${point.failed}`)
            .join(', ')}{' '}
          fails.
        </p>
      ) : null}
      {entry.declared ? (
        <div className="resilience-objectives">
          <ObjectiveField
            kind="availability"
            entrypoint={entry.id}
            value={entry.ownObjectives.availability}
            inherited={entry.objectives.availability}
            missed={entry.availabilityMissed && entry.ownObjectives.availability !== undefined}
            testId={`resilience-objective-availability-${entry.id}`}
          />
          <ObjectiveField
            kind="rtoSeconds"
            entrypoint={entry.id}
            value={entry.ownObjectives.rtoSeconds}
            inherited={entry.objectives.rtoSeconds}
            missed={entry.rtoMissed && entry.ownObjectives.rtoSeconds !== undefined}
            testId={`resilience-objective-rto-${entry.id}`}
          />
        </div>
      ) : null}

      <h4>Largest contributors to its downtime</h4>
      {entry.contributors.length === 0 ? (
        <p className="resilience-note">Nothing in the design takes it down.</p>
      ) : (
        <>
          <ContributorsChart key={theme} entrypoint={entry.id} contributors={entry.contributors} />
          <details className="resilience-table">
            <summary>As a table</summary>
            <table data-testid={`resilience-contributors-${entry.id}`}>
              <thead>
                <tr>
                  <th scope="col">What</th>
                  <th scope="col">Minutes a year</th>
                  <th scope="col">Share</th>
                </tr>
              </thead>
              <tbody>
                {entry.contributors.map((c) => (
                  <tr key={`${c.kind}:${c.failed.join('+')}`}>
                    <td>{contributorWords(c)}</td>
                    <td>{c.downtimeMinutesPerYear.toFixed(2)}</td>
                    <td>{Math.round(c.share * 100)}%</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {entry.contributorCount > entry.contributors.length ? (
              <p className="resilience-note">
                and {entry.contributorCount - entry.contributors.length} smaller ones (
                <code>topoforge availability --json</code> lists them all)
              </p>
            ) : null}
          </details>
        </>
      )}
      {entry.unknownRecovery.length > 0 ? (
        <p className="resilience-note">
          Recovery time not known after {entry.unknownRecovery.join(', ')} (counted as 0): set
          failoverSeconds.
        </p>
      ) : null}

      <h4>Recovery after each single failure</h4>
      {entry.recoveries.length === 0 && entry.uninterrupted === 0 ? (
        <p className="resilience-note">The design has no host to fail.</p>
      ) : (
        <>
          {entry.recoveries.length > 0 ? (
            <RecoveryChart
              key={theme}
              entrypoint={entry.id}
              points={entry.recoveries}
              rtoSeconds={entry.objectives.rtoSeconds}
            />
          ) : null}
          {entry.uninterrupted > 0 ? (
            <p className="resilience-note">
              {entry.uninterrupted} other single failures do not interrupt it.
            </p>
          ) : null}
          <details className="resilience-table">
            <summary>As a table</summary>
            <table data-testid={`resilience-recoveries-${entry.id}`}>
              <thead>
                <tr>
                  <th scope="col">Failure</th>
                  <th scope="col">Recovery</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {entry.recoveries.map((point) => (
                  <tr
                    key={point.failed}
                    className={point.missed ? 'missed' : undefined}
                    data-testid={`resilience-recovery-${entry.id}-${point.failed}`}
                    data-missed={point.missed}
                  >
                    <td>
                      {point.kind} {point.failed}
                    </td>
                    <td>
                      {recoveryWords(point)}
                      {point.missed ? ' · beyond the RTO' : ''}
                    </td>
                    <td>{point.recovery?.detail ?? 'no surviving path'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

/** The view's header: the design's own objectives and the picture button. */
function DesignObjectives({ report }: { report: ResilienceReport }) {
  const objectives = useAppStore((s) => s.design.objectives);
  // Red when an entrypoint that takes the design's objective misses it.
  const inheritsMissed = (kind: ObjectiveKind) =>
    report.entrypoints.some(
      (e) =>
        e.ownObjectives[kind] === undefined && (kind === 'availability' ? e.availabilityMissed : e.rtoMissed),
    );
  return (
    <div className="resilience-objectives" aria-label="The design's objectives" role="group">
      <ObjectiveField
        kind="availability"
        entrypoint={undefined}
        value={objectives?.availability}
        inherited={undefined}
        missed={objectives?.availability !== undefined && inheritsMissed('availability')}
        testId="resilience-objective-availability"
      />
      <ObjectiveField
        kind="rtoSeconds"
        entrypoint={undefined}
        value={objectives?.rtoSeconds}
        inherited={undefined}
        missed={objectives?.rtoSeconds !== undefined && inheritsMissed('rtoSeconds')}
        testId="resilience-objective-rto"
      />
    </div>
  );
}

/** The Resilience tab of the side panel. */
export function ResiliencePanel() {
  const services = useServices();
  const { report, theme, designName, current } = useAppStore(
    useShallow((s) => ({
      report: s.analysis?.resilience,
      theme: s.theme,
      designName: s.design.name,
      current: s.analysis?.revision === s.revision,
    })),
  );
  const root = useRef<HTMLDivElement>(null);
  // Keep the last figures on screen while a new revision is analysed, so the charts do not flicker.
  const [shown, setShown] = useState(report);
  useEffect(() => {
    if (report) setShown(report);
  }, [report]);
  const figures = report ?? shown;
  if (!figures) {
    return (
      <div className="resilience-view" data-testid="resilience-view" aria-busy="true">
        <p className="resilience-note">Computing the yearly availability and recovery times…</p>
      </div>
    );
  }
  return (
    <div className="resilience-view" data-testid="resilience-view" ref={root} aria-busy={!current}>
      <div className="resilience-header">
        <h2>Resilience</h2>
        <button
          type="button"
          data-testid="resilience-save-png"
          onClick={() => void saveResiliencePicture(services, designName, figures, root.current)}
        >
          Save as PNG
        </button>
      </div>
      <p className="resilience-note">
        Each entrypoint over a year, and how long its clients wait after each single failure. The same figures
        as <code>topoforge availability</code> and <code>topoforge simulate</code>.
      </p>
      <DesignObjectives report={figures} />
      {figures.entrypoints.map((entry) => (
        <EntrypointSection key={entry.id} entry={entry} theme={theme} />
      ))}
      {figures.assumed.length > 0 ? (
        <p className="resilience-note">
          Taken as always up (no availability set): {figures.assumed.join(', ')}.
        </p>
      ) : null}
    </div>
  );
}
