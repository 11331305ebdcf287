/**
 * The design's layout while an edit runs, kept out of immer.
 *
 * The layout is one record with an entry per placed item: 8,000 entries at 5,000 services. An
 * immer draft of it copies the whole record on the first write, again for each snapshot
 * (`current`), and walks it again to finalise, so a drag that moved one card cost the main thread
 * a pass over every entry several times (about 100 ms at 5,000 services). A layout draft records
 * what the edit writes and deletes beside the frozen record it started from, reads through to
 * that record for everything else, and builds the new record once, at the end.
 *
 * The draft looks like the record to the edit (reads, writes, `delete`, `in`, `Object.keys`); its
 * prototype is not `Object.prototype`, so immer treats it as a value and never drafts it.
 */
import { current, freeze, isDraft, produce } from 'immer';
import type { Design } from '../../core/model';

type Layout = NonNullable<Design['layout']>;
type LayoutEntry = Layout[string];

/** The prototype of a layout draft's target: not a plain object, so immer leaves it alone. */
class LayoutDraftTarget {}

/** What the draft holds: the record it started from and the edit's writes and deletions. */
interface DraftState {
  base: Layout;
  /** The design's own layout, which may be absent: an edit that writes nothing keeps it so. */
  original: Layout | undefined;
  /** New values, in the order the record would get them. */
  written: Map<string, LayoutEntry>;
  /** Keys of `base` deleted (and perhaps written again, which puts them last, as a record does). */
  deleted: Set<string>;
  /** A view refuses writes: a snapshot taken in the middle of an edit. */
  readOnly: boolean;
  /**
   * Whether anything was ever written, even if deleted again: a design without a layout that an
   * edit wrote into has a layout afterwards, empty or not, as immer's `draft.layout ??= {}` leaves.
   */
  touched: boolean;
}

const states = new WeakMap<object, DraftState>();

function has(state: DraftState, key: string): boolean {
  return state.written.has(key) || (!state.deleted.has(key) && Object.hasOwn(state.base, key));
}

function read(state: DraftState, key: string): LayoutEntry | undefined {
  if (state.written.has(key)) return state.written.get(key);
  // Own entries only: a record's inherited members (`constructor`) are no entries.
  return state.deleted.has(key) || !Object.hasOwn(state.base, key) ? undefined : state.base[key];
}

function keysOf(state: DraftState): string[] {
  // Keys of the base keep their places (an assignment into a record does not move a key); keys
  // new to it, or deleted and written again, come last in the order written, as in a record.
  const keys = Object.keys(state.base).filter((key) => !state.deleted.has(key));
  for (const key of state.written.keys())
    if (state.deleted.has(key) || !Object.hasOwn(state.base, key)) keys.push(key);
  return keys;
}

function refuse(): never {
  throw new TypeError('a snapshot of the layout taken during an edit cannot be changed');
}

function proxyOf(state: DraftState): Layout {
  const target = new LayoutDraftTarget();
  const proxy = new Proxy(target, {
    get: (_target, key) => (typeof key === 'string' ? read(state, key) : undefined),
    has: (_target, key) => typeof key === 'string' && has(state, key),
    set: (_target, key, value: LayoutEntry) => {
      if (state.readOnly) refuse();
      if (typeof key !== 'string') return false;
      state.written.set(key, value);
      state.touched = true;
      return true;
    },
    deleteProperty: (_target, key) => {
      if (state.readOnly) refuse();
      if (typeof key !== 'string') return true;
      state.written.delete(key);
      if (Object.hasOwn(state.base, key)) state.deleted.add(key);
      return true;
    },
    ownKeys: () => keysOf(state),
    getOwnPropertyDescriptor: (_target, key) =>
      typeof key === 'string' && has(state, key)
        ? { value: read(state, key), writable: !state.readOnly, enumerable: true, configurable: true }
        : undefined,
    defineProperty: () => refuse(),
  });
  states.set(proxy, state);
  return proxy as unknown as Layout;
}

