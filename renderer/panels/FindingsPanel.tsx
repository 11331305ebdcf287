/**
 * The findings of the live checks: errors, warnings and notes, each with its rule, message and
 * subjects. A click selects the subjects and zooms to them.
 */
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Severity } from '../../core/rules';
import { focusItems } from '../app/commands';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';

const SEVERITIES: { severity: Severity; title: string }[] = [
  { severity: 'error', title: 'Errors' },
  { severity: 'warning', title: 'Warnings' },
  { severity: 'info', title: 'Notes' },
];

/** The findings panel. */
export function FindingsPanel() {
  const services = useServices();
  const { findings, counts, error } = useAppStore(
    useShallow((s) => ({
      findings: s.analysis?.findings,
      counts: s.analysis?.counts,
      error: s.analysis?.error,
    })),
  );
  const [hidden, setHidden] = useState<ReadonlySet<Severity>>(new Set());
  if (!findings || !counts) return <div className="panel-empty">Checking…</div>;
  if (error) return <div className="form-problems">The checks failed: {error}</div>;
  const shown = findings.filter((f) => !hidden.has(f.severity));
  return (
    <div className="findings-panel" data-testid="findings-panel">
      <div className="severity-filters" role="group" aria-label="Show severities">
        {SEVERITIES.map(({ severity, title }) => (
          <button
            key={severity}
            type="button"
            className={`filter severity-${severity}${hidden.has(severity) ? ' off' : ''}`}
            aria-pressed={!hidden.has(severity)}
            onClick={() => {
              const next = new Set(hidden);
              if (next.has(severity)) next.delete(severity);
              else next.add(severity);
              setHidden(next);
            }}
          >
            {counts[severity]} {title.toLowerCase()}
          </button>
        ))}
      </div>
      {findings.length === 0 ? (
        <div className="panel-empty">No findings: every rule passes.</div>
      ) : (
        <ul className="finding-list">
          {shown.map((finding) => (
            <li
              key={`${finding.rule}|${finding.subjects.join()}|${finding.message}`}
              className={`severity-${finding.severity}`}
            >
              <button
                type="button"
                className="finding"
                data-rule={finding.rule}
                onClick={() => focusItems(services, finding.subjects)}
                title="Select and zoom to the items involved"
              >
                <span className={`severity-dot severity-${finding.severity}`} aria-label={finding.severity} />
                <span className="finding-body">
                  <span className="rule">{finding.rule}</span>
                  <span className="finding-message">{finding.message}</span>
                  <span className="finding-subjects">{finding.subjects.join(' · ')}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
