/**
 * What-if mode: the failed items, every entrypoint's state and why, and the table of every single
 * host and site failure with what it does.
 */
import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { focusItems } from '../app/commands';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';
import type { DisplayState } from '../workers/analysis-protocol';

function StateText({ state }: { state: DisplayState | 'failed' }) {
  return (
    <span className={`state-tag state-${state}`} data-state={state}>
      {state}
    </span>
  );
}

/** The what-if panel. */
export function WhatIfPanel() {
  const services = useServices();
  const { whatIf, failed, analysis } = useAppStore(
    useShallow((s) => ({ whatIf: s.whatIf, failed: s.failed, analysis: s.analysis })),
  );
  const store = services.store.getState();
  const [showAll, setShowAll] = useState(false);
  // Worst first: a failure that takes an entrypoint down matters before one that degrades it.
  const rows = useMemo(
    () =>
      [...(analysis?.singleFailures ?? [])].sort(
        (a, b) =>
          (SEVERITY[worstClass(a.effects.map((e) => e.state))] ?? 3) -
          (SEVERITY[worstClass(b.effects.map((e) => e.state))] ?? 3),
      ),
    [analysis?.singleFailures],
  );
  const shownRows = showAll ? rows : rows.slice(0, ROW_LIMIT);
  const [showAllEntrypoints, setShowAllEntrypoints] = useState(false);
  const entrypoints = useMemo(
    () =>
      [...(analysis?.entrypoints ?? [])].sort(
        (a, b) => (STATE_RANK[a.state] ?? 3) - (STATE_RANK[b.state] ?? 3),
      ),
    [analysis?.entrypoints],
  );
  const shownEntrypoints = showAllEntrypoints ? entrypoints : entrypoints.slice(0, ROW_LIMIT);
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
            ? 'Click hosts, sites or services on the canvas to fail them.'
            : 'Turn on, then click items to fail them.'}
        </span>
      </div>
      {whatIf ? (
        <section className="form-section">
          <h3>Failed</h3>
          {failed.length === 0 ? (
            <div className="hint">Nothing failed yet.</div>
          ) : (
            <div className="chips">
              {failed.map((id) => (
                <span className="chip failed" key={id}>
                  {id}
                  <button type="button" aria-label={`Restore ${id}`} onClick={() => store.toggleFailure(id)}>
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
      <section className="form-section">
        <h3>Entrypoints{whatIf && failed.length > 0 ? ' under these failures' : ''}</h3>
        <ul className="entrypoint-list">
          {shownEntrypoints.map((entry) => (
            <li key={entry.id} data-testid={`entrypoint-status-${entry.id}`}>
              <button type="button" className="link-button" onClick={() => focusItems(services, [entry.id])}>
                {entry.label ?? entry.id}
              </button>
              <StateText state={entry.state} />
              <div className="reason">{entry.reason}</div>
            </li>
          ))}
        </ul>
        {entrypoints.length > shownEntrypoints.length ? (
          <button type="button" className="small" onClick={() => setShowAllEntrypoints(true)}>
            Show all {entrypoints.length} entrypoints
          </button>
        ) : null}
      </section>
      <section className="form-section">
        <h3>Every single failure</h3>
        <table className="single-failures" data-testid="single-failures">
          <thead>
            <tr>
              <th>Fails</th>
              <th>What it does</th>
            </tr>
          </thead>
          <tbody>
            {shownRows.map((row) => (
              <tr key={`${row.kind}:${row.failed}`} className={worstClass(row.effects.map((e) => e.state))}>
                <td>
                  <button
                    type="button"
                    className="link-button"
                    title="Fail it in what-if mode"
                    onClick={() => {
                      const state = services.store.getState();
                      if (!state.whatIf) state.setWhatIf(true);
                      services.store.setState({ failed: [row.failed] });
                    }}
                  >
                    {row.kind} {row.failed}
                  </button>
                </td>
                <td>
                  {row.effects.length === 0 ? (
                    <span className="hint">every entrypoint stays up</span>
                  ) : (
                    <ul>
                      {row.effects.map((effect) => (
                        <li key={effect.id} title={effect.reason}>
                          {effect.id} <StateText state={effect.state} />
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length > shownRows.length ? (
          <button type="button" className="small" onClick={() => setShowAll(true)}>
            Show all {rows.length} failures
          </button>
        ) : null}
      </section>
    </div>
  );
}

/** Entrypoints that lost the most come first. */
const STATE_RANK: Readonly<Record<string, number>> = { down: 0, manual: 1, degraded: 2, up: 3 };

/** Rows shown before "Show all": a large design has hundreds of hosts. */
const ROW_LIMIT = 60;
const SEVERITY: Readonly<Record<string, number>> = {
  'row-down': 0,
  'row-manual': 1,
  'row-degraded': 2,
  'row-up': 3,
};

function worstClass(states: DisplayState[]): string {
  if (states.includes('down')) return 'row-down';
  if (states.includes('manual')) return 'row-manual';
  if (states.includes('degraded')) return 'row-degraded';
  return 'row-up';
}
