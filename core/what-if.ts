/**
 * What a set of failures does, told the way a person reads it once: the cause first, by label
 * ("Checkout is down: lb-1 and lb-2 both failed with site East DC"), the chain of needs that
 * carried it underneath, and the entrypoints that share a cause told together.
 *
 * Built from an evaluation of the availability engine (section 2 of the specification) and the
 * design's look-up tables; it decides nothing about states, it only follows them down to what
 * failed.
 */
import type { Evaluation, ItemAvailability, PartitionEvaluation } from './availability/types';
import type { DesignIndex } from './design-index';
import { descriptorOf, isVoter, isVotingGroup } from './groups';
import { sentinelsForFailoverOf } from './groups/redis-sentinel';
import { isExternallyHighlyAvailable } from './model';

/** The state an item shows: `degraded` is an `up` that lost redundancy on its way. */
export type OutcomeState = 'up' | 'degraded' | 'manual' | 'down';

/** One item of a chain of needs, with what holds it below `up`. */
export interface OutcomeStep {
  id: string;
  /** Its label, or its id when it has none. */
  name: string;
  kind: 'service' | 'group' | 'entrypoint';
  state: OutcomeState;
  /**
   * Why it is in its state when the chain ends here, in words that follow its name: "failed with
   * site East DC", "is a cold standby: a person must start it", "has no members".
   */
  cause?: string;
  /** A summary of a voting group or pool: "1 of 3 voters up, no majority". */
  note?: string;
  /** The needs that are not fully up, each with its own chain. */
  needs: OutcomeStep[];
}

/** What the failures do to one entrypoint. */
export interface EntrypointOutcome {
  id: string;
  name: string;
  state: OutcomeState;
  /** One sentence, cause first: "Checkout is down: lb-1 and lb-2 both failed with site East DC". */
  headline: string;
  /** The failed hosts, sites and services the chain ends at, in the order given. */
  causes: string[];
  /** The entrypoint and what it needs, down to the failures. */
  chain: OutcomeStep;
}

/** Entrypoints that one set of failures took down or weakened, told once. */
export interface CauseOutcome {
  /** The failed hosts, sites and services; empty for what is down with nothing failed. */
  causes: string[];
  /** "Site East DC failed", "Hosts lb-1 and db-1 failed", "Down before anything failed". */
  title: string;
  /** Worst first. */
  entrypoints: EntrypointOutcome[];
}

/** Every entrypoint's outcome, and the entrypoints that are not fully up grouped by cause. */
export interface WhatIfOutcomes {
  entrypoints: EntrypointOutcome[];
  byCause: CauseOutcome[];
}

const STATE_RANK: Record<OutcomeState, number> = { down: 0, manual: 1, degraded: 2, up: 3 };

/** The display state of an evaluated item. */
export function outcomeStateOf(item: ItemAvailability): OutcomeState {
  return item.state === 'up' && item.degraded ? 'degraded' : item.state;
}

/** Words for a state after "is": "down", "waiting for a person", "up with less redundancy". */
export function stateWords(state: OutcomeState): string {
  if (state === 'manual') return 'waiting for a person';
  if (state === 'degraded') return 'up with less redundancy';
  return state;
}

/** Tells what the failures of an evaluation do to every entrypoint of the design. */
export function describeOutcomes(index: DesignIndex, evaluation: Evaluation): WhatIfOutcomes {
  const teller = new Teller(index, evaluation);
  const entrypoints = evaluation.entrypoints().map((item) => teller.entrypoint(item));
  return { entrypoints, byCause: groupByCause(teller, entrypoints) };
}

/**
 * Tells what a network partition (and the failures under it) does to every entrypoint: each
 * entrypoint is told from the side that serves it best, as its clients reach every side, and what
 * lies beyond the cut from that side is "cut off", never "failed". Entrypoints held below `up` by
 * the cut alone are grouped under the title "The network is cut".
 */
