/**
 * The availability engine, docs/availability.md: given failed hosts, sites and services, the state of
 * every service, group and entrypoint, and why.
 *
 * The design is compiled once into integer-indexed arrays in dependency order. A scenario is then
 * evaluated incrementally from the baseline (nothing failed): only items downstream of a failure
 * are recomputed, and propagation stops where a result equals its baseline. A sweep over every
 * single host and site failure costs what the failures actually change, not scenarios × design.
 */
import { designIndexOf, siteOfService } from './design-index';
import type { DesignIndex } from './design-index';
import { descriptorOf } from './groups';
import type { GroupEvaluation } from './groups';
import { sentinelsForFailoverOf } from './groups/redis-sentinel';
import { capacityOf, isExternallyHighlyAvailable, mainPortOf, trafficPortKeys } from './model';
import type { Design } from './model';

/** Ordered `up > manual > down`: manual means a person must act before it serves. */
export type AvailabilityState = 'up' | 'manual' | 'down';

/** The state of one service, group or entrypoint in one scenario. */
export interface ItemAvailability {
  id: string;
  state: AvailabilityState;
  /** An `up` result that lost redundancy on its way. */
  degraded: boolean;
}

/** One evaluated scenario. */
export interface Evaluation {
  /** The failed hosts, sites and services, as given. */
  failed: readonly string[];
  /** State of a service, group or entrypoint; undefined for other ids. */
  stateOf(id: string): ItemAvailability | undefined;
  /** Every entrypoint, in design order. */
  entrypoints(): ItemAvailability[];
  /** Why an item is in its state, in a sentence a person reads. */
  explain(id: string): string;
}

/** One single-failure scenario: a host or a site. */
export interface ScenarioId {
  failed: string;
  kind: 'host' | 'site';
}

/** The entrypoints of one single-failure scenario. */
export interface SingleFailure extends ScenarioId {
  entrypoints: ItemAvailability[];
}

/** One side of a partition: the ids that name it, and the hosts they stand for. */
export interface PartitionSide {
  /** Site and host ids as given; the side of the hosts named in no side has none. */
  ids: string[];
  hosts: string[];
  /** Everything as seen from this side: the hosts of the other sides count as failed. */
  evaluation: Evaluation;
}

/**
 * One partition scenario (docs/availability.md, network partitions): every side evaluated on
 * its own, entrypoints the best over the sides (their clients reach every side).
 */
export interface PartitionEvaluation {
  /** Failed hosts, sites and services on top of the partition, as given. */
  failed: readonly string[];
  sides: PartitionSide[];
  /** Every entrypoint, in design order: the best over the sides. */
  entrypoints(): ItemAvailability[];
  /** A service or group at its best over the sides; an entrypoint as {@link entrypoints} says. */
  stateOf(id: string): ItemAvailability | undefined;
  /** Groups that are up on two or more sides: two primaries accept writes. */
  splitBrain: string[];
  /** Why an entrypoint is in its state, from the side that serves it best. */
  explain(id: string): string;
}

/** One site cut off from the others, with the results of {@link PartitionEvaluation}. */
export interface SitePartition {
  site: string;
  entrypoints: ItemAvailability[];
  splitBrain: string[];
  explain(id: string): string;
}

/** What an id given as a failure is. */
export type FailureKind = 'host' | 'site' | 'service';

const DOWN = 0;
const MANUAL = 1;
const UP = 2;
const STATE_NAMES: readonly AvailabilityState[] = ['down', 'manual', 'up'];

const SERVICE_NODE = 0;
const GROUP_NODE = 1;
const ENTRYPOINT_NODE = 2;

const POOL = 0;
const VOTING = 1;
const SENTINEL = 2;
const EVALUATION_CODES: Readonly<Record<GroupEvaluation, number>> = {
  'best-member': POOL,
  majority: VOTING,
  sentinel: SENTINEL,
};

/**
 * A design compiled for evaluation. Build it once per design version with
 * {@link compileAvailability}; every method is then cheap.
 */
export class AvailabilityModel {
  readonly index: DesignIndex;
  /** The state of everything when nothing has failed. */
  readonly baseline: Evaluation;

  private readonly graph: CompiledGraph;
  private readonly baseState: Uint8Array;
  private readonly baseDegraded: Uint8Array;
  private readonly scratch: ScenarioScratch;

