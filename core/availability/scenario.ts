/**
 * Evaluation of one scenario, incrementally from the baseline, in reusable working memory.
 */
import { DOWN, ENTRYPOINT_NODE, GROUP_NODE, MANUAL, POOL, SENTINEL, SERVICE_NODE, UP } from './codes';
import type { CompiledGraph } from './compile';
import { MinHeap } from '../priority-queue';

/**
 * Per-scenario working memory, reused across scenarios: results are valid for a node only when
 * its stamp is the current scenario's, else the baseline holds.
 */
export class ScenarioScratch {
  lastState = UP;
  lastDegraded = 0;

  private readonly g: CompiledGraph;
  private scenario = 0;
  private readonly stamp: Uint32Array;
  private readonly queuedStamp: Uint32Array;
  private readonly state: Uint8Array;
  private readonly degraded: Uint8Array;
  private readonly hostFailed: Uint32Array;
  private readonly siteFailed: Uint32Array;
  private readonly serviceFailed: Uint32Array;
  private readonly failedHosts: number[] = [];
  private readonly failedSites: number[] = [];
  private readonly failedServices: number[] = [];
  /** Entrypoints whose result differs from the baseline in the current scenario. */
  readonly changedEntrypoints: number[] = [];
  /** Nodes waiting to be evaluated, by their place in dependency order. */
  private readonly queue: MinHeap;

  constructor(g: CompiledGraph) {
    this.g = g;
    const count = g.ids.length;
    this.stamp = new Uint32Array(count);
    this.queuedStamp = new Uint32Array(count);
    this.state = new Uint8Array(count);
    this.degraded = new Uint8Array(count);
    this.hostFailed = new Uint32Array(g.hostIndex.size);
    this.siteFailed = new Uint32Array(g.siteIndex.size);
    this.serviceFailed = new Uint32Array(count);
    this.queue = new MinHeap(count);
  }

  begin(): void {
    this.scenario++;
    this.queue.clear();
    this.failedHosts.length = 0;
    this.failedSites.length = 0;
    this.failedServices.length = 0;
    this.changedEntrypoints.length = 0;
  }

  failHost(host: number): void {
    this.hostFailed[host] = this.scenario;
    this.failedHosts.push(host);
  }

  failSite(site: number): void {
    this.siteFailed[site] = this.scenario;
    this.failedSites.push(site);
  }

  failService(node: number): void {
    this.serviceFailed[node] = this.scenario;
    this.failedServices.push(node);
  }

  failureSets(): FailureSets {
    return {
      hosts: new Set(this.failedHosts),
      sites: new Set(this.failedSites),
      services: new Set(this.failedServices),
    };
  }

  stateOf(node: number, base: Uint8Array): number {
    return this.stamp[node] === this.scenario ? this.state[node]! : base[node]!;
  }

  degradedOf(node: number, base: Uint8Array): number {
    return this.stamp[node] === this.scenario ? this.degraded[node]! : base[node]!;
  }

  enqueue(node: number): void {
    if (this.queuedStamp[node] === this.scenario) return;
    this.queuedStamp[node] = this.scenario;
    this.queue.push(this.g.position[node]!);
  }

  /** Re-evaluates queued nodes in dependency order, following only results that changed. */
  propagate(baseState: Uint8Array, baseDegraded: Uint8Array): void {
    const g = this.g;
    while (this.queue.size > 0) {
      const node = g.order[this.queue.pop()!]!;
      this.evaluateNode(node, baseState, baseDegraded);
      this.state[node] = this.lastState;
      this.degraded[node] = this.lastDegraded;
      this.stamp[node] = this.scenario;
      if (this.lastState === baseState[node] && this.lastDegraded === baseDegraded[node]) continue;
      if (g.nodeType[node] === ENTRYPOINT_NODE) this.changedEntrypoints.push(node);
      for (let d = g.dependentStart[node]!; d < g.dependentStart[node + 1]!; d++)
        this.enqueue(g.dependents[d]!);
    }
  }

  /** Computes one node from the current states of what it needs into lastState/lastDegraded. */
  evaluateNode(node: number, baseState: Uint8Array, baseDegraded: Uint8Array): void {
    const g = this.g;
    if (g.cyclic[node]) return this.result(DOWN, 0);
    const type = g.nodeType[node];
    if (type === GROUP_NODE) return this.evaluateGroup(node, baseState, baseDegraded);
    if (type === SERVICE_NODE && this.isFailed(node)) return this.result(DOWN, 0);

    let state = UP;
    let degraded = 0;
    for (let r = g.requirementStart[node]!; r < g.requirementStart[node + 1]!; r++) {
      let best = DOWN;
      let anyDown = false;
      let cleanUp = false;
      for (let a = g.alternativeStart[r]!; a < g.alternativeStart[r + 1]!; a++) {
        const target = g.alternatives[a]!;
        const s = this.stateOf(target, baseState);
        if (s > best) best = s;
        if (s === DOWN) anyDown = true;
        else if (s === UP && this.degradedOf(target, baseDegraded) === 0) cleanUp = true;
      }
      if (best < state) state = best;
      if (best === UP && (anyDown || !cleanUp)) degraded = 1;
    }
    if (type === SERVICE_NODE && g.cold[node]) return this.result(state === DOWN ? DOWN : MANUAL, 0);
    this.result(state, state === UP ? degraded : 0);
  }

