/**
 * The analysis of one design revision: rules, badges, group summaries, the state of every item
 * under the given failures and the single-failure table. Pure; the worker calls it, tests too.
 */
import type { AvailabilityModel } from '../../core/availability';
import type { ItemAvailability } from '../../core/availability/types';
import { summarizeGroups } from '../../core/group-summary';
import type { Design } from '../../core/model';
import { validateDesign } from '../../core/rules';
import type { Finding, Severity } from '../../core/rules/catalogue';
import { estimatePartitionRecovery, estimateRecovery } from '../../core/recovery/estimate';
import { describeOutcomes, describePartitionOutcomes } from '../../core/what-if';
import type {
  Analysis,
  AnalysisRequest,
  Badge,
  CutSide,
  DisplayState,
  SingleFailureRow,
} from './analysis-protocol';
import { applyDesignPatch, STALE_BASE } from './design-patch';
import { emptyItemTable, itemTableOf } from './item-table';
import { resilienceReport } from './resilience';
import type { ResilienceReport } from './resilience';

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Keeps the last validation, so that a new set of failures on the same revision costs little. */
export class Analyzer {
  private revision = -1;
  private design: Design | undefined;
  private findings: Finding[] = [];
  private model: AvailabilityModel | undefined;
  /** The whole single-failure table, worst first, and the rows last sent of it. */
  private singleFailures: SingleFailureRow[] | undefined;
  private sentRows: SingleFailureRow[] | undefined;
  private resilience: ResilienceReport | undefined;

  analyze(request: AnalysisRequest, now: () => number = () => performance.now()): Analysis {
    const started = now();
    if (request.patch) {
      if (!this.design || request.patch.base !== this.revision)
        throw new Error(`${STALE_BASE}: revision ${request.patch.base}`);
      request = { ...request, design: applyDesignPatch(this.design, request.patch.changes) };
    }
    if (request.design && (request.revision !== this.revision || request.design !== this.design)) {
      const validation = validateDesign(request.design);
      this.findings = validation.findings;
      this.model = validation.model;
      this.singleFailures = undefined;
      this.sentRows = undefined;
      this.resilience = undefined;
      this.revision = request.revision;
      this.design = request.design;
    }
    if (request.revision !== this.revision || !this.design || !this.model) {
      throw new Error(`the analysis has no design for revision ${request.revision}`);
    }
    const design = this.design;
    const model = this.model;
    const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
    const badges: Record<string, Badge> = {};
    for (const finding of this.findings) {
      counts[finding.severity]++;
      for (const subject of new Set(finding.subjects)) {
        const badge = badges[subject];
        if (!badge) badges[subject] = { severity: finding.severity, count: 1 };
        else {
          badge.count++;
          if (SEVERITY_RANK[finding.severity] < SEVERITY_RANK[badge.severity])
            badge.severity = finding.severity;
        }
      }
    }
    const summary = {
      revision: request.revision,
      findings: this.findings,
      counts,
      badges: itemTableOf(Object.entries(badges)),
      groups: Object.fromEntries(summarizeGroups(design)),
      implicitEntrypoints: model.index.entrypoints.filter((e) => e.implicit).map((e) => e.id),
      ...(request.resilience
        ? { resilience: (this.resilience ??= resilienceReport(model, this.findings)) }
        : {}),
    };
    if (!request.detail) {
      return {
        ...summary,
        failed: [],
        partition: [],
        sides: [],
        splitBrain: [],
        detail: false,
        states: emptyItemTable<DisplayState>(),
        entrypoints: [],
        byCause: [],
        singleFailures: [],
        singleFailureCount: 0,
        durationMs: now() - started,
      };
    }
    const table = (this.singleFailures ??= worstFirst(singleFailureRows(model, design)));
    const rowCount = Math.min(table.length, request.singleFailureRows ?? table.length);
    // The same list while the same rows are asked for: the answer's diff then sends none of it.
    if (this.sentRows?.length !== rowCount) this.sentRows = table.slice(0, rowCount);
    const failed = request.failed.filter((id) => model.failureKind(id) !== undefined);
    // A side keeps the sites and hosts that still exist (an edit may have removed one).
    let partition = (request.partition ?? [])
      .map((side) => side.filter((id) => ['host', 'site'].includes(model.failureKind(id) ?? '')))
      .filter((side) => side.length > 0);
    if (model.partitionProblem(partition) !== undefined) partition = [];
    // The same evaluation and recovery as `simulate --fail … --partition …` (cli/main.ts).
    const cut =
      failed.length > 0 || partition.length > 0 ? model.evaluatePartition(partition, failed) : undefined;
    const evaluation = cut ?? model.baseline;
    const recoveries = new Map(
      (cut ? estimatePartitionRecovery(model, cut) : estimateRecovery(model, evaluation)).map((e) => [
        e.id,
        e.recovery,
      ]),
    );
    const sides: CutSide[] =
      cut && partition.length > 0 ? cut.sides.map((side) => ({ ids: side.ids, hosts: side.hosts })) : [];

    const states: Record<string, DisplayState> = {};
    const put = (item: ItemAvailability | undefined) => {
      if (item) states[item.id] = displayState(item);
    };
    for (const service of design.services) put(evaluation.stateOf(service.id));
    for (const group of design.groups ?? []) put(evaluation.stateOf(group.id));
    const failedSet = new Set(failed);
    for (const site of design.sites ?? []) states[site.id] = failedSet.has(site.id) ? 'down' : 'up';
    for (const host of design.hosts) {
      const down = failedSet.has(host.id) || (host.site !== undefined && failedSet.has(host.site));
      states[host.id] = down ? 'down' : 'up';
    }
    const labels = new Map((design.entrypoints ?? []).map((e) => [e.id as string, e.label]));
    const outcomes = cut
      ? describePartitionOutcomes(model.index, cut)
      : describeOutcomes(model.index, evaluation);
    const entrypoints = evaluation.entrypoints().map((item, index) => {
      states[item.id] = displayState(item);
      const outcome = outcomes.entrypoints[index]!;
      return {
        id: item.id,
        label: labels.get(item.id) ?? (outcome.name !== item.id ? outcome.name : undefined),
        state: displayState(item),
        reason: evaluation.explain(item.id),
        headline: outcome.headline,
        chain: outcome.chain,
        implicit: !labels.has(item.id) && !(design.entrypoints ?? []).some((e) => e.id === item.id),
        recovery: recoveries.get(item.id) ?? null,
      };
    });

    return {
      ...summary,
      failed,
      partition,
      sides,
      splitBrain: cut?.splitBrain ?? [],
      detail: true,
      states: itemTableOf(Object.entries(states)),
      entrypoints,
      byCause: outcomes.byCause.map((cause) => ({
        causes: cause.causes,
        title: cause.title,
        entrypoints: cause.entrypoints.map((e) => e.id),
      })),
      singleFailures: this.sentRows,
      singleFailureCount: table.length,
      durationMs: now() - started,
    };
  }
}

