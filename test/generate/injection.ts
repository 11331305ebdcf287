/**
 * The hostile-string harness shared by the generators' tests: a design as plain data, the
 * fragments put into each field, and the fields themselves (nginx, HAProxy); each test file says
 * where its tool reads a field (`reaches`) and what the tool must read back. And for every
 * generator, a hostile design both as the schema loads it and past the schema.
 */
import { UnsafeValueError } from '../../core/generate/quote';
import { checkDesign } from '../../core/load';
import type { Design } from '../../core/model';

/** A service as plain data: any field may hold anything, even what the schema refuses. */
export interface RawService {
  id: string;
  kind: string;
  host?: string;
  label?: string;
  serverName?: string;
  tls?: { cert: string; key: string };
  healthCheck?: { path: string; port?: number; intervalMs?: number };
  [key: string]: unknown;
}

/** A design as plain data, before the loader. */
export interface RawDesign {
  format: 1;
  name: string;
  hosts: { id: string; address: string; label?: string }[];
  services: RawService[];
  links: { from: string; to: string; port?: number; backup?: boolean }[];
  [key: string]: unknown;
}

/**
 * Fragments every generator's fields must survive: line breaks (Unicode's too), a NUL, block and
 * statement ends, quotes and escapes, a variable sigil, comments, path climbing, white space,
 * shell and glob characters, a non-ASCII letter and an overlong value. Each tool's test adds the
 * variables of its own syntax.
 */
export const COMMON_FRAGMENTS: readonly string[] = [
  '\n',
  '\r',
  '\u2028',
  '\u0000',
  '}',
  '{',
  ';',
  '"',
  "'",
  '\\',
  '$',
  '#',
  '../',
  '/../..',
  ' ',
  '\t',
  '`',
  '*',
  'é',
  'x'.repeat(300),
];

/** A string field of the design that reaches a generated file. */
export interface InjectionField {
  name: string;
  /** The field's value around a fragment; with an empty fragment, a valid value. */
  value: (fragment: string) => string;
  place: (design: RawDesign, value: string) => void;
  /** Where the tool sees it: only in a comment, or inside the words of a line. */
  reaches: 'comment' | 'argument';
  /** The schema must refuse every fragment. */
  strict: boolean;
}

export function serviceOf(design: RawDesign, id: string): RawService {
  const found = design.services.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no service ${id}`);
  return found;
}

/** Renames a service and every link that names it. */
export function renameService(design: RawDesign, id: string, to: string): void {
  serviceOf(design, id).id = to;
  for (const link of design.links) {
    if (link.from === id) link.from = to;
    if (link.to === id) link.to = to;
  }
}

/** `base()` with `fragment` in `field`: plain data, which may well not be a design. */
export function withFragment(base: () => RawDesign, field: InjectionField, fragment: string): RawDesign {
  const design = base();
  field.place(design, field.value(fragment));
  return design;
}

/**
 * `raw` as the schema loads it, when it does, then `raw` as it is: a design edited in memory
 * skips the schema, so each generator's quoting must hold on its own.
 */
export function throughAndPastSchema(raw: unknown): Design[] {
  const schema = checkDesign(raw);
  return schema.ok ? [schema.design, raw as Design] : [raw as Design];
}

/** What `generate` gives, or the refusal of a quoting function; any other error is thrown. */
export function generatedOrRefused<T>(generate: () => T): T | UnsafeValueError {
  try {
    return generate();
  } catch (error) {
    if (error instanceof UnsafeValueError) return error;
    throw error;
  }
}
