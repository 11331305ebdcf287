/**
 * Issue 13: the evaluation of Redis Sentinel groups and of network partitions (docs/availability.md)
 * against the cases the vendors document. Each design below is one of those cases, named after the
 * section of the vendor document it comes from, with the outcome that document gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileAvailability } from '../../core/availability';
import type { Design } from '../../core/model';
import { validateDesign } from '../../core/rules';
import { syntheticDesign } from '../../bench/synthetic';
import { makeDesign } from './builders';
import type { DesignInput } from './builders';

/** A Sentinel group `g` behind an entrypoint `cache`, as the Sentinel guide draws its boxes. */
function sentinelDesign(
  members: {
    id: string;
    kind: 'redis' | 'sentinel';
    host: string;
    primary?: true;
    replicaPriority?: number;
  }[],
  group: Record<string, unknown> = {},
  sites?: Record<string, string>,
): Design {
  const hosts = [...new Set(members.map((m) => m.host))];
  const input: DesignInput = {
    hosts: hosts.map((id) => ({ id, ...(sites ? { site: sites[id] } : {}) })),
    ...(sites ? { sites: [...new Set(Object.values(sites))].map((id) => ({ id })) } : {}),
    services: members.map((m) => ({ ...m, group: 'g' })),
    groups: [{ id: 'g', kind: 'redis-sentinel', ...group }],
    entrypoints: [{ id: 'cache', port: 6379, targets: ['g'], via: 'direct' }],
  };
  return makeDesign(input);
}

function rulesOf(design: Design): string[] {
  return validateDesign(design).findings.map((f) => f.rule);
}

/** Redis Sentinel documentation, "Example 2: basic setup with three boxes": M1 S1 | R2 S2 | R3 S3, quorum 2. */
function threeBoxes(group: Record<string, unknown> = {}, sites?: Record<string, string>): Design {
  return sentinelDesign(
    [
      { id: 'm1', kind: 'redis', host: 'box1', primary: true },
      { id: 'r2', kind: 'redis', host: 'box2' },
      { id: 'r3', kind: 'redis', host: 'box3' },
      { id: 's1', kind: 'sentinel', host: 'box1' },
      { id: 's2', kind: 'sentinel', host: 'box2' },
      { id: 's3', kind: 'sentinel', host: 'box3' },
    ],
    { quorum: 2, ...group },
    sites,
  );
}

