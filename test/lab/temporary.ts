/**
 * Temporary folders for tests, removed when their test file ends. Every test that needs a folder
 * takes it from here, so none is left in the system's temporary directory however the test ends
 * (an assertion failing half-way included): the setup file `test/lab/cleanup.ts` removes what this
 * module created, after each test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created = new Set<string>();

/** A fresh folder `<tmp>/<prefix>XXXXXX`, removed at the end of the test file at the latest. */
export async function temporaryFolder(prefix = 'topoforge-test-'): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), prefix));
  created.add(folder);
  return folder;
}

/** {@link temporaryFolder}, for code that cannot wait. */
export function temporaryFolderSync(prefix = 'topoforge-test-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  created.add(folder);
  return folder;
}

/** Removes a folder now (before the file ends), e.g. when a test helper stops what used it. */
export async function removeTemporaryFolder(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true, maxRetries: 3 });
  created.delete(folder);
}

/** {@link removeTemporaryFolder}, for code that cannot wait (process exit handlers). */
export function removeTemporaryFolderSync(folder: string): void {
  rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  created.delete(folder);
}

/** Removes every folder still there; the setup file calls it after each test file. */
export async function removeTemporaryFolders(): Promise<void> {
  await Promise.all([...created].map((folder) => removeTemporaryFolder(folder)));
}
