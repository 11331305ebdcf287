/**
 * Writes a generated bundle to a folder (SPEC section 5 layout). Each file is written to a
 * temporary name, flushed and renamed over its destination, so a crash or a full disk never
 * leaves a half-written file; the manifest goes last, so a folder whose manifest is new holds the
 * whole new bundle. It never deletes a file it did not write: files of the previous bundle (its
 * manifest lists them) that the new one no longer has are removed only while unmodified.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describeFileError } from '../core/file-errors';
import { bundlePathOf } from '../core/generate/bundle';
import type { Manifest } from '../core/generate/bundle';
import type { Bundle } from '../core/generate/index';

/** The file operations the writer needs; tests inject failures through it. */
export interface BundleFileSystem {
  readFile(path: string): Promise<Buffer>;
  writeFileSynced(path: string, content: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  rmdirIfEmpty(path: string): Promise<void>;
}

/** The machine's file system. */
export const nodeFileSystem: BundleFileSystem = {
  readFile: (path) => nodeFs.readFile(path),
  async writeFileSynced(path, content) {
    const handle = await nodeFs.open(path, 'wx', 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => nodeFs.rename(from, to),
  unlink: (path) => nodeFs.unlink(path),
  mkdir: async (path) => void (await nodeFs.mkdir(path, { recursive: true })),
  readdir: (path) => nodeFs.readdir(path),
  async rmdirIfEmpty(path) {
    try {
      await nodeFs.rmdir(path);
    } catch {
      // Not empty, or already gone: either way it stays as it is.
    }
  },
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

/** Writing a bundle failed; the message names the file and the cause. */
export class BundleWriteError extends Error {
  override name = 'BundleWriteError';
}

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

/** Writes `bundle` into `outDir`, creating it when missing. */
export async function writeBundle(
  bundle: Bundle,
  outDir: string,
  fileSystem: BundleFileSystem = nodeFileSystem,
): Promise<WriteReport> {
  const root = resolve(outDir);
  const previous = await previousManifest(root, fileSystem);
  // Every path is checked before anything is written.
  const entries = [
    ...bundle.files.map((f) => ({ bundlePath: bundlePathOf(f), content: f.content })),
    { bundlePath: 'manifest.json', content: `${JSON.stringify(bundle.manifest, null, 2)}\n` },
  ].map((entry) => ({ ...entry, target: insideRoot(root, entry.bundlePath) }));

  const report: WriteReport = { written: [], unchanged: [], removed: [], kept: [] };
  for (const entry of entries) {
    const target = entry.target;
    const current = await readIfExists(target, fileSystem);
    if (current !== undefined && current.equals(Buffer.from(entry.content, 'utf8'))) {
      report.unchanged.push(entry.bundlePath);
      continue;
    }
    await writeAtomically(target, entry.content, fileSystem);
    report.written.push(entry.bundlePath);
  }

  const kept = new Set(entries.map((e) => e.bundlePath));
  // Bundles before format 1's bundleFiles listed the README and scripts in files, with host null.
  const written = [
    ...(previous?.files ?? []).map((f) => ({
      host: (f.host as string | null) ?? undefined,
      path: f.path,
      sha256: f.sha256,
    })),
    ...(previous?.bundleFiles ?? []).map((f) => ({ host: undefined, path: f.path, sha256: f.sha256 })),
  ];
  for (const old of written) {
    const bundlePath = bundlePathOf(old);
    if (kept.has(bundlePath)) continue;
    const target = insideRoot(root, bundlePath);
    const current = await readIfExists(target, fileSystem);
    if (current === undefined) continue;
    if (sha256(current) !== old.sha256) {
      report.kept.push(bundlePath);
      continue;
    }
    await fileSystem.unlink(target);
    report.removed.push(bundlePath);
    for (let dir = dirname(target); dir !== root && dir.startsWith(root); dir = dirname(dir)) {
      await fileSystem.rmdirIfEmpty(dir);
    }
  }
  return report;
}

async function previousManifest(root: string, fileSystem: BundleFileSystem): Promise<Manifest | undefined> {
  let names: string[];
  try {
    names = await fileSystem.readdir(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR')
      throw new BundleWriteError(`${root} is a file, not a folder: write the bundle into a folder`);
    throw new BundleWriteError(`cannot read ${root}: ${describeFileError(error)}`);
  }
  if (names.length === 0) return undefined;
  const text = await readIfExists(join(root, 'manifest.json'), fileSystem);
  const manifest = text === undefined ? undefined : parseManifest(text);
  if (!manifest) {
    throw new BundleWriteError(
      `${root} is not empty and holds no Topoforge bundle (no readable manifest.json): generate into an empty folder or the folder of an earlier bundle`,
    );
  }
  return manifest;
}

function parseManifest(text: Buffer): Manifest | undefined {
  try {
    const value = JSON.parse(text.toString('utf8')) as Manifest;
    return value && value.format === 1 && Array.isArray(value.files) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The absolute path of a bundle path, refusing any that would leave the bundle folder. */
function insideRoot(root: string, bundlePath: string): string {
  const target = resolve(root, bundlePath);
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) {
    throw new BundleWriteError(`refusing to write ${bundlePath}: it is outside ${root}`);
  }
  return target;
}

async function readIfExists(path: string, fileSystem: BundleFileSystem): Promise<Buffer | undefined> {
  try {
    return await fileSystem.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new BundleWriteError(`cannot read ${path}: ${describeFileError(error)}`);
  }
}

async function writeAtomically(target: string, content: string, fileSystem: BundleFileSystem): Promise<void> {
  const temporary = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await fileSystem.mkdir(dirname(target));
    await fileSystem.writeFileSynced(temporary, content);
    await fileSystem.rename(temporary, target);
  } catch (error) {
    await fileSystem.unlink(temporary).catch(() => undefined);
    throw new BundleWriteError(
      `cannot write ${target}: ${describeFileError(error)}; the file there, if any, is unchanged`,
    );
  }
}
