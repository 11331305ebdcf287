import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../renderer/workers/analyze';
import { itemRecord, itemValue } from '../../renderer/workers/item-table';
import { example } from './fixtures';

describe('the analysis the worker reports', () => {
  it('gives findings, badges on every subject and group summaries', () => {
    const analysis = new Analyzer().analyze({
      revision: 1,
      design: example('teramind-ha-broken.topo.json'),
      failed: [],
      detail: true,
    });
    expect(analysis.findings.map((f) => `${f.rule} ${f.subjects.join(',')}`)).toEqual([
      'quorum.even teramind-cluster',
      'redis.sentinel-even redis-ha',
    ]);
    expect(analysis.counts).toEqual({ error: 1, warning: 1, info: 0 });
    expect(itemValue(analysis.badges, 'teramind-cluster')).toEqual({ severity: 'error', count: 1 });
    expect(analysis.groups['teramind-cluster']?.text).toBe('4 voters · tolerates 1');
  });

  it('evaluates what-if failures: the Tealeaf portal is manual when rep-1 fails, and says why', () => {
    const analyzer = new Analyzer();
    const design = example('tealeaf-resilient.topo.json');
    const baseline = analyzer.analyze({ revision: 1, design, failed: [], detail: true });
    expect(baseline.entrypoints.find((e) => e.id === 'portal')?.state).toBe('up');
    const failed = analyzer.analyze({ revision: 1, design, failed: ['rep-1', 'not-an-item'], detail: true });
    expect(failed.failed).toEqual(['rep-1']);
    const portal = failed.entrypoints.find((e) => e.id === 'portal')!;
    expect(portal.state).toBe('manual');
    expect(portal.reason).toBe('portal is manual: rep-a is down with host rep-1; rep-b is a cold standby');
    expect(itemRecord(failed.states)).toMatchObject({
      'rep-1': 'down',
      'rep-a': 'down',
      'rep-b': 'manual',
      'rep-2': 'up',
    });
    // The same revision reuses the validation: the findings are the very same list, and the
    // design need not be sent again.
    expect(failed.findings).toBe(baseline.findings);
    const again = analyzer.analyze({ revision: 1, failed: ['rep-2'], detail: true });
    expect(again.entrypoints.find((e) => e.id === 'portal')?.state).toBe('degraded');
    expect(() => analyzer.analyze({ revision: 2, failed: [], detail: true })).toThrow(
      /no design for revision 2/,
    );
    // Without detail the answer carries the findings only.
    const brief = analyzer.analyze({ revision: 1, failed: ['rep-1'], detail: false });
    expect(brief).toMatchObject({ detail: false, entrypoints: [], singleFailures: [] });
    expect(brief.states.size).toBe(0);
  });

  it('lists every single host failure and what it does', () => {
    const analysis = new Analyzer().analyze({
      revision: 1,
      design: example('tealeaf-resilient.topo.json'),
      failed: [],
      detail: true,
    });
    expect(analysis.singleFailures).toHaveLength(11);
    // With nothing failed, nothing to tell; the sentence of a failure comes with it.
    expect(analysis.byCause).toEqual([]);
    const rep1 = analysis.singleFailures.find((row) => row.failed === 'rep-1')!;
    expect(rep1.effects).toEqual([
      {
        id: 'portal',
        name: 'Tealeaf Portal and RealiTea Viewer',
        state: 'manual',
        reason: 'portal is manual: rep-a is down with host rep-1; rep-b is a cold standby',
      },
    ]);
  });

  it('sends the worst rows of the table first, and only as many as the panel shows', () => {
    const analyzer = new Analyzer();
    const design = example('tealeaf-resilient.topo.json');
    const all = analyzer.analyze({ revision: 1, design, failed: [], detail: true });
    const worst = analyzer.analyze({ revision: 1, failed: [], detail: true, singleFailureRows: 2 });
    expect(worst.singleFailureCount).toBe(11);
    expect(worst.singleFailures).toEqual(all.singleFailures.slice(0, 2));
    // Worst first: rows that leave an entrypoint down or to a person before those that weaken one.
    const order = { down: 0, manual: 1, degraded: 2, up: 3 };
    const rank = (row: (typeof all.singleFailures)[number]) =>
      Math.min(3, ...row.effects.map((effect) => order[effect.state]));
    const ranks = all.singleFailures.map(rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(ranks[0]).toBeLessThan(ranks.at(-1)!);
  });
});

describe('what-if outcomes in the analysis', () => {
  it('sends each cause once with the ids of what it took down, and each entrypoint its sentence and chain', () => {
    const analysis = new Analyzer().analyze({
      revision: 1,
      design: example('helix-teamhub.topo.json'),
      failed: ['lb-1', 'lb-2'],
      detail: true,
    });
    expect(analysis.byCause).toEqual([
      { causes: ['lb-1', 'lb-2'], title: 'Hosts lb-1 and lb-2 failed', entrypoints: ['https', 'git-ssh'] },
    ]);
    const https = analysis.entrypoints.find((e) => e.id === 'https')!;
    expect(https.headline).toBe(
      'Helix TeamHub web and Git over HTTPS is down: lb-a and lb-b both failed with hosts lb-1 and lb-2',
    );
    expect(https.chain.needs.map((n) => n.id)).toEqual(['lb-a', 'lb-b']);
    expect(analysis.implicitEntrypoints).toEqual([]);
  });
});