  constructor(index: DesignIndex) {
    this.index = index;
    this.graph = compileGraph(index);
    const count = this.graph.ids.length;
    this.baseState = new Uint8Array(count);
    this.baseDegraded = new Uint8Array(count);
    this.scratch = new ScenarioScratch(this.graph);
    this.evaluateBaseline();
    this.baseline = this.snapshot([]);
  }

  /** What a failure id names, or undefined when it is no host, site or service. */
  failureKind(id: string): FailureKind | undefined {
    if (this.index.hosts.has(id)) return 'host';
    if (this.index.sites.has(id)) return 'site';
    if (this.index.services.has(id)) return 'service';
    return undefined;
  }

  /** Evaluates one scenario. Ids that are no host, site or service are ignored: check with {@link failureKind}. */
  evaluate(failed: readonly string[]): Evaluation {
    this.runScenario(failed);
    return this.snapshot(failed);
  }

  /**
   * The state of one service, group or entrypoint when `failed` fail, without a snapshot of the
   * whole design: for callers that evaluate many combinations (the yearly availability).
   */
  stateAfter(failed: readonly string[], id: string): AvailabilityState | undefined {
    const node = this.graph.nodeIndex.get(id) ?? this.graph.entrypointIndex.get(id);
    if (node === undefined) return undefined;
    this.runScenario(failed);
    return STATE_NAMES[this.scratch.stateOf(node, this.baseState)];
  }

  /**
   * Why a list of sides is no partition, or undefined when it is one: every id a site or host,
   * no host on two sides.
   */
  partitionProblem(sides: readonly (readonly string[])[]): string | undefined {
    const sideOf = new Map<string, number>();
    for (const [position, side] of sides.entries()) {
      if (side.length === 0) return `side ${position + 1} is empty; name sites or hosts, separated by commas`;
      for (const id of side) {
        const hosts = this.hostsNamedBy(id);
        if (hosts === undefined)
          return this.index.services.has(id) || this.index.groups.has(id)
            ? `'${id}' is no site or host; a side names sites and hosts`
            : `there is no site or host '${id}'`;
        for (const host of hosts) {
          const other = sideOf.get(host);
          if (other !== undefined && other !== position)
            return `host ${host} is on two sides (${other + 1} and ${position + 1})`;
          sideOf.set(host, position);
        }
      }
    }
    return undefined;
  }

  /**
   * Evaluates a network partition: `sides` lists sites and hosts per side; the hosts named in no
   * side form one more side. Each side is evaluated as if the other sides' hosts had failed,
   * which counts a voting group's voters against its whole membership, as a partition does.
   * Check the sides with {@link partitionProblem} first; unknown ids are ignored.
   */
  evaluatePartition(
    sides: readonly (readonly string[])[],
    failed: readonly string[] = [],
  ): PartitionEvaluation {
    const named = sides.map((ids) => ({
      ids: [...ids],
      hosts: [...new Set(ids.flatMap((id) => this.hostsNamedBy(id) ?? []))],
    }));
    const taken = new Set(named.flatMap((side) => side.hosts));
    const rest = this.index.design.hosts.map((h) => h.id as string).filter((host) => !taken.has(host));
    if (rest.length > 0) named.push({ ids: [], hosts: rest });
    const allHosts = this.index.design.hosts.map((h) => h.id as string);
    const evaluated: PartitionSide[] = named
      .filter((side) => side.hosts.length > 0)
      .map((side) => {
        const inside = new Set(side.hosts);
        const away = allHosts.filter((host) => !inside.has(host));
        this.runScenario([...failed, ...away]);
        const cutOff = new Set(away.map((host) => this.graph.hostIndex.get(host)!));
        return { ...side, evaluation: this.snapshot(failed, cutOff) };
      });
    // The scenario as given, for the failures' own words when no side holds anything.
    if (evaluated.length === 0) evaluated.push({ ids: [], hosts: [], evaluation: this.evaluate(failed) });
    const bestSide = (id: string): PartitionSide => {
      let best = evaluated[0]!;
      for (const side of evaluated) {
        if (rank(side.evaluation.stateOf(id)) > rank(best.evaluation.stateOf(id))) best = side;
      }
      return best;
    };
    const g = this.graph;
    const splitBrain: string[] = [];
    for (let node = 0; node < g.ids.length; node++) {
      if (g.nodeType[node] !== GROUP_NODE || g.groupKind[node] === POOL) continue;
      const id = g.ids[node]!;
      const upSides = evaluated.filter((side) => side.evaluation.stateOf(id)?.state === 'up').length;
      if (upSides >= 2) splitBrain.push(id);
    }
    return {
      failed: [...failed],
      sides: evaluated,
      entrypoints: () =>
        g.entrypointNodes.map((node) => bestSide(g.ids[node]!).evaluation.stateOf(g.ids[node]!)!),
      stateOf: (id) => bestSide(id).evaluation.stateOf(id),
      splitBrain,
      explain: (id) => bestSide(id).evaluation.explain(id),
    };
  }

