/**
 * The design loader: text in, a {@link Design} or every problem of the file out.
 *
 * A file that is not JSON, fails the schema, or has duplicate ids, duplicate addresses or dangling
 * references is not a design (docs/rules.md). Each problem names its JSON path and, when the text
 * is known, its line and column, in words a person understands rather than an ajv dump.
 */
import type { ErrorObject } from 'ajv';
import { findNodeAtLocation, getLocation, parse, parseTree, printParseErrorCode, visit } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import validateSchema from './schema/generated/validate-design.js';
import { formatPath, pointerToSegments, quoteValue } from './json-path';
import type { PathSegment } from './json-path';
import { GROUP_DESCRIPTORS } from './groups';
import { BALANCER_KINDS, GROUP_KINDS, SERVICE_KINDS } from './model';
import { ADDRESS_REGEX, ID_REGEX } from './schema/patterns';
import type { Design, GroupKind, ServiceKind } from './model';
import { didYouMean } from './suggest';
import { valueProblems } from './value-checks';

/** One reason a file is not a design. */
export interface LoadProblem {
  /** Where, as `hosts[2].address`; `$` is the whole file. */
  path: string;
  segments: PathSegment[];
  /** What is wrong and what was expected, without the path. */
  message: string;
  /** 1-based, when the text is known. */
  line?: number;
  column?: number;
}

/** A loaded design, or every problem that keeps the file from being one. */
export type LoadResult = { ok: true; design: Design } | { ok: false; problems: LoadProblem[] };

/** `hosts[2].address: '10.0.0.300' is not …`, with ` (line 12, column 18)` when known. */
export function describeProblem(problem: LoadProblem): string {
  const where = problem.line === undefined ? '' : ` (line ${problem.line}, column ${problem.column})`;
  return problem.path === '$' ? `${problem.message}${where}` : `${problem.path}: ${problem.message}${where}`;
}

/** Reads a design from the text of a `*.topo.json` file. */
export function parseDesign(text: string): LoadResult {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (source.trim() === '') return failure([problem([], 'the file is empty; a design is a JSON object')]);

  // Parsing, recovering from syntax errors and locating problems all recurse into the text.
  try {
    return loadText(source);
  } catch (error) {
    if (error instanceof RangeError)
      return failure([problem([], 'the file is nested too deeply to be a design')]);
    throw error;
  }
}

function loadText(source: string): LoadResult {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    if (error instanceof RangeError) throw error;
    return failure(syntaxProblems(source, error));
  }
  const problems = [...duplicateKeyProblems(source), ...structureProblems(value)];
  if (problems.length === 0) return { ok: true, design: value as Design };
  return failure(locate(source, problems));
}

/** Checks a value that is already parsed, e.g. a design edited in the app. */
export function checkDesign(value: unknown): LoadResult {
  const problems = structureProblems(value);
  return problems.length === 0 ? { ok: true, design: value as Design } : failure(problems);
}

function failure(problems: LoadProblem[]): LoadResult {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { ok: false, problems: unique };
}

function problem(segments: PathSegment[], message: string): LoadProblem {
  return { path: formatPath(segments), segments, message };
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

// ---------------------------------------------------------------------------------------------
// Syntax

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character; expected a JSON value',
  InvalidNumberFormat: 'this is not a valid JSON number',
  PropertyNameExpected: 'expected a key in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after the key',
  CommaExpected: 'expected "," between items',
  CloseBraceExpected: 'expected "}" to close the object',
  CloseBracketExpected: 'expected "]" to close the list',
  EndOfFileExpected: 'unexpected text after the end of the design',
  InvalidCommentToken: 'comments are not allowed in a design file',
  UnexpectedEndOfComment: 'comments are not allowed in a design file',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut off',
  InvalidUnicode: 'invalid \\u escape in a string',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'control character in a string; escape it',
};

