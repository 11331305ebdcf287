/**
 * Availability over a year, docs/availability.md ("Availability over a year"): for each
 * entrypoint, `1 - (static + failover)`, explained by its largest contributors.
 *
 * `static` is exact up to a reported bound: the failure combinations of the hosts, sites and
 * external services an entrypoint depends on are enumerated depth first, most likely first. Each
 * branch fixes which of the components before it failed; a branch whose failures already take
 * the entrypoint down counts with its whole probability (more failures never bring it back), and
 * a branch whose remaining probability is below a threshold is cut off, its probability added to
 * the bound. The states come from the availability engine itself, so the yearly figure and
 * `simulate` can never disagree about what a failure does.
 */
import type { AvailabilityModel } from '../availability';
import { membersAndLinks, reachFrom } from '../design-index';
import type { DesignIndex } from '../design-index';
import type { FailureRate } from '../model';
import { estimateRecovery } from '../recovery/estimate';
import type { EntrypointRecovery } from '../recovery/estimate';

/** A host fails once a year and is back in 4 hours, unless the design says otherwise. */
export const DEFAULT_HOST_RATE: FailureRate = { mtbfHours: 8760, mttrHours: 4 };
/** A site fails once in ten years and is back in 24 hours, unless the design says otherwise. */
export const DEFAULT_SITE_RATE: FailureRate = { mtbfHours: 87_600, mttrHours: 24 };

/** The largest absolute error the computation allows itself (docs/availability.md). */
export const ERROR_TARGET = 1e-9;

const MINUTES_PER_YEAR = 365 * 24 * 60;
/** How many combinations one entrypoint may evaluate before the rest goes into the bound. */
const EVALUATION_BUDGET = 200_000;
/** Branches less likely than this are cut off, their probability reported in the bound. */
const BRANCH_THRESHOLD = 1e-11;

/** What costs an entrypoint downtime: a combination of failures, or the failover after one. */
export interface Contributor {
  failed: string[];
  kind: 'combination' | 'failover';
  downtimeMinutesPerYear: number;
  /** Share of the entrypoint's total downtime, 0..1. */
  share: number;
}

/** One entrypoint's yearly availability (docs/cli.md, `availability --json`). */
export interface EntrypointAvailability {
  id: string;
  availability: number;
  nines: number;
  downtimeMinutesPerYear: number;
  static: number;
  failover: number;
  /** Upper bound of the absolute error of `availability`. */
  bound: number;
  contributors: Contributor[];
  /** Single failures whose recovery time is not known (a `quorum` group without `failoverSeconds`). */
  unknownRecovery: string[];
}

/** Every entrypoint's yearly availability, with the services taken as always up. */
export interface YearlyAvailability {
  entrypoints: EntrypointAvailability[];
  /** External services without an `availability`, taken as always up. */
  assumed: string[];
}

/** One thing that fails independently: a host, a site or an external service. */
interface Component {
  id: string;
  /** Probability that it is down at a given moment. */
  down: number;
  /**
   * What the engine is told fails with it. A site stands for its hosts that the entrypoint depends
   * on: the same state for that entrypoint, without recomputing the rest of the site.
   */
  fails: string[];
}

/** Steady-state unavailability of something that fails every `mtbfHours` and is repaired in `mttrHours`. */
export function unavailabilityOf(rate: FailureRate): number {
  return rate.mttrHours / (rate.mtbfHours + rate.mttrHours);
}

/** The failure rate of a host: its own, else the design's default, else {@link DEFAULT_HOST_RATE}. */
export function hostRateOf(index: DesignIndex, host: string): FailureRate {
  return index.hosts.get(host)?.reliability ?? index.design.reliability?.host ?? DEFAULT_HOST_RATE;
}

/** The failure rate of a site: its own, else the design's default, else {@link DEFAULT_SITE_RATE}. */
export function siteRateOf(index: DesignIndex, site: string): FailureRate {
  return index.sites.get(site)?.reliability ?? index.design.reliability?.site ?? DEFAULT_SITE_RATE;
}

