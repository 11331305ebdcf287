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
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
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

/** Quotes a value from the file for a message, shortened so a hostile megabyte stays readable. */
export function quoteValue(value: unknown, maxLength = 60): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value).slice(1, -1);
  else if (value === undefined) text = 'undefined';
  else text = JSON.stringify(value) ?? String(value);
  if (text.length > maxLength) text = `${text.slice(0, maxLength - 1)}…`;
  return typeof value === 'string' ? `'${text}'` : text;
}
