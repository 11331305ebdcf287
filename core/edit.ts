/**
 * Edits of a design as a person makes them on the canvas: add, place, connect, group, rename,
 * delete, copy and paste. Each keeps every reference consistent (a renamed host is renamed in its
 * services, a deleted service leaves no dangling link), so that the result loads again.
 *
 * The functions mutate the design they are given: the app passes an immer draft, so the edit
 * becomes one new immutable version; tests pass a copy. Whether a result is a design is still
 * decided by the loader (`checkDesign`), never assumed here.
 *
 * Layout convention: `layout[id]` is relative to the item's container on the canvas (a service's
 * host, a host's site) and absolute for everything else (sites, hosts without a site, services
 * without a host, groups and entrypoints).
 */
import { GROUP_DESCRIPTORS, descriptorOf } from './groups';
import { linkKindOf, mainPortOf } from './model';
import { DESIGN_REFERENCES } from './schema/references';
import type {
  Design,
  Entrypoint,
  EntrypointId,
  EntrypointVia,
  Group,
  GroupId,
  GroupKind,
  Host,
  HostId,
  LayoutPosition,
  Link,
  LinkKind,
  Service,
  ServiceId,
  ServiceKind,
  Site,
  SiteId,
} from './model';

/** A point on the canvas. */
export interface Point {
  x: number;
  y: number;
}

/** Every id of the design's one namespace. */
export function idsOf(design: Design): Set<string> {
  const ids = new Set<string>();
  for (const list of [design.sites, design.hosts, design.services, design.groups, design.entrypoints]) {
    for (const item of list ?? []) ids.add(item.id);
  }
  return ids;
}

