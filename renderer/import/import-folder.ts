/**
 * File › Import: a folder of configs (what `topoforge collect` fills, or a generated bundle)
 * becomes the open design, laid out by the automatic layout, and a dialog lists every directive
 * and file import did not use and what no config carries (docs/import.md).
 */
import { buildDesign, type ImportFile, type ImportProblem } from '../../core/import/build-design';
import { openText } from '../app/commands';
import type { AppServices } from '../app/services';

/** Files larger than this are not configs (as `topoforge import` refuses them). */
const FILE_LIMIT = 1024 * 1024;

/**
 * Imports `files` (paths inside the folder) as the open design and shows the unused list, with
 * `problems` found before the import (files not read) listed first. False when the design was not
 * opened (the person kept the unsaved one).
 */
export async function importFiles(
  services: AppServices,
  folderName: string,
  files: readonly ImportFile[],
  problems: readonly ImportProblem[] = [],
): Promise<boolean> {
  const result = buildDesign(files, `Imported from ${folderName}`);
  const opened = await openText(
    services,
    `${folderName}.topo.json`,
    `${JSON.stringify(result.design, null, 2)}\n`,
  );
  if (!opened) return false;
  services.store.getState().openDialog({
    kind: 'import-report',
    folder: folderName,
    unused: result.unused,
    missing: result.missing,
    problems: [...problems, ...result.problems],
  });
  return true;
}

/** Asks for a folder (the browser's folder picker, also in the desktop app) and imports it. */
export function importFolder(services: AppServices): void {
  const input = document.createElement('input');
  input.type = 'file';
  input.multiple = true;
  input.setAttribute('webkitdirectory', '');
  input.addEventListener('change', () => {
    const picked = [...(input.files ?? [])];
    if (picked.length === 0) return;
    // webkitRelativePath is `<folder>/<path inside it>`.
    const folderName = picked[0]!.webkitRelativePath.split('/')[0] || 'folder';
    const tooLarge = picked.filter((file) => file.size > FILE_LIMIT);
    void Promise.all(
      picked
        .filter((file) => file.size <= FILE_LIMIT)
        .map(async (file) => ({
          path: file.webkitRelativePath.split('/').slice(1).join('/'),
          text: await file.text(),
        })),
    ).then(
      async (files) => {
        await importFiles(services, folderName, files);
        for (const file of tooLarge)
          services.store
            .getState()
            .notify(
              `${file.webkitRelativePath}: ${file.size} bytes, larger than a config; not read`,
              'error',
            );
      },
      (error: unknown) =>
        services.store.getState().notify(`Could not read the folder: ${String(error)}`, 'error'),
    );
  });
  input.click();
}
