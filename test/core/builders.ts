/**
 * Small designs for tests: hosts are created for every host a service names, so a test states
 * only what it is about.
 */
import { checkDesign, describeProblem } from '../../core/load';
import type { Design, Entrypoint, Group, Host, Link, Service, Site } from '../../core/model';

/** Loose input: ids as plain strings. */
export interface DesignInput {
  name?: string;
  sites?: { id: string; label?: string; reliability?: { mtbfHours: number; mttrHours: number } }[];
  hosts?: {
    id: string;
    address?: string;
    site?: string;
    reliability?: { mtbfHours: number; mttrHours: number };
  }[];
  services: Record<string, unknown>[];
  groups?: Record<string, unknown>[];
  links?: Record<string, unknown>[];
  entrypoints?: Record<string, unknown>[];
  reliability?: Record<string, unknown>;
  objectives?: Record<string, unknown>;
}

/** A design that passed the loader; throws with the loader's words when it does not. */
export function makeDesign(input: DesignInput): Design {
  const hosts = new Map<string, { id: string; address: string; site?: string; reliability?: unknown }>();
  for (const host of input.hosts ?? []) hosts.set(host.id, { address: '', ...host });
  for (const service of input.services) {
    const host = service.host;
    if (typeof host === 'string' && !hosts.has(host)) hosts.set(host, { id: host, address: '' });
  }
  let n = 0;
  const withAddresses = [...hosts.values()].map((h) => {
    n++;
    return { ...h, address: h.address || `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}` };
  });
  const raw = {
    format: 1,
    name: input.name ?? 'test design',
    ...(input.sites ? { sites: input.sites as Site[] } : {}),
    hosts: withAddresses as Host[],
    services: input.services as unknown as Service[],
    ...(input.groups ? { groups: input.groups as unknown as Group[] } : {}),
    ...(input.links ? { links: input.links as unknown as Link[] } : {}),
    ...(input.entrypoints ? { entrypoints: input.entrypoints as unknown as Entrypoint[] } : {}),
    ...(input.reliability ? { reliability: input.reliability } : {}),
    ...(input.objectives ? { objectives: input.objectives } : {}),
  };
  const result = checkDesign(raw);
  if (!result.ok)
    throw new Error(`test design does not load:\n${result.problems.map(describeProblem).join('\n')}`);
  return result.design;
}
