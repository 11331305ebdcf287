/**
 * Copy and paste: a fragment of a design, pasted with fresh ids and addresses.
 */
import { addressesOf, idsOf, nextFreeAddress, nextFreeId } from './ids';
import type { Point } from './ids';
import type { Design, Entrypoint, Group, Host, HostId, LayoutPosition, Link, Service, Site } from '../model';

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
