import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Design } from '../../core/model';
import { scheduleHosts, serialGroupsOf } from '../../deploy/push/order';
import type { SerialGroup } from '../../deploy/push/order';

const examples = join(import.meta.dirname, '../../examples');

function example(name: string): Design {
  return JSON.parse(readFileSync(join(examples, `${name}.topo.json`), 'utf8')) as Design;
}

/**
 * Six hosts: a replica set whose primary (h2) is a sentinel of a Sentinel group whose primary is
 * h1, and a balanced pair behind an entrypoint. Design order alone (h1 first) would put the
 * Sentinel group's primary first; the merged order must not.
 */
const design = {
  format: 1,
  name: 'order',
  hosts: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((id) => ({ id, address: `10.0.0.${id.slice(1)}` })),
  services: [
    { id: 'db-1', kind: 'mongodb', host: 'h3', group: 'rs0', priority: 1 },
    { id: 'db-2', kind: 'mongodb', host: 'h2', group: 'rs0', priority: 5 },
    { id: 'arb', kind: 'arbiter', host: 'h4', group: 'rs0' },
    { id: 'r-1', kind: 'redis', host: 'h1', group: 'cache', primary: true },
    { id: 'r-2', kind: 'redis', host: 'h5', group: 'cache' },
    { id: 's-1', kind: 'sentinel', host: 'h2', group: 'cache' },
    { id: 's-2', kind: 'sentinel', host: 'h5', group: 'cache' },
    { id: 'lb-1', kind: 'haproxy', host: 'h6' },
    { id: 'lb-2', kind: 'haproxy', host: 'h5' },
    { id: 'app-1', kind: 'app', host: 'h4' },
    { id: 'app-2', kind: 'app', host: 'h6' },
  ],
  groups: [
    { id: 'rs0', kind: 'mongodb-replica-set' },
    { id: 'cache', kind: 'redis-sentinel' },
    { id: 'web', kind: 'pool' },
  ],
  links: [
    { from: 'lb-1', to: 'app-1' },
    { from: 'lb-1', to: 'app-2' },
    { from: 'lb-2', to: 'app-1' },
    { from: 'lb-2', to: 'app-2' },
  ],
  entrypoints: [{ id: 'site', port: 80, targets: ['lb-1', 'lb-2'], via: 'direct' }],
} as unknown as Design;

describe('serialGroupsOf', () => {
  it('puts secondaries and arbiters before the primary, and walks traffic links behind entrypoints', () => {
    const byId = Object.fromEntries(serialGroupsOf(design).map((group) => [group.id, group]));
    expect(byId.rs0).toEqual({ id: 'rs0', kind: 'group', hosts: ['h3', 'h4', 'h2'] });
    expect(byId.cache).toEqual({ id: 'cache', kind: 'group', hosts: ['h2', 'h5', 'h1'] });
    expect(byId.site).toEqual({ id: 'site', kind: 'entrypoint', hosts: ['h4', 'h5', 'h6'] });
    expect(byId.web).toBeUndefined();
  });

  it('orders the example designs with the primary last', () => {
    const expertflow = serialGroupsOf(example('expertflow-two-sites'));
    expect(expertflow.find((group) => group.id === 'rs0')?.hosts.at(-1)).toBe('ef-a');
    for (const name of ['tealeaf-resilient', 'tessera-ha', 'teramind-ha', 'helix-teamhub']) {
      for (const group of serialGroupsOf(example(name))) expect(group.hosts.length).toBeGreaterThanOrEqual(2);
    }
  });
});

/** Runs a schedule with fake hosts that take `durationMs` and records what overlapped. */
async function simulate(
  hosts: string[],
  serial: SerialGroup[],
  concurrency: number,
  failing: string[] = [],
): Promise<{ starts: string[]; maxRunning: number; overlaps: [string, string][]; skipped: string[] }> {
  const running = new Set<string>();
  const starts: string[] = [];
  const overlaps: [string, string][] = [];
  const skipped: string[] = [];
  let maxRunning = 0;
  await scheduleHosts({
    hosts,
    serial,
    concurrency,
    run: async (host) => {
      for (const other of running) overlaps.push([other, host]);
      running.add(host);
      starts.push(host);
      maxRunning = Math.max(maxRunning, running.size);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running.delete(host);
      return { failed: failing.includes(host) };
    },
    skip: (host) => {
      skipped.push(host);
      return { failed: true };
    },
  });
  return { starts, maxRunning, overlaps, skipped };
}

describe('scheduleHosts', () => {
  it('respects the concurrency and never overlaps two hosts of one group', async () => {
    const hosts = Array.from({ length: 12 }, (_, index) => `h${index + 1}`);
    const serial: SerialGroup[] = [
      { id: 'rs0', kind: 'group', hosts: ['h3', 'h2', 'h1'] },
      { id: 'site', kind: 'entrypoint', hosts: ['h4', 'h5', 'h6', 'h1'] },
    ];
    const result = await simulate(hosts, serial, 4);
    expect(result.maxRunning).toBe(4);
    expect(result.starts).toHaveLength(12);
    const together = (left: string, right: string): boolean =>
      result.overlaps.some(([a, b]) => (a === left && b === right) || (a === right && b === left));
    for (const group of serial)
      for (const left of group.hosts)
        for (const right of group.hosts) if (left !== right) expect(together(left, right)).toBe(false);
    const starts = result.starts;
    expect(starts.indexOf('h3')).toBeLessThan(starts.indexOf('h2'));
    expect(starts.indexOf('h2')).toBeLessThan(starts.indexOf('h1'));
    expect(starts.indexOf('h6')).toBeLessThan(starts.indexOf('h1'));
  });

  it('skips the hosts after a failed one in its groups, and only those', async () => {
    const serial: SerialGroup[] = [{ id: 'rs0', kind: 'group', hosts: ['a', 'b', 'c'] }];
    const result = await simulate(['a', 'b', 'c', 'd'], serial, 8, ['b']);
    expect(result.skipped).toEqual(['c']);
    expect(result.starts.sort()).toEqual(['a', 'b', 'd']);
  });

  it('does not deadlock on groups that ask for opposite orders', async () => {
    const serial: SerialGroup[] = [
      { id: 'one', kind: 'group', hosts: ['a', 'b'] },
      { id: 'two', kind: 'group', hosts: ['b', 'a'] },
    ];
    const result = await simulate(['a', 'b'], serial, 1);
    expect(result.starts).toEqual(['a', 'b']);
    expect(result.overlaps).toEqual([]);
  });
});
