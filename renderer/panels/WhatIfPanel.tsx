/**
 * What-if mode: what failed, what that did (each cause told once, with the entrypoints it took
 * down and, folded under each, the chain of needs that carried the failure), what stayed up, and
 * the table of every single host and site failure.
 */
import { memo, useEffect, useMemo, useState } from 'react';
import { Split } from 'lucide-react';
import type { SyntheticEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { OutcomeStep } from '../../core/what-if';
import { focusItems } from '../app/commands';
import { useServices } from '../app/services';
import { registry } from '../app/app-commands';
import { MECHANISM_WORDS, interruptsClients, recoveryFigure, recoverySentence } from '../canvas/cut';
import { useAppStore } from '../state/store';
import type { DisplayState, EntrypointStatus, SingleFailureRow } from '../workers/analysis-protocol';
import { SplitBrainExplanation } from './SplitBrain';

const STATE_WORDS: Record<DisplayState | 'failed', string> = {
  up: 'up',
  degraded: 'degraded',
  manual: 'manual',
  down: 'down',
  failed: 'failed',
};

function StateText({ state }: { state: DisplayState | 'failed' }) {
  return (
    <span className={`state-tag state-${state}`} data-state={state}>
      {STATE_WORDS[state]}
    </span>
  );
}

/** The chain under an entrypoint: each need, what state it is in, and why it ends where it does. */
function Chain({ step }: { step: OutcomeStep }) {
  if (step.needs.length === 0) return null;
  return (
    <ul className="outcome-chain">
      {step.needs.map((need) => (
        <li key={need.id}>
          <span className="chain-name">{need.name}</span>
          {need.name !== need.id ? <span className="chain-id"> ({need.id})</span> : null}{' '}
          <StateText state={need.state} />
          {need.cause ? <span className="chain-cause"> {need.cause}</span> : null}
          {need.note ? <span className="chain-note"> · {need.note}</span> : null}
          <Chain step={need} />
        </li>
      ))}
    </ul>
  );
}

/** One entrypoint: its name and state, the sentence that says why, the chain folded under it. */
function EntrypointOutcomeItem({ entry }: { entry: EntrypointStatus }) {
  const services = useServices();
  // The chain is built only when opened: a site failure can take a hundred entrypoints down.
  const [open, setOpen] = useState(false);
  const reason = entry.headline.slice(entry.headline.indexOf(': ') + 2);
  return (
    <li data-testid={`entrypoint-status-${entry.id}`} className={`outcome state-${entry.state}`}>
      <details onToggle={(event: SyntheticEvent<HTMLDetailsElement>) => setOpen(event.currentTarget.open)}>
        <summary>
          <span className="outcome-name">{entry.label ?? entry.id}</span> <StateText state={entry.state} />
          <RecoveryFigure entry={entry} />
          <span className="outcome-reason">{reason}</span>
        </summary>
        {open ? (
          <div className="outcome-detail">
            {entry.recovery ? (
              <p className="outcome-recovery" data-testid={`whatif-recovery-why-${entry.id}`}>
                {recoverySentence(entry.recovery)}
              </p>
            ) : null}
            <Chain step={entry.chain} />
            <button type="button" className="small" onClick={() => focusItems(services, [entry.id])}>
              Show on the canvas
            </button>
          </div>
        ) : null}
      </details>
    </li>
  );
}

/**
 * An entrypoint's recovery figure, "≈ 7 s · Sentinel failover", or "no interruption" where its
 * clients lose no time; nothing when it is down.
 */
function RecoveryFigure({ entry }: { entry: EntrypointStatus }) {
  if (!entry.recovery) return null;
  return (
    <span
      className="outcome-recovery-figure"
      data-testid={`whatif-recovery-figure-${entry.id}`}
      title={recoverySentence(entry.recovery)}
    >
      {interruptsClients(entry.recovery)
        ? `${recoveryFigure(entry.recovery)} · ${MECHANISM_WORDS[entry.recovery.by]}`
        : 'no interruption'}
    </span>
  );
}

/**
 * One entrypoint that stayed up. Memoised: an answer keeps the entries it did not change, so the
 * hundreds of rows at 5,000 services are not rendered again for each failure.
 */
const StillUpRow = memo(function StillUpRow({
  entry,
  withRecovery,
}: {
  entry: EntrypointStatus;
  withRecovery: boolean;
}) {
  const services = useServices();
  return (
    <li data-testid={`entrypoint-status-${entry.id}`}>
      <button type="button" className="link-button" onClick={() => focusItems(services, [entry.id])}>
        {entry.label ?? entry.id}
      </button>
      <StateText state={entry.state} />
      {withRecovery ? <RecoveryFigure entry={entry} /> : null}
    </li>
  );
});

/** "took down 2 entrypoints, left 1 waiting for a person". */
function effectSummary(entries: readonly { state: DisplayState }[]): string {
  const count = (state: DisplayState) => entries.filter((e) => e.state === state).length;
  const plural = (n: number) => `${n} entrypoint${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (count('down') > 0) parts.push(`took ${plural(count('down'))} down`);
  if (count('manual') > 0) parts.push(`left ${plural(count('manual'))} waiting for a person`);
  if (count('degraded') > 0) parts.push(`weakened ${plural(count('degraded'))}`);
  return parts.join(', ');
}

/** The what-if panel. */
export function WhatIfPanel() {
  const services = useServices();
  const { whatIf, failed, cut, analysis, selection } = useAppStore(
    useShallow((s) => ({
      whatIf: s.whatIf,
      failed: s.failed,
      cut: s.cut,
      analysis: s.analysis,
      selection: s.selection,
    })),
  );
  // The lists that name things, not the design: a move changes only the layout, and the map of
  // every label (13,000 at 5,000 services) is built again only when a list changes.
  const names = useAppStore(
    useShallow((s) => ({
      sites: s.design.sites,
      hosts: s.design.hosts,
      services: s.design.services,
      groups: s.design.groups,
      entrypoints: s.design.entrypoints,
    })),
  );
  const store = services.store.getState();
  const [showAllOf, setShowAllOf] = useState<ReadonlySet<string>>(new Set());
  const [stillUpOpen, setStillUpOpen] = useState(false);
  // The person's choice to open or fold the single-failure table; until then, open when short.
  const [singleChoice, setSingleChoice] = useState<boolean | undefined>(undefined);
  const singleCount = analysis?.singleFailureCount ?? 0;
  const singleOpen = singleChoice ?? singleCount <= SINGLE_FAILURES_OPEN;
  // "Show all" lasts while the panel is open, as it did when the panel held it.
  useEffect(
    () => () => {
      const state = services.store.getState();
      if (state.allSingleFailures) state.setAllSingleFailures(false);
    },
    [services],
  );
  const nameOf = useMemo(() => {
    const labels = new Map<string, string>();
    for (const list of [names.sites, names.hosts, names.services, names.groups, names.entrypoints])
      for (const item of list ?? []) labels.set(item.id, item.label ?? item.id);
    return (id: string) => labels.get(id) ?? id;
  }, [names]);
  const byId = useMemo(
    () => new Map((analysis?.entrypoints ?? []).map((e) => [e.id, e])),
    [analysis?.entrypoints],
  );
  const stillUp = (analysis?.entrypoints ?? []).filter((e) => e.state === 'up');
  // Whether the answer shown is about failures or a cut: its recovery figures go with it. Read
  // from the answer, not from the failures asked for, so that failing an item does not add a
  // figure (not yet known) to each of hundreds of still-up rows before the checks answer.
  const answersFailures = (analysis?.failed.length ?? 0) > 0 || (analysis?.partition.length ?? 0) > 0;
  const causes = analysis?.byCause ?? [];
  // Hundreds of rows at 5,000 services: drawn a batch per task, as the table's.
  const stillUpDrawn = useGradualCount(
    stillUp,
    stillUpOpen || causes.length === 0 ? stillUp.length : 0,
    () => 4,
    ROW_BUDGET,
  );
  return (
    <div className="what-if-panel" data-testid="what-if-panel">
      <div className="what-if-toggle">
        <label>
          <input
            type="checkbox"
            checked={whatIf}
            data-testid="what-if-toggle"
            onChange={(e) => store.setWhatIf(e.target.checked)}
          />
          What-if mode
        </label>
        <span className="hint">
          {whatIf
            ? 'Click hosts, sites or services on the canvas (or press Enter on one) to fail them.'
            : 'Turn on, then click items to fail them.'}
        </span>
      </div>
      {whatIf ? (
        <section className="form-section" aria-labelledby="what-if-failed">
          <h3 id="what-if-failed">Failed</h3>
          {failed.length === 0 ? (
            <div className="hint">Nothing failed yet.</div>
          ) : (
            <div className="chips">
              {failed.map((id) => (
                <span className="chip failed" key={id}>
                  {nameOf(id)}
                  <button
                    type="button"
                    aria-label={`Restore ${nameOf(id)}`}
                    onClick={() => store.toggleFailure(id)}
                  >
                    ×
                  </button>
                </span>
              ))}
              <button type="button" className="small" onClick={() => store.clearFailures()}>
                Restore all
              </button>
            </div>
          )}
        </section>
      ) : null}
      {whatIf ? (
        <section className="form-section" aria-labelledby="what-if-cut" data-testid="whatif-cut-panel">
          <h3 id="what-if-cut">Network cut</h3>
          {cut.length === 0 ? (
            <>
              <div className="hint">
                Cut the network in two:{' '}
                {(names.sites ?? []).length > 1 ? "pick a site in the toolbar's list, or " : ''}
                select hosts or sites (Shift-click, or drag a box) and cut them off here or from their menu
                (right-click, or Shift+F10).
              </div>
              <button
                type="button"
                className="small"
                data-testid="whatif-cut-apply"
                disabled={!registry.isEnabled('what-if.cut-off', services)}
                onClick={() => void registry.run('what-if.cut-off', services)}
              >
                Cut the selection off
                {selection.length > 0 && registry.isEnabled('what-if.cut-off', services)
                  ? ''
                  : ' (select hosts or sites first)'}
              </button>
            </>
          ) : (
            <div className="chips">
              <span className="chip cut" data-testid="whatif-cut-chip">
                Cut off: {cut.map(nameOf).join(', ')}
                <button
                  type="button"
                  aria-label="Heal the network cut"
                  data-testid="whatif-cut-heal"
                  onClick={() => store.cutOff([])}
                >
                  ×
                </button>
              </span>
              <span className="hint">
                {(analysis?.sides ?? []).length > 0
                  ? `Sides: ${(analysis?.sides ?? [])
                      .map((side) => (side.ids.length > 0 ? side.ids.map(nameOf).join(', ') : 'the rest'))
                      .join(' | ')}`
                  : ''}
              </span>
            </div>
          )}
          {(analysis?.splitBrain ?? []).length > 0 ? (
            <SplitBrainExplanation
              // Read at render: the panel renders again when a list that names things changes.
              design={store.design}
              groups={analysis!.splitBrain}
              testId="split-brain-what-if"
            />
          ) : null}
        </section>
      ) : null}
      {causes.length > 0 ? (
        <section className="form-section" aria-labelledby="what-if-outcomes" data-testid="what-if-outcomes">
          <h3 id="what-if-outcomes">
            {failed.length > 0 && whatIf ? 'What the failures did' : 'Not fully up'}
          </h3>
          {causes.map((cause) => {
            const key = cause.causes.join() || 'baseline';
            const entries = cause.entrypoints.flatMap((id) => byId.get(id) ?? []);
            const shown = showAllOf.has(key) ? entries : entries.slice(0, OUTCOME_LIMIT);
            return (
              <div className="cause" key={key} data-testid="cause">
                <h4 className="cause-title">{cause.title}</h4>
                <div className="cause-summary">{effectSummary(entries)}:</div>
                <ul className="outcome-list">
                  {shown.map((entry) => (
                    <EntrypointOutcomeItem key={entry.id} entry={entry} />
                  ))}
                </ul>
                {entries.length > shown.length ? (
                  <button
                    type="button"
                    className="small"
                    onClick={() => setShowAllOf(new Set([...showAllOf, key]))}
                  >
                    Show all {entries.length}
                  </button>
                ) : null}
              </div>
            );
          })}
        </section>
      ) : null}
      {analysis?.detail ? (
        <section className="form-section" aria-labelledby="what-if-up">
          <details
            className="still-up"
            open={causes.length === 0}
            onToggle={(event) => setStillUpOpen(event.currentTarget.open)}
          >
            <summary>
              <h3 id="what-if-up" className="inline-heading">
                {causes.length === 0 ? 'Every entrypoint is up' : `Still up: ${stillUp.length}`}
              </h3>
            </summary>
            <ul className="entrypoint-list">
              {/* Folded, the list is not drawn: at 5,000 services it is hundreds of rows that
                  every what-if failure drew again (a recovery figure each) behind the fold. */}
              {stillUp.slice(0, stillUpDrawn).map((entry) => (
                <StillUpRow key={entry.id} entry={entry} withRecovery={answersFailures} />
              ))}
            </ul>
          </details>
        </section>
      ) : null}
      <section className="form-section" aria-labelledby="what-if-single">
        <details
          className="single-failure-fold"
          open={singleOpen}
          onToggle={(event) => {
            const open = event.currentTarget.open;
            // The toggle event also follows the default changing: only a change is a choice.
            if (open !== singleOpen) setSingleChoice(open);
          }}
        >
          <summary>
            <h3 id="what-if-single" className="inline-heading">
              Every single failure{singleCount > SINGLE_FAILURES_OPEN ? `: ${singleCount}` : ''}
            </h3>
          </summary>
          {/* Folded, the table is not drawn: at 5,000 services its worst rows alone are thousands of
              elements, and laying them out made every what-if failure's frames long. */}
          {singleOpen ? (
            <SingleFailureTable
              rows={analysis?.singleFailures ?? NO_ROWS}
              count={singleCount}
              nameOf={nameOf}
            />
          ) : null}
        </details>
      </section>
    </div>
  );
}

const NO_ROWS: readonly SingleFailureRow[] = [];

/**
 * Up to this many single failures the table opens with the panel (every example's); a longer one
 * opens when the person asks, with its count on the fold.
 */
const SINGLE_FAILURES_OPEN = 100;

/**
 * The table of every single host and site failure, worst first. Memoised apart from the panel: a
 * what-if failure changes the panel's outcomes but not this table (the analysis keeps its rows),
 * and at 5,000 services its first rows alone are thousands of elements.
 */
const SingleFailureTable = memo(function SingleFailureTable({
  rows,
  count,
  nameOf,
}: {
  /** Worst first, as the checks send them: the worst few, or all when asked for. */
  rows: readonly SingleFailureRow[];
  /** How many rows the whole table has. */
  count: number;
  nameOf: (id: string) => string;
}) {
  const services = useServices();
  const drawn = useGradualCount(rows, rows.length, rowWeight, ROW_BUDGET);
  return (
    <>
      <table className="single-failures" data-testid="single-failures">
        <thead>
          <tr>
            <th scope="col">Fails</th>
            <th scope="col">What it does</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, drawn).map((row) => (
            <SingleFailureTableRow key={`${row.kind}:${row.failed}`} row={row} nameOf={nameOf} />
          ))}
        </tbody>
      </table>
      {count > rows.length ? (
        <button
          type="button"
          className="small"
          onClick={() => services.store.getState().setAllSingleFailures(true)}
        >
          Show all {count} failures
        </button>
      ) : null}
    </>
  );
});

/** One row of the table; memoised, so rows the analysis kept are not drawn again. */
const SingleFailureTableRow = memo(function SingleFailureTableRow({
  row,
  nameOf,
}: {
  row: SingleFailureRow;
  nameOf: (id: string) => string;
}) {
  const services = useServices();
  return (
    <tr className={worstClass(row.effects.map((e) => e.state))}>
      <td>
        <button
          type="button"
          className="link-button"
          title="Fail it in what-if mode"
          onClick={() => {
            const state = services.store.getState();
            if (!state.whatIf) state.setWhatIf(true);
            if (row.kind === 'partition') services.store.setState({ failed: [], cut: [row.failed] });
            else services.store.setState({ failed: [row.failed], cut: [] });
          }}
        >
          {row.kind === 'partition' ? `site ${row.failed} cut off` : `${row.kind} ${row.failed}`}
        </button>
      </td>
      <td>
        {(row.splitBrain ?? []).length > 0 ? (
          <div className="split-brain-row" data-testid={`split-brain-row-${row.failed}`}>
            <Split size={12} aria-hidden="true" /> split brain: {row.splitBrain!.map(nameOf).join(', ')}
          </div>
        ) : null}
        {row.effects.length === 0 ? (
          <span className="hint">every entrypoint stays up</span>
        ) : (
          <ul>
            {row.effects.map((effect) => (
              <li key={effect.id} title={effect.reason}>
                {effect.name} <StateText state={effect.state} />
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
});

/** About how many elements a row of the table makes: its cells, and three per effect listed. */
function rowWeight(row: SingleFailureRow): number {
  return 6 + 3 * row.effects.length + (row.splitBrain ?? []).length;
}

/**
 * How many of `items` (up to `wanted`) to draw now. The first ones, up to `budget` of `weight`,
 * at once; each further batch of that size in a task of its own, so that a long list (the table's
 * first rows at 5,000 services are some 6,700 elements) never holds the page in one task. Items
 * once drawn stay drawn when the list changes, so an answer that keeps the rows does not redraw
 * them from the start.
 */
function useGradualCount<T>(
  items: readonly T[],
  wanted: number,
  weight: (item: T) => number,
  budget: number,
): number {
  const [reached, setReached] = useState(0);
  // Fewer wanted (a list folded): the next unfolding starts again from the first batch.
  if (reached > wanted) setReached(wanted);
  const batchEnd = (from: number) => {
    let end = from;
    for (let spent = 0; end < wanted && (end === from || spent + weight(items[end]!) <= budget); end++)
      spent += weight(items[end]!);
    return end;
  };
  const drawn = Math.min(wanted, Math.max(reached, batchEnd(0)));
  useEffect(() => {
    if (drawn >= wanted) return;
    // After the next frame: batches drawn before it would all be styled and laid out in it. A
    // timer, not the frame's own callback: React renders an update made there before the frame.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setReached(batchEnd(drawn)), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  });
  return drawn;
}

/** The elements (about) of table rows drawn in one task: a few milliseconds' work. */
const ROW_BUDGET = 300;
/** Entrypoints shown under one cause before "Show all". */
const OUTCOME_LIMIT = 12;

function worstClass(states: DisplayState[]): string {
  if (states.includes('down')) return 'row-down';
  if (states.includes('manual')) return 'row-manual';
  if (states.includes('degraded')) return 'row-degraded';
  return 'row-up';
}
