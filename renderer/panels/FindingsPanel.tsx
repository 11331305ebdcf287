/**
 * The findings of the live checks, grouped by rule with a count, worst first; a click on one
 * selects its subjects and brings them into view.
 *
 * A sketch with no entrypoint yet gets one note instead of a wall of cards: the file format counts
 * every service that nothing links to as an entrypoint (so each one alone is a single point of
 * failure), the note says so once, offers to add an entrypoint, and keeps the findings that follow
 * from it folded underneath. The command line keeps reporting them as they are.
 */
import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { RULES } from '../../core/rules/catalogue';
import type { Finding, RuleId, Severity } from '../../core/rules/catalogue';
import { focusItems } from '../app/commands';
import { addEntrypointTo } from '../app/sketch';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';
import { SplitBrainExplanation } from './SplitBrain';

const SEVERITIES: { severity: Severity; title: string }[] = [
  { severity: 'error', title: 'Errors' },
  { severity: 'warning', title: 'Warnings' },
  { severity: 'info', title: 'Notes' },
];

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Rules whose findings are about what an entrypoint suffers: implied entrypoints make them. */
const ENTRYPOINT_RULES: ReadonlySet<string> = new Set([
  'spof.host',
  'spof.site',
  'spof.partition',
  'failover.manual',
  'objective.rto',
  'objective.availability',
]);

/** Findings of one rule. */
interface RuleGroup {
  rule: RuleId;
  severity: Severity;
  findings: Finding[];
}