function displayState(item: ItemAvailability): DisplayState {
  return item.state === 'up' && item.degraded ? 'degraded' : item.state;
}

const STATE_RANK: Record<DisplayState, number> = { down: 0, manual: 1, degraded: 2, up: 3 };

/**
 * The table worst first: a failure that takes an entrypoint down before one that leaves it to a
 * person, then one that degrades it; a cut that splits a group's brain counts as bad as one that
 * takes an entrypoint down. Ties keep the sweep's order.
 */
function worstFirst(rows: SingleFailureRow[]): SingleFailureRow[] {
  const rank = (row: SingleFailureRow) => {
    const worst = Math.min(3, ...row.effects.map((effect) => STATE_RANK[effect.state]));
    return (row.splitBrain ?? []).length > 0 ? Math.min(worst, 0.5) : worst;
  };
  return rows
    .map((row, index) => ({ row, rank: rank(row), index }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ row }) => row);
}

function singleFailureRows(model: AvailabilityModel, design: Design): SingleFailureRow[] {
  const names = new Map<string, string>();
  for (const entrypoint of design.entrypoints ?? [])
    names.set(entrypoint.id, entrypoint.label ?? entrypoint.id);
  for (const item of [...design.services, ...(design.groups ?? [])])
    if (item.label !== undefined && !names.has(item.id)) names.set(item.id, item.label);
  const rows: SingleFailureRow[] = [];
  model.sweepSingleFailures((scenario, changed, explain) => {
    rows.push({
      failed: scenario.failed,
      kind: scenario.kind,
      effects: changed.map((item) => ({
        id: item.id,
        name: names.get(item.id) ?? item.id,
        state: displayState(item),
        reason: explain(item.id),
      })),
    });
  });
  // Every site cut off from the others, as `simulate` sweeps them: the entrypoints it changes.
  const baseline = new Map(model.baseline.entrypoints().map((item) => [item.id, displayState(item)]));
  for (const cut of model.sitePartitions()) {
    rows.push({
      failed: cut.site,
      kind: 'partition',
      effects: cut.entrypoints
        .filter((item) => displayState(item) !== baseline.get(item.id))
        .map((item) => ({
          id: item.id,
          name: names.get(item.id) ?? item.id,
          state: displayState(item),
          reason: cut.explain(item.id),
        })),
      splitBrain: cut.splitBrain,
    });
  }
  return rows;
}
