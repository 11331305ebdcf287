/**
 * Why a file could not be read or written, in words a person reads. Node's errors start with an
 * errno code (`ENOENT: no such file or directory, open '/x'`) that means nothing to most users;
 * every place that shows a file error to a person (the CLI, the desktop app, push) words it here.
 */

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many files are open',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'the path has too many symbolic links',
};

/**
 * The reason of a file-system error without its errno code, e.g. `no such file` or `it is a
 * folder, not a file`; an error this does not know keeps its own message, less the code prefix
 * and the path suffix that Node adds.
 */
export function describeFileError(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code in REASONS) return REASONS[code]!;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[A-Z][A-Z0-9_]+: /, '').replace(/, [a-z]+ '[^']*'(?: -> '[^']*')?$/, '');
}