function syntaxProblems(source: string, error: unknown): LoadProblem[] {
  const errors: ParseError[] = [];
  parse(source, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length === 0) {
    const detail = error instanceof Error ? error.message : String(error);
    return [problem([], `the file is not valid JSON: ${detail}`)];
  }
  const lineAndColumn = lineLocator(source);
  const offsets = new Set<number>();
  // The parser's recovery often reports a second error at the same spot; the first one says it.
  const firstAtEachOffset = errors.filter((e) => !offsets.has(e.offset) && offsets.add(e.offset));
  return withoutCascades(source, firstAtEachOffset)
    .slice(0, 20)
    .map((e) => {
      const segments = safeLocationPath(source, e.offset);
      const comma = trailingCommaBefore(source, e.offset);
      if (comma !== undefined) {
        const message = `the file is not valid JSON: a comma before "${source.charAt(e.offset)}" is not allowed; remove it`;
        return { ...problem(segments, message), ...lineAndColumn(comma) };
      }
      const code = printParseErrorCode(e.error);
      const found = source.slice(e.offset, e.offset + Math.min(e.length, 20));
      // A single-quoted key or string is shown as written, its quotes being the point.
      const message = found.startsWith("'")
        ? `the file is not valid JSON: keys and strings take double quotes, not single quotes (found ${JSON.stringify(found).slice(1, -1)})`
        : `the file is not valid JSON: ${SYNTAX_MESSAGES[code] ?? code}${foundText(found)}`;
      return { ...problem(segments, message), ...lineAndColumn(e.offset) };
    });
}

/** What the parser reports on the rest of a line only because of an earlier error there. */
const CASCADES = new Set<string>(['ValueExpected', 'PropertyNameExpected', 'ColonExpected', 'CommaExpected']);

/**
 * Drops the errors that follow an unexpected character (`NaN`, `'name'`): the parser skips it and
 * then misses the value or key it stood for, on its line or at the next token, the same mistake.
 */
function withoutCascades(source: string, errors: ParseError[]): ParseError[] {
  let cascadeEnd = -1;
  return errors.filter((e) => {
    const code = printParseErrorCode(e.error);
    if (e.offset <= cascadeEnd && CASCADES.has(code)) return false;
    if (code === 'InvalidSymbol') {
      // The rest of its line, and the first token after it when that is on a later line.
      const newline = source.indexOf('\n', e.offset);
      let next = e.offset + e.length;
      while (next < source.length && ' \t\r\n'.includes(source.charAt(next))) next++;
      cascadeEnd = Math.max(newline === -1 ? source.length : newline, next);
    }
    return true;
  });
}

/** ` (found '…')`; an invisible character (a no-break space, a zero-width space) by its code point. */
function foundText(found: string): string {
  if (found === '') return '';
  if (/^[\s\u200b-\u200f\u2060\ufeff]+$/u.test(found)) {
    const codePoint = found.codePointAt(0) ?? 0;
    return ` (found U+${codePoint.toString(16).toUpperCase().padStart(4, '0')})`;
  }
  return ` (found ${quoteValue(found, 20)})`;
}

/** The offset of a comma that only whitespace separates from the `}` or `]` at `offset`. */
function trailingCommaBefore(source: string, offset: number): number | undefined {
  if (source[offset] !== '}' && source[offset] !== ']') return undefined;
  let before = offset - 1;
  while (before >= 0 && ' \t\r\n'.includes(source.charAt(before))) before--;
  return source[before] === ',' ? before : undefined;
}

function safeLocationPath(source: string, offset: number): PathSegment[] {
  try {
    return getLocation(source, offset).path.filter((s) => s !== '');
  } catch {
    return [];
  }
}

type LineLocator = (offset: number) => { line: number; column: number };

/**
 * Turns offsets into 1-based lines and columns. Line starts are found once, so that locating
 * thousands of problems in a large file stays linear; CR, LF and CRLF end a line, as they do for
 * the parser that reports duplicate keys.
 */
function lineLocator(source: string): LineLocator {
  const starts = [0];
  for (const match of source.matchAll(/\r\n?|\n/g)) starts.push(match.index + match[0].length);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
  };
}

function duplicateKeyProblems(source: string): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const stack: Set<string>[] = [];
  visit(source, {
    onObjectBegin: () => void stack.push(new Set()),
    onObjectEnd: () => void stack.pop(),
    onObjectProperty: (key, _offset, _length, startLine, startCharacter, pathSupplier) => {
      const keys = stack[stack.length - 1];
      if (!keys) return;
      if (keys.has(key)) {
        const segments = [...pathSupplier(), key];
        problems.push({
          ...problem(
            segments,
            `the key ${quoteValue(key)} appears twice in one object; only one value may stay`,
          ),
          line: startLine + 1,
          column: startCharacter + 1,
        });
      }
      keys.add(key);
    },
  });
  return problems;
}

