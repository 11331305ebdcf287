/**
 * What each item of the canvas is called for a screen reader and a tooltip: its label (or id),
 * what it is, and where it runs: "api-1, App server on host app-1".
 */
import type { Design, Entrypoint, Group, Host, Service } from '../../core/model';
import { CONTAINER_INFO, ENTRYPOINT_VIA_INFO, GROUP_KIND_INFO, SERVICE_KIND_INFO } from './kinds';

/** Names items of one design; built once per derivation, so naming thousands of nodes is cheap. */
export interface Namer {
  /** The accessible name of a site, host, service, group or entrypoint. */
  item(id: string): string;
  /** The accessible name of an edge: "uses link from api-1 to db". */
  edge(from: string, to: string, what: string): string;
}

/** What names are made of: every item by id, and each one's title (its label, or its id). */
export interface NameIndex {
  titles: Map<string, string>;
  hosts: Map<string, Host>;
  services: Map<string, Service>;
  groups: Map<string, Group>;
  sites: Set<string>;
  entrypoints: Map<string, Entrypoint>;
}

/** The {@link NameIndex} of a design: one walk of every item. */
export function nameIndex(design: Design): NameIndex {
  const titles = new Map<string, string>();
  for (const list of [design.sites, design.hosts, design.services, design.groups, design.entrypoints])
    for (const item of list ?? []) titles.set(item.id, item.label ?? item.id);
  return {
    titles,
    hosts: new Map(design.hosts.map((h) => [h.id as string, h])),
    services: new Map(design.services.map((s) => [s.id as string, s])),
    groups: new Map((design.groups ?? []).map((g) => [g.id as string, g])),
    sites: new Set((design.sites ?? []).map((s) => s.id as string)),
    entrypoints: new Map((design.entrypoints ?? []).map((e) => [e.id as string, e])),
  };
}

/** A namer for a design. */
export function namer(design: Design): Namer {
  return namerOf(nameIndex(design));
}

/**
 * A namer reading an index kept elsewhere: the canvas keeps one and updates the few services an
 * edit changed, instead of walking a large design again (derive.ts).
 */
export function namerOf({ titles, hosts, services, groups, sites, entrypoints }: NameIndex): Namer {
  const title = (id: string) => titles.get(id) ?? id;
  return {
    item(id) {
      const service = services.get(id);
      if (service) {
        const kind = SERVICE_KIND_INFO[service.kind].name;
        const where = service.host === undefined ? 'external' : `on host ${title(service.host)}`;
        const group = service.group !== undefined ? `, member of ${title(service.group)}` : '';
        return `${title(id)}, ${kind} ${where}${group}`;
      }
      const host = hosts.get(id);
      if (host) {
        const site = host.site !== undefined ? ` in site ${title(host.site)}` : '';
        return `${title(id)}, ${CONTAINER_INFO.host.name.toLowerCase()} ${host.address}${site}`;
      }
      if (sites.has(id)) return `${title(id)}, site`;
      const group = groups.get(id);
      if (group) return `${title(id)}, ${GROUP_KIND_INFO[group.kind].name.toLowerCase()}`;
      const entrypoint = entrypoints.get(id);
      if (entrypoint)
        return `${title(id)}, ${ENTRYPOINT_VIA_INFO[entrypoint.via].name.toLowerCase()} on port ${entrypoint.port}`;
      return title(id);
    },
    edge(from, to, what) {
      return `${what} from ${title(from)} to ${title(to)}`;
    },
  };
}
