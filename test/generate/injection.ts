/**
 * The hostile-string harness shared by the generators' tests: a design as plain data, the
 * fragments put into each field, and the fields themselves (nginx, HAProxy); each test file says
 * where its tool reads a field (`reaches`) and what the tool must read back. And for every
 * generator, a hostile design both as the schema loads it and past the schema.
 */
import { expect, test } from 'vitest';
import { UnsafeValueError } from '../../core/generate/quote';
import { checkDesign } from '../../core/load';
import { checkedDesign } from '../fixtures/examples';
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

/** One balancer generator's side of the hostile-value tests. */
export interface HostileValueHarness<Parsed> {
  /** What the tool says of a good config, as the tests' names say it. */
  passes: string;
  base: () => RawDesign;
  fields: readonly InjectionField[];
  fragments: readonly string[];
  /** lb-1's config of a design. */
  config: (design: Design) => string;
  parse: (config: string) => Parsed;
  /** The benign config with `fragment` where `field` reaches it. */
  expected: (benign: Parsed, field: InjectionField, fragment: string) => Parsed;
  /** Fails unless the tool accepts `config` (given the files it needs for `design`). */
  expectAccepted: (config: string, design: Design) => Promise<void>;
}

/**
 * The hostile-value tests of a balancer generator, inside the caller's describe: each fragment
 * the schema lets into a field gives a config the tool accepts and that parses back to the benign
 * one with the fragment where the field reaches (a strict field lets none in); past the schema,
 * the quoting functions refuse or quote every fragment.
 */
export function testHostileValues<Parsed>(harness: HostileValueHarness<Parsed>): void {
  const { base, fields, fragments, config, parse, expected } = harness;
  test.each(fields.map((field) => [field.name, field] as const))(
    `%s: refused by the schema, or ${harness.passes}`,
    async (_name, field) => {
      const benign = parse(config(checkedDesign(withFragment(base, field, ''))));
      const accepted: string[] = [];
      for (const fragment of fragments) {
        const result = checkDesign(withFragment(base, field, fragment));
        if (!result.ok) continue;
        accepted.push(fragment);
        const text = config(result.design);
        expect(parse(text), JSON.stringify(fragment)).toEqual(expected(benign, field, fragment));
        await harness.expectAccepted(text, result.design);
      }
      if (field.strict) expect(accepted).toEqual([]);
    },
  );

  test('past the schema, the quoting functions refuse or quote every fragment', () => {
    for (const field of fields) {
      const benign = parse(config(checkedDesign(withFragment(base, field, ''))));
      for (const fragment of fragments) {
        const what = `${field.name} with ${JSON.stringify(fragment)}`;
        let text: string;
        try {
          text = config(withFragment(base, field, fragment) as unknown as Design);
        } catch (error) {
          expect(error, what).toBeInstanceOf(UnsafeValueError);
          continue;
        }
        expect(parse(text), what).toEqual(expected(benign, field, fragment));
      }
    }
  });
}
