import { describe, expect, it } from 'vitest';
import { compileAvailability } from '../../core/availability';
import { describeOutcomes } from '../../core/what-if';
import type { OutcomeStep } from '../../core/what-if';
import { syntheticDesign } from '../../bench/synthetic';
import { loadExample } from '../fixtures/examples';
import { makeDesign } from './builders';

function outcomes(file: string, failed: string[]) {
  const model = compileAvailability(loadExample(file));
  return describeOutcomes(model.index, model.evaluate(failed));
}

/** Every id of a chain, depth first. */
function chainIds(step: OutcomeStep): string[] {
  return [step.id, ...step.needs.flatMap(chainIds)];
}

describe('what-if outcomes', () => {
  it('puts the cause first and names the entrypoint by its label', () => {
    const { entrypoints, byCause } = outcomes('tealeaf-resilient.topo.json', ['rep-1']);
    const portal = entrypoints.find((e) => e.id === 'portal')!;
    expect(portal.state).toBe('manual');
    expect(portal.headline).toBe(
      'Tealeaf Portal and RealiTea Viewer is waiting for a person: rep-a failed with host rep-1; rep-b is a cold standby that a person must start',
    );
    expect(portal.causes).toEqual(['rep-1']);
    // The chain underneath: the entrypoint, then what it needs down to what failed.
    expect(chainIds(portal.chain)).toEqual(['portal', 'rep-a', 'rep-b']);
    expect(portal.chain.needs.map((n) => n.cause)).toEqual([
      'failed with host rep-1',
      'is a cold standby that a person must start',
    ]);
    expect(byCause.map((c) => c.title)).toEqual(['Host rep-1 failed']);
  });

  it('tells a cause shared by several entrypoints once, with everything it took down', () => {
    const { byCause } = outcomes('helix-teamhub.topo.json', ['lb-1', 'lb-2']);
    expect(byCause).toHaveLength(1);
    expect(byCause[0]!.title).toBe('Hosts lb-1 and lb-2 failed');
    expect(byCause[0]!.entrypoints.map((e) => [e.name, e.state])).toEqual([
      ['Helix TeamHub web and Git over HTTPS', 'down'],
      ['Version control over SSH', 'down'],
    ]);
    expect(byCause[0]!.entrypoints[0]!.headline).toMatch(
      /is down: lb-a and lb-b both failed with hosts lb-1 and lb-2$/,
    );
  });

  it('says "Site A" by its label, and leaves out what only lost redundancy below a stopped entrypoint', () => {
    const { entrypoints } = outcomes('expertflow-two-sites.topo.json', ['site-a']);
    const chat = entrypoints.find((e) => e.id === 'chat')!;
    expect(chat.headline).toMatch(
      /is waiting for a person: gw-a failed with Site A \(master\); mysql-b is a cold standby that a person must start$/,
    );
    expect(chainIds(chat.chain)).not.toContain('mongo-a');
  });

  it('shortens a long list of failed services and names the voting group that lost its majority', () => {
    const { entrypoints } = outcomes('teramind-ha.topo.json', ['tm-1', 'tm-2', 'tm-3']);
    const dashboard = entrypoints.find((e) => e.id === 'dashboard')!;
    expect(dashboard.headline).toMatch(
      /is down: node-1, node-2, node-3 and \d+ more failed with hosts tm-1, tm-2 and tm-3$/,
    );
    const group = (function find(step: OutcomeStep): OutcomeStep | undefined {
      if (step.id === 'redis-ha') return step;
      for (const need of step.needs) {
        const found = find(need);
        if (found) return found;
      }
      return undefined;
    })(dashboard.chain);
    expect(group?.note).toBe('primary down, 2 of 5 sentinels up, too few to fail over (it takes 3)');
  });

  it('words a weakened entrypoint as up with less redundancy', () => {
    const { entrypoints } = outcomes('helix-teamhub.topo.json', ['lb-1']);
    expect(entrypoints.find((e) => e.id === 'https')!.headline).toBe(
      'Helix TeamHub web and Git over HTTPS is up with less redundancy: lb-a failed with host lb-1',
    );
  });

  it('groups what is down before anything failed apart from the failures', () => {
    const design = makeDesign({
      services: [
        { id: 'lb', kind: 'haproxy', host: 'lb-1' },
        { id: 'api', kind: 'app', host: 'app-1' },
        { id: 'other', kind: 'app', host: 'app-2' },
      ],
      groups: [{ id: 'workers', kind: 'pool', label: 'Workers' }],
      links: [
        { from: 'lb', to: 'workers' },
        { from: 'other', to: 'api', kind: 'uses' },
      ],
      entrypoints: [
        { id: 'www', port: 80, targets: ['lb'], via: 'direct', label: 'Shop' },
        { id: 'back', port: 81, targets: ['other'], via: 'direct' },
      ],
    });
    const model = compileAvailability(design);
    const { byCause } = describeOutcomes(model.index, model.evaluate(['app-1']));
    expect(byCause.map((c) => [c.title, c.entrypoints.map((e) => e.headline)])).toEqual([
      ['Host app-1 failed', ['back is down: api failed with host app-1']],
      ['Not up even before anything failed', ['Shop is down: Workers has no members']],
    ]);
  });

  it('tells a site failure of a 1,000-service design in one cause', () => {
    const model = compileAvailability(syntheticDesign({ services: 1000 }));
    const { byCause } = describeOutcomes(model.index, model.evaluate(['dc-east']));
    expect(byCause).toHaveLength(1);
    expect(byCause[0]!.title).toBe('Site East data centre failed');
    expect(byCause[0]!.entrypoints.length).toBeGreaterThan(30);
  });
});
