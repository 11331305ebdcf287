/**
 * Availability over a year (docs/availability.md): the exact figure against the closed forms of
 * the textbook structures, and against a seeded Monte Carlo run on random small designs.
 */
import { describe, expect, test } from 'vitest';
import { compileAvailability } from '../../core/availability';
import type { Design } from '../../core/model';
import {
  computeYearlyAvailability,
  DEFAULT_HOST_RATE,
  DEFAULT_SITE_RATE,
  ERROR_TARGET,
  unavailabilityOf,
} from '../../core/reliability/yearly';
import { estimateRecovery } from '../../core/recovery/estimate';
import { syntheticDesign } from '../../bench/synthetic';
import { exampleFiles, loadExample } from '../fixtures/examples';
import { makeDesign } from './builders';

const yearly = (design: Design) => computeYearlyAvailability(compileAvailability(design));
const entry = (design: Design, id: string) => yearly(design).entrypoints.find((e) => e.id === id)!;

/** A host that is down a tenth of the time: big enough that combinations matter. */
const FLAKY = { mtbfHours: 90, mttrHours: 10 };
const q = unavailabilityOf(FLAKY);

describe('static unavailability matches the closed forms', () => {
  test('series: an app that uses a database on another host is up only while both hosts are', () => {
    const design = makeDesign({
      reliability: { host: FLAKY },
      services: [
        { id: 'web', kind: 'app', host: 'h1' },
        { id: 'db', kind: 'database', engine: 'postgresql', host: 'h2' },
      ],
      links: [{ from: 'web', to: 'db' }],
      entrypoints: [{ id: 'site', port: 80, targets: ['web'], via: 'direct' }],
    });
    const result = entry(design, 'site');
    expect(result.static).toBeCloseTo(1 - (1 - q) ** 2, 12);
    expect(result.bound).toBeLessThan(ERROR_TARGET);
  });

  test('parallel: two direct targets are down only while both hosts are', () => {
    const design = makeDesign({
      reliability: { host: FLAKY },
      services: [
        { id: 'a', kind: 'app', host: 'h1' },
        { id: 'b', kind: 'app', host: 'h2' },
      ],
      entrypoints: [{ id: 'site', port: 80, targets: ['a', 'b'], via: 'direct' }],
    });
    const result = entry(design, 'site');
    expect(result.static).toBeCloseTo(q * q, 12);
    expect(result.contributors[0]).toMatchObject({ failed: ['h1', 'h2'], kind: 'combination' });
  });

  test('k-of-n: a three-member replica set needs two of three hosts', () => {
    const design = makeDesign({
      reliability: { host: FLAKY },
      services: ['m1', 'm2', 'm3'].map((id, i) => ({ id, kind: 'mongodb', host: `h${i + 1}`, group: 'rs0' })),
      groups: [{ id: 'rs0', kind: 'mongodb-replica-set' }],
      entrypoints: [{ id: 'data', port: 27017, targets: ['rs0'], via: 'direct' }],
    });
    const up = (1 - q) ** 3 + 3 * q * (1 - q) ** 2;
    expect(entry(design, 'data').static).toBeCloseTo(1 - up, 12);
  });

  test('a common site under two hosts: the pair is down when the site is, or both hosts are', () => {
    const site = { mtbfHours: 950, mttrHours: 50 };
    const design = makeDesign({
      reliability: { host: FLAKY, site },
      sites: [{ id: 'dc' }],
      hosts: [
        { id: 'h1', site: 'dc' },
        { id: 'h2', site: 'dc' },
      ],
      services: [
        { id: 'a', kind: 'app', host: 'h1' },
        { id: 'b', kind: 'app', host: 'h2' },
      ],
      entrypoints: [{ id: 'site', port: 80, targets: ['a', 'b'], via: 'direct' }],
    });
    const s = unavailabilityOf(site);
    const result = entry(design, 'site');
    expect(result.static).toBeCloseTo(1 - (1 - s) * (1 - q * q), 12);
    expect(result.contributors.map((c) => c.failed)).toEqual([['dc'], ['h1', 'h2']]);
    expect(result.contributors.reduce((sum, c) => sum + c.share, 0)).toBeCloseTo(1, 9);
  });

  test('an external service counts with its SLA, and one without is reported as taken as always up', () => {
    const design = makeDesign({
      services: [
        { id: 'web', kind: 'app', host: 'h1' },
        { id: 'managed-db', kind: 'database', engine: 'postgresql', availability: 0.999 },
        { id: 'bucket', kind: 'storage', type: 's3' },
      ],
      links: [
        { from: 'web', to: 'managed-db' },
        { from: 'web', to: 'bucket' },
      ],
      entrypoints: [{ id: 'site', port: 80, targets: ['web'], via: 'direct' }],
    });
    const all = yearly(design);
    const h = unavailabilityOf(DEFAULT_HOST_RATE);
    expect(all.entrypoints[0]!.static).toBeCloseTo(1 - (1 - h) * 0.999, 12);
    expect(all.assumed).toEqual(['bucket']);
  });
});

