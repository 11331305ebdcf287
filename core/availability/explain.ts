/**
 * Explanations: an evaluated state put into words, following its causes a few levels deep.
 */
import { ENTRYPOINT_NODE, GROUP_NODE, MANUAL, POOL, SENTINEL, SERVICE_NODE, STATE_NAMES, UP } from './codes';
import { tallySentinelGroup } from './scenario';
import type { FailureSets } from './scenario';
import type { DesignIndex } from '../design-index';
import type { CompiledGraph } from './compile';

const MAX_DEPTH = 4;

/** Puts an evaluated state into words: "portal is manual: rep-a is down with host rep-1; …". */
export class Explainer {
  constructor(
    private readonly g: CompiledGraph,
    private readonly index: DesignIndex,
    private readonly stateAt: (node: number) => number,
    private readonly degradedAt: (node: number) => number,
    private readonly failuresNow: () => FailureSets,
  ) {}

  private failures: FailureSets = { hosts: new Set(), sites: new Set(), services: new Set() };

  explain(id: string): string {
    this.failures = this.failuresNow();
    const node = this.g.nodeIndex.get(id) ?? this.g.entrypointIndex.get(id);
    if (node === undefined) return `${id} is not a service, group or entrypoint`;
    if (this.g.nodeType[node] !== ENTRYPOINT_NODE) return `${id} is ${this.predicate(node, 0)}`;
    const head = `${id} is ${this.stateText(node)}`;
    if (this.stateAt(node) === UP && !this.degradedAt(node)) return head;
    let targets = this.requirementTargets(node);
    // Up but degraded: name only what was lost; otherwise every target and why.
    if (this.stateAt(node) === UP)
      targets = targets.filter((t) => this.stateAt(t) !== UP || this.degradedAt(t));
    return `${head}: ${targets.map((t) => `${this.g.ids[t]} is ${this.predicate(t, 1)}`).join('; ')}`;
  }

  private stateText(node: number): string {
    const name = STATE_NAMES[this.stateAt(node)]!;
    return this.stateAt(node) === UP && this.degradedAt(node) ? 'up but degraded' : name;
  }

  /** What follows "X is": the state and its reason, following the worst need a few steps down. */
  private predicate(node: number, depth: number): string {
    const g = this.g;
    const state = this.stateAt(node);
    const text = this.stateText(node);
    if (g.cyclic[node]) return `${text} (it needs itself through its links)`;
    if (g.nodeType[node] === SERVICE_NODE) {
      const direct = this.directCause(node);
      if (direct) return `down ${direct}`;
      if (g.cold[node] && state === MANUAL) return 'a cold standby';
    }
    if ((state === UP && !this.degradedAt(node)) || depth >= MAX_DEPTH) return text;
    if (g.nodeType[node] === GROUP_NODE) {
      const reason = this.groupReason(node, depth);
      return depth === 0 ? `${text}: ${reason}` : `${text} (${reason})`;
    }
    const reasons = this.requirementReasons(node, depth);
    return reasons.length === 0 ? text : `${text} because ${reasons.join(' and ')}`;
  }

  /** "db, which is down with host db-1" */
  private subordinate(node: number, depth: number): string {
    return `${this.g.ids[node]}, which is ${this.predicate(node, depth)}`;
  }

  private directCause(node: number): string | undefined {
    const g = this.g;
    if (this.failures.services.has(node)) return '(failed)';
    if (g.immune[node]) return undefined;
    const host = g.serviceHost[node]!;
    if (host >= 0 && this.failures.cutOff?.has(host))
      return `from this side (host ${this.index.design.hosts[host]!.id} is on the other side of the cut)`;
    if (host >= 0 && this.failures.hosts.has(host)) return `with host ${this.index.design.hosts[host]!.id}`;
    const site = g.serviceSite[node]!;
    if (site >= 0 && this.failures.sites.has(site)) return `with site ${[...this.index.sites.keys()][site]}`;
    return undefined;
  }

