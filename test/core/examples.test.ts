import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileAvailability } from '../../core/availability';
import { describeProblem, parseDesign } from '../../core/load';
import type { Design } from '../../core/model';
import { validateDesign } from '../../core/rules';

const examplesDir = join(import.meta.dirname, '../../examples');

function loadExample(file: string): Design {
  const result = parseDesign(readFileSync(join(examplesDir, file), 'utf8'));
  if (!result.ok) throw new Error(`${file}: ${result.problems.map(describeProblem).join('\n')}`);
  return result.design;
}

/** Every example's findings as `rule subject,subject`, in the order validate reports them. */
const expected: Record<string, string[]> = {
  'teramind-ha.topo.json': [],
  'teramind-ha-broken.topo.json': ['quorum.even teramind-cluster', 'redis.sentinel-even redis-ha'],
  'tealeaf-resilient.topo.json': ['failover.manual rep-1,portal'],
  'tealeaf-resilient-broken.topo.json': [
    'capacity.n-plus-1 processing',
    'reporting.single-active rep-a,rep-b',
    'spof.host hbr-1,capture-2',
    'capture.delivery-peers pca-2a',
    'capture.delivery-peers pca-2b',
  ],
  'tessera-ha.topo.json': [],
  'tessera-ha-broken.topo.json': [
    'spof.host db-1,p2p',
    'spof.host db-1,q2t',
    'spof.host db-1,third-party',
    'spof.host lb-1,p2p',
    'spof.host lb-1,q2t',
    'spof.host lb-1,third-party',
    'lb.health-check tessera-b,lb-a',
  ],
  'expertflow-two-sites.topo.json': ['failover.manual ef-a,chat', 'mongodb.psa rs0'],
  'expertflow-two-sites-broken.topo.json': [
    'spof.host ef-b,chat',
    'spof.host ef-lb,chat',
    'failover.manual ef-a,chat',
    'mongodb.arbiter-host mongo-arbiter,mongo-b,ef-b,rs0',
    'quorum.same-host mongo-b,mongo-arbiter,ef-b,rs0',
    'quorum.site-majority site-b,rs0',
    'spof.partition neutral,chat',
    'spof.partition site-b,chat',
    'spof.site neutral,chat',
    'spof.site site-b,chat',
    'mongodb.psa rs0',
  ],
  'helix-teamhub.topo.json': [],
  'helix-teamhub-broken.topo.json': [
    'spof.host lb-1,git-ssh',
    'spof.host lb-1,https',
    'storage.shared-missing web-a,web-b,lb-a',
  ],
};

describe('examples', () => {
  it('has a design and a broken variant for each of the five seed systems, and nothing unpinned', () => {
    const files = readdirSync(examplesDir)
      .filter((f) => f.endsWith('.topo.json'))
      .sort();
    expect(files).toEqual(Object.keys(expected).sort());
  });

  for (const [file, findings] of Object.entries(expected)) {
    it(`${file} gives exactly its pinned findings`, () => {
      const actual = validateDesign(loadExample(file)).findings.map(
        (f) => `${f.rule} ${f.subjects.join(',')}`,
      );
      expect(actual).toEqual(findings);
    });
  }

  it('keeps every main design free of error findings, so each one can generate', () => {
    for (const file of Object.keys(expected).filter((f) => !f.includes('-broken'))) {
      const errors = validateDesign(loadExample(file)).findings.filter((f) => f.severity === 'error');
      expect(errors, file).toEqual([]);
    }
  });

  it('Tealeaf: failing the reporting host leaves the portal manual, waiting for the cold standby', () => {
    const evaluation = compileAvailability(loadExample('tealeaf-resilient.topo.json')).evaluate(['rep-1']);
    expect(evaluation.stateOf('portal')?.state).toBe('manual');
    expect(evaluation.explain('portal')).toMatch(
      /^portal is manual: rep-a is down with host rep-1; rep-b is a cold standby$/,
    );
  });

  it('Teramind: five nodes survive any one host, a quorum of four voters is caught', () => {
    const model = compileAvailability(loadExample('teramind-ha.topo.json'));
    for (const scenario of model.singleFailures()) {
      expect(
        scenario.entrypoints.every((e) => e.state === 'up'),
        scenario.failed,
      ).toBe(true);
    }
  });

  it('Expertflow: losing site A waits for a person, losing site B does not', () => {
    const model = compileAvailability(loadExample('expertflow-two-sites.topo.json'));
    expect(model.evaluate(['site-a']).stateOf('chat')?.state).toBe('manual');
    expect(model.evaluate(['site-b']).stateOf('chat')).toMatchObject({ state: 'up', degraded: true });
  });
});
