/**
 * The Resilience view's figures (docs/designer.md, "Resilience view"): each entrypoint's yearly
 * availability and largest contributors, and its recovery after every single host and site
 * failure. The figures come from the functions `topoforge availability` and `topoforge simulate`
 * call, and whether an objective is missed from the findings of `objective.availability` and
 * `objective.rto`, so the view, the command line and the rules can never disagree.
 */
import type { AvailabilityModel } from '../../core/availability';
import { objectivesOf } from '../../core/objectives';
import type { Recovery, RecoveryMechanism } from '../../core/recovery/mechanisms';
import { estimateRecovery } from '../../core/recovery/estimate';
import { computeYearlyAvailability } from '../../core/reliability/yearly';
import type { Contributor } from '../../core/reliability/yearly';
import type { Objectives } from '../../core/model';
import type { Finding } from '../../core/rules/catalogue';

/** How many contributors the view charts per entrypoint. */
export const CHARTED_CONTRIBUTORS = 6;

/**
 * Up to this many single failures, every one is reported for every entrypoint, those that do not
 * interrupt it too; beyond, only those that do (at 1,000 services, 350 failures for each of 100
 * entrypoints would be megabytes to copy and tens of thousands of table rows).
 */
export const ALL_FAILURES_UP_TO = 24;

/** One single failure's effect on one entrypoint. */
export interface RecoveryPoint {
  /** The host or site that failed. */
  failed: string;
  kind: 'host' | 'site';
  /** Null when the entrypoint is `down` after it; `seconds` null when not known. */
  recovery: { seconds: number | null; by: RecoveryMechanism; detail: string } | null;
  /** True when `objective.rto` fires for this failure and entrypoint. */
  missed: boolean;
}

/** One entrypoint's row of the view. */
export interface EntrypointResilience {
  id: string;
  label?: string;
  /** True when the design declares the entrypoint, so it can carry objectives of its own. */
  declared: boolean;
  availability: number;
  /** Null for an entrypoint that nothing can take down (infinitely many nines). */
  nines: number | null;
  downtimeMinutesPerYear: number;
  bound: number;
  /** The largest contributors, largest first, at most {@link CHARTED_CONTRIBUTORS}. */
  contributors: Contributor[];
  /** How many contributors there are in all. */
  contributorCount: number;
  unknownRecovery: string[];
  /** The objectives that apply (its own, else the design's). */
  objectives: Objectives;
  /** Its own objectives, as written on the entrypoint. */
  ownObjectives: Objectives;
  availabilityMissed: boolean;
  rtoMissed: boolean;
  /**
   * Every single host failure, then every single site failure in a design with two or more sites;
   * beyond {@link ALL_FAILURES_UP_TO} of them, only those that interrupt it or take it down.
   */
  recoveries: RecoveryPoint[];
  /** How many single failures were left out of {@link recoveries} because they do not interrupt it. */
  uninterrupted: number;
}

/** Everything the Resilience view shows. */
export interface ResilienceReport {
  entrypoints: EntrypointResilience[];
  /** External services taken as always up (no `availability` set). */
  assumed: string[];
}

/** Computes the view's figures for a validated design and its findings. */
export function resilienceReport(model: AvailabilityModel, findings: readonly Finding[]): ResilienceReport {
  const index = model.index;
  // The yearly figures estimate the recovery after every single failure for the entrypoints it
  // can interrupt; beyond ALL_FAILURES_UP_TO only those are charted, so they are kept and reused.
  const interrupting = new Map<string, ReadonlyMap<string, Recovery | null>>();
  const yearly = computeYearlyAvailability(model, {
    onSingleFailure: (failed, recoveries) =>
      interrupting.set(failed, new Map(recoveries.map((e) => [e.id, e.recovery]))),
  });
  const availabilityMissed = new Set(
    findings.filter((f) => f.rule === 'objective.availability').map((f) => f.subjects[0]),
  );
  const rtoMissed = new Set(
    findings.filter((f) => f.rule === 'objective.rto').map((f) => `${f.subjects[0]}\u0000${f.subjects[1]}`),
  );
  const failures = model.singleFailures();
  const everyFailure = failures.length <= ALL_FAILURES_UP_TO;
  const scenarios = failures.map((scenario) => ({
    failed: scenario.failed,
    kind: scenario.kind as 'host' | 'site',
    // Few failures: each is shown for every entrypoint, those it leaves alone too, with their words.
    recoveries: everyFailure
      ? new Map(estimateRecovery(model, model.evaluate([scenario.failed])).map((e) => [e.id, e.recovery]))
      : (interrupting.get(scenario.failed) ?? new Map<string, Recovery | null>()),
  }));
  const declared = new Map((index.design.entrypoints ?? []).map((e) => [e.id as string, e]));
  const byId = new Map(yearly.entrypoints.map((e) => [e.id, e]));
  return {
    entrypoints: index.entrypoints.map((entrypoint) => {
      const id = entrypoint.id;
      const figures = byId.get(id)!;
      const own = declared.get(id);
      const recoveries = scenarios.flatMap((scenario): RecoveryPoint[] => {
        // Not estimated: a failure outside everything the entrypoint depends on does not touch it.
        if (!scenario.recoveries.has(id)) return [];
        const recovery = scenario.recoveries.get(id) ?? null;
        return [
          {
            failed: scenario.failed,
            kind: scenario.kind,
            recovery:
              recovery === null
                ? null
                : { seconds: recovery.seconds, by: recovery.by, detail: recovery.detail },
            missed: rtoMissed.has(`${scenario.failed}\u0000${id}`),
          },
        ];
      });
      const shown = everyFailure
        ? recoveries
        : recoveries.filter((point) => point.recovery === null || point.recovery.seconds !== 0);
      return {
        id,
        ...(own?.label !== undefined ? { label: own.label } : {}),
        declared: own !== undefined,
        availability: figures.availability,
        nines: Number.isFinite(figures.nines) ? figures.nines : null,
        downtimeMinutesPerYear: figures.downtimeMinutesPerYear,
        bound: figures.bound,
        contributors: figures.contributors.slice(0, CHARTED_CONTRIBUTORS),
        contributorCount: figures.contributors.length,
        unknownRecovery: figures.unknownRecovery,
        objectives: objectivesOf(index, id),
        ownObjectives: {
          ...(own?.objectives?.rtoSeconds !== undefined ? { rtoSeconds: own.objectives.rtoSeconds } : {}),
          ...(own?.objectives?.availability !== undefined
            ? { availability: own.objectives.availability }
            : {}),
        },
        availabilityMissed: availabilityMissed.has(id),
        rtoMissed: recoveries.some((point) => point.missed),
        recoveries: shown,
        uninterrupted: failures.length - shown.length,
      };
    }),
    assumed: yearly.assumed,
  };
}
