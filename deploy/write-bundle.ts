/**
 * Writes a generated bundle to a folder (docs/bundle.md layout), all or nothing.
 *
 * - It never follows a symbolic link inside the folder: every path it writes, reads or removes is
 *   checked component by component, and files are opened with O_NOFOLLOW. A link is refused with
 *   an error that names it, before anything changes.
 * - It removes only what it wrote itself: regular files of the previous bundle's manifest, at
 *   paths a bundle can hold (core/bundle-path.ts), whose sha256 is still the one it recorded.
 *   Anything else in the folder (notes, edited files) stays.
 * - The bundle is replaced as a whole: every new or changed file is first staged beside its
 *   destination under a hidden temporary name (flushed to disk when it replaces a file, and the
 *   manifest always), and the files it replaces are kept under a hidden name (a hard link, which
 *   takes no space). Only when every file is staged are they renamed into place, `manifest.json`
 *   last. If any step fails (a full disk, a permission), every file is put back and the folder is
 *   exactly as it was, which the error says.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { bundleFolderPathProblem, bundlePathOf } from '../core/bundle-path';
import { describeFileError } from '../core/file-errors';
import type { Manifest } from '../core/generate/bundle';
import type { Bundle } from '../core/generate/index';

/** What is at a path, without following a link there. */
export type EntryKind = 'file' | 'directory' | 'link' | 'other';

/** The file operations the writer needs; tests inject failures through it. */
export interface BundleFileSystem {
  /** What is at `path` (a link is a link), or undefined when nothing is. */
  kindOf(path: string): Promise<EntryKind | undefined>;
  /** The content of a regular file, refusing (ELOOP) when `path` itself is a link. */
  readFile(path: string): Promise<Buffer>;
  /**
   * Creates `path`, which must not exist (nor be a link), and writes `content`; with `flush`, waits
   * until it is on the disk.
   */
  writeNewFile(path: string, content: string, flush: boolean): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** A second name for a file, on the same file system. */
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates one directory, whose parent exists. */
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** Removes an empty directory; a directory that is not empty stays, without an error. */
  rmdirIfEmpty(path: string): Promise<void>;
  /** Flushes a directory's entries (the renames in it) to disk. */
  syncDirectory(path: string): Promise<void>;
  /** Where a link points, to name it in an error. */
  readlink(path: string): Promise<string>;
  /** The path with every link resolved (only ever asked of the folder itself). */
  realpath(path: string): Promise<string>;
}

