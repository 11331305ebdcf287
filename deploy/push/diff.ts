/**
 * Unified diffs for `--dry-run`: from the file on the host to the file in the bundle, with the
 * labels `HOST:PATH (on the host)` and `HOST:PATH (bundle)`, as `diff -u` would print them.
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/** Files larger than this are compared by hash only. */
export const DIFF_SIZE_LIMIT = 1024 * 1024;

/** Whether `content` looks like text: valid UTF-8 without NUL bytes. */
function isText(content: Buffer): boolean {
  if (content.includes(0)) return false;
  return Buffer.from(content.toString('utf8'), 'utf8').equals(content);
}

/**
 * The unified diff from `before` (undefined: the host has no such file) to `after`, or a one-line
 * note when either side is binary or too large.
 */
export function unifiedDiff(host: string, path: string, before: Buffer | undefined, after: Buffer): string {
  const label = `${host}:${path}`;
  const oldName = before === undefined ? '/dev/null' : `${label} (on the host)`;
  const newName = `${label} (bundle)`;
  if ((before !== undefined && !isText(before)) || !isText(after))
    return `Binary files ${oldName} and ${newName} differ\n`;
  if ((before?.length ?? 0) > DIFF_SIZE_LIMIT || after.length > DIFF_SIZE_LIMIT)
    return `Files ${oldName} and ${newName} differ (too large to show)\n`;
  return createTwoFilesPatch(
    oldName,
    newName,
    before?.toString('utf8') ?? '',
    after.toString('utf8'),
    undefined,
    undefined,
    {
      context: 3,
      headerOptions: FILE_HEADERS_ONLY,
    },
  );
}