export function describePartitionOutcomes(
  index: DesignIndex,
  partition: PartitionEvaluation,
): WhatIfOutcomes {
  const allHosts = index.design.hosts.map((host) => host.id as string);
  const tellers = partition.sides.map((side) => {
    const inside = new Set(side.hosts);
    return new Teller(index, side.evaluation, new Set(allHosts.filter((host) => !inside.has(host))));
  });
  const best = partition.entrypoints();
  const entrypoints = best.map((item) => {
    const state = outcomeStateOf(item);
    const at = partition.sides.findIndex((side) => {
      const here = side.evaluation.stateOf(item.id);
      return here !== undefined && outcomeStateOf(here) === state;
    });
    const teller = tellers[Math.max(at, 0)]!;
    return teller.entrypoint(partition.sides[Math.max(at, 0)]!.evaluation.stateOf(item.id) ?? item);
  });
  const cut = partition.sides.some((side) => side.ids.length > 0);
  return { entrypoints, byCause: groupByCause(tellers[0]!, entrypoints, cut) };
}

/** The entrypoints that are not fully up, grouped by the failures they trace back to, worst first. */
function groupByCause(
  teller: Teller,
  entrypoints: readonly EntrypointOutcome[],
  cut = false,
): CauseOutcome[] {
  const groups = new Map<string, CauseOutcome>();
  for (const outcome of entrypoints) {
    if (outcome.state === 'up') continue;
    const key = outcome.causes.join('\u0000');
    let group = groups.get(key);
    if (!group) {
      const title =
        cut && outcome.causes.length === 0 ? 'The network is cut' : teller.causeTitle(outcome.causes);
      group = { causes: outcome.causes, title, entrypoints: [] };
      groups.set(key, group);
    }
    group.entrypoints.push(outcome);
  }
  const byCause = [...groups.values()];
  for (const group of byCause) group.entrypoints.sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state]);
  // What the failures did first; what was never up after it.
  byCause.sort(
    (a, b) =>
      Number(a.causes.length === 0) - Number(b.causes.length === 0) ||
      STATE_RANK[a.entrypoints[0]!.state] - STATE_RANK[b.entrypoints[0]!.state] ||
      b.entrypoints.length - a.entrypoints.length,
  );
  return byCause;
}

/** A root of a chain: an item whose state needs no further reason. */
interface Root {
  name: string;
  cause: string;
  /** The failure id it traces to, when one of the failures put it there. */
  failure?: string;
}

/** Causes as they read after one name, and after several ("both failed", "are cold standbys"). */
const COLD_STANDBY = 'is a cold standby that a person must start';
const CUT_OFF = 'is on the other side of the cut';
const PLURALS: Readonly<Record<string, string>> = {
  [COLD_STANDBY]: 'are cold standbys that a person must start',
  [CUT_OFF]: 'are on the other side of the cut',
};

class Teller {
  private readonly failed: ReadonlySet<string>;
  private readonly steps = new Map<string, OutcomeStep>();
  private readonly declared: ReadonlyMap<string, { label?: string }>;

  constructor(
    private readonly index: DesignIndex,
    private readonly evaluation: Evaluation,
    /** Hosts beyond a network cut from the side this evaluation sees: up, but out of reach. */
    private readonly cutOff: ReadonlySet<string> = new Set(),
  ) {
    this.failed = new Set(evaluation.failed);
    this.declared = new Map((index.design.entrypoints ?? []).map((e) => [e.id as string, e]));
  }

  entrypoint(item: ItemAvailability): EntrypointOutcome {
    const state = outcomeStateOf(item);
    const effective = this.index.entrypoints.find((e) => e.id === item.id);
    const name = this.declared.get(item.id)?.label ?? this.nameOf(item.id);
    const needs =
      state === 'up'
        ? []
        : (effective?.targets ?? []).filter((t) => this.explains(t, state)).map((t) => this.step(t));
    const chain: OutcomeStep = { id: item.id, name, kind: 'entrypoint', state, needs };
    if (state === 'up') return { id: item.id, name, state, headline: `${name} is up`, causes: [], chain };
    const roots = this.rootsOf(needs);
    const causes = this.evaluation.failed.filter((id) => roots.some((r) => r.failure === id));
    return {
      id: item.id,
      name,
      state,
      headline: `${name} is ${stateWords(state)}: ${this.sentence(roots)}`,
      causes,
      chain,
    };
  }

  /** "Site East DC failed", "Hosts lb-1 and db-1 failed". */
  causeTitle(causes: readonly string[]): string {
    if (causes.length === 0) return 'Not up even before anything failed';
    return `${capitalise(this.failureList(causes))} failed`;
  }

