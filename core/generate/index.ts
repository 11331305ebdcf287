/**
 * Turns a checked design into its config bundle (docs/bundle.md). Each generator owns one kind of
 * file; this module runs them all, orders the files and builds the manifest.
 */
import { designIndexOf } from '../design-index';
import type { DesignIndex } from '../design-index';
import { bundleFolderPathProblem, hostFilePathProblem } from '../bundle-path';
import type { Design } from '../model';
import { buildManifest, sortFiles } from './bundle';
import type { BundleFile, Manifest, Sha256 } from './bundle';
import type { Generator } from './context';
import { generateHaproxy } from './haproxy';
import { generateKeepalived } from './keepalived';
import { generateMongodb } from './mongodb';
import { generateNginx } from './nginx';
import { UnsafeValueError } from './quote';
import { generateRedis } from './redis';
import { generateRunbook } from './runbook';
import { generateSystemd } from './systemd';

/** A generated bundle: the files (README and scripts included) and the manifest that lists them. */
export interface Bundle {
  files: BundleFile[];
  manifest: Manifest;
}

const GENERATORS: readonly Generator[] = [
  generateNginx,
  generateHaproxy,
  generateKeepalived,
  generateMongodb,
  generateRedis,
  generateSystemd,
];

/** Options of {@link generateBundle}. */
export interface GenerateOptions {
  /** SHA-256 for the manifest; a pure-JS one by default. */
  sha256?: Sha256;
}

/** Generates the bundle of a design that loaded; the same design always gives the same bytes. */
export function generateBundle(design: Design | DesignIndex, options: GenerateOptions = {}): Bundle {
  const index = designIndexOf(design);
  const context = { index };
  const configFiles = GENERATORS.flatMap((generate) => generate(context));
  const files = sortFiles([...generateRunbook(context, configFiles), ...configFiles], index.design);
  for (const file of files) refuseUnpushablePath(file);
  return { files, manifest: buildManifest(index, files, options.sha256) };
}

/**
 * The second wall behind the schema: a generated path that push would refuse stops generate,
 * naming the file, instead of giving a bundle that cannot be pushed.
 */
function refuseUnpushablePath(file: BundleFile): void {
  const problem =
    file.host === undefined ? bundleFolderPathProblem(file.path) : hostFilePathProblem(file.path);
  if (problem === undefined) return;
  const where = file.host === undefined ? 'the bundle folder' : `a bundle path on host ${file.host}`;
  throw new UnsafeValueError(where, file.path, problem);
}