function locate(source: string, problems: LoadProblem[]): LoadProblem[] {
  if (problems.every((p) => p.line !== undefined)) return problems;
  const tree = parseTree(source, [], { disallowComments: true });
  if (!tree) return problems;
  const lineAndColumn = lineLocator(source);
  return problems.map((p) => {
    if (p.line !== undefined) return p;
    const node = nodeAt(tree, p.segments);
    return node ? { ...p, ...lineAndColumn(node.offset) } : p;
  });
}

function nodeAt(tree: JsonNode, segments: PathSegment[]): JsonNode | undefined {
  for (let length = segments.length; length >= 0; length--) {
    const node = findNodeAtLocation(tree, segments.slice(0, length));
    if (!node) continue;
    // An unknown key points at the key itself, not at its value.
    return length === segments.length && node.parent?.type === 'property' ? node.parent : node;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Schema

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
    default:
      return problem(segments, error.message ?? 'is not valid here');
  }
}

function rangeText(schema: Record<string, unknown>): string {
  const low =
    schema.exclusiveMinimum !== undefined
      ? `greater than ${String(schema.exclusiveMinimum)}`
      : schema.minimum !== undefined
        ? `at least ${String(schema.minimum)}`
        : undefined;
  const high =
    schema.exclusiveMaximum !== undefined
      ? `less than ${String(schema.exclusiveMaximum)}`
      : schema.maximum !== undefined
        ? `at most ${String(schema.maximum)}`
        : undefined;
  if (schema.type === 'integer' && schema.minimum !== undefined && schema.maximum !== undefined) {
    return `must be a whole number from ${String(schema.minimum)} to ${String(schema.maximum)}`;
  }
  return `must be ${[low, high].filter(Boolean).join(' and ')}`;
}

