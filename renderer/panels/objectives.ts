/**
 * The objectives (the design's and each entrypoint's `objectives`) as a person reads and types
 * them, in one place for the Resilience view and the inspector: their labels, availability in
 * percent and the RTO in seconds.
 */
import type { Objectives } from '../../core/model';

/** One of the objectives: `availability` or `rtoSeconds`. */
export type ObjectiveKind = keyof Objectives;

/** What each objective is called wherever it is edited. */
export const OBJECTIVE_LABELS: Record<ObjectiveKind, string> = {
  availability: 'Availability objective (%)',
  rtoSeconds: 'RTO objective (s)',
};

/** What each objective asks for, under its field in the inspector. */
export const OBJECTIVE_HELP: Record<ObjectiveKind, string> = {
  availability: 'The yearly availability each entrypoint must reach, in percent, e.g. 99.95.',
  rtoSeconds: 'The longest interruption any single host or site failure may cause, in seconds.',
};

/** True for the keys of `objectives`. */
export function isObjectiveKind(key: string): key is ObjectiveKind {
  return Object.hasOwn(OBJECTIVE_LABELS, key);
}

/** The objective as typed: availability in percent, the RTO in seconds. */
export function objectiveText(kind: ObjectiveKind, value: number | undefined): string {
  if (value === undefined) return '';
  return kind === 'availability' ? String(Number((value * 100).toPrecision(12))) : String(value);
}

/** Reads what was typed; a string is the reason it cannot be taken. */
export function parseObjective(kind: ObjectiveKind, text: string): number | undefined | string {
  const trimmed = text.trim().replace(/\s*(%|s)$/, '');
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (!Number.isFinite(value))
    return kind === 'availability'
      ? `'${text}' is not a percentage: type e.g. 99.95`
      : `'${text}' is not a number of seconds: type e.g. 30`;
  if (kind === 'availability') {
    if (value <= 0 || value > 100)
      return `${value}% is not an availability: type a percentage above 0, at most 100`;
    return Number((value / 100).toPrecision(12));
  }
  if (value < 0) return `${value} s is not a duration: type 0 or more seconds`;
  return value;
}