  /**
   * Every site cut off from the others, in designs whose hosts span two or more sites (the
   * single-failure analysis of docs/availability.md).
   */
  sitePartitions(): SitePartition[] {
    const sites = [...this.index.sites.keys()].filter((site) => this.index.hostsBySite.has(site));
    if (sites.length < 2) return [];
    return sites.map((site) => {
      const partition = this.evaluatePartition([[site]]);
      return {
        site,
        entrypoints: partition.entrypoints(),
        splitBrain: partition.splitBrain,
        explain: partition.explain,
      };
    });
  }

  private hostsNamedBy(id: string): string[] | undefined {
    if (this.index.hosts.has(id)) return [id];
    if (this.index.sites.has(id)) return (this.index.hostsBySite.get(id) ?? []).map((h) => h.id as string);
    return undefined;
  }

  /** The items that need themselves through their links, one list per cycle, services first. */
  cycles(): string[][] {
    const g = this.graph;
    const byComponent = new Map<number, number[]>();
    for (let node = 0; node < g.ids.length; node++) {
      if (!g.cyclic[node]) continue;
      const list = byComponent.get(g.component[node]!) ?? [];
      list.push(node);
      byComponent.set(g.component[node]!, list);
    }
    return [...byComponent.values()].map((nodes) =>
      nodes.sort((a, b) => g.nodeType[a]! - g.nodeType[b]! || a - b).map((node) => g.ids[node]!),
    );
  }

  /**
   * Runs every single host failure, then every single site failure (sites that hold hosts), and
   * calls `visit` with the entrypoints whose state differs from the baseline. `explain` words the
   * current scenario and is valid only during the call.
   */
  sweepSingleFailures(
    visit: (
      scenario: ScenarioId,
      changed: readonly ItemAvailability[],
      explain: (id: string) => string,
    ) => void,
  ): void {
    const explainer = new Explainer(
      this.graph,
      this.index,
      (node) => this.scratch.stateOf(node, this.baseState),
      (node) => this.scratch.degradedOf(node, this.baseDegraded),
      () => this.scratch.failureSets(),
    );
    const explain = (id: string) => explainer.explain(id);
    for (const scenario of this.singleFailureScenarios()) {
      this.runScenario([scenario.failed]);
      const changed = this.scratch.changedEntrypoints.map((node) => this.itemOf(node));
      visit(scenario, changed, explain);
    }
  }

  /** Every single host failure, then every single site failure, with every entrypoint's state. */
  singleFailures(): SingleFailure[] {
    const baseline = this.baseline.entrypoints();
    const positionOf = new Map(this.graph.entrypointNodes.map((node, i) => [node, i]));
    const results: SingleFailure[] = [];
    for (const scenario of this.singleFailureScenarios()) {
      this.runScenario([scenario.failed]);
      const entrypoints = baseline.slice();
      for (const node of this.scratch.changedEntrypoints)
        entrypoints[positionOf.get(node)!] = this.itemOf(node);
      results.push({ ...scenario, entrypoints });
    }
    return results;
  }

  private singleFailureScenarios(): ScenarioId[] {
    return [
      ...this.index.design.hosts.map((h) => ({ failed: h.id as string, kind: 'host' as const })),
      ...[...this.index.sites.keys()]
        .filter((site) => this.index.hostsBySite.has(site))
        .map((failed) => ({ failed, kind: 'site' as const })),
    ];
  }

  private itemOf(node: number): ItemAvailability {
    return {
      id: this.graph.ids[node]!,
      state: STATE_NAMES[this.scratch.stateOf(node, this.baseState)]!,
      degraded: this.scratch.degradedOf(node, this.baseDegraded) === 1,
    };
  }

