/**
 * Writes an export that is not a bundle (the Ansible inventory and playbook, docs/ansible.md) into
 * a folder that is new or empty. It never replaces or follows anything: a folder that already
 * holds files is refused (the person picks another or empties it), and every file is created with
 * `wx`, which fails on anything already at its path, a link included.
 */
import * as nodeFs from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describeFileError } from '../core/file-errors';

/** A file of the export, by its path inside the folder. */
export interface ExportFile {
  path: string;
  content: string | Uint8Array;
}

/** The folder is not empty, or the disk refused a file; the message says which and why. */
export class ExportWriteError extends Error {
  override name = 'ExportWriteError';
}

/** Writes `files` under `folder`, which must not exist or be empty. */
export async function writeExportFolder(files: readonly ExportFile[], folder: string): Promise<void> {
  const root = resolve(folder);
  const entries = await nodeFs.readdir(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new ExportWriteError(`cannot read ${root}: ${describeFileError(error)}`);
  });
  if (entries.length > 0)
    throw new ExportWriteError(`${root} is not empty: choose a new or empty folder for the export`);
  for (const file of files) {
    const path = join(root, file.path);
    if (!path.startsWith(`${root}/`))
      throw new ExportWriteError(`${file.path} is not inside the export folder`);
    try {
      await nodeFs.mkdir(dirname(path), { recursive: true });
      await nodeFs.writeFile(path, file.content, { flag: 'wx' });
    } catch (error) {
      throw new ExportWriteError(`cannot write ${path}: ${describeFileError(error)}`);
    }
  }
}
