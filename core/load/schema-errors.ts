/** ajv's errors in the words a person reads: one problem per fault, with its JSON path. */
import type { ErrorObject } from 'ajv';
import { pointerToSegments, quoteValue } from '../json-path';
import { didYouMean } from '../suggest';
import { problem } from './problem';
import type { LoadProblem } from './problem';

const SECRET_KEY = /pass(word|phrase)?|secret|private.?key|token|credential/i;
const PRIVATE_KEY = /PRIVATE KEY/;

/**
 * Turns ajv's errors into problems a person reads, one per fault, with the JSON path of each. The
 * manifest loader of push uses it too, so both files are explained in the same words.
 */
export function translateSchemaErrors(errors: ErrorObject[]): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const pathsWithDetail = new Set(
    errors.filter((e) => !['oneOf', 'if'].includes(e.keyword)).map((e) => e.instancePath),
  );
  const tooLong = new Set(errors.filter((e) => e.keyword === 'maxLength').map((e) => e.instancePath));
  for (const error of errors) {
    if (error.keyword === 'if') continue;
    if (error.keyword === 'oneOf' && pathsWithDetail.has(error.instancePath)) continue;
    if (error.keyword === 'pattern' && error.propertyName !== undefined) continue;
    // "too long" is the whole story; the pattern would only restate it less precisely.
    if (error.keyword === 'pattern' && tooLong.has(error.instancePath)) continue;
    const translated = translateSchemaError(error);
    if (translated) problems.push(translated);
  }
  return problems;
}

function translateSchemaError(error: ErrorObject): LoadProblem | undefined {
  const segments = pointerToSegments(error.instancePath);
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  const custom = typeof parent['x-message'] === 'string' ? parent['x-message'] : undefined;
  const params = error.params as Record<string, unknown>;
  const value = error.data;

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((parent.properties as Record<string, unknown> | undefined) ?? {});
      const message = SECRET_KEY.test(key)
        ? `unknown key ${quoteValue(key)}: secrets never go in a design file; push uses ssh-agent or --identity`
        : `unknown key ${quoteValue(key)}${didYouMean(key, known)}; allowed here: ${known.join(', ')}`;
      return problem([...segments, key], message);
    }
    case 'required':
      return problem(segments, custom ?? `missing required key '${String(params.missingProperty)}'`);
    case 'type':
      return problem(segments, `must be ${article(String(params.type))}, not ${typeName(value)}`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => String(v));
      return problem(
        segments,
        `${quoteValue(value)} is not one of ${allowed.join(', ')}${typeof value === 'string' ? didYouMean(value, allowed) : ''}`,
      );
    }
    case 'const':
      return problem(
        segments,
        custom ?? `must be ${quoteValue(params.allowedValue)}, not ${quoteValue(value)}`,
      );
    case 'discriminator': {
      if (params.error === 'mapping') {
        const kinds = (parent.oneOf as { properties: { kind: { const: string } } }[]).map(
          (b) => b.properties.kind.const,
        );
        const kind = (value as Record<string, unknown>)?.kind;
        return problem(
          [...segments, 'kind'],
          `${quoteValue(kind)} is not a service kind${typeof kind === 'string' ? didYouMean(kind, kinds) : ''}; expected one of ${kinds.join(', ')}`,
        );
      }
      // A missing kind is already reported by `required`.
      if (typeof value === 'object' && value !== null && !('kind' in value)) return undefined;
      return problem([...segments, 'kind'], 'must be a string naming the service kind');
    }
    case 'pattern':
      if (typeof value === 'string' && PRIVATE_KEY.test(value)) {
        return problem(
          segments,
          'holds a private key: secrets never go in a design file; give the path of the key file',
        );
      }
      return problem(
        segments,
        `${quoteValue(value)} ${custom ?? `does not match ${String(params.pattern)}`}`,
      );
    case 'propertyNames':
      return problem(
        [...segments, String(params.propertyName)],
        `${quoteValue(params.propertyName)} is not an id; layout keys are ids of items in the design`,
      );
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return problem(segments, `${quoteValue(value)} is out of range: ${rangeText(parent)}`);
    case 'minLength':
      return problem(
        segments,
        value === '' ? 'must not be empty' : `must be at least ${String(params.limit)} characters`,
      );
    case 'maxLength':
      return problem(segments, `is too long: at most ${String(params.limit)} characters`);
    case 'minItems':
      return problem(
        segments,
        `must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`,
      );
    case 'maxItems':
      return problem(segments, `lists too many items: at most ${String(params.limit)}`);
    case 'maxProperties':
      return problem(segments, `has too many entries: at most ${String(params.limit)}`);
    case 'uniqueItems': {
      const repeat = Math.max(Number(params.i), Number(params.j));
      return problem([...segments, repeat], `${quoteValue((value as unknown[])[repeat])} is listed twice`);
    }
    case 'oneOf':
      return problem(segments, 'does not match any allowed form');
    case 'not':
      return problem(segments, custom ?? 'is not allowed here');
    default:
      return problem(segments, error.message ?? 'is not valid here');
  }
}

/** One end of a range in words, the exclusive bound first: `greater than 0`, `at most 7`. */
function boundText(
  exclusive: unknown,
  exclusiveWords: string,
  inclusive: unknown,
  inclusiveWords: string,
): string | undefined {
  if (exclusive !== undefined) return `${exclusiveWords} ${String(exclusive)}`;
  return inclusive !== undefined ? `${inclusiveWords} ${String(inclusive)}` : undefined;
}

function rangeText(schema: Record<string, unknown>): string {
  const low = boundText(schema.exclusiveMinimum, 'greater than', schema.minimum, 'at least');
  const high = boundText(schema.exclusiveMaximum, 'less than', schema.maximum, 'at most');
  if (schema.type === 'integer' && schema.minimum !== undefined && schema.maximum !== undefined) {
    return `must be a whole number from ${String(schema.minimum)} to ${String(schema.maximum)}`;
  }
  return `must be ${[low, high].filter(Boolean).join(' and ')}`;
}

/** What a value is, for "must be …, not …": `a list`, `null`, `the number 3`. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the text ${quoteValue(value)}`;
  if (typeof value === 'number')
    return Number.isInteger(value) ? `the number ${value}` : `the number ${value}`;
  if (value === undefined) return 'nothing';
  return typeof value === 'boolean' ? String(value) : typeof value;
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'an object',
    array: 'a list',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
  };
  return type
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}
