/**
 * What changed between two revisions of a design, as a message small enough to post on every
 * edit. The analysis worker holds the design it last checked; copying all of a design of 5,000
 * services into it (structured clone) held the main thread for a fifth of a second per edit, and
 * an edit changes a handful of items. Designs are frozen and share every item an edit did not
 * touch (immer), so the difference is found by identity, in time linear in the number of items
 * and without looking inside any.
 */
import type { Design, LayoutPosition } from '../../core/model';

/** The start of the error a patch gets when the worker does not hold the design it was made against. */
export const STALE_BASE = 'the analysis does not hold the design the change was made against';

/** One list of the design, spliced: `count` items from `start` give way to `items`. */
interface ListSplice {
  field: string;
  start: number;
  count: number;
  items: unknown[];
}

/** The difference between two designs; {@link applyDesignPatch} turns the first into the second. */
export interface DesignPatch {
  /** Fields replaced whole (neither a list nor the layout), and fields the new design lacks. */
  set: Record<string, unknown>;
  removed: string[];
  lists: ListSplice[];
  /** Positions that changed or came, and ids whose position went. */
  layout?: { set: Record<string, LayoutPosition>; removed: string[] };
}

/** The patch that turns `before` into `after`. */
export function diffDesign(before: Design, after: Design): DesignPatch {
  const patch: DesignPatch = { set: {}, removed: [], lists: [] };
  const old = before as unknown as Record<string, unknown>;
  const next = after as unknown as Record<string, unknown>;
  for (const field of Object.keys(old)) if (!(field in next)) patch.removed.push(field);
  for (const [field, value] of Object.entries(next)) {
    const previous = old[field];
    if (value === previous) continue;
    if (Array.isArray(value) && Array.isArray(previous)) {
      patch.lists.push({ field, ...spliceBetween(previous, value) });
    } else if (field === 'layout' && isRecord(value) && isRecord(previous)) {
      patch.layout = layoutChanges(previous as Design['layout'] & object, value as Design['layout'] & object);
    } else patch.set[field] = value;
  }
  return patch;
}

/** The design `patch` describes, from the design it was made against. */
export function applyDesignPatch(before: Design, patch: DesignPatch): Design {
  const design: Record<string, unknown> = { ...(before as unknown as Record<string, unknown>) };
  for (const field of patch.removed) delete design[field];
  Object.assign(design, patch.set);
  for (const splice of patch.lists) {
    const list = [...(design[splice.field] as unknown[])];
    list.splice(splice.start, splice.count, ...splice.items);
    design[splice.field] = list;
  }
  if (patch.layout) {
    const layout: Record<string, LayoutPosition> = { ...(design.layout as Record<string, LayoutPosition>) };
    for (const id of patch.layout.removed) delete layout[id];
    Object.assign(layout, patch.layout.set);
    design.layout = layout;
  }
  return design as unknown as Design;
}

/** The one splice between the first and the last item that differ. */
function spliceBetween(before: readonly unknown[], after: readonly unknown[]): Omit<ListSplice, 'field'> {
  let start = 0;
  const shorter = Math.min(before.length, after.length);
  while (start < shorter && before[start] === after[start]) start++;
  let end = 0;
  while (end < shorter - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  return { start, count: before.length - start - end, items: after.slice(start, after.length - end) };
}

function layoutChanges(
  before: Record<string, LayoutPosition>,
  after: Record<string, LayoutPosition>,
): NonNullable<DesignPatch['layout']> {
  const set: Record<string, LayoutPosition> = {};
  const removed: string[] = [];
  for (const id in after) if (after[id] !== before[id]) set[id] = after[id]!;
  for (const id in before) if (!(id in after)) removed.push(id);
  return { set, removed };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