/** A layout draft over `base`, for one edit; {@link finishLayout} turns it into a record. */
export function draftLayout(base: Layout | undefined): Layout {
  return proxyOf({
    base: base ?? {},
    original: base,
    written: new Map(),
    deleted: new Set(),
    readOnly: false,
    touched: false,
  });
}

/** True for a layout draft or a snapshot of one. */
export function isLayoutDraft(value: unknown): boolean {
  return typeof value === 'object' && value !== null && states.has(value);
}

/**
 * For a layout draft or a snapshot of one: the record it started from and the keys written or
 * deleted since, the only ones where it can differ from that record. Undefined for anything else.
 */
export function draftChanges(layout: unknown): { base: Layout; keys: Iterable<string> } | undefined {
  const state = typeof layout === 'object' && layout !== null ? states.get(layout) : undefined;
  if (!state) return undefined;
  return { base: state.base, keys: new Set([...state.written.keys(), ...state.deleted]) };
}

/**
 * The record a layout draft stands for: its base itself when the edit wrote nothing, else a new
 * frozen record (the one copy of the whole layout an edit makes). `changed` gets the keys written
 * or deleted. Anything that is not a draft is returned as it is.
 */
export function finishLayout(layout: Layout | undefined, changed?: Set<string>): Layout | undefined {
  const state = layout === undefined ? undefined : states.get(layout);
  if (!state) return layout;
  if (state.written.size === 0 && state.deleted.size === 0)
    return state.original ?? (state.touched ? Object.freeze({}) : undefined);
  const record: Layout = { ...state.base };
  for (const key of state.deleted) {
    delete record[key];
    changed?.add(key);
  }
  for (const [key, value] of state.written) {
    record[key] = freeze(value, true);
    changed?.add(key);
  }
  // Frozen as immer freezes what an edit produces; the entries were frozen one by one above.
  return Object.freeze(record);
}

/**
 * What `design` holds right now, as a design that stays as it is while the edit goes on: immer's
 * `current` for the rest, and for a layout draft a read-only view of its writes so far (a copy of
 * what the edit wrote, not of the whole layout).
 */
export function snapshotOf(design: Design): Design {
  const now = isDraft(design) ? current(design) : design;
  const state = now.layout === undefined ? undefined : states.get(now.layout);
  if (!state) return now;
  const view = proxyOf({
    base: state.base,
    original: state.original,
    written: new Map(state.written),
    deleted: new Set(state.deleted),
    readOnly: true,
    touched: state.touched,
  });
  return { ...now, layout: view };
}

/** A new design from an edit's recipe, and which layout entries it wrote or deleted. */
export interface ProducedDesign {
  design: Design;
  /**
   * The layout keys the recipe wrote or deleted, when it changed the layout entry by entry;
   * undefined when it replaced the whole layout (or left no layout to speak of).
   */
  layoutChanges?: ReadonlySet<string>;
}

/**
 * Applies `recipe` to a draft of `design` as immer's `produce` does, except that the layout is a
 * layout draft (see the top of this file): the result shares every entry the recipe did not
 * write, and the layout is copied once, only when written. Returns `design` itself when the
 * recipe changed nothing.
 */
export function produceDesign(design: Design, recipe: (draft: Design) => void): ProducedDesign {
  const base: Design = { ...design, layout: draftLayout(design.layout) };
  const produced = produce(base, recipe);
  const changes = new Set<string>();
  const drafted = isLayoutDraft(produced.layout);
  const layout = finishLayout(produced.layout, changes);
  if (produced === base && layout === design.layout) return { design };
  const next: Design = { ...(produced === base ? design : produced) };
  if (layout === undefined) delete next.layout;
  else next.layout = layout;
  Object.freeze(next);
  return drafted ? { design: next, layoutChanges: changes } : { design: next };
}
