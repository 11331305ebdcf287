/**
 * What a path in a bundle may be: the one definition that the design schema (`ssh.root`),
 * generate (what it writes, and what it removes from an earlier bundle) and push (what it accepts
 * from a manifest) share, so that a design that loads gives a bundle that generate writes and
 * push accepts, and no bundle path ever leaves its folder or its host's root.
 *
 * A path is absolute and plain: `/` and segments separated by single slashes, no `.` or `..`
 * segment, no `/` at the end. A segment holds letters, digits, `. _ @ + -` and systemd's escape of
 * one byte, `\xNN` (`systemd-escape --path` names the mount unit of `/mnt/shared-nfs`
 * `mnt-shared\x2dnfs.mount`). Nothing else: no space, quote, `$`, `*`, `:` or control character,
 * so a path needs no quoting in a config, a shell word or a remote tool's output.
 */

/** Characters of a path segment besides the escape. */
const PLAIN_CHARACTER = '[A-Za-z0-9._@+-]';
/** systemd's escape of one byte in a unit name, lowercase hex as systemd writes it. */
const SYSTEMD_ESCAPE = '\\\\x[0-9a-f]{2}';
/** Not `.` or `..`: a segment that names the folder itself or its parent. */
const NOT_DOT_SEGMENT = '(?!\\.\\.?(?:/|$))';

/** The longest path Linux takes (PATH_MAX, the terminating NUL left out). */
export const MAX_PATH_LENGTH = 4095;
/** The longest file name Linux takes (NAME_MAX), in bytes. */
export const MAX_SEGMENT_BYTES = 255;

/** A file on a host, as a bundle names it: `/etc/systemd/system/mnt-shared\x2dnfs.mount`. */
export const HOST_FILE_PATH_PATTERN = `^(?:/${NOT_DOT_SEGMENT}(?:${PLAIN_CHARACTER}|${SYSTEMD_ESCAPE})+)+$`;

/**
 * A host's `ssh.root` in a design: `/`, or a plain absolute path without escapes (a design value
 * never holds a backslash). `/srv//lab/` is refused rather than read as `/srv/lab`: the file then
 * says what push uses.
 */
export const REMOTE_ROOT_PATTERN = `^(?:/|(?:/${NOT_DOT_SEGMENT}${PLAIN_CHARACTER}+)+)$`;

const HOST_FILE_PATH = new RegExp(HOST_FILE_PATH_PATTERN, 'u');

/**
 * Why `path` cannot be the path of a file on a host in a bundle, in words that finish "… cannot
 * be pushed: "; undefined when it can.
 */
export function hostFilePathProblem(path: string): string | undefined {
  if (HOST_FILE_PATH.test(path) && path.length <= MAX_PATH_LENGTH) {
    // The pattern admits ASCII only: a name's length in characters is its length in bytes.
    const long = path.split('/').some((segment) => segment.length > MAX_SEGMENT_BYTES);
    return long ? `a name in it is longer than ${MAX_SEGMENT_BYTES} bytes` : undefined;
  }
  if (!path.startsWith('/')) return 'it is not an absolute path';
  if (path === '/') return 'it names the root directory, not a file';
  if (path.length > MAX_PATH_LENGTH) return `it is longer than ${MAX_PATH_LENGTH} characters`;
  if (path.endsWith('/')) return 'it ends with "/"';
  if (path.includes('//')) return 'it has an empty segment ("//")';
  const segments = path.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'it has a "." or ".." segment';
  const odd = /\\(?!x[0-9a-f]{2})|[^A-Za-z0-9._@+\-/\\]/u.exec(path);
  const shown = odd ? JSON.stringify(odd[0]) : 'a character';
  return `it holds ${shown}: a bundle path holds only letters, digits, . _ @ + - and systemd's \\xNN escapes`;
}

/** Why `root` cannot be a host's `ssh.root` (the prefix push puts before every path); undefined when it can. */
export function remoteRootProblem(root: string): string | undefined {
  return root === '/' ? undefined : hostFilePathProblem(root);
}

/**
 * Why `path` cannot be a file of the bundle folder itself (`README.md`, `manifest.json`,
 * `scripts/mongodb-rs0-init.js`): the same rules as a host path, relative to the folder.
 */
export function bundleFolderPathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'it is absolute; a file of the bundle folder is named relative to it';
  return hostFilePathProblem(`/${path}`);
}

/** Where a file lives inside the bundle folder: `hosts/<host>/<path without its leading slash>`. */
export function bundlePathOf(file: { host?: string; path: string }): string {
  return file.host === undefined ? file.path : `hosts/${file.host}/${file.path.replace(/^\/+/, '')}`;
}