function typeName(value: unknown): string {
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

// ---------------------------------------------------------------------------------------------
// References: one id namespace, unique addresses, every reference resolves.

type Collection = 'sites' | 'hosts' | 'services' | 'groups' | 'entrypoints';
const COLLECTION_NOUN: Record<Collection, string> = {
  sites: 'site',
  hosts: 'host',
  services: 'service',
  groups: 'group',
  entrypoints: 'entrypoint',
};

interface Declared {
  collection: Collection;
  index: number;
  item: Record<string, unknown>;
}

function referenceProblems(root: Record<string, unknown>): LoadProblem[] {
  const problems: LoadProblem[] = [];
  // Every declaration of each id, so that a reference to a duplicated id still finds its kind.
  const declared = new Map<string, Declared[]>();
  const idsOf: Record<Collection, string[]> = {
    sites: [],
    hosts: [],
    services: [],
    groups: [],
    entrypoints: [],
  };

  for (const collection of ['sites', 'hosts', 'services', 'groups', 'entrypoints'] as const) {
    items(root[collection]).forEach(({ item, index }) => {
      const id = item.id;
      if (typeof id !== 'string') return;
      const previous = declared.get(id);
      if (previous?.[0]) {
        problems.push(
          problem(
            [collection, index, 'id'],
            `${quoteValue(id)} is already the id of ${previous[0].collection}[${previous[0].index}]; ids are unique across sites, hosts, services, groups and entrypoints`,
          ),
        );
        previous.push({ collection, index, item });
        return;
      }
      declared.set(id, [{ collection, index, item }]);
      idsOf[collection].push(id);
    });
  }

  // Suggestions compare a dangling id with every candidate: a budget keeps a file with thousands
  // of them (a renamed host list) from taking seconds; the first ones still get their suggestion.
  let comparisonsLeft = 500_000;
  const candidatesOf = new Map<string, string[]>();
  const expect = (
    segments: PathSegment[],
    reference: unknown,
    allowed: readonly Collection[],
  ): Declared | undefined => {
    // A reference that is not even an id has its own problem from the schema.
    if (typeof reference !== 'string' || !ID_REGEX.test(reference)) return undefined;
    const targets = declared.get(reference) ?? [];
    const wanted = allowed.map((c) => COLLECTION_NOUN[c]).join(' or ');
    if (!targets[0]) {
      let suggestion = '';
      if (comparisonsLeft > 0) {
        const key = allowed.join();
        const candidates = candidatesOf.get(key) ?? allowed.flatMap((c) => idsOf[c]);
        candidatesOf.set(key, candidates);
        comparisonsLeft -= candidates.length;
        suggestion = didYouMean(reference, candidates);
      }
      problems.push(problem(segments, `there is no ${wanted} '${reference}'${suggestion}`));
      return undefined;
    }
    const target = targets.find((t) => allowed.includes(t.collection));
    if (!target) {
      problems.push(
        problem(
          segments,
          `'${reference}' is ${withArticle(COLLECTION_NOUN[targets[0].collection])}, not ${withArticle(wanted)}`,
        ),
      );
    }
    return target;
  };

  const addresses = new Map<string, string>();
  items(root.hosts).forEach(({ item, index }) => {
    expect(['hosts', index, 'site'], item.site, ['sites']);
    // An address that is not one has its own problem from the schema.
    if (typeof item.address !== 'string' || !ADDRESS_REGEX.test(item.address)) return;
    const address = normalizeAddress(item.address);
    const owner = addresses.get(address);
    const name = typeof item.id === 'string' ? `host ${quoteValue(item.id)}` : `hosts[${index}]`;
    if (owner !== undefined && owner !== name) {
      problems.push(
        problem(
          ['hosts', index, 'address'],
          `${quoteValue(item.address)} is already the address of ${owner}`,
        ),
      );
    } else addresses.set(address, name);
  });

  items(root.services).forEach(({ item, index }) => {
    if (item.host !== undefined) expect(['services', index, 'host'], item.host, ['hosts']);
    if (item.group === undefined) return;
    const group = expect(['services', index, 'group'], item.group, ['groups']);
    const groupKind = group?.item.kind as GroupKind | undefined;
    // Only a known kind: a kind such as 'toString' would find the object's prototype.
    const admitted =
      groupKind && GROUP_KINDS.includes(groupKind) ? GROUP_DESCRIPTORS[groupKind].memberKinds : undefined;
    const kind = item.kind as ServiceKind;
    // An unknown kind has its own problem from the schema.
    if (admitted && SERVICE_KINDS.includes(kind) && !admitted.includes(kind)) {
      problems.push(
        problem(
          ['services', index, 'group'],
          `'${String(item.group)}' is ${withArticle(String(groupKind))}, which holds only ${admitted.join(' and ')} services, not ${withArticle(kind)} service`,
        ),
      );
    }
  });

  items(root.links).forEach(({ item, index }) => {
    expect(['links', index, 'from'], item.from, ['services']);
    expect(['links', index, 'to'], item.to, ['services', 'groups']);
  });

  items(root.entrypoints).forEach(({ item, index }) => {
    if (!Array.isArray(item.targets)) return;
    item.targets.forEach((reference: unknown, t: number) => {
      const target = expect(['entrypoints', index, 'targets', t], reference, ['services', 'groups']);
      if (target && item.via === 'vip') {
        const kind = target.item.kind;
        if (target.collection !== 'services' || !BALANCER_KINDS.includes(kind as ServiceKind)) {
          const what =
            target.collection === 'groups'
              ? 'a group'
              : SERVICE_KINDS.includes(kind as ServiceKind)
                ? `${withArticle(String(kind))} service`
                : 'not a balancer';
          problems.push(
            problem(
              ['entrypoints', index, 'targets', t],
              `'${String(reference)}' is ${what}; the targets of a vip entrypoint must be nginx or haproxy services, which keepalived moves the address between`,
            ),
          );
        }
      }
    });
  });

  return problems;
}

/** `a site`, `an app`, `an entrypoint`. */
function withArticle(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

function items(list: unknown): { item: Record<string, unknown>; index: number }[] {
  if (!Array.isArray(list)) return [];
  const out: { item: Record<string, unknown>; index: number }[] = [];
  list.forEach((item: unknown, index) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      out.push({ item: item as Record<string, unknown>, index });
    }
  });
  return out;
}

/** One spelling per address: DNS names fold case, IPv6 takes its canonical form. */
function normalizeAddress(address: string): string {
  const lower = address.toLowerCase().replace(/\.$/, '');
  if (!lower.includes(':')) return lower;
  try {
    return new URL(`http://[${lower}]/`).hostname;
  } catch {
    return lower;
  }
}