  private evaluateGroup(node: number, baseState: Uint8Array, baseDegraded: Uint8Array): void {
    const g = this.g;
    const start = g.memberStart[node]!;
    const end = g.memberStart[node + 1]!;
    if (g.groupKind[node] === POOL) {
      let best = DOWN;
      let anyDown = false;
      let cleanUp = false;
      let capacity = 0;
      for (let m = start; m < end; m++) {
        const member = g.members[m]!;
        const s = this.stateOf(member, baseState);
        if (s > best) best = s;
        if (s === DOWN) anyDown = true;
        if (s === UP) {
          capacity += g.memberCapacity[m]!;
          if (this.degradedOf(member, baseDegraded) === 0) cleanUp = true;
        }
      }
      const short = g.groupLoad[node]! > 0 && capacity < g.groupLoad[node]!;
      return this.result(best, best === UP && (anyDown || !cleanUp || short) ? 1 : 0);
    }
    if (g.groupKind[node] === SENTINEL) return this.evaluateSentinelGroup(node, baseState);
    let voters = 0;
    let votersUp = 0;
    let dataUp = false;
    let lost = false;
    for (let m = start; m < end; m++) {
      const s = this.stateOf(g.members[m]!, baseState);
      if (s === DOWN) lost = true;
      if (g.memberVoter[m]) {
        voters++;
        if (s === UP) votersUp++;
      }
      if (g.memberDataBearing[m] && s === UP) dataUp = true;
    }
    const up = votersUp * 2 > voters && dataUp;
    this.result(up ? UP : DOWN, up && lost ? 1 : 0);
  }

  /**
   * docs/availability.md: a Sentinel group serves from its primary and needs its Sentinels only to
   * replace it; `minReplicasToWrite` makes a primary refuse writes without that many replicas.
   */
  private evaluateSentinelGroup(node: number, baseState: Uint8Array): void {
    const tally = tallySentinelGroup(this.g, node, (member) => this.stateOf(member, baseState));
    const up = sentinelGroupUp(this.g, node, tally);
    this.result(up ? UP : DOWN, up && (tally.lost || !tally.primaryUp) ? 1 : 0);
  }

  private isFailed(node: number): boolean {
    const g = this.g;
    if (this.serviceFailed[node] === this.scenario) return true;
    if (g.immune[node]) return false;
    const host = g.serviceHost[node]!;
    if (host >= 0 && this.hostFailed[host] === this.scenario) return true;
    const site = g.serviceSite[node]!;
    return site >= 0 && this.siteFailed[site] === this.scenario;
  }

  private result(state: number, degraded: number): void {
    this.lastState = state;
    this.lastDegraded = degraded;
  }
}

/** What one scenario fails: hosts, sites and services, by their indexes in the compiled graph. */
export interface FailureSets {
  /** Hosts on other sides of a partition: they run, but this side cannot reach them. */
  cutOff?: ReadonlySet<number>;
  hosts: Set<number>;
  sites: Set<number>;
  services: Set<number>;
}

/** What a Sentinel group's members are doing, counted once for its state and its explanation. */
interface SentinelTally {
  sentinels: number;
  sentinelsUp: number;
  redisUp: number;
  primaryUp: boolean;
  promotableUp: boolean;
  lost: boolean;
}

/** Counts a Sentinel group's members in a scenario: sentinels up, primary and promotable replicas. */
export function tallySentinelGroup(
  g: CompiledGraph,
  node: number,
  stateAt: (member: number) => number,
): SentinelTally {
  const tally: SentinelTally = {
    sentinels: 0,
    sentinelsUp: 0,
    redisUp: 0,
    primaryUp: false,
    promotableUp: false,
    lost: false,
  };
  for (let m = g.memberStart[node]!; m < g.memberStart[node + 1]!; m++) {
    const s = stateAt(g.members[m]!);
    if (s === DOWN) tally.lost = true;
    if (g.memberVoter[m]) {
      tally.sentinels++;
      if (s === UP) tally.sentinelsUp++;
    }
    if (s !== UP) continue;
    if (g.memberDataBearing[m]) tally.redisUp++;
    if (g.memberPrimary[m]) tally.primaryUp = true;
    if (g.memberPromotable[m]) tally.promotableUp = true;
  }
  return tally;
}

/** Whether a primary (the original or a promoted replica) accepts writes. */
function sentinelGroupUp(g: CompiledGraph, node: number, tally: SentinelTally): boolean {
  const writable = tally.redisUp - 1 >= g.groupMinReplicas[node]!;
  if (tally.primaryUp) return writable;
  return tally.promotableUp && tally.sentinelsUp >= g.groupFailoverVoters[node]! && writable;
}
