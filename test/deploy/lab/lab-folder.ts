/**
 * What the lab tests that build a lab share: a temporary folder holding the lab directory and the
 * design file, labs stopped after each test, a command run in a lab host, and the type of
 * `topoforge rehearse --json`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { rehearsalJson } from '../../../cli/rehearse';
import { stopLab } from '../../../deploy/lab/index';
import { runCli } from '../../cli/run-cli';
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

/**
 * `labFolder` for the tests of one file, each lab stopped after its test however the test ends: a
 * failed assertion must not leave namespaces behind. `first` runs before the labs stop (to end a
 * command that still holds one). Call it at the top level of the file.
 */
export function labFoldersStoppedAfterEach(
  first?: () => Promise<void>,
): (prefix: string, design: string | object) => Promise<LabFolder> {
  const directories: string[] = [];
  afterEach(async () => {
    await first?.();
    for (const directory of directories.splice(0)) await stopLab(directory);
  });
  return async (prefix, design) => {
    const made = await labFolder(prefix, design);
    directories.push(made.directory);
    return made;
  };
}

/** Runs `command` in the lab host `host` of the lab in `directory`: `topoforge lab exec`, in process. */
export function inLabHost(directory: string, host: string, command: string[]): ReturnType<typeof runCli> {
  return runCli(['lab', 'exec', host, '--dir', directory, '--', ...command]);
}