  private evaluateBaseline(): void {
    const { order } = this.graph;
    const scratch = this.scratch;
    scratch.begin();
    for (let p = 0; p < order.length; p++) {
      const node = order[p]!;
      scratch.evaluateNode(node, this.baseState, this.baseDegraded);
      this.baseState[node] = scratch.lastState;
      this.baseDegraded[node] = scratch.lastDegraded;
    }
  }

  private runScenario(failed: readonly string[]): void {
    const g = this.graph;
    const scratch = this.scratch;
    scratch.begin();
    for (const id of failed) {
      const host = g.hostIndex.get(id);
      if (host !== undefined) {
        scratch.failHost(host);
        for (const node of g.servicesOnHost[host]!) scratch.enqueue(node);
        continue;
      }
      const site = g.siteIndex.get(id);
      if (site !== undefined) {
        scratch.failSite(site);
        for (const node of g.servicesInSite[site]!) scratch.enqueue(node);
        continue;
      }
      const node = g.nodeIndex.get(id);
      if (node !== undefined && g.nodeType[node] === SERVICE_NODE) {
        scratch.failService(node);
        scratch.enqueue(node);
      }
    }
    scratch.propagate(this.baseState, this.baseDegraded);
  }

  /** The current scenario's results; `cutOff` hosts are on other sides of a partition, not failed. */
  private snapshot(failed: readonly string[], cutOff: ReadonlySet<number> = new Set()): Evaluation {
    const g = this.graph;
    const count = g.ids.length;
    const state = new Uint8Array(count);
    const degraded = new Uint8Array(count);
    for (let node = 0; node < count; node++) {
      state[node] = this.scratch.stateOf(node, this.baseState);
      degraded[node] = this.scratch.degradedOf(node, this.baseDegraded);
    }
    const failures = { ...this.scratch.failureSets(), cutOff };
    const explainer = new Explainer(
      g,
      this.index,
      (node) => state[node]!,
      (node) => degraded[node]!,
      () => failures,
    );
    const itemOf = (node: number): ItemAvailability => ({
      id: g.ids[node]!,
      state: STATE_NAMES[state[node]!]!,
      degraded: degraded[node] === 1,
    });
    return {
      failed: [...failed],
      stateOf: (id) => {
        const node = g.nodeIndex.get(id) ?? g.entrypointIndex.get(id);
        return node === undefined ? undefined : itemOf(node);
      },
      entrypoints: () => g.entrypointNodes.map(itemOf),
      explain: (id) => explainer.explain(id),
    };
  }
}

/** Orders results for "the best over the sides": up before up-but-degraded before manual before down. */
function rank(item: ItemAvailability | undefined): number {
  if (!item) return -1;
  return item.state === 'up' ? (item.degraded ? 2 : 3) : item.state === 'manual' ? 1 : 0;
}

/** Compiles a loaded design for evaluation. */
export function compileAvailability(design: Design | DesignIndex): AvailabilityModel {
  return new AvailabilityModel(designIndexOf(design));
}

// ---------------------------------------------------------------------------------------------
// Compilation

/**
 * The design as arrays. Nodes are services, then groups, then entrypoints. Services and
 * entrypoints have requirements (each a choice among alternatives: a `uses` link is a choice of
 * one); groups have members.
 */
interface CompiledGraph {
  ids: string[];
  nodeType: Uint8Array;
  nodeIndex: Map<string, number>;
  entrypointIndex: Map<string, number>;
  entrypointNodes: number[];
  hostIndex: Map<string, number>;
  siteIndex: Map<string, number>;
  serviceHost: Int32Array;
  serviceSite: Int32Array;
  cold: Uint8Array;
  immune: Uint8Array;
  cyclic: Uint8Array;
  /** Strongly connected component of each node. */
  component: Int32Array;
  /** node → [requirementStart, requirementEnd) */
  requirementStart: Int32Array;
  /** requirement → [alternativeStart, alternativeEnd) in `alternatives` */
  alternativeStart: Int32Array;
  alternatives: Int32Array;
  /** Port of each requirement, -1 for none: explanations name it. */
  requirementPort: Int32Array;
  /** Kind of each requirement: 0 uses, 1 traffic, 2 entrypoint targets. */
  requirementKind: Uint8Array;
  groupKind: Uint8Array;
  groupLoad: Float64Array;
  /** node → [memberStart, memberEnd) in `members` */
  memberStart: Int32Array;
  members: Int32Array;
  memberVoter: Uint8Array;
  memberDataBearing: Uint8Array;
  memberCapacity: Float64Array;
  /** Sentinel groups: the primary redis, and the replicas Sentinel may promote. */
  memberPrimary: Uint8Array;
  memberPromotable: Uint8Array;
  /** Sentinel groups: sentinels needed for a failover, max(quorum, majority). */
  groupFailoverVoters: Int32Array;
  /** Sentinel groups: `minReplicasToWrite`. */
  groupMinReplicas: Int32Array;
  /** Dependency order: every node after what it needs. */
  order: Int32Array;
  position: Int32Array;
  dependentStart: Int32Array;
  dependents: Int32Array;
  servicesOnHost: number[][];
  servicesInSite: number[][];
}

