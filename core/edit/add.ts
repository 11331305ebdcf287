/**
 * Adding sites, hosts, services, groups and entrypoints where a person drops them.
 *
 * Like every edit (core/edit/), these mutate the design they are given: the app passes an immer
 * draft, so the edit becomes one new immutable version; tests pass a copy. Layout convention:
 * `layout[id]` is relative to the item's container on the canvas (a service's host, a host's
 * site) and absolute for everything else.
 */
import { GROUP_DESCRIPTORS } from '../groups';
import { mainPortOf } from '../model';
import type {
  Design,
  Entrypoint,
  EntrypointId,
  EntrypointVia,
  GroupId,
  GroupKind,
  Host,
  HostId,
  ServiceId,
  ServiceKind,
  SiteId,
} from '../model';
import { newService, nextFreeAddress, nextFreeId, SERVICE_ID_PREFIX } from './ids';
import type { Point } from './ids';
import { joinGroup } from './place';

/** Puts an item's layout position, relative to its container (see the layout convention above). */
export function setPosition(design: Design, id: string, position: Point): void {
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
