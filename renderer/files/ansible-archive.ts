/**
 * The designer's Ansible export in a browser: the folder `topoforge export ansible` writes
 * (docs/ansible.md), zipped under one top folder. Deterministic, like the bundle's zip.
 */
import { strToU8, zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { exportBundleToAnsible } from '../../core/ansible/export';
import type { Bundle } from '../../core/generate/index';
import type { Design } from '../../core/model';

/** 1 January 1980, the earliest time a zip entry can carry. */
const FIXED_TIME = new Date(1980, 0, 1, 0, 0, 0);
const UNIX = 3;
const REGULAR_FILE = 0o100000;

/** The zip of the Ansible export of `bundle`, generated from `design`; every entry under `folder/`. */
export function ansibleArchive(
  bundle: Bundle,
  design: Design,
  folder: string,
): { bytes: Uint8Array; fileCount: number } {
  const entries: Zippable = {};
  const files = exportBundleToAnsible(bundle, design);
  for (const file of files) {
    const content = typeof file.content === 'string' ? strToU8(file.content) : file.content;
    entries[`${folder}/${file.path}`] = [
      content,
      { mtime: FIXED_TIME, os: UNIX, attrs: ((REGULAR_FILE | 0o644) << 16) >>> 0, level: 6 },
    ];
  }
  return { bytes: zipSync(entries), fileCount: files.length };
}
