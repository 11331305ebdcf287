/**
 * Recovery per scenario (docs/availability.md, "Recovery time"): which mechanism brings each
 * entrypoint back after a failure, and how long its clients wait, from the generated values.
 */
import { describe, expect, test } from 'vitest';
import { compileAvailability } from '../../core/availability';
import type { Design } from '../../core/model';
import { estimatePartitionRecovery, estimateRecovery } from '../../core/recovery/estimate';
import { generateHaproxy } from '../../core/generate/haproxy';
import { generateKeepalived } from '../../core/generate/keepalived';
import { indexDesign } from '../../core/design-index';
import { makeDesign } from './builders';

function recoveryAfter(design: Design, failed: string[], entrypoint: string) {
  const model = compileAvailability(design);
  return estimateRecovery(model, model.evaluate(failed)).find((e) => e.id === entrypoint)!.recovery;
}

const apps = [
  { id: 'web-a', kind: 'app', host: 'app-1', healthCheck: { path: '/health', intervalMs: 2000 } },
  { id: 'web-b', kind: 'app', host: 'app-2', healthCheck: { path: '/health', intervalMs: 2000 } },
];

function balanced(kind: 'haproxy' | 'nginx', extra: Partial<Parameters<typeof makeDesign>[0]> = {}): Design {
  return makeDesign({
    services: [{ id: 'lb', kind, host: 'lb-1' }, ...apps],
    links: [
      { from: 'lb', to: 'web-a' },
      { from: 'lb', to: 'web-b' },
    ],
    entrypoints: [{ id: 'site', port: 80, targets: ['lb'], via: 'direct' }],
    ...extra,
  });
}

describe('balancers', () => {
  test('HAProxy: a lost host costs one timeout connect, since the request is redispatched', () => {
    const design = balanced('haproxy');
    const recovery = recoveryAfter(design, ['app-1'], 'site')!;
    expect(recovery).toMatchObject({ seconds: 1, by: 'haproxy' });
    expect(recovery.detail).toContain('timeout connect 1 s for web-a');
    // The figure is the one written into the generated file.
    const [file] = generateHaproxy({ index: indexDesign(design) });
    expect(file!.content).toMatch(/timeout connect\s+1s/);
    expect(file!.content).toContain('option redispatch');
  });

  test('HAProxy tcp: least connections still counts the connect timeout, as SPEC section 2.2 says', () => {
    const design = balanced('haproxy', {
      services: [
        { id: 'lb', kind: 'haproxy', host: 'lb-1', listen: [{ port: 22, protocol: 'tcp' }] },
        ...apps,
      ],
      entrypoints: [{ id: 'git', port: 22, targets: ['lb'], via: 'direct' }],
    });
    const recovery = recoveryAfter(design, ['app-1'], 'git')!;
    // The config retries on another server at once, so the connect timeout counts; leastconn only
    // makes fewer clients wait it (the rehearsal measures that, docs/rehearse.md).
    expect(recovery).toMatchObject({ seconds: 1, by: 'haproxy' });
    expect(recovery.detail).toContain('timeout connect 1 s for web-a');
    const [file] = generateHaproxy({ index: indexDesign(design) });
    expect(file!.content).toMatch(/mode tcp\s+balance leastconn/);
    expect(file!.content).toMatch(/timeout connect\s+1s/);
  });

  test("HAProxy: an entrypoint recovers by the listener on its port, not by the balancer's others", () => {
    // One balancer serves a site over http and git over SSH from other servers: losing a web
    // server interrupts the site's clients only.
    const design = balanced('haproxy', {
      services: [
        {
          id: 'lb',
          kind: 'haproxy',
          host: 'lb-1',
          listen: [
            { port: 80, protocol: 'http' },
            { port: 22, protocol: 'tcp' },
          ],
        },
        ...apps,
        { id: 'git-a', kind: 'app', host: 'app-3' },
        { id: 'git-b', kind: 'app', host: 'app-4' },
      ],
      links: [
        { from: 'lb', to: 'web-a', port: 8080 },
        { from: 'lb', to: 'web-b', port: 8080 },
        { from: 'lb', to: 'git-a', port: 22 },
        { from: 'lb', to: 'git-b', port: 22 },
      ],
      entrypoints: [
        { id: 'site', port: 80, targets: ['lb'], via: 'direct' },
        { id: 'git', port: 22, targets: ['lb'], via: 'direct' },
      ],
    });
    expect(recoveryAfter(design, ['app-1'], 'site')).toMatchObject({ seconds: 1, by: 'haproxy' });
    expect(recoveryAfter(design, ['app-1'], 'git')).toMatchObject({ seconds: 0 });
  });

  test('HAProxy: a dead process refuses at once; the retry waits its turn-around', () => {
    expect(recoveryAfter(balanced('haproxy'), ['web-a'], 'site')).toMatchObject({
      seconds: 1,
      by: 'haproxy',
    });
  });

  test('nginx: a dead process refuses at once and proxy_next_upstream passes the request on', () => {
    expect(recoveryAfter(balanced('nginx'), ['web-a'], 'site')).toMatchObject({ seconds: 0, by: 'nginx' });
  });

  test('nginx: a lost host costs one proxy_connect_timeout', () => {
    const recovery = recoveryAfter(balanced('nginx'), ['app-2'], 'site')!;
    expect(recovery).toMatchObject({ seconds: 2, by: 'nginx' });
    expect(recovery.detail).toContain('proxy_next_upstream');
  });

  test('a lost backup target that carried no traffic interrupts nobody', () => {
    const design = balanced('haproxy', {
      links: [
        { from: 'lb', to: 'web-a' },
        { from: 'lb', to: 'web-b', backup: true },
      ],
    });
    expect(recoveryAfter(design, ['app-2'], 'site')).toMatchObject({ seconds: 0, by: 'none' });
    expect(recoveryAfter(design, ['app-1'], 'site')).toMatchObject({ seconds: 1, by: 'haproxy' });
  });

  test('an external-lb takes its stated default, and the design can change it', () => {
    const design = (healthCheck?: object) =>
      makeDesign({
        services: apps,
        entrypoints: [
          {
            id: 'site',
            port: 80,
            targets: ['web-a', 'web-b'],
            via: 'external-lb',
            ...(healthCheck ? { healthCheck } : {}),
          },
        ],
      });
    const assumed = recoveryAfter(design(), ['app-1'], 'site')!;
    expect(assumed).toMatchObject({ seconds: 10, by: 'external-lb' });
    expect(assumed.detail).toContain('assumed');
    expect(
      recoveryAfter(design({ intervalMs: 1000, unhealthyThreshold: 3 }), ['app-1'], 'site'),
    ).toMatchObject({
      seconds: 3,
      by: 'external-lb',
    });
  });

  test('a direct entrypoint: clients know every target', () => {
    const design = makeDesign({
      services: apps,
      entrypoints: [{ id: 'site', port: 80, targets: ['web-a', 'web-b'], via: 'direct' }],
    });
    expect(recoveryAfter(design, ['app-1'], 'site')).toMatchObject({ seconds: 0, by: 'none' });
    expect(recoveryAfter(design, ['app-1', 'app-2'], 'site')).toBeNull();
  });
});

