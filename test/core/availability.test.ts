import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileAvailability } from '../../core/availability';
import type { AvailabilityState } from '../../core/availability/types';
import { indexDesign } from '../../core/design-index';
import type { DesignIndex } from '../../core/design-index';
import {
  capacityOf,
  isExternallyHighlyAvailable,
  mainPortOf,
  mongoPriorityOf,
  mongoVotesOf,
} from '../../core/model';
import type { Design } from '../../core/model';
import { makeDesign } from './builders';

const portal = makeDesign({
  services: [
    { id: 'rep-a', kind: 'reporting', host: 'rep-1' },
    { id: 'rep-b', kind: 'reporting', host: 'rep-2', mode: 'cold-standby' },
    { id: 'sql', kind: 'database', engine: 'SQL Server', host: 'db-1' },
  ],
  links: [
    { from: 'rep-a', to: 'sql' },
    { from: 'rep-b', to: 'sql' },
  ],
  entrypoints: [{ id: 'portal', port: 443, targets: ['rep-a', 'rep-b'], via: 'direct' }],
});

function entrypointState(design: Design, failed: string[], entrypoint: string) {
  return compileAvailability(design).evaluate(failed).stateOf(entrypoint);
}

describe('availability: states and reasons', () => {
  it('makes the portal manual when the active reporting host fails and only a cold standby is left', () => {
    const evaluation = compileAvailability(portal).evaluate(['rep-1']);
    expect(evaluation.stateOf('portal')).toEqual({ id: 'portal', state: 'manual', degraded: false });
    expect(evaluation.explain('portal')).toBe(
      'portal is manual: rep-a is down with host rep-1; rep-b is a cold standby',
    );
  });

  it('keeps the portal up but degraded when the standby host fails', () => {
    const evaluation = compileAvailability(portal).evaluate(['rep-2']);
    expect(evaluation.stateOf('portal')).toMatchObject({ state: 'up', degraded: true });
    expect(evaluation.explain('portal')).toBe('portal is up but degraded: rep-b is down with host rep-2');
  });

  it('takes a cold standby down, not manual, when what it needs is down', () => {
    const evaluation = compileAvailability(portal).evaluate(['db-1']);
    expect(evaluation.stateOf('rep-b')?.state).toBe('down');
    expect(evaluation.stateOf('portal')?.state).toBe('down');
    expect(evaluation.explain('portal')).toContain('it uses sql, which is down with host db-1');
  });

  it('is up with nothing failed, and the baseline says so', () => {
    const model = compileAvailability(portal);
    expect(model.baseline.entrypoints()).toEqual([{ id: 'portal', state: 'up', degraded: false }]);
    expect(model.baseline.explain('portal')).toBe('portal is up');
  });

  it('needs one target per port when a balancer sends different ports to different backends', () => {
    const design = makeDesign({
      services: [
        {
          id: 'lb',
          kind: 'haproxy',
          host: 'lb-1',
          listen: [
            { port: 443, protocol: 'tcp' },
            { port: 10000, protocol: 'tcp' },
          ],
        },
        { id: 'web', kind: 'app', host: 'web-1', healthCheck: { path: '/health' } },
        { id: 'agent', kind: 'app', host: 'agent-1', healthCheck: { path: '/health' } },
      ],
      links: [
        { from: 'lb', to: 'web', port: 443 },
        { from: 'lb', to: 'agent', port: 10000 },
      ],
      entrypoints: [{ id: 'front', port: 443, targets: ['lb'], via: 'direct' }],
    });
    const evaluation = compileAvailability(design).evaluate(['agent-1']);
    expect(evaluation.stateOf('front')?.state).toBe('down');
    expect(evaluation.explain('front')).toContain(
      'it sends traffic on port 10000 to agent, which is down with host agent-1',
    );
  });

  /** nginx on lb-1 in front of app-a on h-a and app-b on h-b, both on 8080, with these ports on its links. */
  const twoApps = (portA: number | undefined, portB: number | undefined) =>
    makeDesign({
      services: [
        { id: 'lb', kind: 'nginx', host: 'lb-1' },
        { id: 'app-a', kind: 'app', host: 'h-a', healthCheck: { path: '/' } },
        { id: 'app-b', kind: 'app', host: 'h-b', healthCheck: { path: '/' } },
      ],
      links: [
        { from: 'lb', to: 'app-a', ...(portA === undefined ? {} : { port: portA }) },
        { from: 'lb', to: 'app-b', ...(portB === undefined ? {} : { port: portB }) },
      ],
      entrypoints: [{ id: 'web', port: 80, targets: ['lb'], via: 'direct' }],
    });

  it("counts a link without a port as its target's own port: naming that port changes nothing", () => {
    const design = twoApps(undefined, 8080);
    // Both apps serve 8080: either host may fail.
    expect(entrypointState(design, ['h-a'], 'web')).toMatchObject({ state: 'up', degraded: true });
    expect(entrypointState(design, ['h-b'], 'web')).toMatchObject({ state: 'up', degraded: true });
    expect(entrypointState(design, ['h-a', 'h-b'], 'web')).toMatchObject({ state: 'down' });
  });

  it('keeps a balancer up and degraded while one of its backends for a port survives', () => {
    const design = twoApps(8080, 8080);
    expect(entrypointState(design, ['h-a'], 'web')).toMatchObject({ state: 'up', degraded: true });
    expect(entrypointState(design, ['h-a', 'h-b'], 'web')).toMatchObject({ state: 'down' });
  });

  it('needs a strict majority of voters and one data-bearing member in a replica set', () => {
    const design = makeDesign({
      services: [
        { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs0' },
        { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs0' },
        { id: 'a1', kind: 'arbiter', host: 'h3', group: 'rs0' },
        { id: 'a2', kind: 'arbiter', host: 'h4', group: 'rs0' },
        { id: 'a3', kind: 'arbiter', host: 'h5', group: 'rs0' },
        { id: 'api', kind: 'app', host: 'h6' },
      ],
      groups: [{ id: 'rs0', kind: 'mongodb-replica-set' }],
      links: [{ from: 'api', to: 'rs0' }],
      entrypoints: [{ id: 'e', port: 8080, targets: ['api'], via: 'direct' }],
    });
    const model = compileAvailability(design);
    expect(model.evaluate(['h1']).stateOf('rs0')).toMatchObject({ state: 'up', degraded: true });
    // Three arbiters still make a majority of five, but nothing holds data.
    const noData = model.evaluate(['h1', 'h2']);
    expect(noData.stateOf('rs0')?.state).toBe('down');
    expect(noData.explain('rs0')).toContain('no data-bearing member is up');
    expect(model.evaluate(['h3', 'h4', 'h5']).stateOf('e')?.state).toBe('down');
  });

  it('counts sentinels, not redis servers, as the voters of a Sentinel group', () => {
    const design = makeDesign({
      services: [
        { id: 'r1', kind: 'redis', host: 'h1', group: 'cache', primary: true },
        { id: 'r2', kind: 'redis', host: 'h2', group: 'cache' },
        { id: 's1', kind: 'sentinel', host: 'h1', group: 'cache' },
        { id: 's2', kind: 'sentinel', host: 'h2', group: 'cache' },
        { id: 's3', kind: 'sentinel', host: 'h3', group: 'cache' },
      ],
      groups: [{ id: 'cache', kind: 'redis-sentinel' }],
    });
    const model = compileAvailability(design);
    expect(model.evaluate(['h1']).stateOf('cache')?.state).toBe('up');
    expect(model.evaluate(['h1', 'h3']).stateOf('cache')?.state).toBe('down');
  });

  it('marks a pool degraded when the survivors carry less than its load', () => {
    const design = makeDesign({
      services: [
        { id: 'p1', kind: 'processing', host: 'h1', group: 'proc', capacity: 2 },
        { id: 'p2', kind: 'processing', host: 'h2', group: 'proc', capacity: 2 },
        { id: 'p3', kind: 'processing', host: 'h3', group: 'proc', capacity: 2 },
      ],
      groups: [{ id: 'proc', kind: 'pool', load: 4 }],
    });
    const model = compileAvailability(design);
    expect(model.baseline.stateOf('proc')).toMatchObject({ state: 'up', degraded: false });
    expect(model.evaluate(['h1']).stateOf('proc')).toMatchObject({ state: 'up', degraded: true });
    expect(model.evaluate(['h1', 'h2']).stateOf('proc')).toMatchObject({ state: 'up', degraded: true });
    expect(model.evaluate(['h1', 'h2', 'h3']).stateOf('proc')?.state).toBe('down');
  });

  it('fails every host of a site together', () => {
    const design = makeDesign({
      sites: [{ id: 'east' }, { id: 'west' }],
      hosts: [
        { id: 'e1', site: 'east' },
        { id: 'e2', site: 'east' },
        { id: 'w1', site: 'west' },
      ],
      services: [
        { id: 'a', kind: 'app', host: 'e1' },
        { id: 'b', kind: 'app', host: 'e2' },
        { id: 'c', kind: 'app', host: 'w1' },
      ],
      entrypoints: [{ id: 'e', port: 8080, targets: ['a', 'b'], via: 'direct' }],
    });
    const model = compileAvailability(design);
    expect(model.evaluate(['east']).stateOf('e')?.state).toBe('down');
    expect(model.evaluate(['east']).explain('e')).toBe(
      'e is down: a is down with site east; b is down with site east',
    );
    expect(model.evaluate(['west']).stateOf('e')?.state).toBe('up');
  });

  it('fails an external service only when named, and an externally HA one never with its host', () => {
    const design = makeDesign({
      services: [
        { id: 'api', kind: 'app', host: 'h1' },
        { id: 'pg', kind: 'database', engine: 'PostgreSQL', ha: true, host: 'db-1' },
        { id: 's3', kind: 'storage', type: 's3' },
      ],
      links: [
        { from: 'api', to: 'pg' },
        { from: 'api', to: 's3' },
      ],
      entrypoints: [{ id: 'e', port: 8080, targets: ['api'], via: 'direct' }],
    });
    const model = compileAvailability(design);
    expect(model.evaluate(['db-1']).stateOf('e')?.state).toBe('up');
    expect(model.evaluate(['pg']).stateOf('e')?.state).toBe('down');
    expect(model.evaluate(['s3']).explain('e')).toBe(
      'e is down: api is down because it uses s3, which is down (failed)',
    );
  });

  it('takes every service of a dependency cycle down, even with nothing failed', () => {
    const design = makeDesign({
      services: [
        { id: 'a', kind: 'app', host: 'h1' },
        { id: 'b', kind: 'app', host: 'h2' },
        { id: 'c', kind: 'app', host: 'h3' },
      ],
      links: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
        { from: 'c', to: 'a' },
      ],
    });
    const model = compileAvailability(design);
    expect(model.baseline.stateOf('a')?.state).toBe('down');
    expect(model.baseline.stateOf('c')?.state).toBe('down');
    expect(model.cycles()).toEqual([['a', 'b']]);
    expect(model.baseline.explain('a')).toContain('needs itself');
  });

  it('treats unlinked services as entrypoints when the design has none, and groups for their members', () => {
    const design = makeDesign({
      services: [
        { id: 'api', kind: 'app', host: 'h1' },
        { id: 'q1', kind: 'app', host: 'h2', group: 'cluster' },
        { id: 'q2', kind: 'app', host: 'h3', group: 'cluster' },
        { id: 'q3', kind: 'app', host: 'h4', group: 'cluster' },
        { id: 'db', kind: 'database', engine: 'MySQL', host: 'h5' },
      ],
      groups: [{ id: 'cluster', kind: 'quorum' }],
      links: [{ from: 'api', to: 'db' }],
    });
    const model = compileAvailability(design);
    expect(model.baseline.entrypoints().map((e) => e.id)).toEqual(['api', 'cluster']);
    expect(model.evaluate(['h2', 'h3']).stateOf('cluster')?.state).toBe('down');
  });

  it('lists every host and then every site in the single-failure sweep', () => {
    const design = makeDesign({
      sites: [{ id: 'east' }, { id: 'west' }, { id: 'empty' }],
      hosts: [
        { id: 'e1', site: 'east' },
        { id: 'w1', site: 'west' },
      ],
      services: [
        { id: 'a', kind: 'app', host: 'e1' },
        { id: 'b', kind: 'app', host: 'w1' },
      ],
      entrypoints: [{ id: 'e', port: 8080, targets: ['a', 'b'], via: 'direct' }],
    });
    const sweep = compileAvailability(design).singleFailures();
    expect(sweep.map((s) => `${s.kind}:${s.failed}`)).toEqual([
      'host:e1',
      'host:w1',
      'site:east',
      'site:west',
    ]);
    expect(sweep.every((s) => s.entrypoints[0]!.state === 'up' && s.entrypoints[0]!.degraded)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The incremental engine against a naive evaluator written straight from docs/availability.md.

const RANK: Record<AvailabilityState, number> = { down: 0, manual: 1, up: 2 };
const NAMES: AvailabilityState[] = ['down', 'manual', 'up'];
interface Result {
  state: number;
  degraded: boolean;
}

function naiveEvaluate(index: DesignIndex, failed: Set<string>): Map<string, Result> {
  const design = index.design;
  const dependencies = (id: string): string[] => {
    if (index.groups.has(id)) return (index.membersByGroup.get(id) ?? []).map((m) => m.id);
    return (index.linksFrom.get(id) ?? []).map((l) => l.to);
  };
  const reaches = (from: string, target: string): boolean => {
    const seen = new Set<string>();
    const stack = [...dependencies(from)];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === target) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...dependencies(id));
    }
    return false;
  };
  const memo = new Map<string, Result>();
  const choice = (targets: string[]): Result => {
    const results = targets.map(evaluate);
    const best = Math.max(...results.map((r) => r.state));
    const lost = results.some((r) => r.state === 0) || !results.some((r) => r.state === 2 && !r.degraded);
    return { state: best, degraded: best === 2 && lost };
  };
  const evaluate = (id: string): Result => {
    const cached = memo.get(id);
    if (cached) return cached;
    let result: Result;
    if (reaches(id, id)) result = { state: 0, degraded: false };
    else if (index.groups.has(id)) {
      const group = index.groups.get(id)!;
      const members = index.membersByGroup.get(id) ?? [];
      const states = members.map((m) => evaluate(m.id));
      if (group.kind === 'pool') {
        const r = members.length === 0 ? { state: 0, degraded: false } : choice(members.map((m) => m.id));
        const capacity = members.reduce((sum, m, i) => sum + (states[i]!.state === 2 ? capacityOf(m) : 0), 0);
        const short = group.load !== undefined && capacity < group.load;
        result = { state: r.state, degraded: r.state === 2 && (r.degraded || short) };
      } else if (group.kind === 'redis-sentinel') {
        // Straight from docs/availability.md: serve from the primary; without it, promote a
        // replica with priority > 0 when max(quorum, majority) sentinels are up; a primary needs
        // minReplicasToWrite other redis up.
        const upAt = (i: number) => states[i]!.state === 2;
        const sentinels = members.filter((m) => m.kind === 'sentinel').length;
        const sentinelsUp = members.filter((m, i) => m.kind === 'sentinel' && upAt(i)).length;
        const redisUp = members.filter((m, i) => m.kind === 'redis' && upAt(i)).length;
        const primaryUp = members.some((m, i) => m.kind === 'redis' && m.primary === true && upAt(i));
        const promotableUp = members.some(
          (m, i) => m.kind === 'redis' && m.primary !== true && (m.replicaPriority ?? 100) > 0 && upAt(i),
        );
        const majority = Math.floor(sentinels / 2) + 1;
        const needed = Math.max(group.quorum ?? majority, majority);
        const writable = redisUp - 1 >= (group.minReplicasToWrite ?? 0);
        const ok = writable && (primaryUp || (promotableUp && sentinelsUp >= needed));
        result = { state: ok ? 2 : 0, degraded: ok && (!primaryUp || states.some((s) => s.state === 0)) };
      } else {
        const voter = (m: (typeof members)[number]) =>
          group.kind === 'quorum' ? true : mongoVotesOf(m) === 1;
        const data = (m: (typeof members)[number]) =>
          group.kind === 'quorum' ? m.kind !== 'arbiter' : m.kind === 'mongodb' && mongoPriorityOf(m) > 0;
        const voters = members.filter(voter);
        const up = voters.filter((m) => states[members.indexOf(m)]!.state === 2).length;
        const dataUp = members.some((m, i) => data(m) && states[i]!.state === 2);
        const ok = up * 2 > voters.length && dataUp;
        result = { state: ok ? 2 : 0, degraded: ok && states.some((s) => s.state === 0) };
      }
    } else {
      const service = index.services.get(id)!;
      const host = service.host === undefined ? undefined : index.hosts.get(service.host);
      const hit =
        failed.has(id) ||
        (!isExternallyHighlyAvailable(service) &&
          host !== undefined &&
          (failed.has(host.id) || (host.site !== undefined && failed.has(host.site))));
      if (hit) result = { state: 0, degraded: false };
      else {
        let state = 2;
        let degraded = false;
        const links = index.linksFrom.get(id) ?? [];
        const requirements: string[][] = links.filter((l) => l.kind === 'uses').map((l) => [l.to]);
        // Per port when ports differ: a link without a port reaches its target's own port, which
        // is the same port as a link that names it.
        const traffic = links.filter((l) => l.kind === 'traffic');
        const named = new Set(traffic.map((l) => l.port).filter((p) => p !== undefined));
        const ownPort = (to: string) => {
          const target = index.services.get(to);
          return target && mainPortOf(target);
        };
        const ports = new Map<string, string[]>();
        for (const l of traffic) {
          const own = ownPort(l.to);
          const key =
            l.port !== undefined ? String(l.port) : own !== undefined && named.has(own) ? String(own) : '';
          ports.set(key, [...(ports.get(key) ?? []), l.to]);
        }
        requirements.push(...ports.values());
        for (const targets of requirements) {
          const r = choice(targets);
          state = Math.min(state, r.state);
          degraded ||= r.degraded;
        }
        if (service.mode === 'cold-standby') result = { state: state === 0 ? 0 : 1, degraded: false };
        else result = { state, degraded: state === 2 && degraded };
      }
    }
    memo.set(id, result);
    return result;
  };
  const out = new Map<string, Result>();
  for (const s of design.services) out.set(s.id, evaluate(s.id));
  for (const g of design.groups ?? []) out.set(g.id, evaluate(g.id));
  for (const e of index.entrypoints) out.set(`entrypoint:${e.id}`, choice(e.targets));
  return out;
}

const randomDesign = fc
  .record({
    hostCount: fc.integer({ min: 1, max: 6 }),
    siteCount: fc.integer({ min: 0, max: 3 }),
    services: fc.array(
      fc.record({
        kind: fc.constantFrom('app', 'processing', 'mongodb', 'arbiter', 'nginx', 'database'),
        host: fc.option(fc.nat(), { nil: undefined }),
        mode: fc.constantFrom('active', 'active', 'hot-standby', 'cold-standby'),
        group: fc.option(fc.nat(), { nil: undefined }),
        capacity: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        ha: fc.boolean(),
        priority: fc.constantFrom(0, 1, 2),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    groups: fc.array(
      fc.record({
        kind: fc.constantFrom('pool', 'quorum', 'mongodb-replica-set', 'redis-sentinel'),
        load: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        quorum: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        minReplicasToWrite: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      }),
      { maxLength: 3 },
    ),
    links: fc.array(
      fc.record({
        from: fc.nat(),
        to: fc.nat(),
        toGroup: fc.boolean(),
        kind: fc.constantFrom('uses', 'traffic'),
        port: fc.constantFrom(undefined, 80, 443, 8080),
      }),
      { maxLength: 16 },
    ),
    entrypoints: fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
  })
  .map((r) => {
    const sites = Array.from({ length: r.siteCount }, (_, i) => ({ id: `site-${i}` }));
    const hosts = Array.from({ length: r.hostCount }, (_, i) => ({
      id: `host-${i}`,
      ...(sites.length > 0 ? { site: sites[i % sites.length]!.id } : {}),
    }));
    const groups = r.groups.map((g, i) => ({
      id: `group-${i}`,
      kind: g.kind,
      ...(g.kind === 'pool' && g.load ? { load: g.load } : {}),
      ...(g.kind === 'redis-sentinel' && g.quorum ? { quorum: g.quorum } : {}),
      ...(g.kind === 'redis-sentinel' && g.minReplicasToWrite !== undefined
        ? { minReplicasToWrite: g.minReplicasToWrite }
        : {}),
    }));
    const primaries = new Set<string>();
    const services = r.services.map((s, i) => {
      const group =
        s.group === undefined || groups.length === 0 ? undefined : groups[s.group % groups.length]!;
      const kind =
        group?.kind === 'mongodb-replica-set'
          ? s.kind === 'arbiter'
            ? 'arbiter'
            : 'mongodb'
          : group?.kind === 'redis-sentinel'
            ? s.kind === 'arbiter' || s.kind === 'nginx'
              ? 'sentinel'
              : 'redis'
            : s.kind;
      // The first redis of a Sentinel group is its primary; the others promotable unless priority 0.
      const primary = kind === 'redis' && group !== undefined && !primaries.has(group.id);
      if (primary) primaries.add(group!.id);
      return {
        id: `svc-${i}`,
        kind,
        ...(s.host === undefined ? {} : { host: hosts[s.host % hosts.length]!.id }),
        ...(s.mode === 'active' ? {} : { mode: s.mode }),
        ...(group ? { group: group.id } : {}),
        ...(s.capacity ? { capacity: s.capacity } : {}),
        ...(kind === 'database' ? { engine: 'PostgreSQL', ha: s.ha } : {}),
        ...(kind === 'mongodb' ? { priority: s.priority } : {}),
        ...(primary ? { primary: true } : {}),
        ...(kind === 'redis' && !primary && s.priority === 0 ? { replicaPriority: 0 } : {}),
      };
    });
    const ids = services.map((s) => s.id);
    const links = r.links.map((l) => ({
      from: ids[l.from % ids.length]!,
      to: l.toGroup && groups.length > 0 ? groups[l.to % groups.length]!.id : ids[l.to % ids.length]!,
      kind: l.kind,
      ...(l.port ? { port: l.port } : {}),
    }));
    const targets = [...ids, ...groups.map((g) => g.id)];
    const entrypoints = r.entrypoints.map((t, i) => ({
      id: `entry-${i}`,
      port: 443,
      targets: [...new Set(t.map((n) => targets[n % targets.length]!))],
      via: 'direct',
    }));
    return makeDesign({
      sites: sites.length > 0 ? sites : undefined,
      hosts,
      services,
      groups,
      links,
      entrypoints,
    });
  });

describe('availability: incremental evaluation agrees with the specification', () => {
  it('gives the same state and degraded flag as a naive evaluator for random designs and failures', () => {
    fc.assert(
      fc.property(randomDesign, fc.array(fc.nat(), { maxLength: 3 }), (design, picks) => {
        const index = indexDesign(design);
        const candidates = [...index.hosts.keys(), ...index.sites.keys(), ...index.services.keys()];
        const failed = [...new Set(picks.map((p) => candidates[p % candidates.length]!))];
        const model = compileAvailability(index);
        const expected = naiveEvaluate(index, new Set(failed));
        const evaluation = model.evaluate(failed);
        for (const [key, want] of expected) {
          const id = key.replace(/^entrypoint:/, '');
          const got = evaluation.stateOf(id)!;
          expect({ key, state: got.state, degraded: got.degraded }).toEqual({
            key,
            state: NAMES[want.state],
            degraded: want.degraded,
          });
        }
        // The single-failure sweep reuses scratch memory across scenarios: it must agree too.
        for (const scenario of model.singleFailures()) {
          const naive = naiveEvaluate(index, new Set([scenario.failed]));
          for (const e of scenario.entrypoints) {
            expect(RANK[e.state]).toBe(naive.get(`entrypoint:${e.id}`)!.state);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
