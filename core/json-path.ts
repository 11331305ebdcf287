/**
 * JSON paths as people read them (`hosts[2].address`) and as parsers walk them (segments).
 */

/** One step into a JSON value: a key of an object or an index of an array. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Renders segments as `hosts[2].address`; the whole document is `$`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    // A first key "$" is quoted: a bare `$` is the whole document.
    else if (PLAIN_KEY.test(segment) && !(out === '' && segment === '$'))
      out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '$' : out;
}

/** Splits an RFC 6901 JSON pointer (`/hosts/2/address`) into segments; digits become indexes. */
export function pointerToSegments(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(?:0|[1-9][0-9]*)$/.test(part) ? Number(part) : part));
}

/**
 * Characters that would make a message span lines or read differently than it is stored: C1
 * controls, Unicode line separators, invisible and direction-changing characters. JSON escapes the
 * C0 controls already.
 */
const INVISIBLE = /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Quotes a value from the file for a message, shortened so a hostile megabyte stays readable. */
export function quoteValue(value: unknown, maxLength = 60): string {
  if (typeof value === 'string') {
    // Shortened by code points before escaping, so neither an escape nor a surrogate pair is cut.
    const characters = Array.from(value.slice(0, maxLength * 2 + 2));
    const shortened = characters.length > maxLength;
    const shown = shortened ? characters.slice(0, maxLength - 1).join('') : value;
    // JSON escapes keep control characters visible; a double quote needs none inside single quotes.
    const escaped = JSON.stringify(shown)
      .slice(1, -1)
      .replace(/\\"/g, '"')
      .replace(INVISIBLE, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return `'${escaped}${shortened ? '…' : ''}'`;
  }
  let text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  if (text.length > maxLength) text = `${text.slice(0, maxLength - 1)}…`;
  return text;
}