describe('keepalived', () => {
  const design = makeDesign({
    services: [
      { id: 'lb-a', kind: 'haproxy', host: 'lb-1' },
      { id: 'lb-b', kind: 'haproxy', host: 'lb-2' },
      ...apps,
    ],
    links: [
      { from: 'lb-a', to: 'web-a' },
      { from: 'lb-a', to: 'web-b' },
      { from: 'lb-b', to: 'web-a' },
      { from: 'lb-b', to: 'web-b' },
    ],
    entrypoints: [{ id: 'vip', port: 80, targets: ['lb-a', 'lb-b'], via: 'vip', address: '10.0.9.9' }],
  });

  test('the holder host dies: 3 x advert_int + skew of the backup priority', () => {
    const recovery = recoveryAfter(design, ['lb-1'], 'vip')!;
    // lb-b's priority is 140: skew (256 - 140) / 256 s.
    expect(recovery.seconds).toBeCloseTo(3 + 116 / 256, 3);
    expect(recovery.by).toBe('keepalived');
    expect(recovery.detail).toBe(
      'the VIP moves to lb-b after 3 x advert_int 1 s + skew 0.453 s (priority 140)',
    );
    const files = generateKeepalived({ index: indexDesign(design) });
    const backup = files.find((f) => f.host === 'lb-2')!.content;
    expect(backup).toMatch(/advert_int 1\b/);
    expect(backup).toMatch(/priority 140\b/);
  });

  test('only the balancer dies: the tracking script counts first', () => {
    const recovery = recoveryAfter(design, ['lb-a'], 'vip')!;
    expect(recovery.seconds).toBeCloseTo(2 + 3 + 116 / 256, 3);
    expect(recovery.detail).toContain('tracking script');
  });

  test('a partition cuts the holder off: the backup hears no adverts at once, no tracking script first', () => {
    const model = compileAvailability(design);
    const recovery = estimatePartitionRecovery(model, model.evaluatePartition([['lb-1']], [])).find(
      (entry) => entry.id === 'vip',
    )!.recovery!;
    expect(recovery.seconds).toBeCloseTo(3 + 116 / 256, 3);
    expect(recovery.detail).not.toContain('tracking script');
  });

  test('the backup dies: nobody is interrupted', () => {
    expect(recoveryAfter(design, ['lb-2'], 'vip')).toMatchObject({ seconds: 0, by: 'none' });
  });
});