/** O_NOFOLLOW where the platform has it (not on Windows, where links need privileges to make). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** The machine's file system. */
export const nodeFileSystem: BundleFileSystem = {
  async kindOf(path) {
    try {
      const stats = await nodeFs.lstat(path);
      if (stats.isSymbolicLink()) return 'link';
      if (stats.isFile()) return 'file';
      return stats.isDirectory() ? 'directory' : 'other';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw error;
    }
  },
  async readFile(path) {
    const handle = await nodeFs.open(path, constants.O_RDONLY | NO_FOLLOW);
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  },
  async writeNewFile(path, content, flush) {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW;
    const handle = await nodeFs.open(path, flags, 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      if (flush) await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => nodeFs.rename(from, to),
  link: (existing, newPath) => nodeFs.link(existing, newPath),
  unlink: (path) => nodeFs.unlink(path),
  mkdir: async (path) => void (await nodeFs.mkdir(path)),
  readdir: (path) => nodeFs.readdir(path),
  async rmdirIfEmpty(path) {
    try {
      await nodeFs.rmdir(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
    }
  },
  async syncDirectory(path) {
    if (process.platform === 'win32') return;
    const handle = await nodeFs.open(path, constants.O_RDONLY | NO_FOLLOW);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  readlink: (path) => nodeFs.readlink(path),
  realpath: (path) => nodeFs.realpath(path),
};

/** What writing a bundle did, by bundle path (`hosts/lb-1/etc/haproxy/haproxy.cfg`). */
export interface WriteReport {
  written: string[];
  unchanged: string[];
  /** Files of the previous bundle that the new one no longer has. */
  removed: string[];
  /** Files of the previous bundle that were edited since, so they were left in place. */
  kept: string[];
}

/** Writing a bundle failed; the message names the file and the cause, and says what changed. */
export class BundleWriteError extends Error {
  override name = 'BundleWriteError';
}

/**
 * The folder to write to: `outDir` itself, or where it points when it is a link. The person named
 * it, so a link there is theirs to make (`--out ~/bundles/current`); links inside it are not.
 */
async function folderPath(outDir: string, fileSystem: BundleFileSystem): Promise<string> {
  try {
    return (await fileSystem.kindOf(outDir)) === 'link' ? await fileSystem.realpath(outDir) : outDir;
  } catch (error) {
    throw new BundleWriteError(`cannot look at ${outDir}: ${causeOf(error)}`);
  }
}

/**
 * How many file operations run at once: Node's thread pool then always has work, and flushes to
 * disk overlap, which a journal commits together. One at a time, a bundle of 20,000 files waited
 * on 100,000 round trips.
 */
const CONCURRENCY = 32;

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

/** Why an operation failed, in words: a full disk is the usual one. */
function causeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EDQUOT') return 'the disk is full';
  return describeFileError(error);
}

/** One file of the new bundle. */
interface Entry {
  bundlePath: string;
  target: string;
  content: string;
  /** Whether a previous version of the file is there, to be kept until the new one is in place. */
  replaces?: boolean;
}

/** A file being replaced: where its new content is staged and where its old one is kept. */
interface Staged {
  entry: Entry;
  temporary: string;
  /** The previous file's second name, when there is a previous file. */
  previous?: string;
}

/**
 * Writes `bundle` into `outDir`, creating it when missing; all or nothing (see the module
 * comment). Throws {@link BundleWriteError} for anything the folder or the disk refuses.
 */
export async function writeBundle(
  bundle: Bundle,
  outDir: string,
  fileSystem: BundleFileSystem = nodeFileSystem,
): Promise<WriteReport> {
  const folder = new BundleFolder(await folderPath(resolve(outDir), fileSystem), fileSystem);
  const entries: Entry[] = [
    ...bundle.files.map((file) => ({ bundlePath: bundlePathOf(file), content: file.content })),
    { bundlePath: 'manifest.json', content: `${JSON.stringify(bundle.manifest, null, 2)}\n` },
  ].map((entry) => ({ ...entry, target: folder.pathOf(entry.bundlePath) }));
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.bundlePath)) throw new BundleWriteError(`the bundle has ${entry.bundlePath} twice`);
    seen.add(entry.bundlePath);
  }

  const previous = await folder.previousManifest();
  const report: WriteReport = { written: [], unchanged: [], removed: [], kept: [] };
  const currents: (Buffer | undefined)[] = [];
  await forEachLimited(entries, CONCURRENCY, async (entry, position) => {
    currents[position] = await folder.readPlainFile(entry.bundlePath);
  });
  const changed: Entry[] = [];
  entries.forEach((entry, position) => {
    const current = currents[position];
    if (current !== undefined && current.equals(Buffer.from(entry.content, 'utf8')))
      report.unchanged.push(entry.bundlePath);
    else changed.push({ ...entry, replaces: current !== undefined });
  });
  const removals = await folder.filesToRemove(previous, seen, report);

  await folder.replace(changed);
  report.written = changed.map((entry) => entry.bundlePath);

  for (const bundlePath of removals) {
    try {
      await fileSystem.unlink(folder.pathOf(bundlePath));
    } catch (error) {
      throw new BundleWriteError(
        `the new bundle is in ${folder.root}, but ${bundlePath} of the previous one could not be removed: ${causeOf(error)}`,
      );
    }
    report.removed.push(bundlePath);
    await folder.removeEmptyDirectoriesAbove(bundlePath);
  }
  return report;
}

/** The bundle folder, seen only through paths that hold no link. */
class BundleFolder {
  /** Directories known to be real directories (no link on the way), by absolute path. */
  private readonly directories = new Set<string>();

  constructor(
    readonly root: string,
    private readonly fileSystem: BundleFileSystem,
  ) {}