  /** The label of a site, host, service, group or entrypoint, else its id. */
  private nameOf(id: string): string {
    return (
      this.index.services.get(id)?.label ??
      this.index.hosts.get(id)?.label ??
      this.index.sites.get(id)?.label ??
      this.index.groups.get(id)?.label ??
      this.declared.get(id)?.label ??
      id
    );
  }

  private failureNoun(id: string): string {
    if (this.index.sites.has(id)) return 'site';
    if (this.index.hosts.has(id)) return 'host';
    return 'service';
  }

  private stateOf(id: string): OutcomeState {
    const item = this.evaluation.stateOf(id);
    return item ? outcomeStateOf(item) : 'up';
  }

  /**
   * Whether a need explains the state of what needs it: below a `down` or `manual` item only what is
   * down or waiting matters; below a `degraded` one, every loss.
   */
  private explains(need: string, state: OutcomeState): boolean {
    const own = this.stateOf(need);
    return state === 'degraded' ? own !== 'up' : own === 'down' || own === 'manual';
  }

  /** Why a service is down on its own account: it, its host or its site failed. */
  private directCause(id: string): Root | undefined {
    const service = this.index.services.get(id);
    if (!service) return undefined;
    // Services go by id in a sentence: it is short, unique and on every card.
    const name = id;
    if (this.failed.has(id)) return { name, cause: 'failed', failure: id };
    if (isExternallyHighlyAvailable(service) || service.host === undefined) return undefined;
    if (this.failed.has(service.host))
      return { name, cause: `failed with host ${this.nameOf(service.host)}`, failure: service.host };
    const site = this.index.hosts.get(service.host)?.site;
    if (site !== undefined && this.failed.has(site))
      return { name, cause: `failed with site ${this.nameOf(site)}`, failure: site };
    if (this.cutOff.has(service.host)) return { name, cause: CUT_OFF };
    return undefined;
  }

  /** The chain below one item; shared sub-chains are built once. */
  private step(id: string, visiting: Set<string> = new Set()): OutcomeStep {
    const known = this.steps.get(id);
    if (known) return known;
    const state = this.stateOf(id);
    const group = this.index.groups.get(id);
    const kind = group ? 'group' : 'service';
    const step: OutcomeStep = { id, name: this.nameOf(id), kind, state, needs: [] };
    if (visiting.has(id)) return { ...step, cause: 'needs itself through its links' };
    visiting.add(id);
    const direct = this.directCause(id);
    const service = this.index.services.get(id);
    if (direct && state === 'down') step.cause = direct.cause;
    else if (service?.mode === 'cold-standby' && state === 'manual') step.cause = COLD_STANDBY;
    else if (group) {
      const members = this.index.membersByGroup.get(id) ?? [];
      if (members.length === 0) step.cause = 'has no members';
      step.note = this.groupNote(id);
      step.needs = members.filter((m) => this.explains(m.id, state)).map((m) => this.step(m.id, visiting));
      if (step.needs.length === 0 && members.length > 0)
        step.cause = !isVotingGroup(group) ? 'carries less than its load' : (step.note ?? 'is not up');
    } else {
      step.needs = (this.index.linksFrom.get(id) ?? [])
        .map((link) => link.to)
        .filter((to, i, all) => all.indexOf(to) === i && this.explains(to, state))
        .map((to) => this.step(to, visiting));
      if (step.needs.length === 0) step.cause = `is ${stateWords(state)}`;
    }
    visiting.delete(id);
    this.steps.set(id, step);
    return step;
  }