function compileGraph(index: DesignIndex): CompiledGraph {
  const services = index.design.services;
  const groups = index.design.groups ?? [];
  const entrypoints = index.entrypoints;
  const serviceCount = services.length;
  const groupCount = groups.length;
  const count = serviceCount + groupCount + entrypoints.length;

  const ids: string[] = new Array(count);
  const nodeType = new Uint8Array(count);
  const nodeIndex = new Map<string, number>();
  services.forEach((s, i) => {
    ids[i] = s.id;
    nodeType[i] = SERVICE_NODE;
    nodeIndex.set(s.id, i);
  });
  groups.forEach((g, i) => {
    ids[serviceCount + i] = g.id;
    nodeType[serviceCount + i] = GROUP_NODE;
    nodeIndex.set(g.id, serviceCount + i);
  });
  const entrypointIndex = new Map<string, number>();
  const entrypointNodes: number[] = [];
  entrypoints.forEach((e, i) => {
    const node = serviceCount + groupCount + i;
    ids[node] = e.id;
    nodeType[node] = ENTRYPOINT_NODE;
    entrypointIndex.set(e.id, node);
    entrypointNodes.push(node);
  });

  const hostIndex = new Map(index.design.hosts.map((h, i) => [h.id as string, i]));
  const siteIndex = new Map([...index.sites.keys()].map((id, i) => [id, i]));
  const serviceHost = new Int32Array(count).fill(-1);
  const serviceSite = new Int32Array(count).fill(-1);
  const cold = new Uint8Array(count);
  const immune = new Uint8Array(count);
  const servicesOnHost: number[][] = index.design.hosts.map(() => []);
  const servicesInSite: number[][] = [...index.sites.keys()].map(() => []);

  services.forEach((service, node) => {
    cold[node] = service.mode === 'cold-standby' ? 1 : 0;
    immune[node] = isExternallyHighlyAvailable(service) ? 1 : 0;
    if (service.host === undefined) return;
    const host = hostIndex.get(service.host)!;
    serviceHost[node] = host;
    const site = siteOfService(index, service);
    if (site !== undefined) serviceSite[node] = siteIndex.get(site)!;
    // An externally HA service stands for a system that spans hosts: it fails only when named.
    if (immune[node]) return;
    servicesOnHost[host]!.push(node);
    if (serviceSite[node]! >= 0) servicesInSite[serviceSite[node]!]!.push(node);
  });

  // Requirements of services (links) and entrypoints (targets).
  const requirementStart = new Int32Array(count + 1);
  const alternativeStartList: number[] = [];
  const alternativeList: number[] = [];
  const requirementPortList: number[] = [];
  const requirementKindList: number[] = [];
  const addRequirement = (targets: number[], port: number | undefined, kind: number): void => {
    alternativeStartList.push(alternativeList.length);
    for (const t of targets) alternativeList.push(t);
    requirementPortList.push(port ?? -1);
    requirementKindList.push(kind);
  };
  const ownPortOf = (id: string) => {
    const service = index.services.get(id);
    return service && mainPortOf(service);
  };
  for (let node = 0; node < count; node++) {
    requirementStart[node] = requirementPortList.length;
    if (nodeType[node] === SERVICE_NODE) {
      const links = index.linksFrom.get(ids[node]!) ?? [];
      const traffic = links.filter((link) => link.kind !== 'uses');
      for (const link of links) {
        if (link.kind === 'uses') addRequirement([nodeIndex.get(link.to)!], link.port, 0);
      }
      const keys = trafficPortKeys(traffic, ownPortOf);
      const buckets = new Map<string, { port: number | undefined; targets: number[] }>();
      traffic.forEach((link, i) => {
        const target = nodeIndex.get(link.to)!;
        const key = keys[i]!;
        const bucket = buckets.get(key);
        if (bucket) bucket.targets.push(target);
        else buckets.set(key, { port: key === '' ? undefined : Number(key), targets: [target] });
      });
      for (const bucket of buckets.values()) addRequirement(bucket.targets, bucket.port, 1);
    } else if (nodeType[node] === ENTRYPOINT_NODE) {
      const entrypoint = entrypoints[node - serviceCount - groupCount]!;
      addRequirement(
        entrypoint.targets.map((t) => nodeIndex.get(t)!),
        entrypoint.port,
        2,
      );
    }
  }
  requirementStart[count] = requirementPortList.length;
  alternativeStartList.push(alternativeList.length);

  // Group members.
  const groupKind = new Uint8Array(count);
  const groupLoad = new Float64Array(count);
  const memberStart = new Int32Array(count + 1);
  const memberList: number[] = [];
  const voterList: number[] = [];
  const dataList: number[] = [];
  const capacityList: number[] = [];
  const primaryList: number[] = [];
  const promotableList: number[] = [];
  const groupFailoverVoters = new Int32Array(count);
  const groupMinReplicas = new Int32Array(count);
  for (let node = 0; node < count; node++) {
    memberStart[node] = memberList.length;
    if (nodeType[node] !== GROUP_NODE) continue;
    const group = groups[node - serviceCount]!;
    const descriptor = descriptorOf(group);
    groupKind[node] = EVALUATION_CODES[descriptor.evaluation];
    groupLoad[node] = group.kind === 'pool' ? (group.load ?? 0) : 0;
    const members = index.membersByGroup.get(group.id) ?? [];
    if (group.kind === 'redis-sentinel') {
      const sentinels = members.filter((member) => member.kind === 'sentinel').length;
      groupFailoverVoters[node] = sentinelsForFailoverOf(group, sentinels);
      groupMinReplicas[node] = group.minReplicasToWrite ?? 0;
    }
    for (const member of members) {
      memberList.push(nodeIndex.get(member.id)!);
      const role = descriptor.roleOf(member, members);
      voterList.push(role.voter ? 1 : 0);
      dataList.push(role.dataBearing ? 1 : 0);
      primaryList.push(role.primary ? 1 : 0);
      promotableList.push(role.promotable ? 1 : 0);
      capacityList.push(capacityOf(member));
    }
  }
  memberStart[count] = memberList.length;

  const graph: CompiledGraph = {
    ids,
    nodeType,
    nodeIndex,
    entrypointIndex,
    entrypointNodes,
    hostIndex,
    siteIndex,
    serviceHost,
    serviceSite,
    cold,
    immune,
    cyclic: new Uint8Array(count),
    component: new Int32Array(count),
    requirementStart,
    alternativeStart: Int32Array.from(alternativeStartList),
    alternatives: Int32Array.from(alternativeList),
    requirementPort: Int32Array.from(requirementPortList),
    requirementKind: Uint8Array.from(requirementKindList),
    groupKind,
    groupLoad,
    memberStart,
    members: Int32Array.from(memberList),
    memberVoter: Uint8Array.from(voterList),
    memberDataBearing: Uint8Array.from(dataList),
    memberCapacity: Float64Array.from(capacityList),
    memberPrimary: Uint8Array.from(primaryList),
    memberPromotable: Uint8Array.from(promotableList),
    groupFailoverVoters,
    groupMinReplicas,
    order: new Int32Array(count),
    position: new Int32Array(count),
    dependentStart: new Int32Array(count + 1),
    dependents: new Int32Array(0),
    servicesOnHost,
    servicesInSite,
  };
  orderByDependencies(graph);
  return graph;
}