/** `prefix-1`, `prefix-2`, …: the first that no item of the design uses. */
export function nextFreeId(design: Design, prefix: string, taken: Set<string> = idsOf(design)): string {
  for (let n = 1; ; n++) {
    const candidate = `${prefix}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * The first address of 10.0.0.1 … 10.0.255.254 that no host or entrypoint uses: a placeholder the
 * architect replaces, unique so that the new host loads (two hosts may not share an address).
 */
export function nextFreeAddress(design: Design, taken: Set<string> = addressesOf(design)): string {
  for (let third = 0; third < 256; third++) {
    for (let fourth = 1; fourth < 255; fourth++) {
      const candidate = `10.0.${third}.${fourth}`;
      if (!taken.has(candidate)) return candidate;
    }
  }
  throw new RangeError('no free placeholder address left in 10.0.0.0/16');
}

function addressesOf(design: Design): Set<string> {
  const taken = new Set(design.hosts.map((host) => host.address.toLowerCase()));
  for (const entrypoint of design.entrypoints ?? []) if (entrypoint.address) taken.add(entrypoint.address);
  return taken;
}

/** The short id prefix of a new service of a kind. */
export const SERVICE_ID_PREFIX: Readonly<Record<ServiceKind, string>> = {
  nginx: 'nginx',
  haproxy: 'haproxy',
  app: 'app',
  capture: 'pca',
  router: 'hbr',
  processing: 'proc',
  reporting: 'rep',
  mongodb: 'mongo',
  arbiter: 'arbiter',
  redis: 'redis',
  sentinel: 'sentinel',
  storage: 'storage',
  database: 'db',
};

/** A new service of a kind with the fields its kind requires (storage type, database engine). */
export function newService(kind: ServiceKind, id: string): Service {
  const serviceId = id as ServiceId;
  if (kind === 'storage') return { id: serviceId, kind, type: 'nfs' };
  if (kind === 'database') return { id: serviceId, kind, engine: 'PostgreSQL' };
  return { id: serviceId, kind } as Service;
}

function setPosition(design: Design, id: string, position: Point): void {
  design.layout ??= {};
  design.layout[id] = { x: Math.round(position.x), y: Math.round(position.y) };
}

/** Adds a site at an absolute position; returns its id. */
export function addSite(design: Design, position: Point): SiteId {
  const id = nextFreeId(design, 'site') as SiteId;
  design.sites ??= [];
  design.sites.push({ id });
  setPosition(design, id, position);
  return id;
}

/** Adds a host with a placeholder address, in a site or not; `position` is relative to the site. */
export function addHost(design: Design, position: Point, site?: string): HostId {
  const id = nextFreeId(design, 'host') as HostId;
  const host: Host = { id, address: nextFreeAddress(design) };
  if (site !== undefined) host.site = site as SiteId;
  design.hosts.push(host);
  setPosition(design, id, position);
  return id;
}

/** Adds a service of a kind on a host (or external); `position` is relative to the host. */
export function addService(design: Design, kind: ServiceKind, position: Point, host?: string): ServiceId {
  const service = newService(kind, nextFreeId(design, SERVICE_ID_PREFIX[kind]));
  if (host !== undefined) service.host = host as HostId;
  design.services.push(service);
  setPosition(design, service.id, position);
  return service.id;
}

/** Adds an empty group of a kind; returns its id. */
export function addGroup(design: Design, kind: GroupKind, position: Point, members: string[] = []): GroupId {
  const id = nextFreeId(design, GROUP_DESCRIPTORS[kind].idPrefix) as GroupId;
  design.groups ??= [];
  design.groups.push({ id, kind });
  setPosition(design, id, position);
  for (const member of members) joinGroup(design, member, id);
  return id;
}

/**
 * Adds an entrypoint that clients reach through `via`, aimed at one target. Its port is the
 * target's main port (443 when it has none); a `vip` gets a placeholder floating address.
 */
export function addEntrypoint(
  design: Design,
  via: EntrypointVia,
  target: string,
  position: Point,
): EntrypointId {
  const id = nextFreeId(design, 'entry') as EntrypointId;
  const service = design.services.find((s) => s.id === target);
  const entrypoint: Entrypoint = {
    id,
    port: (service && mainPortOf(service)) ?? 443,
    targets: [target as ServiceId],
    via,
  };
  if (via === 'vip') entrypoint.address = nextFreeAddress(design);
  design.entrypoints ??= [];
  design.entrypoints.push(entrypoint);
  setPosition(design, id, position);
  return id;
}

/** True when a group of this kind admits a service of that kind (docs/design-file.md, groups). */
export function admitsMember(group: Pick<Group, 'kind'>, service: Pick<Service, 'kind'>): boolean {
  const admitted = descriptorOf(group).memberKinds;
  return admitted === undefined || admitted.includes(service.kind);
}

/** Makes a service a member of a group (a service belongs to at most one group). */
export function joinGroup(design: Design, serviceId: string, groupId: string): void {
  const service = design.services.find((s) => s.id === serviceId);
  if (service) service.group = groupId as GroupId;
}

/** Takes a service out of its group. */
export function leaveGroup(design: Design, serviceId: string): void {
  const service = design.services.find((s) => s.id === serviceId);
  if (service) delete service.group;
}

/**
 * Puts a service on another host, or makes it external with `undefined`; `position` is relative
 * to its new container.
 */
export function placeService(
  design: Design,
  serviceId: string,
  host: string | undefined,
  position: Point,
): void {
  const service = design.services.find((s) => s.id === serviceId);
  if (!service) return;
  if (host === undefined) delete service.host;
  else service.host = host as HostId;
  setPosition(design, serviceId, position);
}

/** Puts a host in a site, or in none with `undefined`; `position` is relative to the new site. */
export function placeHost(design: Design, hostId: string, site: string | undefined, position: Point): void {
  const host = design.hosts.find((h) => h.id === hostId);
  if (!host) return;
  if (site === undefined) delete host.site;
  else host.site = site as SiteId;
  setPosition(design, hostId, position);
}

/** Moves an item without changing its container. */
export function moveItem(design: Design, id: string, position: Point): void {
  const previous = design.layout?.[id];
  setPosition(design, id, position);
  if (previous?.width !== undefined || previous?.height !== undefined) {
    const entry = design.layout![id]!;
    if (previous.width !== undefined) entry.width = previous.width;
    if (previous.height !== undefined) entry.height = previous.height;
  }
}

/** What a new connection drawn from `source` to `target` means. */
export type ConnectionKind = 'link' | 'member' | 'target';

/** Why a connection cannot be made, or undefined when it can. */
export function connectionProblem(
  design: Design,
  source: string,
  target: string,
  kind: ConnectionKind,
): string | undefined {
  if (source === target) return 'an item cannot need itself';
  const services = new Map(design.services.map((s) => [s.id as string, s]));
  const groups = new Map((design.groups ?? []).map((g) => [g.id as string, g]));
  if (kind === 'member') {
    const service = services.get(source);
    const group = groups.get(target);
    if (!service || !group) return 'only a service can join a group';
    if (!admitsMember(group, service)) {
      const admitted = descriptorOf(group).memberKinds ?? [];
      return `${group.id} is a ${group.kind}, which holds only ${admitted.join(' and ')} services`;
    }
    if (service.group === target) return `${source} is already a member of ${target}`;
    return undefined;
  }
  if (!services.has(target) && !groups.has(target)) return 'the target must be a service or a group';
  if (kind === 'target') {
    const entrypoint = (design.entrypoints ?? []).find((e) => e.id === source);
    if (!entrypoint) return 'only an entrypoint has targets';
    if (entrypoint.targets.includes(target as ServiceId)) return `${target} is already a target of ${source}`;
    return undefined;
  }
  if (!services.has(source)) return 'a link starts at a service';
  return undefined;
}

/**
 * Draws a connection: a link (`from` needs `to`, default kind for the source), a group membership,
 * or an entrypoint target. Returns the index of a new link, if one was made.
 */
export function connect(
  design: Design,
  source: string,
  target: string,
  kind: ConnectionKind,
  linkKind?: LinkKind,
): number | undefined {
  if (kind === 'member') {
    joinGroup(design, source, target);
    return undefined;
  }
  if (kind === 'target') {
    const entrypoint = (design.entrypoints ?? []).find((e) => e.id === source);
    entrypoint?.targets.push(target as ServiceId);
    return undefined;
  }
  const link: Link = { from: source as ServiceId, to: target as ServiceId };
  const from = design.services.find((s) => s.id === source);
  if (linkKind !== undefined && linkKind !== linkKindOf(link, from)) link.kind = linkKind;
  design.links ??= [];
  design.links.push(link);
  return design.links.length - 1;
}

/**
 * Renames an item and every reference to it: each field the schema marks as a reference
 * (`DESIGN_REFERENCES`: hosts of services, sites, groups, links, targets), and its position.
 */
export function renameItem(design: Design, from: string, to: string): void {
  if (from === to) return;
  for (const list of [design.sites, design.hosts, design.services, design.groups, design.entrypoints]) {
    for (const item of list ?? []) if (item.id === from) (item as { id: string }).id = to;
  }
  for (const { collection, key, many } of DESIGN_REFERENCES) {
    for (const item of (design[collection] ?? []) as object[]) {
      const fields = item as Record<string, unknown>;
      const value = fields[key];
      if (!many && value === from) fields[key] = to;
      if (many && Array.isArray(value)) fields[key] = value.map((id: unknown) => (id === from ? to : id));
    }
  }
  const position = design.layout?.[from];
  if (design.layout && position) {
    delete design.layout[from];
    design.layout[to] = position;
  }
}

/**
 * Deletes items the way the canvas shows them: a site or host goes with what it contains, a
 * service with its links, a group leaves its members in place, and an entrypoint left without
 * targets goes too. `links` are indexes into `design.links` of links to delete on their own.
 */
export function removeItems(design: Design, ids: Iterable<string>, links: Iterable<number> = []): void {
  const doomed = new Set<string>(ids);
  const doomedLinks = new Set<number>(links);
  for (const host of design.hosts) if (host.site !== undefined && doomed.has(host.site)) doomed.add(host.id);
  for (const service of design.services) {
    if (service.host !== undefined && doomed.has(service.host)) doomed.add(service.id);
  }

  design.sites = design.sites?.filter((s) => !doomed.has(s.id));
  design.hosts = design.hosts.filter((h) => !doomed.has(h.id));
  design.services = design.services.filter((s) => !doomed.has(s.id));
  design.groups = design.groups?.filter((g) => !doomed.has(g.id));
  for (const service of design.services)
    if (service.group !== undefined && doomed.has(service.group)) delete service.group;
  design.links = design.links?.filter(
    (link, index) => !doomedLinks.has(index) && !doomed.has(link.from) && !doomed.has(link.to),
  );
  design.entrypoints = design.entrypoints
    ?.filter((e) => !doomed.has(e.id))
    .map((e) => {
      if (e.targets.some((t) => doomed.has(t))) e.targets = e.targets.filter((t) => !doomed.has(t));
      return e;
    })
    .filter((e) => e.targets.length > 0);
  if (design.layout) for (const id of doomed) delete design.layout[id];
  tidyOptionalLists(design);
}

/** Drops empty optional lists, so that a design edited back to nothing saves as it started. */
function tidyOptionalLists(design: Design): void {
  if (design.sites?.length === 0) delete design.sites;
  if (design.groups?.length === 0) delete design.groups;
  if (design.links?.length === 0) delete design.links;
  if (design.entrypoints?.length === 0) delete design.entrypoints;
}

/** Items copied from a design, with their layout, ready to paste into this design or another. */
export interface Fragment {
  sites: Site[];
  hosts: Host[];
  services: Service[];
  groups: Group[];
  entrypoints: Entrypoint[];
  /** Links that start at a copied service. */
  links: Link[];
  layout: Record<string, LayoutPosition>;
}

/**
 * Copies items: a site with its hosts, a host with its services, and the links that start at a
 * copied service. Items are deep copies; the design is not changed.
 */
export function copyItems(design: Design, ids: Iterable<string>): Fragment {
  const wanted = new Set(ids);
  const sites = (design.sites ?? []).filter((s) => wanted.has(s.id));
  const siteIds = new Set<string>(sites.map((s) => s.id));
  const hosts = design.hosts.filter((h) => wanted.has(h.id) || (h.site !== undefined && siteIds.has(h.site)));
  const hostIds = new Set<string>(hosts.map((h) => h.id));
  const services = design.services.filter(
    (s) => wanted.has(s.id) || (s.host !== undefined && hostIds.has(s.host)),
  );
  const serviceIds = new Set<string>(services.map((s) => s.id));
  const groups = (design.groups ?? []).filter((g) => wanted.has(g.id));
  const entrypoints = (design.entrypoints ?? []).filter((e) => wanted.has(e.id));
  const links = (design.links ?? []).filter((l) => serviceIds.has(l.from));
  const layout: Record<string, LayoutPosition> = {};
  for (const item of [...sites, ...hosts, ...services, ...groups, ...entrypoints]) {
    const position = design.layout?.[item.id];
    if (position) layout[item.id] = position;
  }
  return structuredClone({ sites, hosts, services, groups, entrypoints, links, layout });
}

/**
 * Pastes a fragment: every item gets a fresh id (and every host a fresh placeholder address),
 * references among copied items follow the copies, and references to items outside the fragment
 * stay (a copied app server keeps using the same database and joins the same group). Copied
 * top-level items move by `offset`; a service whose host was not copied goes on that same host,
 * moved by `offset` (a new host only when that host is not in this design), and a host whose
 * site was not copied stays in that site. Returns the new ids, old id → new id.
 */
export function pasteItems(design: Design, fragment: Fragment, offset: Point): Map<string, string> {
  const taken = idsOf(design);
  const addresses = addressesOf(design);
  const renamed = new Map<string, string>();
  const fresh = (id: string, prefix: string): string => {
    const next = nextFreeId(design, prefix, taken);
    taken.add(next);
    renamed.set(id, next);
    return next;
  };
  const prefixOf = (id: string) => id.replace(/-\d+$/, '') || 'item';
  for (const item of [
    ...fragment.sites,
    ...fragment.hosts,
    ...fragment.services,
    ...fragment.groups,
    ...fragment.entrypoints,
  ]) {
    fresh(item.id, prefixOf(item.id));
  }
  const rename = <T extends string>(id: T): T => (renamed.get(id) ?? id) as T;
  const existing = idsOf(design);
  const exists = (id: string | undefined) => id !== undefined && (renamed.has(id) || existing.has(id));
  const place = (id: string, topLevel: boolean) => {
    const position = fragment.layout[id] ?? { x: 0, y: 0 };
    const shift = topLevel ? offset : { x: 0, y: 0 };
    design.layout ??= {};
    design.layout[rename(id)] = { ...position, x: position.x + shift.x, y: position.y + shift.y };
  };

  for (const site of fragment.sites) {
    design.sites ??= [];
    design.sites.push({ ...site, id: rename(site.id) });
    place(site.id, true);
  }
  for (const host of fragment.hosts) {
    const copy: Host = { ...host, id: rename(host.id), address: nextFreeAddress(design, addresses) };
    addresses.add(copy.address);
    if (host.site !== undefined && !exists(host.site)) delete copy.site;
    else if (host.site !== undefined) copy.site = rename(host.site);
    design.hosts.push(copy);
    place(host.id, !(host.site !== undefined && renamed.has(host.site)));
  }
  for (const group of fragment.groups) {
    design.groups ??= [];
    design.groups.push({ ...group, id: rename(group.id) });
    place(group.id, true);
  }
  for (const service of fragment.services) {
    const copy: Service = { ...service, id: rename(service.id) };
    if (service.group !== undefined) {
      if (exists(service.group)) copy.group = rename(service.group);
      else delete copy.group;
    }
    if (service.host !== undefined && renamed.has(service.host)) {
      copy.host = rename(service.host);
      design.services.push(copy);
      place(service.id, false);
      continue;
    }
    if (service.host === undefined) {
      design.services.push(copy);
      place(service.id, true);
      continue;
    }
    if (existing.has(service.host)) {
      design.services.push(copy);
      place(service.id, true);
      continue;
    }
    // A service pasted into a design without its host gets a host of its own.
    const position = fragment.layout[service.id] ?? { x: 0, y: 0 };
    const hostPosition = service.host ? fragment.layout[service.host] : undefined;
    const host = nextFreeId(design, 'host', taken) as HostId;
    taken.add(host);
    const address = nextFreeAddress(design, addresses);
    addresses.add(address);
    design.hosts.push({ id: host, address });
    design.layout ??= {};
    design.layout[host] = {
      x: (hostPosition?.x ?? position.x) + offset.x,
      y: (hostPosition?.y ?? position.y) + offset.y,
    };
    copy.host = host;
    design.services.push(copy);
    design.layout[copy.id] = { x: position.x, y: position.y };
  }
  for (const link of fragment.links) {
    if (!exists(link.to)) continue;
    design.links ??= [];
    design.links.push({ ...link, from: rename(link.from), to: rename(link.to) });
  }
  for (const entrypoint of fragment.entrypoints) {
    const targets = entrypoint.targets.filter((t) => exists(t)).map((t) => rename(t));
    if (targets.length === 0) continue;
    const copy: Entrypoint = { ...entrypoint, id: rename(entrypoint.id), targets };
    if (copy.address !== undefined) {
      copy.address = nextFreeAddress(design, addresses);
      addresses.add(copy.address);
    }
    design.entrypoints ??= [];
    design.entrypoints.push(copy);
    place(entrypoint.id, true);
  }
  return renamed;
}

/** An empty design, format 1. */
export function emptyDesign(name = 'Untitled design'): Design {
  return { format: 1, name, hosts: [], services: [] };
}