function groupByRule(findings: readonly Finding[]): RuleGroup[] {
  const groups = new Map<RuleId, RuleGroup>();
  for (const finding of findings) {
    const group = groups.get(finding.rule);
    if (group) group.findings.push(finding);
    else groups.set(finding.rule, { rule: finding.rule, severity: finding.severity, findings: [finding] });
  }
  return [...groups.values()].sort(
    (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.findings.length - a.findings.length,
  );
}

function FindingItem({ finding, nameOf }: { finding: Finding; nameOf: (id: string) => string }) {
  const services = useServices();
  return (
    <li className={`severity-${finding.severity}`}>
      <button
        type="button"
        className="finding"
        data-rule={finding.rule}
        onClick={() => focusItems(services, finding.subjects)}
        title="Select and show the items involved"
      >
        <span className="finding-body">
          <span className="finding-message">{finding.message}</span>
          <span className="finding-subjects">{finding.subjects.map(nameOf).join(' · ')}</span>
        </span>
      </button>
    </li>
  );
}

/** Shown before "Show all" in one rule's group. */
const ITEM_LIMIT = 25;

function RuleGroupView({
  group,
  nameOf,
  explained,
}: {
  group: RuleGroup;
  nameOf: (id: string) => string;
  /** Groups whose split brain the panel already explains above (the what-if cut's). */
  explained: readonly string[];
}) {
  const design = useAppStore((s) => s.design);
  const [all, setAll] = useState(false);
  const count = group.findings.length;
  const shown = all ? group.findings : group.findings.slice(0, ITEM_LIMIT);
  const summary = (RULES as Record<string, { summary: string } | undefined>)[group.rule]?.summary;
  return (
    <li className={`rule-group severity-${group.severity}`} data-testid={`rule-group-${group.rule}`}>
      <details open={count <= 3}>
        <summary>
          <span className={`severity-dot severity-${group.severity}`} aria-hidden="true" />
          <span className="rule">{group.rule}</span>
          <span
            className="rule-count"
            data-testid={`rule-count-${group.rule}`}
            aria-label={`${count} findings`}
          >
            {count}
          </span>
          {summary ? <span className="rule-summary">{summary}</span> : null}
        </summary>
        {group.rule === 'redis.split-brain' ? (
          <SplitBrainExplanation
            design={design}
            groups={[...new Set(group.findings.map((f) => f.subjects[0]!))].filter(
              (id) => !explained.includes(id),
            )}
            testId="split-brain-findings-explanation"
          />
        ) : null}
        <ul className="finding-list">
          {shown.map((finding) => (
            <FindingItem
              key={`${finding.subjects.join()}|${finding.message}`}
              finding={finding}
              nameOf={nameOf}
            />
          ))}
        </ul>
        {count > shown.length ? (
          <button type="button" className="small" onClick={() => setAll(true)}>
            Show all {count}
          </button>
        ) : null}
      </details>
    </li>
  );
}

/** The findings panel. */
export function FindingsPanel() {
  const services = useServices();
  const { findings, counts, error, implicit, design, splitBrain } = useAppStore(
    useShallow((s) => ({
      splitBrain: s.whatIf && s.analysis?.detail ? s.analysis.splitBrain : undefined,
      findings: s.analysis?.findings,
      counts: s.analysis?.counts,
      error: s.analysis?.error,
      implicit: s.analysis?.implicitEntrypoints,
      design: s.design,
    })),
  );
  const [hidden, setHidden] = useState<ReadonlySet<Severity>>(new Set());
  const nameOf = useMemo(() => {
    const labels = new Map<string, string>();
    for (const list of [design.sites, design.hosts, design.services, design.groups, design.entrypoints])
      for (const item of list ?? []) labels.set(item.id, item.label ?? item.id);
    return (id: string) => labels.get(id) ?? id;
  }, [design]);
  const { sketch, rest } = useMemo(() => {
    const implied = new Set(implicit ?? []);
    const shown = (findings ?? []).filter((f) => !hidden.has(f.severity));
    if (implied.size === 0) return { sketch: [], rest: shown };
    const follows = (f: Finding) => ENTRYPOINT_RULES.has(f.rule) && f.subjects.some((s) => implied.has(s));
    return { sketch: shown.filter(follows), rest: shown.filter((f) => !follows(f)) };
  }, [findings, hidden, implicit]);
  const groups = useMemo(() => groupByRule(rest), [rest]);
  if (!findings || !counts) return <div className="panel-empty">Checking…</div>;
  if (error) return <div className="form-problems">The checks failed: {error}</div>;
  // The service to offer as the first entrypoint: a balancer if there is one, else the first.
  const implied = implicit ?? [];
  const front =
    implied.find((id) =>
      design.services.some((s) => s.id === id && (s.kind === 'nginx' || s.kind === 'haproxy')),
    ) ?? implied[0];
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
      {implied.length > 0 && design.services.length > 0 ? (
        <section className="sketch-note" data-testid="sketch-note" aria-labelledby="sketch-note-title">
          <h3 id="sketch-note-title">No entrypoint drawn yet</h3>
          <p>
            Until the design says where clients connect, every service that nothing links to counts as an
            entrypoint ({implied.length}: {implied.slice(0, 4).join(', ')}
            {implied.length > 4 ? ` and ${implied.length - 4} more` : ''}), and each is checked as if clients
            used it directly.
          </p>
          {front ? (
            <button
              type="button"
              className="primary small"
              data-testid="sketch-add-entrypoint"
              onClick={() => addEntrypointTo(services, front)}
            >
              Add an entrypoint to {nameOf(front)}
            </button>
          ) : null}
          {sketch.length > 0 ? (
            <details className="sketch-findings" data-testid="sketch-findings">
              <summary>
                {sketch.length} finding{sketch.length === 1 ? '' : 's'} that follow from this
              </summary>
              <ul className="finding-list">
                {sketch.map((finding) => (
                  <FindingItem
                    key={`${finding.rule}|${finding.subjects.join()}|${finding.message}`}
                    finding={finding}
                    nameOf={nameOf}
                  />
                ))}
              </ul>
            </details>
          ) : null}
        </section>
      ) : null}
      {splitBrain && splitBrain.length > 0 ? (
        <section className="split-brain-now" aria-labelledby="split-brain-now-title">
          <h3 id="split-brain-now-title">Split brain under the what-if cut</h3>
          <SplitBrainExplanation design={design} groups={splitBrain} testId="split-brain-now" />
        </section>
      ) : null}
      {findings.length === 0 ? (
        <div className="panel-empty">No findings: every rule passes.</div>
      ) : (
        <ul className="rule-groups" aria-label="Findings by rule">
          {groups.map((group) => (
            <RuleGroupView key={group.rule} group={group} nameOf={nameOf} explained={splitBrain ?? []} />
          ))}
        </ul>
      )}
    </div>
  );
}
