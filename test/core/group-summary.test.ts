import { describe, expect, it } from 'vitest';
import { summarizeGroups, toleratedFailures } from '../../core/group-summary';
import { makeDesign } from './builders';

describe('group summaries', () => {
  it('counts voters as the quorum rules do and says how many failures a group tolerates', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(toleratedFailures)).toEqual([0, 0, 0, 1, 1, 2, 2, 3]);
    const design = makeDesign({
      services: [
        { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs' },
        { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs', votes: 0, priority: 0 },
        { id: 'a1', kind: 'arbiter', host: 'h3', group: 'rs' },
        { id: 'r1', kind: 'redis', host: 'h1', group: 'cache', primary: true },
        { id: 's1', kind: 'sentinel', host: 'h1', group: 'cache' },
        { id: 's2', kind: 'sentinel', host: 'h2', group: 'cache' },
        { id: 's3', kind: 'sentinel', host: 'h3', group: 'cache' },
        { id: 'p1', kind: 'processing', host: 'h1', group: 'tier', capacity: 2 },
        { id: 'p2', kind: 'processing', host: 'h2', group: 'tier' },
      ],
      groups: [
        { id: 'rs', kind: 'mongodb-replica-set' },
        { id: 'cache', kind: 'redis-sentinel' },
        { id: 'tier', kind: 'pool', load: 2 },
        { id: 'empty', kind: 'quorum' },
      ],
    });
    const summaries = summarizeGroups(design);
    expect(summaries.get('rs')?.text).toBe('2 voters · tolerates 0');
    expect(summaries.get('cache')?.text).toBe('3 sentinels · tolerates 1');
    expect(summaries.get('tier')?.text).toBe('2 members · capacity 3 of 2');
    expect(summaries.get('empty')?.text).toBe('0 voters · tolerates 0');
  });
});
