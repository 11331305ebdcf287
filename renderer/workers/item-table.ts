/**
 * A value per item id (the what-if state of every item, the badge of every item with findings),
 * held so that changing a few values copies a few small pieces, not the whole table. At 5,000
 * services a what-if failure changes a few dozen of some 8,000 states; copying an 8,000-key
 * record for each answer, as the page did, cost the main thread milliseconds per answer for a
 * handful of changes.
 *
 * The table is plain data (arrays of records), so that the worker sends it as it is and a copy
 * made by `structuredClone` is the same table. Each id lives in the chunk its hash names; a
 * change copies only the chunks it touches and shares the others with the table before it.
 */

/** The ids' values, spread over {@link CHUNKS} records by the hash of the id. */
export interface ItemTable<V> {
  readonly chunks: readonly Readonly<Record<string, V>>[];
  /** How many ids have a value. */
  readonly size: number;
}

/**
 * How many chunks a table has: at 8,000 items some 30 ids a chunk, so a change of one value
 * copies some 30 entries, and an empty table is a few hundred empty records.
 */
export const CHUNKS = 256;

function chunkOf(id: string): number {
  // FNV-1a: cheap, and spreads ids that differ in their last characters (`app-12`, `app-13`).
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % CHUNKS;
}

const EMPTY_CHUNKS: readonly Readonly<Record<string, never>>[] = Array.from({ length: CHUNKS }, () =>
  Object.freeze({}),
);

/** The table with no values. */
export function emptyItemTable<V>(): ItemTable<V> {
  return { chunks: EMPTY_CHUNKS, size: 0 };
}

/** A table of these values, by id. */
export function itemTableOf<V>(values: Iterable<readonly [string, V]>): ItemTable<V> {
  const chunks: Record<string, V>[] = Array.from({ length: CHUNKS }, () => ({}));
  let size = 0;
  for (const [id, value] of values) {
    const chunk = chunks[chunkOf(id)]!;
    if (!Object.hasOwn(chunk, id)) size++;
    chunk[id] = value;
  }
  return { chunks, size };
}

/** The value of `id`, if it has one. */
export function itemValue<V>(table: ItemTable<V>, id: string): V | undefined {
  const chunk = table.chunks[chunkOf(id)]!;
  return Object.hasOwn(chunk, id) ? chunk[id] : undefined;
}

/** Every id and its value, chunk by chunk (no particular order). */
export function* itemEntries<V>(table: ItemTable<V>): Generator<[string, V]> {
  for (const chunk of table.chunks) for (const id in chunk) yield [id, chunk[id]!];
}

/** The table as one record, for what needs one (an export). */
export function itemRecord<V>(table: ItemTable<V>): Record<string, V> {
  return Object.fromEntries(itemEntries(table));
}

/**
 * `table` with `set` written and `remove` taken out: a new table sharing every chunk that neither
 * touches with `table`, which stays as it was.
 */
export function withItems<V>(
  table: ItemTable<V>,
  set: Record<string, V>,
  remove: readonly string[] = [],
): ItemTable<V> {
  const chunks = table.chunks.slice();
  const copied = new Set<number>();
  let size = table.size;
  const writable = (index: number): Record<string, V> => {
    if (!copied.has(index)) {
      copied.add(index);
      chunks[index] = { ...chunks[index] };
    }
    return chunks[index] as Record<string, V>;
  };
  for (const id of remove) {
    const index = chunkOf(id);
    if (!Object.hasOwn(chunks[index]!, id)) continue;
    delete writable(index)[id];
    size--;
  }
  for (const id in set) {
    const index = chunkOf(id);
    if (!Object.hasOwn(chunks[index]!, id)) size++;
    writable(index)[id] = set[id]!;
  }
  if (copied.size === 0) return table;
  return { chunks, size };
}

/** Whether `value` has the shape of an {@link ItemTable}. */
export function isItemTable(value: unknown): value is ItemTable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as ItemTable<unknown>).chunks) &&
    (value as ItemTable<unknown>).chunks.length === CHUNKS &&
    typeof (value as ItemTable<unknown>).size === 'number'
  );
}
