/**
 * Design file formats and the migrations between them, one step per format, run by the loader
 * before validation (as tldraw's migration sequences are): a file of format N goes through the
 * steps N → N+1 → … up to {@link DESIGN_FORMAT}, and only then meets the current schema.
 *
 * Each format past the first keeps its migration in its own file here (`format-2.ts` would hold
 * the step from 1 to 2), beside the schema of the current format in `../design-schema.ts`; the
 * steps are registered once, in {@link DESIGN_MIGRATIONS}. Format 1 is the first format, so the
 * list is empty today.
 */
import { DESIGN_FORMAT } from '../../model';

/** One step of the chain: turns a parsed file of `from` into one of `from + 1`. */
export interface DesignMigration {
  /** The format the step reads; it writes `from + 1`. */
  from: number;
  /** What changes, in words, for the record and for an error naming the step. */
  description: string;
  /**
   * Returns the migrated file. It receives a copy it may change, and a file that has not been
   * validated yet: it must leave alone what it does not understand, and the schema of the
   * current format reports it afterwards.
   */
  up(file: Record<string, unknown>): Record<string, unknown>;
}

/** Every registered step, in any order; {@link migrateDesign} finds the one for each format. */
export const DESIGN_MIGRATIONS: readonly DesignMigration[] = [];

/** What came of bringing a file to the current format. */
export type MigrationResult =
  { ok: true; file: Record<string, unknown>; from: number } | { ok: false; message: string };

/** The words of the issue: which format the file has and which this version reads. */
export function newerFormatMessage(format: number, current: number): string {
  return `saved by a newer Topoforge, format ${format}; this version reads up to format ${current}`;
}

/**
 * Runs the steps from the file's `format` up to `current`. A file without a whole-number format,
 * or of a format below the first, is returned as it is: the schema explains what is wrong with
 * it. A file of a newer format is refused with {@link newerFormatMessage}, so that nothing of it
 * is lost by an older version rewriting it.
 *
 * @param migrations the registered steps; tests pass their own to prove the chain.
 * @param current the format this version reads and writes.
 */
export function migrateDesign(
  file: Record<string, unknown>,
  migrations: readonly DesignMigration[] = DESIGN_MIGRATIONS,
  current: number = DESIGN_FORMAT,
): MigrationResult {
  const format = file.format;
  if (typeof format !== 'number' || !Number.isInteger(format)) return { ok: true, file, from: NaN };
  if (format > current) return { ok: false, message: newerFormatMessage(format, current) };
  const first = current - chainLength(migrations, current);
  if (format < first) return { ok: true, file, from: format };
  let migrated = file;
  for (let step = format; step < current; step++) {
    const migration = migrations.find((m) => m.from === step);
    // chainLength stops at the first missing step, so every step from `first` on is registered.
    if (!migration) throw new Error(`no design migration from format ${step}`);
    migrated = { ...migration.up(structuredClone(migrated)), format: step + 1 };
  }
  return { ok: true, file: migrated, from: format };
}

/** How many consecutive steps end at `current`: the oldest format readable is `current` minus it. */
function chainLength(migrations: readonly DesignMigration[], current: number): number {
  let length = 0;
  while (migrations.some((m) => m.from === current - length - 1)) length++;
  return length;
}