describe('failover time and the yearly figure', () => {
  test('a cold standby costs its manualRecoveryMinutes once per failure of the active host', () => {
    const design = makeDesign({
      services: [
        { id: 'rep-a', kind: 'reporting', host: 'h1' },
        { id: 'rep-b', kind: 'reporting', host: 'h2', mode: 'cold-standby', manualRecoveryMinutes: 20 },
      ],
      entrypoints: [{ id: 'portal', port: 443, targets: ['rep-a', 'rep-b'], via: 'direct' }],
    });
    const result = entry(design, 'portal');
    // h1 fails once a year (8760 h) and each time a person needs 20 minutes.
    expect(result.failover).toBeCloseTo(20 / 60 / 8760, 15);
    const failover = result.contributors.find((c) => c.kind === 'failover')!;
    expect(failover).toMatchObject({ failed: ['h1'] });
    expect(failover.downtimeMinutesPerYear).toBeCloseTo(20, 6);
    const h = unavailabilityOf(DEFAULT_HOST_RATE);
    expect(result.availability).toBeCloseTo(1 - h * h - 20 / 60 / 8760, 12);
    expect(result.nines).toBeCloseTo(-Math.log10(1 - result.availability), 9);
    expect(result.downtimeMinutesPerYear).toBeCloseTo((1 - result.availability) * 525_600, 6);
  });

  test('defaults: a host fails once a year for 4 hours, a site once in ten years for 24 hours', () => {
    expect(DEFAULT_HOST_RATE).toEqual({ mtbfHours: 8760, mttrHours: 4 });
    expect(DEFAULT_SITE_RATE).toEqual({ mtbfHours: 87_600, mttrHours: 24 });
    const design = makeDesign({
      services: [{ id: 'web', kind: 'app', host: 'h1' }],
      entrypoints: [{ id: 'site', port: 80, targets: ['web'], via: 'direct' }],
    });
    expect(entry(design, 'site').static).toBeCloseTo(4 / 8764, 12);
  });

  test('hands each single failure’s recoveries to the caller: those the engine estimates alone', () => {
    for (const design of [
      ...exampleFiles.filter((file) => !file.includes('broken')).map(loadExample),
      syntheticDesign({ services: 100, seed: 3 }),
    ]) {
      const model = compileAvailability(design);
      const told = new Map<string, Map<string, unknown>>();
      const figures = computeYearlyAvailability(model, {
        onSingleFailure: (failed, recoveries) =>
          told.set(failed, new Map(recoveries.map((e) => [e.id, e.recovery]))),
      });
      expect(figures, design.name).toEqual(computeYearlyAvailability(model));
      expect(told.size, design.name).toBeGreaterThan(0);
      for (const [failed, recoveries] of told) {
        const alone = new Map(
          estimateRecovery(model, model.evaluate([failed])).map((e) => [e.id, e.recovery]),
        );
        for (const [id, recovery] of recoveries) expect(recovery, `${failed} ${id}`).toEqual(alone.get(id));
        // Every entrypoint it was not told about is neither down nor interrupted by the failure.
        for (const [id, recovery] of alone)
          if (!recoveries.has(id)) expect(recovery?.seconds, `${failed} ${id}`).toBe(0);
      }
    }
  });
});

