/**
 * The text of a design file: JSON syntax errors in words, duplicate keys, and the line and column
 * of a problem found in the parsed value.
 */
import { findNodeAtLocation, getLocation, parse, parseTree, printParseErrorCode, visit } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import { quoteValue } from '../json-path';
import type { PathSegment } from '../json-path';
import { problem } from './problem';
import type { LoadProblem } from './problem';

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

/** Every syntax error of `source` that says something, at most 20, each with its line and column. */
export function syntaxProblems(source: string, error: unknown): LoadProblem[] {
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

/** A problem for each key that appears twice in one object. */
export function duplicateKeyProblems(source: string): LoadProblem[] {
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

/** Gives each problem without a line the line and column of the value its path names. */
export function locate(source: string, problems: LoadProblem[]): LoadProblem[] {
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
