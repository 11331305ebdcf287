/**
 * Writes an export that is not a bundle (the Ansible inventory and playbook, docs/ansible.md).
 *
 * The desktop app writes into a folder that is new or empty: a folder that already holds files is
 * refused (the person picks another or empties it), and every file is created with `wx`, which
 * fails on anything already at its path, a link included. The CLI's `--out` may hold an earlier
 * export (docs/cli.md): the export's own files are replaced, each by a rename of a new file over
 * it, which replaces a symbolic link itself rather than writing where it points. Neither ever
 * writes through a link: a folder on the way that is a symbolic link is refused, naming it.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { describeFileError } from '../core/file-errors';

/** A file of the export, by its path inside the folder. */
export interface ExportFile {
  path: string;
  content: string | Uint8Array;
}

/** How the folder may already be filled. */
export interface ExportWriteOptions {
  /**
   * Replace the export's own files in a folder that may hold an earlier export (the CLI), instead
   * of requiring a new or empty folder (the desktop app). Nothing else in it is changed.
   */
  replace?: boolean;
}

/** The folder is not empty, a link is in the way, or the disk refused a file; the message says which. */
export class ExportWriteError extends Error {
  override name = 'ExportWriteError';
}

/** Writes `files` under `folder`, which must not exist or be empty unless `options.replace`. */
export async function writeExportFolder(
  files: readonly ExportFile[],
  folder: string,
  options: ExportWriteOptions = {},
): Promise<void> {
  const root = resolve(folder);
  if (!options.replace) {
    const entries = await nodeFs.readdir(root).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw new ExportWriteError(`cannot read ${root}: ${describeFileError(error)}`);
    });
    if (entries.length > 0)
      throw new ExportWriteError(`${root} is not empty: choose a new or empty folder for the export`);
  }
  await nodeFs.mkdir(root, { recursive: true }).catch((error: unknown) => {
    throw new ExportWriteError(`cannot create ${root}: ${describeFileError(error)}`);
  });
  // Folders made or checked once need no second look: the export writes hundreds of files into a few.
  const checked = new Set<string>();
  for (const file of files) {
    const path = join(root, file.path);
    if (!path.startsWith(`${root}/`))
      throw new ExportWriteError(`${file.path} is not inside the export folder`);
    try {
      await makeFolders(root, dirname(path), checked);
      if (options.replace) await replaceFile(path, file.content);
      else await nodeFs.writeFile(path, file.content, { flag: 'wx' });
    } catch (error) {
      if (error instanceof ExportWriteError) throw error;
      throw new ExportWriteError(`cannot write ${path}: ${describeFileError(error)}`);
    }
  }
}

/**
 * Creates `folder` and every folder between it and `root` that is missing. One that exists must be
 * a real folder: `mkdir -p` would go through a symbolic link and write wherever it points.
 */
async function makeFolders(root: string, folder: string, checked: Set<string>): Promise<void> {
  let current = root;
  for (const segment of relative(root, folder).split(sep).filter(Boolean)) {
    current = join(current, segment);
    if (checked.has(current)) continue;
    await nodeFs.mkdir(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    const stat = await nodeFs.lstat(current);
    if (stat.isSymbolicLink())
      throw new ExportWriteError(
        `${current} is a symbolic link: the export never writes through one (remove it or choose another --out)`,
      );
    if (!stat.isDirectory()) throw new ExportWriteError(`${current} is a file, not a folder`);
    checked.add(current);
  }
}

/** Puts `content` at `path` by renaming a new file over it: a link there is replaced, never followed. */
async function replaceFile(path: string, content: string | Uint8Array): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  await nodeFs.writeFile(temporary, content, { flag: 'wx' });
  try {
    await nodeFs.rename(temporary, path);
  } catch (error) {
    await nodeFs.rm(temporary, { force: true });
    throw error;
  }
}
