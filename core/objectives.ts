/**
 * The design's resiliency policy (docs/rules.md, `objective.rto` and `objective.availability`):
 * every entrypoint's objectives, and the checks that hold the design to them.
 */
import type { AvailabilityModel } from './availability';
import type { DesignIndex } from './design-index';
import type { Objectives } from './model';
import { estimateRecovery } from './recovery/estimate';
import { computeYearlyAvailability } from './reliability/yearly';
import type { YearlyAvailability } from './reliability/yearly';

/** The objectives of an entrypoint: its own, each falling back to the design's. */
export function objectivesOf(index: DesignIndex, entrypoint: string): Objectives {
  const own = index.design.entrypoints?.find((e) => e.id === entrypoint)?.objectives;
  const design = index.design.objectives;
  return {
    rtoSeconds: own?.rtoSeconds ?? design?.rtoSeconds,
    availability: own?.availability ?? design?.availability,
  };
}

/** The two objective rule ids. */
export type ObjectiveRule = 'objective.rto' | 'objective.availability';

/** What the objective checks need: the design, its compiled model, and where findings go. */
export interface ObjectiveContext {
  index: DesignIndex;
  model: AvailabilityModel;
  report: (rule: ObjectiveRule, subjects: string[], message: string) => void;
}

/** How a number of seconds reads in a message. */
export function durationWords(seconds: number): string {
  if (seconds >= 120) return `${Math.round((seconds / 60) * 10) / 10} min`;
  return `${Math.round(seconds * 100) / 100} s`;
}

/**
 * `objective.rto`: every single host failure, and every single site failure in a design that
 * spans two or more sites, against each entrypoint's `rtoSeconds`.
 */
export function checkRecoveryObjectives({ index, model, report }: ObjectiveContext): void {
  const targets = index.entrypoints
    .map((e) => ({ id: e.id, rto: objectivesOf(index, e.id).rtoSeconds }))
    .filter((e): e is { id: string; rto: number } => e.rto !== undefined);
  if (targets.length === 0) return;
  const failures = [
    ...index.design.hosts.map((h) => ({ id: h.id as string, kind: 'host' })),
    ...(index.multiSite ? [...index.hostsBySite.keys()].map((id) => ({ id, kind: 'site' })) : []),
  ];
  for (const failure of failures) {
    const evaluation = model.evaluate([failure.id]);
    const recoveries = new Map(estimateRecovery(model, evaluation).map((e) => [e.id, e.recovery]));
    for (const { id, rto } of targets) {
      const recovery = recoveries.get(id);
      const where = `${failure.kind} ${failure.id}`;
      const limit = `its rtoSeconds ${rto}`;
      if (recovery === null || recovery === undefined) {
        report(
          'objective.rto',
          [failure.id, id],
          `Failing ${where} leaves ${id} down, beyond ${limit}: add a redundant target on another ${failure.kind}.`,
        );
      } else if (recovery.seconds === null) {
        report(
          'objective.rto',
          [failure.id, id],
          `Failing ${where} interrupts ${id} for a time not known (${recovery.detail}), so ${limit} cannot be shown to hold.`,
        );
      } else if (recovery.seconds > rto) {
        const fix =
          recovery.by === 'manual'
            ? 'make the standby hot, or raise the objective'
            : 'shorten that mechanism’s detection time, or raise the objective';
        report(
          'objective.rto',
          [failure.id, id],
          `Failing ${where} interrupts ${id} for ${durationWords(recovery.seconds)}, beyond ${limit}, because ${recovery.detail}: ${fix}.`,
        );
      }
    }
  }
}

/**
 * `objective.availability`: each entrypoint's yearly availability against its objective. Returns
 * the computed figures (undefined when no entrypoint has an availability objective), so a caller
 * that prints them does not compute them twice.
 */
export function checkAvailabilityObjectives(
  { index, model, report }: ObjectiveContext,
  computed?: YearlyAvailability,
): YearlyAvailability | undefined {
  const wanted = index.entrypoints.some((e) => objectivesOf(index, e.id).availability !== undefined);
  if (!wanted) return computed;
  const yearly = computed ?? computeYearlyAvailability(model);
  for (const result of yearly.entrypoints) {
    const objective = objectivesOf(index, result.id).availability;
    if (objective === undefined || result.availability >= objective) continue;
    const [largest] = result.contributors;
    const because =
      largest === undefined
        ? ''
        : `, mostly from ${largest.kind === 'failover' ? 'the failover after' : 'failures of'} ${largest.failed.join(' + ')} (${Math.round(largest.share * 100)}%)`;
    report(
      'objective.availability',
      [result.id, ...(largest?.failed ?? [])],
      `${result.id} is available ${formatAvailability(result.availability)} of a year (${result.downtimeMinutesPerYear.toFixed(1)} min down), below its objective ${formatAvailability(objective)}${because}: remove that single point of failure or shorten that failover.`,
    );
  }
  return yearly;
}

/** 0.99953 → "99.953%", with enough digits to tell it from an objective. */
export function formatAvailability(availability: number): string {
  const percent = availability * 100;
  const digits = Math.min(
    10,
    Math.max(2, Math.ceil(-Math.log10(Math.max(1 - availability, 1e-12)) - 1e-9) + 1),
  );
  return `${percent.toFixed(Math.max(0, digits - 2))}%`;
}
