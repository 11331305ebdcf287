/**
 * Look-up tables over a loaded design, built once and shared by the availability engine and the
 * rules, so that no check walks the design's lists again.
 */
import { linkKindOf } from './model';
import type { Design, Entrypoint, Group, Host, Link, LinkKind, Service, Site } from './model';

/** A link with its kind resolved (docs/design-file.md: traffic from balancers, capture and routers, else uses). */
export interface ResolvedLink extends Link {
  kind: LinkKind;
}

/** An entrypoint of the design, or one implied by it when the design declares none. */
export interface EffectiveEntrypoint {
  id: string;
  port?: number;
  targets: string[];
  via: Entrypoint['via'] | 'implicit';
  /** True when the design has no entrypoints and this one stands for an unlinked item. */
  implicit: boolean;
}

/** Indexes of a design: items by id, what each host holds, what each group has. */
export interface DesignIndex {
  design: Design;
  sites: Map<string, Site>;
  hosts: Map<string, Host>;
  services: Map<string, Service>;
  groups: Map<string, Group>;
  entrypoints: EffectiveEntrypoint[];
  servicesByHost: Map<string, Service[]>;
  hostsBySite: Map<string, Host[]>;
  membersByGroup: Map<string, Service[]>;
  linksFrom: Map<string, ResolvedLink[]>;
  linksTo: Map<string, ResolvedLink[]>;
  /** True when the design's hosts span two or more sites (site findings only exist then). */
  multiSite: boolean;
}

/** Site of a service through its host, if any. */
export function siteOfService(index: DesignIndex, service: Service): string | undefined {
  return service.host === undefined ? undefined : index.hosts.get(service.host)?.site;
}

/**
 * Indexes of frozen designs, kept while the design lives. The app's designs are immer versions,
 * frozen and never changed, so one revision is indexed once however many analyses read it; an
 * unfrozen design may still be edited in place (tests, edits on a copy), so it is indexed anew.
 */
const frozenIndexes = new WeakMap<Design, DesignIndex>();

/**
 * Builds the indexes of a design that has loaded without problems; a frozen design's once.
 * Callers that run several passes over one unfrozen design index it once and pass the index.
 */
export function indexDesign(design: Design): DesignIndex {
  if (!Object.isFrozen(design)) return buildIndex(design);
  let index = frozenIndexes.get(design);
  if (index === undefined) {
    index = buildIndex(design);
    frozenIndexes.set(design, index);
  }
  return index;
}

/** The index a caller handed over, or the design's own: how every pass accepts either. */
export function designIndexOf(design: Design | DesignIndex): DesignIndex {
  return 'design' in design ? design : indexDesign(design);
}

function buildIndex(design: Design): DesignIndex {
  const sites = new Map((design.sites ?? []).map((s) => [s.id as string, s]));
  const hosts = new Map(design.hosts.map((h) => [h.id as string, h]));
  const services = new Map(design.services.map((s) => [s.id as string, s]));
  const groups = new Map((design.groups ?? []).map((g) => [g.id as string, g]));

  const servicesByHost = new Map<string, Service[]>();
  const membersByGroup = new Map<string, Service[]>();
  for (const group of groups.keys()) membersByGroup.set(group, []);
  for (const service of design.services) {
    if (service.host !== undefined) push(servicesByHost, service.host, service);
    if (service.group !== undefined) push(membersByGroup, service.group, service);
  }

  const hostsBySite = new Map<string, Host[]>();
  for (const host of design.hosts) if (host.site !== undefined) push(hostsBySite, host.site, host);

  const linksFrom = new Map<string, ResolvedLink[]>();
  const linksTo = new Map<string, ResolvedLink[]>();
  for (const link of design.links ?? []) {
    const resolved: ResolvedLink = { ...link, kind: linkKindOf(link, services.get(link.from)) };
    push(linksFrom, link.from, resolved);
    push(linksTo, link.to, resolved);
  }

  const usedSites = new Set(design.hosts.map((h) => h.site).filter((s) => s !== undefined));
  const index: DesignIndex = {
    design,
    sites,
    hosts,
    services,
    groups,
    entrypoints: [],
    servicesByHost,
    hostsBySite,
    membersByGroup,
    linksFrom,
    linksTo,
    multiSite: usedSites.size >= 2,
  };
  index.entrypoints = effectiveEntrypoints(index);
  return index;
}

/**
 * Every id reached from `start`, each once, in breadth-first order: `next` says where an id leads
 * (a group to its members, a service along its links). The walks from entrypoints share it.
 */
export function reachFrom(start: Iterable<string>, next: (id: string) => Iterable<string>): string[] {
  const reached = new Set<string>(start);
  const order = [...reached];
  for (let place = 0; place < order.length; place++)
    for (const id of next(order[place]!))
      if (!reached.has(id)) {
        reached.add(id);
        order.push(id);
      }
  return order;
}

/** Where a walk goes from an id: a group to its members, a service along all its links. */
export function membersAndLinks(index: DesignIndex, id: string): string[] {
  return [
    ...(index.membersByGroup.get(id) ?? []).map((member) => member.id),
    ...(index.linksFrom.get(id) ?? []).map((link) => link.to),
  ];
}

/**
 * The design's entrypoints; without any, every service nothing links to, except that members of
 * a group nothing links to are represented by their group (docs/design-file.md).
 */
function effectiveEntrypoints(index: DesignIndex): EffectiveEntrypoint[] {
  const declared = index.design.entrypoints ?? [];
  if (declared.length > 0) {
    return declared.map((e) => ({
      id: e.id,
      port: e.port,
      targets: [...e.targets],
      via: e.via,
      implicit: false,
    }));
  }
  const implied: EffectiveEntrypoint[] = [];
  const seenGroups = new Set<string>();
  for (const service of index.design.services) {
    if (index.linksTo.has(service.id)) continue;
    const group = service.group;
    if (group !== undefined) {
      if (index.linksTo.has(group) || seenGroups.has(group)) continue;
      seenGroups.add(group);
      implied.push({ id: group, targets: [group], via: 'implicit', implicit: true });
      continue;
    }
    implied.push({ id: service.id, port: undefined, targets: [service.id], via: 'implicit', implicit: true });
  }
  return implied;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
