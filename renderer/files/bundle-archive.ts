/**
 * A bundle as a zip archive, laid out as docs/bundle.md lays out a bundle folder (`manifest.json`,
 * `README.md`, `hosts/<host>/<path>`, `scripts/`), under one top folder. Deterministic: the same
 * bundle gives the same bytes (fixed timestamps), and file modes survive for `unzip`.
 */
import { strToU8, zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { bundlePathOf } from '../../core/generate/bundle';
import type { Bundle } from '../../core/generate/index';

/** 1 January 1980, the earliest time a zip entry can carry: no build time leaks into the archive. */
const FIXED_TIME = new Date(1980, 0, 1, 0, 0, 0);
/** "Made by Unix", so that unzip restores permission bits from the external attributes. */
const UNIX = 3;
const REGULAR_FILE = 0o100000;

/** The zip of a bundle; every entry under `folder/`. */
export function bundleArchive(bundle: Bundle, folder: string): Uint8Array {
  const entries: Zippable = {};
  const add = (path: string, content: string, mode: number) => {
    entries[`${folder}/${path}`] = [
      strToU8(content),
      { mtime: FIXED_TIME, os: UNIX, attrs: ((REGULAR_FILE | mode) << 16) >>> 0, level: 6 },
    ];
  };
  for (const file of bundle.files) add(bundlePathOf(file), file.content, parseInt(file.mode, 8));
  add('manifest.json', `${JSON.stringify(bundle.manifest, null, 2)}\n`, 0o644);
  return zipSync(entries);
}
