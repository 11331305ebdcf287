/**
 * How a value from the design reaches a config file: one function per target syntax. The schema
 * already limits what values may hold; these functions are the second wall. Each returns the
 * value as a token of its syntax that cannot end its directive, open a block, start a comment or
 * expand a variable, or throws {@link UnsafeValueError} when no such token exists.
 */

/** A value that cannot be written safely in a config syntax. */
export class UnsafeValueError extends Error {
  constructor(
    readonly syntax: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(value.slice(0, 80))} cannot be written into ${syntax}: ${reason}`);
    this.name = 'UnsafeValueError';
  }
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function refuseControl(syntax: string, value: string): void {
  if (CONTROL.test(value))
    throw new UnsafeValueError(syntax, value, 'it holds a control character or line break');
  if (value === '') throw new UnsafeValueError(syntax, value, 'it is empty');
}

const NGINX_BARE = /^[A-Za-z0-9._:/*\-[\]@+=,]+$/;

/**
 * An nginx argument. nginx expands `$name` inside quotes too, so `$` is refused rather than
 * quoted; braces and `;` are safe only inside quotes.
 */
export function nginxValue(value: string): string {
  refuseControl('nginx', value);
  if (value.includes('$')) throw new UnsafeValueError('nginx', value, 'nginx would expand "$" as a variable');
  if (NGINX_BARE.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const HAPROXY_BARE = /^[A-Za-z0-9._:/\-[\]@+=,]+$/;

/** An HAProxy argument: single quotes, which HAProxy takes literally (no escapes, no `$VAR`). */
export function haproxyValue(value: string): string {
  refuseControl('HAProxy', value);
  if (HAPROXY_BARE.test(value)) return value;
  if (value.includes("'"))
    throw new UnsafeValueError('HAProxy', value, 'a single quote cannot appear inside single quotes');
  return `'${value}'`;
}

const KEEPALIVED_BARE = /^[A-Za-z0-9._:/\-@+=,]+$/;

/** A keepalived argument. keepalived has no escapes and starts comments at `#` and `!`. */
export function keepalivedValue(value: string): string {
  refuseControl('keepalived', value);
  if (KEEPALIVED_BARE.test(value)) return value;
  if (/["#!\\{}]/.test(value)) {
    throw new UnsafeValueError('keepalived', value, 'keepalived cannot quote ", \\, #, ! or braces');
  }
  return `"${value}"`;
}

/** A Redis or Sentinel config argument: double quotes with backslash escapes. */
export function redisValue(value: string): string {
  refuseControl('Redis', value);
  if (/^[A-Za-z0-9._:/\-@+=,]+$/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * One argument of a systemd command line (ExecStart=): `%` and `$` doubled so systemd expands no
 * specifier or variable, quoted when it holds a space or a quote.
 */
export function systemdArgument(value: string): string {
  refuseControl('systemd', value);
  const escaped = value.replace(/\\/g, '\\\\').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"';]/.test(value) ? `"${escaped.replace(/"/g, '\\"')}"` : escaped;
}

/** A systemd setting value that is free text (Description=): `%` doubled, one line. */
export function systemdText(value: string): string {
  refuseControl('systemd', value);
  return value.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

/** Text for a `#` comment line in any of the formats: one line, printable characters only. */
export function commentText(value: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').slice(0, 200);
}

/** A JavaScript string literal (mongosh scripts). */
export function javascriptString(value: string): string {
  return JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text on one line: control characters, line breaks and runs of white space become one space. */
function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return value.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

/**
 * Free text for a Markdown line (the bundle README): every character that could start markup is
 * backslash-escaped (CommonMark lets any ASCII punctuation be escaped), so `<script>` shows as
 * text and `*name*` stays as written; a line break becomes a space.
 */
export function markdownText(value: string): string {
  const text = oneLine(value)
    .trim()
    .replace(/[\\`*_[\]<>&|~!#]/g, '\\$&');
  // At the start of a line, these open a heading, a list item or a numbered item.
  return text.replace(/^([-+=])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
}

/**
 * Text as a Markdown code span: fenced by more backticks than it holds in a row, so none ends it
 * early. In a table cell (`cell`), `|` is escaped, which the table would otherwise split on even
 * inside the span.
 */
export function markdownCode(value: string, cell = false): string {
  const text = cell ? oneLine(value).replace(/\|/g, '\\|') : oneLine(value);
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padding = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${padding}${text}${padding}${fence}`;
}