describe('Redis Sentinel as its documentation describes it', () => {
  it('"Example 1: just two Sentinels, DON\'T DO THIS": losing the primary\'s box leaves no majority to authorise a failover', () => {
    const design = sentinelDesign(
      [
        { id: 'm1', kind: 'redis', host: 'box1', primary: true },
        { id: 'r1', kind: 'redis', host: 'box2' },
        { id: 's1', kind: 'sentinel', host: 'box1' },
        { id: 's2', kind: 'sentinel', host: 'box2' },
      ],
      { quorum: 1 },
    );
    const model = compileAvailability(design);
    // The guide: quorum 1 lets S2 agree alone that M1 is down, but it cannot be authorised by a majority.
    expect(model.evaluate(['box1']).stateOf('g')!.state).toBe('down');
    expect(model.evaluate(['box1']).explain('cache')).toMatch(
      /1 of 2 sentinels are up, too few to fail over \(it takes 2\)/,
    );
    // Losing the replica's box leaves the primary serving.
    expect(model.evaluate(['box2']).stateOf('g')).toMatchObject({ state: 'up', degraded: true });
    const rules = rulesOf(design);
    expect(rules).toContain('redis.sentinel-even');
    expect(rules).toContain('quorum.too-small');
    expect(rules).not.toContain('quorum.even');
  });

  it('"Example 2: basic setup with three boxes": one box down is survived, the primary\'s included', () => {
    const model = compileAvailability(threeBoxes());
    for (const box of ['box1', 'box2', 'box3'])
      expect(model.evaluate([box]).stateOf('g'), box).toMatchObject({ state: 'up', degraded: true });
    // Two boxes down: the primary's survives alone (it serves), a replica alone cannot be promoted.
    expect(model.evaluate(['box2', 'box3']).stateOf('g')!.state).toBe('up');
    expect(model.evaluate(['box1', 'box2']).stateOf('g')!.state).toBe('down');
    expect(rulesOf(threeBoxes())).not.toContain('redis.sentinel-even');
  });

  it('"Example 2", the partition the guide warns about: M1 isolated keeps taking writes while R2 is promoted', () => {
    const model = compileAvailability(threeBoxes());
    const partition = model.evaluatePartition([['box1']]);
    expect(partition.splitBrain).toEqual(['g']);
    expect(partition.sides.map((side) => side.evaluation.stateOf('g')!.state)).toEqual(['up', 'up']);
    expect(partition.entrypoints()).toEqual([{ id: 'cache', state: 'up', degraded: true }]);
  });

  it('"Example 2" with min-replicas-to-write 1: the isolated M1 refuses writes, so no writes are lost', () => {
    const model = compileAvailability(threeBoxes({ minReplicasToWrite: 1 }));
    const partition = model.evaluatePartition([['box1']]);
    expect(partition.splitBrain).toEqual([]);
    expect(partition.sides.map((side) => side.evaluation.stateOf('g')!.state)).toEqual(['down', 'up']);
    expect(partition.sides[0]!.evaluation.explain('g')).toMatch(/refuses writes with 0 of the 1 replicas/);
    // The price the guide names: with both replicas lost the primary stops accepting writes.
    expect(model.evaluate(['box2', 'box3']).stateOf('g')!.state).toBe('down');
    expect(model.evaluate(['box2']).stateOf('g')!.state).toBe('up');
  });

  it('"Example 3: Sentinel in the client boxes": the primary fails over; losing sentinels alone is no outage', () => {
    const design = sentinelDesign(
      [
        { id: 'm1', kind: 'redis', host: 'box1', primary: true },
        { id: 'r1', kind: 'redis', host: 'box2' },
        { id: 's1', kind: 'sentinel', host: 'c1' },
        { id: 's2', kind: 'sentinel', host: 'c2' },
        { id: 's3', kind: 'sentinel', host: 'c3' },
      ],
      { quorum: 2 },
    );
    const model = compileAvailability(design);
    expect(model.evaluate(['box1']).stateOf('g')).toMatchObject({ state: 'up', degraded: true });
    // The false alarm of issue 13: two of three sentinels lost while the primary is healthy.
    expect(model.evaluate(['c1', 'c2']).stateOf('g')).toMatchObject({ state: 'up', degraded: true });
    // The false comfort: the primary lost with too few sentinels left to authorise a failover.
    expect(model.evaluate(['box1', 'c1', 'c2']).stateOf('g')!.state).toBe('down');
  });

  it('"replica-priority 0" (Sentinel never promotes it): a group whose only replica has it is down with its primary', () => {
    const design = sentinelDesign([
      { id: 'm1', kind: 'redis', host: 'box1', primary: true },
      { id: 'r1', kind: 'redis', host: 'box2', replicaPriority: 0 },
      { id: 's1', kind: 'sentinel', host: 'box1' },
      { id: 's2', kind: 'sentinel', host: 'box2' },
      { id: 's3', kind: 'sentinel', host: 'box3' },
    ]);
    const model = compileAvailability(design);
    expect(model.evaluate(['box1']).stateOf('g')!.state).toBe('down');
    expect(model.evaluate(['box1']).explain('cache')).toMatch(/no replica Sentinel may promote is up/);
    const findings = validateDesign(design).findings.filter((f) => f.rule === 'redis.no-promotable');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.subjects).toEqual(['r1', 'g']);
    expect(findings[0]!.message).toMatch(/replicaPriority above 0/);
  });

  it('split brain across sites is a warning that names minReplicasToWrite and its cost; the fix removes it', () => {
    const sites = { box1: 'dc-a', box2: 'dc-b', box3: 'dc-c' };
    const findings = validateDesign(threeBoxes({}, sites)).findings.filter(
      (f) => f.rule === 'redis.split-brain',
    );
    expect(findings.map((f) => f.subjects)).toEqual([['g', 'dc-a']]);
    expect(findings[0]!.severity).toBe('warning');
    expect(findings[0]!.message).toMatch(/Set minReplicasToWrite to 1/);
    expect(findings[0]!.message).toMatch(
      /refuses every write whenever fewer than 1 of its 2 replicas are up/,
    );
    expect(rulesOf(threeBoxes({ minReplicasToWrite: 1 }, sites))).not.toContain('redis.split-brain');
  });
});