  private groupNote(id: string): string | undefined {
    const group = this.index.groups.get(id)!;
    const members = this.index.membersByGroup.get(id) ?? [];
    if (!isVotingGroup(group)) {
      const up = members.filter((m) => this.stateOf(m.id) !== 'down').length;
      return `${up} of ${members.length} members up`;
    }
    const voters = members.filter((m) => isVoter(group, m));
    const up = voters.filter((m) => this.stateOf(m.id) === 'up' || this.stateOf(m.id) === 'degraded').length;
    if (descriptorOf(group).evaluation === 'sentinel') {
      // A Sentinel group serves from its primary; sentinels count only for replacing it.
      const primary = members.find((m) => m.kind === 'redis' && m.primary === true);
      const primaryUp = primary !== undefined && this.stateOf(primary.id) !== 'down';
      if (primaryUp) return `primary up, ${up} of ${voters.length} sentinels up`;
      const needed = group.kind === 'redis-sentinel' ? sentinelsForFailoverOf(group, voters.length) : 0;
      const short = up < needed ? `, too few to fail over (it takes ${needed})` : '';
      return `primary down, ${up} of ${voters.length} sentinels up${short}`;
    }
    const majority = up * 2 > voters.length;
    return `${up} of ${voters.length} ${descriptorOf(group).voterNoun === 'sentinel' ? 'sentinels' : 'voters'} up${majority ? '' : ', no majority'}`;
  }

  /** The ends of the chains below `needs`: what failed, what waits for a person. */
  private rootsOf(needs: readonly OutcomeStep[]): Root[] {
    const found: Root[] = [];
    const seen = new Set<string>();
    const walk = (step: OutcomeStep) => {
      if (seen.has(step.id)) return;
      seen.add(step.id);
      if (step.cause !== undefined) {
        const direct = this.directCause(step.id);
        found.push({
          name: step.kind === 'group' ? step.name : step.id,
          cause: step.cause,
          ...(direct?.failure !== undefined && step.state === 'down' ? { failure: direct.failure } : {}),
        });
      }
      for (const need of step.needs) walk(need);
    };
    for (const need of needs) walk(need);
    return found;
  }

  /**
   * "lb-1 and lb-2 both failed with site East DC; rep-b is a cold standby that a person must
   * start": the services that failed, with what took them, then what else holds the entrypoint.
   */
  private sentence(roots: readonly Root[]): string {
    if (roots.length === 0) return 'what it needs is not up';
    const failedNames: string[] = [];
    const failures: string[] = [];
    const others = new Map<string, string[]>();
    for (const root of roots) {
      if (root.failure !== undefined) {
        if (!failedNames.includes(root.name)) failedNames.push(root.name);
        if (!failures.includes(root.failure)) failures.push(root.failure);
        continue;
      }
      const names = others.get(root.cause) ?? [];
      if (!names.includes(root.name)) names.push(root.name);
      others.set(root.cause, names);
    }
    const clauses: string[] = [];
    if (failedNames.length > 0) {
      const own = failures.every((f) => this.index.services.has(f));
      const by = own ? '' : ` with ${this.failureList(failures.filter((f) => !this.index.services.has(f)))}`;
      const quantifier =
        failedNames.length === 1
          ? ''
          : failedNames.length === 2
            ? ' both'
            : failedNames.length <= 3
              ? ' all'
              : '';
      clauses.push(`${shortList(failedNames)}${quantifier} failed${by}`);
    }
    for (const [cause, names] of others) {
      if (names.length === 1) clauses.push(`${names[0]} ${cause}`);
      else {
        const plural = PLURALS[cause] ?? (cause.startsWith('is ') ? `are ${cause.slice(3)}` : `all ${cause}`);
        clauses.push(`${shortList(names)} ${plural}`);
      }
    }
    return clauses.join('; ');
  }

  /** "host lb-1", "hosts lb-1 and lb-2", "site East DC and host db-1". */
  private failureList(failures: readonly string[]): string {
    const nouns = new Set(failures.map((id) => this.failureNoun(id)));
    if (nouns.size === 1) {
      const noun = [...nouns][0]!;
      if (failures.length === 1) return withNoun(noun, this.nameOf(failures[0]!));
      return `${noun}s ${listWords(failures.map((id) => this.nameOf(id)))}`;
    }
    return listWords(failures.map((id) => withNoun(this.failureNoun(id), this.nameOf(id))));
  }
}

/** "host lb-1", but "Site A (master)" rather than "site Site A (master)". */
function withNoun(noun: string, name: string): string {
  return name.toLowerCase().startsWith(`${noun} `) ? name : `${noun} ${name}`;
}

/** At most three names, then how many more: "a, b, c and 6 more". */
function shortList(names: readonly string[]): string {
  if (names.length <= 3) return listWords(names);
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** "a", "a and b", "a, b and c". */
function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
