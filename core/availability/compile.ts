/**
 * Compilation: the design as integer-indexed arrays in dependency order.
 */
import { siteOfService } from '../design-index';
import type { DesignIndex } from '../design-index';
import { descriptorOf } from '../groups';
import { sentinelsForFailoverOf } from '../groups/redis-sentinel';
import { capacityOf, isExternallyHighlyAvailable, mainPortOf, trafficPortKeys } from '../model';
import { ENTRYPOINT_NODE, EVALUATION_CODES, GROUP_NODE, SERVICE_NODE } from './codes';

/**
 * The design as arrays. Nodes are services, then groups, then entrypoints. Services and
 * entrypoints have requirements (each a choice among alternatives: a `uses` link is a choice of
 * one); groups have members.
 */
export interface CompiledGraph {
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

/** Compiles a design's index into the graph the engine evaluates. */
export function compileGraph(index: DesignIndex): CompiledGraph {
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
