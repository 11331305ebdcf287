/**
 * What the lab tests that build a lab share: a temporary folder holding the lab directory and the
 * design file, and the type of `topoforge rehearse --json`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { rehearsalJson } from '../../../cli/rehearse';
import { EXAMPLES_DIRECTORY } from '../../fixtures/examples';
import { temporaryFolder } from '../../lab/temporary';

/** The `topoforge rehearse --json` document, as the command builds it (SPEC section 7). */
export type RehearsalJson = ReturnType<typeof rehearsalJson>;

/** Where a test's lab lives: its folder, the lab directory inside it, and the design file. */
export interface LabFolder {
  folder: string;
  directory: string;
  designFile: string;
}

/**
 * A fresh temporary folder (removed with the test file) with the lab directory `lab` inside it.
 * `design` is a seed example by name (`tessera-ha`), or a design written into the folder.
 */
export async function labFolder(prefix: string, design: string | object): Promise<LabFolder> {
  const folder = await temporaryFolder(prefix);
  let designFile: string;
  if (typeof design === 'string') designFile = join(EXAMPLES_DIRECTORY, `${design}.topo.json`);
  else {
    designFile = join(folder, 'design.topo.json');
    writeFileSync(designFile, JSON.stringify(design));
  }
  return { folder, directory: join(folder, 'lab'), designFile };
}
