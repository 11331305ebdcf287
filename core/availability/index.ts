/**
 * The availability engine, docs/availability.md: given failed hosts, sites and services, the state of
 * every service, group and entrypoint, and why.
 *
 * The design is compiled once into integer-indexed arrays in dependency order (compile.ts). A
 * scenario is then evaluated incrementally from the baseline (nothing failed, scenario.ts): only
 * items downstream of a failure are recomputed, and propagation stops where a result equals its
 * baseline. A sweep over every single host and site failure costs what the failures actually
 * change, not scenarios × design.
 */
import { designIndexOf } from '../design-index';
import type { DesignIndex } from '../design-index';
import { Explainer } from './explain';
import { GROUP_NODE, POOL, SERVICE_NODE, STATE_NAMES } from './codes';
import { ScenarioScratch } from './scenario';
import { compileGraph } from './compile';
import type { CompiledGraph } from './compile';
import type { Design } from '../model';
import type {
  AvailabilityState,
  Evaluation,
  FailureKind,
  ItemAvailability,
  PartitionEvaluation,
  PartitionSide,
  ScenarioId,
  SingleFailure,
  SitePartition,
} from './types';

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