  /** The absolute path of a bundle path; refuses any that a bundle cannot hold. */
  pathOf(bundlePath: string): string {
    const problem = bundleFolderPathProblem(bundlePath);
    if (problem !== undefined)
      throw new BundleWriteError(
        `refusing to write ${JSON.stringify(bundlePath)} into ${this.root}: ${problem}`,
      );
    return join(this.root, ...bundlePath.split('/'));
  }

  /**
   * Checks the directories from the folder down to `bundlePath`'s parent: each is a directory
   * and none is a link. Returns the first that does not exist yet, as a bundle path, if any.
   */
  private async checkDirectories(bundlePath: string): Promise<string | undefined> {
    const segments = bundlePath.split('/').slice(0, -1);
    for (let depth = 0; depth <= segments.length; depth++) {
      const relative = segments.slice(0, depth).join('/');
      const path = depth === 0 ? this.root : join(this.root, ...segments.slice(0, depth));
      if (this.directories.has(path)) continue;
      const kind = await this.kindOf(path, relative);
      if (kind === undefined) return relative;
      if (kind === 'link') await this.refuseLink(path, relative);
      if (kind !== 'directory')
        throw new BundleWriteError(
          `refusing to write into ${this.root}: ${relative || this.root} is not a directory, where the bundle needs one`,
        );
      this.directories.add(path);
    }
    return undefined;
  }

  private async kindOf(path: string, relative: string): Promise<EntryKind | undefined> {
    try {
      return await this.fileSystem.kindOf(path);
    } catch (error) {
      throw new BundleWriteError(`cannot look at ${relative || path} in ${this.root}: ${causeOf(error)}`);
    }
  }

  private async refuseLink(path: string, relative: string): Promise<never> {
    const target = await this.fileSystem.readlink(path).catch(() => 'somewhere');
    throw new BundleWriteError(
      `refusing to write into ${this.root}: ${relative} is a symbolic link (to ${target}); generate never follows links inside the bundle folder. Remove the link and generate again. Nothing changed`,
    );
  }

  /** The content of the regular file at `bundlePath`, or undefined when nothing is there. */
  async readPlainFile(bundlePath: string): Promise<Buffer | undefined> {
    const path = this.pathOf(bundlePath);
    if ((await this.checkDirectories(bundlePath)) !== undefined) return undefined;
    const kind = await this.kindOf(path, bundlePath);
    if (kind === undefined) return undefined;
    if (kind === 'link') await this.refuseLink(path, bundlePath);
    if (kind !== 'file')
      throw new BundleWriteError(
        `refusing to write into ${this.root}: ${bundlePath} is a ${kind === 'directory' ? 'directory' : 'special file'}, where the bundle has a file. Nothing changed`,
      );
    try {
      return await this.fileSystem.readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') await this.refuseLink(path, bundlePath);
      throw new BundleWriteError(`cannot read ${bundlePath} in ${this.root}: ${causeOf(error)}`);
    }
  }

  /**
   * The manifest of the bundle already in the folder; undefined when the folder is missing or
   * empty. A folder that holds files but no manifest is someone else's: refused.
   */
  async previousManifest(): Promise<Manifest | undefined> {
    const kind = await this.kindOf(this.root, '');
    if (kind === undefined) return undefined;
    if (kind !== 'directory')
      throw new BundleWriteError(
        `${this.root} is ${kind === 'file' ? 'a file' : kind === 'link' ? 'a symbolic link' : 'a special file'}, not a folder: write the bundle into a folder`,
      );
    let names: string[];
    try {
      names = await this.fileSystem.readdir(this.root);
    } catch (error) {
      throw new BundleWriteError(`cannot read ${this.root}: ${causeOf(error)}`);
    }
    if (names.length === 0) return undefined;
    const text = await this.readPlainFile('manifest.json');
    const manifest = text === undefined ? undefined : parseManifest(text);
    if (!manifest) {
      throw new BundleWriteError(
        `${this.root} is not empty and holds no Topoforge bundle (no readable manifest.json): generate into an empty folder or the folder of an earlier bundle`,
      );
    }
    return manifest;
  }