/** Calls `visit` with every node that `node` needs. */
function forEachDependency(g: CompiledGraph, node: number, visit: (dependency: number) => void): void {
  for (let r = g.requirementStart[node]!; r < g.requirementStart[node + 1]!; r++) {
    for (let a = g.alternativeStart[r]!; a < g.alternativeStart[r + 1]!; a++) visit(g.alternatives[a]!);
  }
  for (let m = g.memberStart[node]!; m < g.memberStart[node + 1]!; m++) visit(g.members[m]!);
}

/**
 * Tarjan's strongly connected components, iteratively (designs of 10,000 services would overflow
 * a recursive walk). Components come out dependencies first, which is the evaluation order; every
 * node of a component with a cycle needs itself and is marked cyclic.
 */
function orderByDependencies(g: CompiledGraph): void {
  const count = g.ids.length;
  const adjacency: number[][] = new Array(count);
  const dependentCount = new Int32Array(count);
  for (let node = 0; node < count; node++) {
    const list: number[] = [];
    forEachDependency(g, node, (d) => {
      list.push(d);
      dependentCount[d]!++;
    });
    adjacency[node] = list;
  }

  const indexOf = new Int32Array(count).fill(-1);
  const lowLink = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  const callStack: { node: number; edge: number }[] = [];
  let nextIndex = 0;
  let placed = 0;
  let components = 0;

  for (let start = 0; start < count; start++) {
    if (indexOf[start] !== -1) continue;
    callStack.push({ node: start, edge: 0 });
    indexOf[start] = lowLink[start] = nextIndex++;
    stack.push(start);
    onStack[start] = 1;
    while (callStack.length > 0) {
      const frame = callStack[callStack.length - 1]!;
      const edges = adjacency[frame.node]!;
      if (frame.edge < edges.length) {
        const next = edges[frame.edge++]!;
        if (indexOf[next] === -1) {
          indexOf[next] = lowLink[next] = nextIndex++;
          stack.push(next);
          onStack[next] = 1;
          callStack.push({ node: next, edge: 0 });
        } else if (onStack[next]) {
          lowLink[frame.node] = Math.min(lowLink[frame.node]!, indexOf[next]!);
        }
        continue;
      }
      callStack.pop();
      const parent = callStack[callStack.length - 1];
      if (parent) lowLink[parent.node] = Math.min(lowLink[parent.node]!, lowLink[frame.node]!);
      if (lowLink[frame.node] !== indexOf[frame.node]) continue;
      const component: number[] = [];
      let member: number;
      do {
        member = stack.pop()!;
        onStack[member] = 0;
        component.push(member);
      } while (member !== frame.node);
      const cyclic = component.length > 1 || adjacency[frame.node]!.includes(frame.node);
      components++;
      for (const node of component) {
        g.component[node] = components;
        if (cyclic) g.cyclic[node] = 1;
        g.order[placed] = node;
        g.position[node] = placed++;
      }
    }
  }

  let offset = 0;
  for (let node = 0; node < count; node++) {
    g.dependentStart[node] = offset;
    offset += dependentCount[node]!;
  }
  g.dependentStart[count] = offset;
  const dependents = new Int32Array(offset);
  const fill = g.dependentStart.slice(0, count);
  for (let node = 0; node < count; node++) {
    for (const d of adjacency[node]!) dependents[fill[d]!++] = node;
  }
  g.dependents = dependents;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * Per-scenario working memory, reused across scenarios: results are valid for a node only when
 * its stamp is the current scenario's, else the baseline holds.
 */
class ScenarioScratch {
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
  private heap: Int32Array;
  private heapSize = 0;

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
    this.heap = new Int32Array(Math.max(16, count));
  }

  begin(): void {
    this.scenario++;
    this.heapSize = 0;
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
    this.heapPush(this.g.position[node]!);
  }

  /** Re-evaluates queued nodes in dependency order, following only results that changed. */
  propagate(baseState: Uint8Array, baseDegraded: Uint8Array): void {
    const g = this.g;
    while (this.heapSize > 0) {
      const node = g.order[this.heapPop()]!;
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

  private heapPush(value: number): void {
    if (this.heapSize === this.heap.length) {
      const grown = new Int32Array(this.heap.length * 2);
      grown.set(this.heap);
      this.heap = grown;
    }
    const heap = this.heap;
    let i = this.heapSize++;
    heap[i] = value;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= value) break;
      heap[i] = heap[parent]!;
      heap[parent] = value;
      i = parent;
    }
  }

  private heapPop(): number {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap[--this.heapSize]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.heapSize) break;
      const right = left + 1;
      const child = right < this.heapSize && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    if (this.heapSize > 0) heap[i] = last;
    return top;
  }
}

interface FailureSets {
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

function tallySentinelGroup(
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

// ---------------------------------------------------------------------------------------------
// Explanations

const MAX_DEPTH = 4;

/** Puts an evaluated state into words: "portal is manual: rep-a is down with host rep-1; …". */
class Explainer {
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
