/**
 * Ids, addresses and empty items for new things on the canvas: the first id or address no item
 * of the design uses, a new service of a kind, a new design.
 */
import type { Design, Service, ServiceId, ServiceKind } from '../model';

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

/** Every address the design's hosts use. */
export function addressesOf(design: Design): Set<string> {
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

/** An empty design, format 1. */
export function emptyDesign(name = 'Untitled design'): Design {
  return { format: 1, name, hosts: [], services: [] };
}
