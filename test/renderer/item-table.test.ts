/**
 * The table that holds every item's what-if state and badge on the page: a change copies only the
 * chunks it touches. Whatever the changes, it must read as a plain record of the same changes
 * would, and the table before a change must still read as it did (the store's previous analysis,
 * React's last render).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  emptyItemTable,
  itemEntries,
  itemRecord,
  itemTableOf,
  itemValue,
  withItems,
} from '../../renderer/workers/item-table';
import type { ItemTable } from '../../renderer/workers/item-table';

const ids = fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `app-${i}`), 'toString');
const change = fc.record({
  set: fc.dictionary(ids, fc.constantFrom('up', 'down', 'degraded')),
  remove: fc.array(ids, { maxLength: 5 }),
});

function read(table: ItemTable<string>, all: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(all.map((id) => [id, itemValue(table, id)]));
}

describe('item tables', () => {
  it('read after any changes as a record with the same changes, and keep what they read before', () => {
    const all = [...Array.from({ length: 40 }, (_, i) => `app-${i}`), 'toString'];
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 12 }), (changes) => {
        let table = emptyItemTable<string>();
        const record = new Map<string, string>();
        for (const { set, remove } of changes) {
          const before = table;
          const readBefore = read(before, all);
          table = withItems(table, set, remove);
          for (const id of remove) record.delete(id);
          for (const [id, value] of Object.entries(set)) record.set(id, value);
          expect(read(table, all)).toEqual(Object.fromEntries(all.map((id) => [id, record.get(id)])));
          expect(table.size).toBe(record.size);
          expect(new Map(itemEntries(table))).toEqual(record);
          // The table before the change is untouched.
          expect(read(before, all)).toEqual(readBefore);
        }
        // Built at once from the same values, it is the same table.
        expect(itemTableOf(record)).toEqual(table);
      }),
      { numRuns: 200 },
    );
  });

  it('copy only the chunks a change touches', () => {
    const states = itemTableOf(Array.from({ length: 8000 }, (_, i) => [`svc-${i}`, 'up'] as const));
    const after = withItems(states, { 'svc-17': 'down' });
    expect(itemValue(after, 'svc-17')).toBe('down');
    expect(itemValue(states, 'svc-17')).toBe('up');
    const copied = after.chunks.filter((chunk, index) => chunk !== states.chunks[index]);
    expect(copied).toHaveLength(1);
    // A change to nothing is no change: the same table.
    expect(withItems(after, {}, ['not-there'])).toBe(after);
    expect(itemRecord(after)['svc-17']).toBe('down');
  });
});
