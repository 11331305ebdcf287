/**
 * The design loader: text in, a {@link Design} or every problem of the file out.
 *
 * A file that is not JSON, is of a newer format, fails the schema, or has duplicate ids, duplicate
 * addresses or dangling references is not a design (docs/rules.md). Each problem names its JSON
 * path and, when the text is known, its line and column, in words a person understands rather
 * than an ajv dump. A file of an older format is migrated to the current one first
 * (`../schema/formats`), so every check reads the current shape.
 *
 * The work is split by what it reads: `syntax.ts` the text, `schema-errors.ts` ajv's verdict,
 * `references.ts` the ids and addresses, `problem.ts` what they all report.
 */
import validateSchema from '../schema/generated/validate-design.js';
import { migrateDesign } from '../schema/formats';
import type { DesignMigration } from '../schema/formats';
import type { Design } from '../model';
import { valueProblems } from '../value-checks';
import { failure, problem } from './problem';
import type { LoadProblem, LoadResult } from './problem';
import { referenceProblems } from './references';
import { translateSchemaErrors, typeName } from './schema-errors';
import { duplicateKeyProblems, locate, syntaxProblems } from './syntax';

export { describeProblem } from './problem';
export type { LoadProblem, LoadResult } from './problem';
export { translateSchemaErrors } from './schema-errors';

/** How a load runs; tests pass their own migrations to prove the chain. */
export interface LoadOptions {
  /** The migration steps; by default every registered one. */
  migrations?: readonly DesignMigration[];
}

/** Reads a design from the text of a `*.topo.json` file. */
export function parseDesign(text: string, options: LoadOptions = {}): LoadResult {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (source.trim() === '') return failure([problem([], 'the file is empty; a design is a JSON object')]);

  // Parsing, recovering from syntax errors and locating problems all recurse into the text.
  try {
    return loadText(source, options);
  } catch (error) {
    if (error instanceof RangeError)
      return failure([problem([], 'the file is nested too deeply to be a design')]);
    throw error;
  }
}

function loadText(source: string, options: LoadOptions): LoadResult {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    if (error instanceof RangeError) throw error;
    return failure(syntaxProblems(source, error));
  }
  const duplicates = duplicateKeyProblems(source);
  const migrated = migrate(value, options);
  if (!migrated.ok) return failure(locate(source, [...duplicates, migrated.problem]));
  const problems = [...duplicates, ...structureProblems(migrated.value)];
  if (problems.length === 0) return { ok: true, design: migrated.value as Design };
  // A migrated file no longer matches its text line for line: its problems keep only their paths.
  return failure(migrated.changed ? problems : locate(source, problems));
}

/** Checks a value that is already parsed, e.g. a design edited in the app. */
export function checkDesign(value: unknown, options: LoadOptions = {}): LoadResult {
  const migrated = migrate(value, options);
  if (!migrated.ok) return failure([migrated.problem]);
  const problems = structureProblems(migrated.value);
  return problems.length === 0 ? { ok: true, design: migrated.value as Design } : failure(problems);
}

type Migrated = { ok: true; value: unknown; changed: boolean } | { ok: false; problem: LoadProblem };

/** Brings an object to the current format; anything else goes on to the checks as it is. */
function migrate(value: unknown, options: LoadOptions): Migrated {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: true, value, changed: false };
  const result = migrateDesign(value as Record<string, unknown>, options.migrations);
  if (!result.ok) return { ok: false, problem: problem(['format'], result.message) };
  return { ok: true, value: result.file, changed: result.file !== value };
}

function structureProblems(value: unknown): LoadProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      problem([], `must be a JSON object with format, name, hosts and services, not ${typeName(value)}`),
    ];
  }
  const schemaProblems = validateSchema(value) ? [] : translateSchemaErrors(validateSchema.errors ?? []);
  const root = value as Record<string, unknown>;
  const values = valueProblems(root).map(({ segments, message }) => problem(segments, message));
  return [...schemaProblems, ...values, ...referenceProblems(root)];
}
