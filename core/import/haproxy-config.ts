/**
 * A reader for HAProxy's configuration format: sections (`global`, `defaults`, `frontend`,
 * `backend`, `listen`, ...) each followed by its directive lines. There is no maintained npm
 * parser for it; import needs the line of every directive so that whatever it leaves unused can
 * be named, so this reader keeps lines and the words as HAProxy splits them (quotes and
 * backslash escapes removed, `#` starting a comment outside quotes).
 */
import { binaryFileError } from './block-config';
import type { ReadResult } from './block-config';

/** One directive line: its keyword, its arguments, its 1-based line. */
export interface HaproxyDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly line: number;
}

/** One section: its keyword (`backend`), its arguments (the name), its line, its directives. */
export interface HaproxySection {
  readonly kind: string;
  readonly args: readonly string[];
  readonly line: number;
  readonly directives: readonly HaproxyDirective[];
}

/** The sections of a file, or the first error that stopped the reading. */
export type HaproxyConfigResult = ReadResult<{ readonly sections: readonly HaproxySection[] }>;

/** The section keywords of HAProxy 2.x; any other first word is a directive of the open section. */
export const HAPROXY_SECTION_KEYWORDS: ReadonlySet<string> = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'resolvers',
  'peers',
  'userlist',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
  'crt-store',
  'traces',
]);

/** Splits one line into words as HAProxy does; undefined when a quote is left open. */
function splitWords(text: string): string[] | undefined {
  const words: string[] = [];
  let current: string | undefined;
  let quote: string | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!;
    if (quote !== undefined) {
      if (character === quote) quote = undefined;
      else if (character === '\\' && quote === '"' && index + 1 < text.length) {
        index += 1;
        current += text[index]!;
      } else current += character;
    } else if (character === ' ' || character === '\t' || character === '\r') {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else if (character === '#') {
      break;
    } else if (character === '"' || character === "'") {
      quote = character;
      current ??= '';
    } else if (character === '\\' && index + 1 < text.length) {
      index += 1;
      current = (current ?? '') + text[index]!;
    } else {
      current = (current ?? '') + character;
    }
  }
  if (quote !== undefined) return undefined;
  if (current !== undefined) words.push(current);
  return words;
}

/**
 * Reads `text` as an HAProxy configuration. A file with a NUL byte is refused as binary, a
 * directive before any section and a quote left open are refused with their line.
 */
export function parseHaproxyConfig(text: string): HaproxyConfigResult {
  const binary = binaryFileError(text);
  if (binary) return binary;
  const lines = text.split('\n');
  const sections: { kind: string; args: string[]; line: number; directives: HaproxyDirective[] }[] = [];
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const words = splitWords(raw);
    if (words === undefined)
      return { ok: false, error: { line, message: 'a quoted string is never closed' } };
    if (words.length === 0) continue;
    const [name, ...args] = words as [string, ...string[]];
    if (HAPROXY_SECTION_KEYWORDS.has(name)) {
      sections.push({ kind: name, args, line, directives: [] });
    } else if (sections.length === 0) {
      return {
        ok: false,
        error: { line, message: `\`${name}\` comes before any section (global, defaults, ...)` },
      };
    } else {
      sections.at(-1)!.directives.push({ name, args, line });
    }
  }
  return { ok: true, sections };
}