  /**
   * The files of the previous bundle that the new one no longer has and that are still as it
   * wrote them; edited ones go to `report.kept`. Every path is checked before anything changes.
   */
  async filesToRemove(
    previous: Manifest | undefined,
    current: ReadonlySet<string>,
    report: WriteReport,
  ): Promise<string[]> {
    // Bundles before format 1's bundleFiles listed the README and scripts in files, with host null.
    const written = [
      ...(previous?.files ?? []).map((file) => ({
        bundlePath: bundlePathOfListed(file.host, file.path),
        sha256: file.sha256,
      })),
      ...(previous?.bundleFiles ?? []).map((file) => ({
        bundlePath: bundlePathOfListed(undefined, file.path),
        sha256: file.sha256,
      })),
    ];
    const removals: string[] = [];
    for (const old of written) {
      if (old.bundlePath !== undefined && current.has(old.bundlePath)) continue;
      if (old.bundlePath === undefined || bundleFolderPathProblem(old.bundlePath) !== undefined) {
        throw new BundleWriteError(
          `${join(this.root, 'manifest.json')} lists ${JSON.stringify(old.bundlePath ?? null)}, which no bundle holds: it was not written by topoforge generate. Generate into an empty folder. Nothing changed`,
        );
      }
      const content = await this.readPlainFile(old.bundlePath);
      if (content === undefined) continue;
      if (sha256(content) === old.sha256) removals.push(old.bundlePath);
      else report.kept.push(old.bundlePath);
    }
    return removals;
  }

  /** Removes the directories above `bundlePath` that are left empty, up to the folder. */
  async removeEmptyDirectoriesAbove(bundlePath: string): Promise<void> {
    const segments = bundlePath.split('/').slice(0, -1);
    for (let depth = segments.length; depth > 0; depth--) {
      const path = join(this.root, ...segments.slice(0, depth));
      await this.fileSystem.rmdirIfEmpty(path).catch(() => undefined);
      this.directories.delete(path);
    }
  }

  /**
   * Puts every entry in place, all or nothing: staged beside its destination, the previous file
   * kept under a second name; then renamed into place, the manifest last. On any failure
   * everything is put back as it was, and the error says so.
   */
  async replace(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const run = randomBytes(6).toString('hex');
    const created: string[] = [];
    const staged: Staged[] = entries.map((entry) => ({
      entry,
      temporary: besidePath(entry.target, `staged-${run}`),
      ...(entry.replaces ? { previous: besidePath(entry.target, `previous-${run}`) } : {}),
    }));
    const renamed = new Set<Staged>();
    const rename = async (item: Staged): Promise<void> => {
      await step(item.entry.bundlePath, () => this.fileSystem.rename(item.temporary, item.entry.target));
      renamed.add(item);
    };
    try {
      for (const entry of entries) await this.createDirectories(entry.bundlePath, created);
      await forEachLimited(staged, CONCURRENCY, (item) => this.stage(item));
      // The manifest (last) is renamed alone, once every other file is new.
      const manifest = staged.at(-1)!;
      await forEachLimited(staged.slice(0, -1), CONCURRENCY, rename);
      await rename(manifest);
      const directories = [...new Set(staged.map((item) => dirname(item.entry.target)))];
      await forEachLimited(directories, CONCURRENCY, (directory) =>
        step(directory, () => this.fileSystem.syncDirectory(directory)),
      );
    } catch (error) {
      const unrestored = await this.putBack(staged, renamed, created);
      if (!(error instanceof StepFailure)) throw error;
      const outcome =
        unrestored.length === 0
          ? 'Nothing changed: the folder holds the previous bundle, as it was'
          : `Putting the previous bundle back failed for ${unrestored.join(', ')}: check the folder before pushing`;
      throw new BundleWriteError(`cannot write ${error.what} in ${this.root}: ${error.cause}. ${outcome}`);
    }
    // The new bundle is in place: the previous versions' second names go.
    for (const item of staged)
      if (item.previous !== undefined) await this.fileSystem.unlink(item.previous).catch(() => undefined);
  }

  /** Creates the missing directories above `bundlePath`, one at a time, recording each. */
  private async createDirectories(bundlePath: string, created: string[]): Promise<void> {
    const missing = await this.checkDirectories(bundlePath);
    if (missing === undefined) return;
    if (missing === '') await this.createFolder(created);
    const segments = bundlePath.split('/').slice(0, -1);
    for (let depth = missing === '' ? 1 : missing.split('/').length; depth <= segments.length; depth++) {
      const path = join(this.root, ...segments.slice(0, depth));
      if (this.directories.has(path)) continue;
      await step(segments.slice(0, depth).join('/'), () => this.fileSystem.mkdir(path));
      created.push(path);
      this.directories.add(path);
    }
  }