describe('data stores and clusters', () => {
  test('MongoDB: electionTimeoutMillis plus the election when the primary goes; nothing when a secondary does', () => {
    const design = (group: object = {}) =>
      makeDesign({
        services: [
          { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs0', priority: 2 },
          { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs0' },
          { id: 'm3', kind: 'mongodb', host: 'h3', group: 'rs0' },
        ],
        groups: [{ id: 'rs0', kind: 'mongodb-replica-set', ...group }],
        entrypoints: [{ id: 'data', port: 27017, targets: ['rs0'], via: 'direct' }],
      });
    expect(recoveryAfter(design(), ['h1'], 'data')).toMatchObject({ seconds: 12, by: 'mongodb' });
    expect(recoveryAfter(design({ electionTimeoutMs: 5000 }), ['h1'], 'data')).toMatchObject({ seconds: 7 });
    expect(recoveryAfter(design(), ['h2'], 'data')).toMatchObject({ seconds: 0, by: 'none' });
  });

  test('Sentinel: down-after-milliseconds plus agreement, promotion and the announcement', () => {
    const design = makeDesign({
      services: [
        { id: 'r1', kind: 'redis', host: 'h1', group: 'cache', primary: true },
        { id: 'r2', kind: 'redis', host: 'h2', group: 'cache' },
        { id: 's1', kind: 'sentinel', host: 'h1', group: 'cache' },
        { id: 's2', kind: 'sentinel', host: 'h2', group: 'cache' },
        { id: 's3', kind: 'sentinel', host: 'h3', group: 'cache' },
      ],
      groups: [{ id: 'cache', kind: 'redis-sentinel', downAfterMs: 3000 }],
      entrypoints: [{ id: 'redis', port: 6379, targets: ['cache'], via: 'direct' }],
    });
    const recovery = recoveryAfter(design, ['h1'], 'redis')!;
    expect(recovery).toMatchObject({ seconds: 5, by: 'sentinel' });
    expect(recovery.detail).toContain('promotes r2');
  });

  test('a quorum group without failoverSeconds says the figure is not known and how to set it', () => {
    const design = (failoverSeconds?: number) =>
      makeDesign({
        services: ['n1', 'n2', 'n3'].map((id, i) => ({
          id,
          kind: 'app',
          host: `h${i + 1}`,
          group: 'cluster',
        })),
        groups: [
          { id: 'cluster', kind: 'quorum', ...(failoverSeconds === undefined ? {} : { failoverSeconds }) },
        ],
        entrypoints: [{ id: 'nodes', port: 8080, targets: ['cluster'], via: 'direct' }],
      });
    const unknown = recoveryAfter(design(), ['h1'], 'nodes')!;
    expect(unknown).toMatchObject({ seconds: null, by: 'quorum' });
    expect(unknown.detail).toContain('set failoverSeconds');
    expect(recoveryAfter(design(8), ['h1'], 'nodes')).toMatchObject({ seconds: 8, by: 'quorum' });
  });

  test('a cold standby: a person starts it in manualRecoveryMinutes', () => {
    const design = makeDesign({
      services: [
        { id: 'rep-a', kind: 'reporting', host: 'h1' },
        { id: 'rep-b', kind: 'reporting', host: 'h2', mode: 'cold-standby', manualRecoveryMinutes: 45 },
      ],
      entrypoints: [{ id: 'portal', port: 443, targets: ['rep-a', 'rep-b'], via: 'direct' }],
    });
    expect(recoveryAfter(design, ['h1'], 'portal')).toMatchObject({ seconds: 2700, by: 'manual' });
  });
});

test('mechanisms on one path run at once: the path takes the longest', () => {
  const design = makeDesign({
    services: [
      { id: 'lb-a', kind: 'haproxy', host: 'h1' },
      { id: 'lb-b', kind: 'haproxy', host: 'h2' },
      { id: 'web', kind: 'app', host: 'h3', healthCheck: { path: '/' } },
      { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs0', priority: 5 },
      { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs0' },
      { id: 'm3', kind: 'mongodb', host: 'h3', group: 'rs0' },
    ],
    groups: [{ id: 'rs0', kind: 'mongodb-replica-set' }],
    links: [
      { from: 'lb-a', to: 'web' },
      { from: 'lb-b', to: 'web' },
      { from: 'web', to: 'rs0' },
    ],
    entrypoints: [{ id: 'vip', port: 80, targets: ['lb-a', 'lb-b'], via: 'vip', address: '10.0.9.9' }],
  });
  // h1 holds the VIP and the primary: keepalived needs 3.45 s, the election 12 s.
  expect(recoveryAfter(design, ['h1'], 'vip')).toMatchObject({ seconds: 12, by: 'mongodb' });
});