/** xorshift32: a seeded generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/**
 * A random small design with shared sites, shared hosts, a balancer, a replica set, a cold
 * standby and an external service: every kind of dependence the exact computation must get right.
 */
function randomSmallDesign(random: () => number, n: number): Design {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const siteCount = 1 + Math.floor(random() * 3);
  const sites = Array.from({ length: siteCount }, (_, i) => ({ id: `s${i + 1}` }));
  const hostCount = 3 + Math.floor(random() * 4);
  const hosts = Array.from({ length: hostCount }, (_, i) => ({ id: `h${i + 1}`, site: pick(sites).id }));
  const hostIds = hosts.map((h) => h.id);
  const apps = Array.from({ length: 2 + Math.floor(random() * 2) }, (_, i) => ({
    id: `app${i + 1}`,
    kind: 'app',
    host: pick(hostIds),
    ...(i > 0 && random() < 0.3 ? { mode: 'cold-standby' } : {}),
  }));
  const members = ['m1', 'm2', 'm3'].map((id) => ({
    id,
    kind: 'mongodb',
    host: pick(hostIds),
    group: 'rs0',
  }));
  const links: Record<string, unknown>[] = apps.map((a) => ({ from: 'lb', to: a.id }));
  for (const app of apps) {
    if (random() < 0.6) links.push({ from: app.id, to: 'rs0' });
    if (random() < 0.4) links.push({ from: app.id, to: 'ext' });
  }
  return makeDesign({
    name: `random small design ${n}`,
    reliability: { host: FLAKY, site: { mtbfHours: 80, mttrHours: 20 } },
    sites,
    hosts,
    services: [
      { id: 'lb', kind: 'haproxy', host: pick(hostIds) },
      ...apps,
      ...members,
      { id: 'ext', kind: 'database', engine: 'postgresql', availability: 0.85 },
    ],
    groups: [{ id: 'rs0', kind: 'mongodb-replica-set' }],
    links,
    entrypoints: [
      { id: 'balanced', port: 80, targets: ['lb'], via: 'direct' },
      { id: 'direct', port: 8080, targets: apps.map((a) => a.id), via: 'direct' },
      { id: 'data', port: 27017, targets: ['rs0'], via: 'direct' },
    ],
  });
}

describe('Monte Carlo cross-check on random small designs', () => {
  test('the exact static unavailability lies within 4.5 standard errors of 20,000 samples', () => {
    const random = seeded(14);
    let checked = 0;
    for (let n = 0; n < 12; n++) {
      const design = randomSmallDesign(random, n);
      const model = compileAvailability(design);
      const exact = computeYearlyAvailability(model);
      const components = [
        ...design.hosts.map((h) => ({ id: h.id as string, down: q })),
        ...[...model.index.hostsBySite.keys()].map((id) => ({ id, down: 0.2 })),
        { id: 'ext', down: 0.15 },
      ];
      const samples = 20_000;
      const downCounts = new Map<string, number>();
      for (let i = 0; i < samples; i++) {
        const failed = components.filter((c) => random() < c.down).map((c) => c.id);
        for (const e of model.evaluate(failed).entrypoints())
          if (e.state === 'down') downCounts.set(e.id, (downCounts.get(e.id) ?? 0) + 1);
      }
      for (const e of exact.entrypoints) {
        const estimate = (downCounts.get(e.id) ?? 0) / samples;
        const standardError = Math.sqrt(Math.max(e.static * (1 - e.static), 1e-6) / samples);
        expect(e.bound).toBeLessThan(ERROR_TARGET);
        expect(
          Math.abs(estimate - e.static),
          `${design.name} ${e.id}: exact ${e.static}, sampled ${estimate}`,
        ).toBeLessThan(4.5 * standardError);
        if (e.static > 0.05) checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