describe('MongoDB replica sets under partitions', () => {
  // MongoDB manual, "Replica Sets Distributed Across Two or More Data Centers": with two data
  // centres, two members in one and one in the other, a partition leaves the primary only where
  // the majority is, so there are never two primaries.
  const design = makeDesign({
    sites: [{ id: 'dc1' }, { id: 'dc2' }],
    hosts: [
      { id: 'h1', site: 'dc1' },
      { id: 'h2', site: 'dc1' },
      { id: 'h3', site: 'dc2' },
    ],
    services: [
      { id: 'a', kind: 'mongodb', host: 'h1', group: 'rs' },
      { id: 'b', kind: 'mongodb', host: 'h2', group: 'rs' },
      { id: 'c', kind: 'mongodb', host: 'h3', group: 'rs' },
    ],
    groups: [{ id: 'rs', kind: 'mongodb-replica-set' }],
    entrypoints: [{ id: 'db', port: 27017, targets: ['rs'], via: 'direct' }],
  });

  it('a 2+1 set split between two data centres never has two primaries, and serves from the majority', () => {
    const model = compileAvailability(design);
    for (const cut of [['dc1'], ['dc2'], ['h1'], ['h3'], ['h1', 'h3']]) {
      const partition = model.evaluatePartition([cut]);
      expect(partition.splitBrain, cut.join()).toEqual([]);
      expect(partition.entrypoints()[0]!.state, cut.join()).toBe('up');
    }
    // Three sides of one member each: no side holds a majority.
    expect(model.evaluatePartition([['h1'], ['h2']]).entrypoints()[0]!.state).toBe('down');
  });

  it('the site partition the single-failure analysis adds: cutting dc1 off leaves dc2 alone; no partition finding', () => {
    const rules = rulesOf(design);
    expect(rules).toContain('spof.site');
    expect(rules).not.toContain('spof.partition');
  });
});

describe('partitions, properties over synthetic designs', () => {
  it('a partition into one side is no failure, and no majority group is ever up on two sides', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(fc.nat(), { maxLength: 60 }), (seed, picks) => {
        const design = syntheticDesign({ services: 60, seed });
        const model = compileAvailability(design);
        const hosts = design.hosts.map((h) => h.id as string);
        const whole = model.evaluatePartition([hosts]);
        expect(whole.sides).toHaveLength(1);
        expect(whole.entrypoints()).toEqual(model.baseline.entrypoints());
        expect(whole.splitBrain).toEqual([]);
        // Random sides: each host goes to side picks[i] % 3.
        const sides: string[][] = [[], [], []];
        hosts.forEach((host, i) => sides[(picks[i] ?? 0) % 3]!.push(host));
        const partition = model.evaluatePartition(sides.filter((side) => side.length > 0));
        const majority = (design.groups ?? []).filter(
          (g) => g.kind === 'mongodb-replica-set' || g.kind === 'quorum',
        );
        for (const group of majority) expect(partition.splitBrain).not.toContain(group.id);
        // The best over the sides is never better than nothing failed.
        const rank = (state: string) => ['down', 'manual', 'up'].indexOf(state);
        partition
          .entrypoints()
          .forEach((entrypoint, i) =>
            expect(rank(entrypoint.state)).toBeLessThanOrEqual(rank(model.baseline.entrypoints()[i]!.state)),
          );
      }),
      { numRuns: 40 },
    );
  });
});
