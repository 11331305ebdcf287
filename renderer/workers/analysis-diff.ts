/**
 * The analysis worker's answer as what changed since its last one. At 5,000 services a whole
 * {@link Analysis} (thousands of findings, the state of every item, the single-failure table) took
 * the main thread hundreds of milliseconds to read and re-render, although a what-if failure
 * changes a few states and an edit a few findings. The worker sends the fields that changed, and
 * of a list or a record only the entries that did; the page rebuilds the analysis from the one it
 * holds, keeping the very objects of everything unchanged, so that the panels and nodes reading
 * them see the same values and do not render again.
 */
import { dequal } from 'dequal';
import type { Analysis } from './analysis-protocol';
import { isItemTable, withItems } from './item-table';
import type { ItemTable } from './item-table';

/** How one field of the analysis changed. */
export type FieldChange =
  /** Its new value, whole (a number, a small object, or the field is new). */
  | { value: unknown }
  /** The field is gone (an optional one such as `resilience`). */
  | { removed: true }
  /** A list: its new length and the entries that differ, by index. */
  | { list: { length: number; set: [number, unknown][] } }
  /**
   * A record, or an item table (item-table.ts): the keys whose values differ or are new, and the
   * keys that are gone.
   */
  | { record: { set: Record<string, unknown>; remove: string[] } };

/** The fields of an analysis that changed, each with how; a field not named did not change. */
export type AnalysisChanges = Partial<Record<keyof Analysis, FieldChange>>;

/** One answer of the worker: the whole analysis, or its changes since answer `base`. */
export type AnalysisAnswer =
  | { kind: 'whole'; seq: number; analysis: Analysis }
  | { kind: 'changes'; seq: number; base: number; changes: AnalysisChanges };

/** The fields that are records keyed by item id, sent key by key. */
const RECORDS = new Set<keyof Analysis>(['groups']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const _ in value) return false;
  return true;
}

function fieldChange(field: keyof Analysis, before: unknown, after: unknown): FieldChange | undefined {
  if (before === after || dequal(before, after)) return undefined;
  if (after === undefined) return { removed: true };
  if (Array.isArray(before) && Array.isArray(after)) {
    const set: [number, unknown][] = [];
    after.forEach((entry, index) => {
      if (index >= before.length || !dequal(before[index], entry)) set.push([index, entry]);
    });
    // A list whose every entry moved (one inserted near the start) goes whole.
    if (set.length === after.length) return { value: after };
    return { list: { length: after.length, set } };
  }
  if (isItemTable(before) && isItemTable(after)) {
    // A table that was empty (what-if mode just asked for every item's state) goes whole.
    if (before.size === 0) return { value: after };
    return { record: tableChange(before, after) };
  }
  if (RECORDS.has(field) && isRecord(before) && isRecord(after)) {
    const set: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(after))
      if (!(key in before) || !dequal(before[key], value)) set[key] = value;
    const remove = Object.keys(before).filter((key) => !(key in after));
    return { record: { set, remove } };
  }
  return { value: after };
}

/** The ids of two item tables whose values differ: chunks the tables share are skipped whole. */
function tableChange(
  before: ItemTable<unknown>,
  after: ItemTable<unknown>,
): { set: Record<string, unknown>; remove: string[] } {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  after.chunks.forEach((chunk, index) => {
    const old = before.chunks[index]!;
    if (old === chunk) return;
    for (const key in chunk)
      if (!Object.hasOwn(old, key) || !dequal(old[key], chunk[key])) set[key] = chunk[key];
    for (const key in old) if (!Object.hasOwn(chunk, key)) remove.push(key);
  });
  return { set, remove };
}

/** The changes from `before` to `after`, field by field (dequal decides what is unchanged). */
export function diffAnalysis(before: Analysis, after: Analysis): AnalysisChanges {
  const changes: AnalysisChanges = {};
  const fields = new Set([...Object.keys(before), ...Object.keys(after)] as (keyof Analysis)[]);
  for (const field of fields) {
    const change = fieldChange(field, before[field], after[field]);
    if (change) changes[field] = change;
  }
  return changes;
}

/**
 * `previous` with `changes` applied: a new analysis object whose unchanged fields, list entries
 * and record values are `previous`'s own.
 */
export function applyAnalysisChanges(previous: Analysis, changes: AnalysisChanges): Analysis {
  const next = { ...previous } as Record<string, unknown>;
  for (const [field, change] of Object.entries(changes) as [keyof Analysis, FieldChange][]) {
    if ('value' in change) next[field] = change.value;
    else if ('removed' in change) delete next[field];
    else if ('list' in change) {
      const list = (previous[field] as unknown[]).slice(0, change.list.length);
      for (const [index, entry] of change.list.set) list[index] = entry;
      next[field] = list;
    } else if (isItemTable(previous[field])) {
      // Copies the chunks the change touches, not the table: an answer costs what it changed.
      next[field] = withItems(previous[field], change.record.set, change.record.remove);
    } else if (isEmpty(previous[field])) {
      // Every key is new: the answer's own object, not a copy of it key by key.
      next[field] = change.record.set;
    } else {
      const record = { ...(previous[field] as Record<string, unknown>) };
      for (const key of change.record.remove) delete record[key];
      Object.assign(record, change.record.set);
      next[field] = record;
    }
  }
  return next as unknown as Analysis;
}

/** The worker's side: answers each analysis as changes from the last one the page holds. */
export class AnswerWriter {
  private seq = 0;
  private last: { seq: number; analysis: Analysis } | undefined;

  /** The answer for `analysis`; `held` is the answer the page holds (its `seq`), if any. */
  answer(analysis: Analysis, held: number | undefined): AnalysisAnswer {
    const seq = ++this.seq;
    const last = this.last;
    this.last = { seq, analysis };
    if (last && held === last.seq)
      return { kind: 'changes', seq, base: last.seq, changes: diffAnalysis(last.analysis, analysis) };
    return { kind: 'whole', seq, analysis };
  }
}

/** The page's side: the analysis each answer stands for, built on the one before. */
export class AnswerReader {
  private held: { seq: number; analysis: Analysis } | undefined;

  /** The answer the page holds, for the next request: the worker sends changes from it. */
  get base(): number | undefined {
    return this.held?.seq;
  }

  /** Forgets the held answer (the worker started anew): the next answer comes whole. */
  reset(): void {
    this.held = undefined;
  }

  read(answer: AnalysisAnswer): Analysis {
    let analysis: Analysis;
    if (answer.kind === 'whole') analysis = answer.analysis;
    else {
      if (!this.held || this.held.seq !== answer.base)
        throw new Error(
          `the checks answered with changes from answer ${answer.base}, which the page does not hold`,
        );
      analysis = applyAnalysisChanges(this.held.analysis, answer.changes);
    }
    this.held = { seq: answer.seq, analysis };
    return analysis;
  }
}
