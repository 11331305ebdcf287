/** A design's generated bundle as the files of an import folder, for import tests. */
import type { ImportFile } from '../../core/import/build-design';
import { bundlePathOf } from '../../core/generate/bundle';
import { generateBundle } from '../../core/generate/index';
import type { Design } from '../../core/model';

/** The files of a design's bundle as an import folder holds them. */
export function bundleFolder(design: Design): ImportFile[] {
  const bundle = generateBundle(design);
  return [
    ...bundle.files.map((file) => ({ path: bundlePathOf(file), text: file.content })),
    { path: 'manifest.json', text: JSON.stringify(bundle.manifest) },
  ];
}