  private requirementTargets(node: number): number[] {
    const g = this.g;
    const targets: number[] = [];
    for (let r = g.requirementStart[node]!; r < g.requirementStart[node + 1]!; r++) {
      for (let a = g.alternativeStart[r]!; a < g.alternativeStart[r + 1]!; a++)
        targets.push(g.alternatives[a]!);
    }
    return targets;
  }

  /** The requirements that hold the node below up (or made it degraded). */
  private requirementReasons(node: number, depth: number): string[] {
    const g = this.g;
    const reasons: string[] = [];
    for (let r = g.requirementStart[node]!; r < g.requirementStart[node + 1]!; r++) {
      const lost: number[] = [];
      for (let a = g.alternativeStart[r]!; a < g.alternativeStart[r + 1]!; a++) {
        const target = g.alternatives[a]!;
        if (this.stateAt(target) !== UP || this.degradedAt(target)) lost.push(target);
      }
      if (lost.length === 0) continue;
      const port = g.requirementPort[r]! >= 0 ? ` on port ${g.requirementPort[r]}` : '';
      const verb = g.requirementKind[r] === 0 ? 'it uses' : `it sends traffic${port} to`;
      reasons.push(`${verb} ${lost.map((t) => this.subordinate(t, depth + 1)).join(', and ')}`);
    }
    return reasons;
  }

  /** Why a Sentinel group is in its state, in the words of docs/availability.md. */
  private sentinelSummary(node: number): string {
    const g = this.g;
    const tally = tallySentinelGroup(g, node, (member) => this.stateAt(member));
    const needed = g.groupFailoverVoters[node]!;
    const minReplicas = g.groupMinReplicas[node]!;
    const replicasUp = Math.max(tally.redisUp - 1, 0);
    const writable = tally.redisUp - 1 >= minReplicas;
    const refuses = `the primary refuses writes with ${replicasUp} of the ${minReplicas} replicas minReplicasToWrite asks for`;
    if (tally.primaryUp) return writable ? 'its primary is up' : refuses;
    if (!tally.promotableUp) return 'its primary is down and no replica Sentinel may promote is up';
    if (tally.sentinelsUp < needed)
      return `its primary is down and ${tally.sentinelsUp} of ${tally.sentinels} sentinels are up, too few to fail over (it takes ${needed})`;
    return writable ? 'a replica was promoted' : `a replica was promoted, but ${refuses}`;
  }

  private groupReason(node: number, depth: number): string {
    const g = this.g;
    const start = g.memberStart[node]!;
    const end = g.memberStart[node + 1]!;
    const lost: number[] = [];
    let voters = 0;
    let votersUp = 0;
    let dataUp = false;
    for (let m = start; m < end; m++) {
      const member = g.members[m]!;
      if (this.stateAt(member) !== UP) lost.push(member);
      if (g.memberVoter[m]) {
        voters++;
        if (this.stateAt(member) === UP) votersUp++;
      }
      if (g.memberDataBearing[m] && this.stateAt(member) === UP) dataUp = true;
    }
    const losses = lost.map((m) => `${g.ids[m]} is ${this.predicate(m, depth + 1)}`).join(', ');
    if (g.groupKind[node] === POOL) {
      if (end === start) return 'it has no members';
      return losses === '' ? 'its members carry less than its load' : losses;
    }
    if (g.groupKind[node] === SENTINEL) {
      const summary = this.sentinelSummary(node);
      return losses === '' ? summary : `${summary} (${losses})`;
    }
    const summary =
      this.stateAt(node) === UP
        ? `${votersUp} of ${voters} voters up`
        : votersUp * 2 > voters && !dataUp
          ? 'no data-bearing member is up'
          : `${votersUp} of ${voters} voters up, no majority`;
    return losses === '' ? summary : `${summary} (${losses})`;
  }
}
