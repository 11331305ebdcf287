/**
 * The synthetic designs the benchmarks run on: they must be designs (load with no problem), be
 * the size asked for, hold every part a real installation has, and never change for one seed.
 */
import { describe, expect, it } from 'vitest';
import { syntheticDesign } from '../../bench/synthetic';
import { describeProblem, parseDesign } from '../../core/load';
import type { Design } from '../../core/model';

/** Loads the design as a file would hold it, and fails with its first problems when it does not load. */
function load(design: Design): Design {
  const result = parseDesign(JSON.stringify(design, null, 2));
  expect(result.ok ? [] : result.problems.slice(0, 5).map(describeProblem)).toEqual([]);
  return design;
}

function servicesPerHost(design: Design): number[] {
  const count = new Map(design.hosts.map((host) => [host.id as string, 0]));
  for (const service of design.services) {
    if (service.host) count.set(service.host, (count.get(service.host) ?? 0) + 1);
  }
  return [...count.values()];
}

describe('syntheticDesign', () => {
  it.each([100, 1_000])('of %i services loads with no problem and holds that many, within 5%', (services) => {
    const design = load(syntheticDesign({ services }));
    expect(Math.abs(design.services.length - services)).toBeLessThanOrEqual(services * 0.05);
  });

  it('of 10,000 services loads with no problem', () => {
    const design = load(syntheticDesign({ services: 10_000 }));
    expect(Math.abs(design.services.length - 10_000)).toBeLessThanOrEqual(500);
  });

  it('gives byte-identical JSON for one seed, and another design for another seed', () => {
    const first = JSON.stringify(syntheticDesign({ services: 1_000, seed: 42 }));
    expect(JSON.stringify(syntheticDesign({ services: 1_000, seed: 42 }))).toBe(first);
    expect(JSON.stringify(syntheticDesign({ services: 1_000, seed: 43 }))).not.toBe(first);
    expect(JSON.stringify(syntheticDesign({ services: 1_000 }))).toBe(
      JSON.stringify(syntheticDesign({ services: 1_000, seed: 1 })),
    );
  });

  it('spreads hosts over three sites, each holding two to four services', () => {
    const design = syntheticDesign({ services: 1_000 });
    expect(design.sites).toHaveLength(3);
    expect(new Set(design.hosts.map((host) => host.site)).size).toBe(3);
    const perHost = servicesPerHost(design);
    expect(Math.min(...perHost)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...perHost)).toBeLessThanOrEqual(4);
  });

  it('builds every cell from the parts of a real installation', () => {
    const design = syntheticDesign({ services: 1_000 });
    const services = new Map(design.services.map((service) => [service.id as string, service]));
    const groups = design.groups ?? [];
    const entrypoints = design.entrypoints ?? [];
    const kindCount = (kind: string) => groups.filter((group) => group.kind === kind).length;
    const cells = entrypoints.filter((entrypoint) => entrypoint.via === 'vip').length;
    expect(cells).toBeGreaterThanOrEqual(40);

    // A vip per cell, each with its own floating address, held by haproxy balancers.
    const vipAddresses = entrypoints.flatMap((entrypoint) =>
      entrypoint.address ? [entrypoint.address] : [],
    );
    expect(new Set(vipAddresses).size).toBe(cells);
    const vipTargets = entrypoints.filter((e) => e.via === 'vip').flatMap((e) => e.targets);
    expect(vipTargets.every((target) => services.get(target)?.kind === 'haproxy')).toBe(true);

    // Per cell: a web pool and a processing pool, a replica set and a Sentinel group.
    expect(kindCount('pool')).toBe(2 * cells);
    expect(kindCount('mongodb-replica-set')).toBe(cells);
    expect(kindCount('redis-sentinel')).toBe(cells);

    // Stateful apps with health checks, all using their cell's one NFS storage.
    const apps = design.services.filter((service) => service.kind === 'app');
    expect(apps.length).toBe(3 * cells);
    for (const app of apps) {
      expect(app).toMatchObject({ stateful: true, healthCheck: { path: expect.any(String) } });
      const storage = (design.links ?? []).filter(
        (link) => link.from === app.id && services.get(link.to)?.kind === 'storage',
      );
      expect(storage).toHaveLength(1);
    }

    // Processing pools that carry a load; arbiters in some replica sets; cold standby reporting.
    expect(
      groups
        .filter((group) => group.id.endsWith('-processing'))
        .every((group) => group.kind === 'pool' && (group.load ?? 0) > 0),
    ).toBe(true);
    expect(design.services.some((service) => service.kind === 'arbiter')).toBe(true);
    expect(
      design.services.some((service) => service.kind === 'reporting' && service.mode === 'cold-standby'),
    ).toBe(true);
    expect(entrypoints.some((entrypoint) => entrypoint.via === 'direct')).toBe(true);
    // Each Sentinel group has exactly one primary and its sentinels on three hosts.
    for (const group of groups.filter((g) => g.kind === 'redis-sentinel')) {
      const members = design.services.filter((service) => service.group === group.id);
      expect(members.filter((member) => member.kind === 'redis' && member.primary).length).toBe(1);
      const sentinelHosts = members
        .filter((member) => member.kind === 'sentinel')
        .map((member) => member.host);
      expect(new Set(sentinelHosts).size).toBe(3);
    }
  });

  it('places its deliberate faults: an even replica set and a single balancer', () => {
    const design = syntheticDesign({ services: 100 });
    const replicaSetMembers = design.services.filter((service) => service.group === 'c1-rs');
    expect(replicaSetMembers).toHaveLength(4);
    const singleVip = (design.entrypoints ?? []).find((entrypoint) => entrypoint.id === 'c2-web-vip');
    expect(singleVip?.targets).toHaveLength(1);
  });

  it('refuses a count that is not a positive whole number', () => {
    for (const services of [0, -5, 2.5, Number.NaN]) {
      expect(() => syntheticDesign({ services })).toThrow(RangeError);
    }
  });
});
