import { describe, expect, it } from 'vitest';
import { validateDesign } from '../../core/rules';
import type { DesignInput } from './builders';
import { makeDesign } from './builders';

function unreachable(input: DesignInput): { subjects: string[]; message: string; severity: string }[] {
  return validateDesign(makeDesign(input))
    .findings.filter((f) => f.rule === 'service.unreachable')
    .map(({ subjects, message, severity }) => ({ subjects, message, severity }));
}

/** A balancer in front of one app, behind a direct entrypoint; `extra` services join unlinked. */
function web(extra: Record<string, unknown>[] = [], more: Partial<DesignInput> = {}): DesignInput {
  return {
    hosts: [{ id: 'lb-1' }, { id: 'app-1' }, ...(more.hosts ?? [])],
    services: [
      { id: 'lb', kind: 'haproxy', host: 'lb-1' },
      { id: 'api', kind: 'app', host: 'app-1', healthCheck: { path: '/health' } },
      ...extra,
    ],
    groups: more.groups,
    links: [{ from: 'lb', to: 'api', port: 8080 }, ...(more.links ?? [])],
    entrypoints: [{ id: 'www', port: 80, targets: ['lb'], via: 'direct' }],
  };
}

describe('rules: service.unreachable', () => {
  it('warns about an app server that nothing routes traffic to, naming its host by label', () => {
    const found = unreachable(
      web([{ id: 'worker', kind: 'app', host: 'app-2' }], {
        hosts: [{ id: 'app-2', label: 'Batch box' } as { id: string }],
      }),
    );
    expect(found).toEqual([
      {
        subjects: ['worker'],
        severity: 'warning',
        message: expect.stringMatching(/^worker on host Batch box is reached from no entrypoint/) as string,
      },
    ]);
    expect(found[0]!.message).toMatch(/: link it from the service that sends it work or uses it/);
  });

  it('stays quiet while the design declares no entrypoint (every unlinked service is one)', () => {
    const input = web([{ id: 'worker', kind: 'app', host: 'app-2' }]);
    delete input.entrypoints;
    expect(unreachable(input)).toEqual([]);
  });

  it('follows traffic and uses links, and a link to a group reaches every member, arbiters included', () => {
    const found = unreachable(
      web(
        [
          { id: 'db-a', kind: 'mongodb', host: 'db-1', group: 'rs0' },
          { id: 'db-b', kind: 'mongodb', host: 'db-2', group: 'rs0' },
          { id: 'db-arb', kind: 'arbiter', host: 'db-3', group: 'rs0' },
          { id: 'files', kind: 'storage', type: 'nfs' },
        ],
        {
          groups: [{ id: 'rs0', kind: 'mongodb-replica-set' }],
          links: [
            { from: 'api', to: 'rs0', kind: 'uses' },
            { from: 'db-a', to: 'files', kind: 'uses' },
          ],
        },
      ),
    );
    expect(found).toEqual([]);
  });

  it('does not count a path that starts at an unreachable service, and names an external one as such', () => {
    const found = unreachable(
      web(
        [
          { id: 'cron', kind: 'app', host: 'app-2', label: 'Nightly job' },
          { id: 'warehouse', kind: 'database', engine: 'postgresql' },
        ],
        { links: [{ from: 'cron', to: 'warehouse', kind: 'uses' }] },
      ),
    );
    expect(found.map((f) => f.subjects[0])).toEqual(['cron', 'warehouse']);
    expect(found[0]!.message).toMatch(/^Nightly job \(cron\) on host app-2 is reached/);
    expect(found[1]!.message).toMatch(/^warehouse, an external service, is reached/);
  });

  it('clears once a link reaches the service', () => {
    const input = web([{ id: 'worker', kind: 'app', host: 'app-2', healthCheck: { path: '/h' } }], {
      links: [{ from: 'lb', to: 'worker', port: 8080 }],
    });
    expect(unreachable(input)).toEqual([]);
  });
});