/** What a caller may ask of {@link computeYearlyAvailability} besides the figures. */
export interface YearlyOptions {
  /**
   * Receives the recoveries estimated after each single host or site failure, for the
   * entrypoints it can interrupt (every other entrypoint stays up, not interrupted). The
   * Resilience view charts them instead of estimating every failure a second time.
   */
  onSingleFailure?: (failed: string, recoveries: readonly EntrypointRecovery[]) => void;
}

/** Computes every entrypoint's yearly availability. */
export function computeYearlyAvailability(
  model: AvailabilityModel,
  options: YearlyOptions = {},
): YearlyAvailability {
  const index = model.index;
  const cones = new Map(index.entrypoints.map((e) => [e.id, componentsOf(index, e.targets)]));
  const failovers = singleFailureRecoveries(model, cones, options.onSingleFailure);
  const entrypoints = index.entrypoints.map((entrypoint) => {
    const components = cones.get(entrypoint.id)!;
    const combinations = staticUnavailability(model, entrypoint.id, components);
    const lost: Contributor[] = [];
    let failover = 0;
    const unknownRecovery: string[] = [];
    for (const single of failovers) {
      const seconds = single.seconds.get(entrypoint.id);
      if (seconds === undefined) continue;
      if (seconds === null) {
        unknownRecovery.push(single.failed);
        continue;
      }
      if (seconds === 0) continue;
      const share = seconds / 3600 / single.rate.mtbfHours;
      failover += share;
      lost.push({
        failed: [single.failed],
        kind: 'failover',
        downtimeMinutesPerYear: share * MINUTES_PER_YEAR,
        share: 0,
      });
    }
    const unavailable = combinations.probability + failover;
    const contributors = [
      ...combinations.cuts.map((cut) => ({
        failed: cut.failed,
        kind: 'combination' as const,
        downtimeMinutesPerYear: cut.probability * MINUTES_PER_YEAR,
        share: 0,
      })),
      ...lost,
    ];
    for (const contributor of contributors)
      contributor.share =
        unavailable === 0 ? 0 : contributor.downtimeMinutesPerYear / MINUTES_PER_YEAR / unavailable;
    contributors.sort(
      (a, b) =>
        b.downtimeMinutesPerYear - a.downtimeMinutesPerYear || a.failed.join().localeCompare(b.failed.join()),
    );
    const availability = 1 - unavailable;
    return {
      id: entrypoint.id,
      availability,
      nines: unavailable <= 0 ? Number.POSITIVE_INFINITY : -Math.log10(unavailable),
      downtimeMinutesPerYear: unavailable * MINUTES_PER_YEAR,
      static: combinations.probability,
      failover,
      bound: combinations.bound,
      contributors,
      unknownRecovery,
    };
  });
  const assumed = index.design.services
    .filter((s) => s.host === undefined && s.availability === undefined)
    .map((s) => s.id as string);
  return { entrypoints, assumed };
}

