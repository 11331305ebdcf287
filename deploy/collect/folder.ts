/**
 * Reading an import folder (docs/import.md): every regular file under it, by its `/`-separated
 * path inside it, as `topoforge import` and the desktop's File › Import from hosts both read one.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ImportFile, ImportProblem } from '../../core/import/build-design';

/** Files larger than this are not configs; import names them instead of reading them. */
export const IMPORT_FILE_LIMIT = 1024 * 1024;

/** Reads every regular file under `root` as UTF-8, by its `/`-separated path inside `root`. */
export async function readImportFolder(
  root: string,
): Promise<{ files: ImportFile[]; problems: ImportProblem[] }> {
  const files: ImportFile[] = [];
  const problems: ImportProblem[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(folder, entry.name);
      const path = relative(root, full).split(sep).join('/');
      if (entry.isDirectory()) {
        await walk(full);
      } else if (entry.isFile()) {
        const size = (await lstat(full)).size;
        if (size > IMPORT_FILE_LIMIT) {
          problems.push({
            file: path,
            message: `${size} bytes: larger than the ${IMPORT_FILE_LIMIT}-byte limit for a config`,
          });
          continue;
        }
        files.push({ path, text: await readFile(full, 'utf8') });
      } else {
        problems.push({ file: path, message: 'not a regular file (a link or a device): not read' });
      }
    }
  };
  await walk(root);
  return { files, problems };
}