  /** Creates the folder itself and whichever of its parents are missing, outermost first. */
  private async createFolder(created: string[]): Promise<void> {
    const missing: string[] = [];
    for (let path = this.root; ; path = dirname(path)) {
      const kind = await this.fileSystem.kindOf(path).catch(() => undefined);
      if (kind !== undefined || dirname(path) === path) break;
      missing.unshift(path);
    }
    for (const path of missing) {
      await step(path, () => this.fileSystem.mkdir(path));
      created.push(path);
    }
    this.directories.add(this.root);
  }

  /** Writes an entry's content beside it and keeps its previous version under a second name. */
  private async stage(item: Staged): Promise<void> {
    const { entry } = item;
    // Flushed before it replaces a file, whose old content a crash must not take with it, and the
    // manifest, which says what the folder holds. A file that replaces nothing is not flushed: a
    // crash can only lose it, which push then refuses by its sha256 and the next generate
    // rewrites. Flushing 20,000 new files one by one took longer than all the rest of generate.
    const flush = entry.replaces === true || entry.bundlePath === 'manifest.json';
    await step(entry.bundlePath, () => this.fileSystem.writeNewFile(item.temporary, entry.content, flush));
    const previous = item.previous;
    if (previous !== undefined)
      await step(entry.bundlePath, () => this.fileSystem.link(entry.target, previous));
  }

  /**
   * Undoes {@link replace}: the `renamed` files get their previous version back (or go, if they
   * are new), every staged file and second name goes, and so do the directories it made.
   * Returns the files whose previous version could not be put back.
   */
  private async putBack(staged: readonly Staged[], renamed: ReadonlySet<Staged>, created: readonly string[]) {
    const { fileSystem } = this;
    const unrestored: string[] = [];
    for (const item of staged) {
      const { entry, previous, temporary } = item;
      if (renamed.has(item)) {
        const restore =
          previous === undefined
            ? fileSystem.unlink(entry.target)
            : fileSystem.rename(previous, entry.target);
        await restore.catch(() => unrestored.push(entry.bundlePath));
      } else {
        await fileSystem.unlink(temporary).catch(() => undefined);
        if (previous !== undefined) await fileSystem.unlink(previous).catch(() => undefined);
      }
    }
    for (const directory of [...created].reverse())
      await fileSystem.rmdirIfEmpty(directory).catch(() => undefined);
    return unrestored;
  }
}

/** A file operation that failed: which file, and why in words. */
class StepFailure extends Error {
  constructor(
    readonly what: string,
    override readonly cause: string,
  ) {
    super(`${what}: ${cause}`);
  }
}

/** Runs one file operation; its failure becomes a {@link StepFailure} naming the file. */
async function step(what: string, operation: () => Promise<void>): Promise<void> {
  try {
    await operation();
  } catch (error) {
    throw new StepFailure(what, causeOf(error));
  }
}

/** A hidden name beside `path`: `/out/hosts/lb-1/etc/.haproxy.cfg.topoforge-SUFFIX`. */
function besidePath(path: string, suffix: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.topoforge-${suffix}`;
}

/** The bundle path of a file a manifest lists, if its host and path are text at all. */
function bundlePathOfListed(host: unknown, path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined;
  if (host === undefined || host === null) return path;
  return typeof host === 'string' ? bundlePathOf({ host, path }) : undefined;
}

function parseManifest(text: Buffer): Manifest | undefined {
  try {
    const value = JSON.parse(text.toString('utf8')) as Manifest;
    return value &&
      value.format === 1 &&
      Array.isArray(value.files) &&
      (value.bundleFiles === undefined || Array.isArray(value.bundleFiles))
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `task` on every item with at most `limit` running at once; the first failure is thrown
 * once every started task has settled, so nothing is still writing when the caller cleans up.
 */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, position: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const position = next++;
      try {
        await task(items[position]!, position);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