/** The hosts, sites and unreliable external services an entrypoint's targets depend on, likeliest first. */
function componentsOf(index: DesignIndex, targets: readonly string[]): Component[] {
  const hosts = new Set<string>();
  const external = new Set<string>();
  for (const id of reachFrom(targets, (from) => membersAndLinks(index, from))) {
    const service = index.services.get(id);
    if (service === undefined) continue;
    if (service.host !== undefined) hosts.add(service.host);
    else if (service.availability !== undefined && service.availability < 1) external.add(service.id);
  }
  const sites = new Set([...hosts].map((h) => index.hosts.get(h)?.site).filter((s) => s !== undefined));
  const components: Component[] = [
    ...[...hosts].map((id) => ({ id, down: unavailabilityOf(hostRateOf(index, id)), fails: [id] })),
    ...[...sites].map((id) => ({
      id: id as string,
      down: unavailabilityOf(siteRateOf(index, id)),
      fails: [...hosts].filter((host) => index.hosts.get(host)?.site === id),
    })),
    ...[...external].map((id) => ({ id, down: 1 - index.services.get(id)!.availability!, fails: [id] })),
  ];
  return components.sort((a, b) => b.down - a.down || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

interface CutSet {
  failed: string[];
  probability: number;
}

interface StaticResult {
  probability: number;
  bound: number;
  cuts: CutSet[];
}

/**
 * The probability that the entrypoint is `down`, by depth-first enumeration of failure
 * combinations (see the file comment). A `manual` entrypoint counts as up here: in combinations
 * of failures a person has started the cold standby.
 */
function staticUnavailability(
  model: AvailabilityModel,
  entrypoint: string,
  components: Component[],
): StaticResult {
  const n = components.length;
  // tailUp[k]: probability that every component from k on is up.
  const tailUp = new Float64Array(n + 1);
  tailUp[n] = 1;
  for (let k = n - 1; k >= 0; k--) tailUp[k] = tailUp[k + 1]! * (1 - components[k]!.down);
  const failsOf = new Map(components.map((c) => [c.id, c.fails]));
  const isDown = (failed: readonly string[]): boolean =>
    model.stateAfter(
      failed.flatMap((id) => failsOf.get(id)!),
      entrypoint,
    ) === 'down';

  let probability = 0;
  let bound = 0;
  let evaluations = 0;
  const cuts = new Map<string, CutSet>();
  const failed: string[] = [];

  const record = (mass: number): void => {
    const minimal = minimalCut(failed, isDown);
    const key = minimal.join('\u0000');
    const cut = cuts.get(key);
    if (cut) cut.probability += mass;
    else cuts.set(key, { failed: minimal, probability: mass });
  };

  /** `mass`: probability that exactly `failed` failed among the components before `next`. */
  const explore = (next: number, mass: number): void => {
    let prefix = mass;
    for (let k = next; k < n; k++) {
      const component = components[k]!;
      const branch = prefix * component.down;
      // Everything from k on: the probability that any of them fails, given the branch so far.
      const remaining = prefix * (1 - tailUp[k]!);
      if (remaining < BRANCH_THRESHOLD || evaluations >= EVALUATION_BUDGET) {
        bound += remaining;
        return;
      }
      failed.push(component.id);
      evaluations++;
      if (isDown(failed)) {
        probability += branch;
        record(branch);
      } else {
        explore(k + 1, branch);
      }
      failed.pop();
      prefix *= 1 - component.down;
    }
  };
  if (isDown([])) {
    return { probability: 1, bound: 0, cuts: [{ failed: [], probability: 1 }] };
  }
  explore(0, 1);
  return { probability, bound, cuts: [...cuts.values()] };
}

/** The smallest subset of a down combination that is still down, by dropping what is not needed. */
function minimalCut(failed: readonly string[], isDown: (failed: readonly string[]) => boolean): string[] {
  let cut = [...failed];
  for (const id of failed) {
    if (cut.length === 1) break;
    const without = cut.filter((other) => other !== id);
    if (isDown(without)) cut = without;
  }
  return cut;
}

interface SingleFailureRecovery {
  failed: string;
  rate: FailureRate;
  /** Recovery seconds per entrypoint that is not down (null: not known). */
  seconds: Map<string, number | null>;
}

/**
 * The recovery of every entrypoint after every single host and site failure. Only the entrypoints
 * whose components include the failure are walked: nothing else can be interrupted by it.
 */
function singleFailureRecoveries(
  model: AvailabilityModel,
  cones: ReadonlyMap<string, readonly Component[]>,
  onSingleFailure: YearlyOptions['onSingleFailure'],
): SingleFailureRecovery[] {
  const index = model.index;
  const affected = new Map<string, Set<string>>();
  for (const [entrypoint, components] of cones)
    for (const component of components) {
      const set = affected.get(component.id) ?? new Set<string>();
      set.add(entrypoint);
      affected.set(component.id, set);
    }
  const failures = [
    ...index.design.hosts.map((h) => ({ failed: h.id as string, rate: hostRateOf(index, h.id) })),
    ...[...index.hostsBySite.keys()].map((site) => ({ failed: site, rate: siteRateOf(index, site) })),
  ];
  return failures.flatMap(({ failed, rate }) => {
    const entrypoints = affected.get(failed);
    if (entrypoints === undefined) return [];
    const evaluation = model.evaluate([failed]);
    const seconds = new Map<string, number | null>();
    const recoveries = estimateRecovery(model, evaluation, entrypoints);
    onSingleFailure?.(failed, recoveries);
    for (const { id, recovery } of recoveries) if (recovery !== null) seconds.set(id, recovery.seconds);
    return [{ failed, rate, seconds }];
  });
}
