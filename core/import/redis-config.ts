/**
 * A reader for `redis.conf` and `sentinel.conf`: one directive a line, words split as Redis's own
 * `sdssplitargs` does (double quotes with `\n`, `\t`, `\xHH` escapes, single quotes verbatim),
 * `#` lines as comments. There is no maintained npm parser; import needs the line of every
 * directive so that whatever it leaves unused can be named.
 */
import { binaryFileError } from './block-config';
import type { ReadResult } from './block-config';

/** One directive line: its keyword in lower case (Redis ignores case), its arguments, its line. */
export interface RedisDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly line: number;
}

/** The directives of a file, or the first error that stopped the reading. */
export type RedisConfigResult = ReadResult<{ readonly directives: readonly RedisDirective[] }>;

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/** Splits one line as `sdssplitargs` does; a string naming the problem when it cannot. */
function splitArguments(text: string): string[] | string {
  const words: string[] = [];
  let index = 0;
  while (index < text.length) {
    while (index < text.length && /\s/.test(text[index]!)) index += 1;
    if (index >= text.length) break;
    let word = '';
    const quote = text[index] === '"' || text[index] === "'" ? text[index] : undefined;
    if (quote !== undefined) index += 1;
    for (;;) {
      if (index >= text.length) {
        if (quote !== undefined) return 'a quoted string is never closed';
        break;
      }
      const character = text[index]!;
      if (quote === undefined) {
        if (/\s/.test(character)) break;
        word += character;
        index += 1;
      } else if (character === quote) {
        index += 1;
        if (index < text.length && !/\s/.test(text[index]!))
          return 'a closing quote must be followed by a space';
        break;
      } else if (quote === '"' && character === '\\' && index + 1 < text.length) {
        const next = text[index + 1]!;
        const hex = /^x([0-9a-fA-F]{2})/.exec(text.slice(index + 1));
        if (hex) {
          word += String.fromCharCode(parseInt(hex[1]!, 16));
          index += 4;
        } else {
          word += ESCAPES[next] ?? next;
          index += 2;
        }
      } else if (quote === "'" && character === '\\' && text[index + 1] === "'") {
        word += "'";
        index += 2;
      } else {
        word += character;
        index += 1;
      }
    }
    words.push(word);
  }
  return words;
}

/**
 * Reads `text` as a Redis or Sentinel configuration. A file with a NUL byte is refused as binary,
 * a quote left open or glued to the next word is refused with its line.
 */
export function parseRedisConfig(text: string): RedisConfigResult {
  const binary = binaryFileError(text);
  if (binary) return binary;
  const directives: RedisDirective[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const words = splitArguments(trimmed);
    if (typeof words === 'string') return { ok: false, error: { line, message: words } };
    const [name, ...args] = words as [string, ...string[]];
    directives.push({ name: name.toLowerCase(), args, line });
  }
  return { ok: true, directives };
}
