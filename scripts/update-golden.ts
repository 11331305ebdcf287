/**
 * `npm run golden:update`: writes the golden bundles, test/fixtures/golden/<example>/, from the
 * example designs as the generators make them now. Run it after an intended change to a generator,
 * then read the diff before committing it: test/generate/golden.test.ts compares every run against
 * these files and never writes them.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundlePathOf } from '../core/generate/bundle';
import { generateBundle } from '../core/generate/index';
import { parseDesign } from '../core/load';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the golden bundles live, one folder per example. */
export const GOLDEN_ROOT = join(ROOT, 'test', 'fixtures', 'golden');

/** The example designs that have a golden bundle: every example but the broken variants. */
export function goldenExamples(): string[] {
  return readdirSync(join(ROOT, 'examples'))
    .filter((file) => file.endsWith('.topo.json') && !file.includes('-broken'))
    .sort();
}

/** The golden folder's name of an example file: `tessera-ha.topo.json` → `tessera-ha`. */
export function goldenName(example: string): string {
  return example.replace(/\.topo\.json$/, '');
}

/** Every file of an example's bundle as the generators make it now, by path inside the bundle. */
export function exampleBundle(example: string): Map<string, string> {
  const loaded = parseDesign(readFileSync(join(ROOT, 'examples', example), 'utf8'));
  if (!loaded.ok) throw new Error(`examples/${example} does not load: ${loaded.problems[0]?.message}`);
  const bundle = generateBundle(loaded.design);
  const files = new Map(bundle.files.map((file) => [bundlePathOf(file), file.content]));
  files.set('manifest.json', `${JSON.stringify(bundle.manifest, null, 2)}\n`);
  return files;
}

/** Replaces every golden bundle with what the generators make now; returns the folders written. */
export function writeGoldenBundles(goldenRoot = GOLDEN_ROOT): string[] {
  return goldenExamples().map((example) => {
    const folder = join(goldenRoot, goldenName(example));
    rmSync(folder, { recursive: true, force: true });
    for (const [path, content] of exampleBundle(example)) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), content);
    }
    return folder;
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const folder of writeGoldenBundles()) process.stdout.write(`wrote ${folder}\n`);
  process.stdout.write('Review the change with git diff test/fixtures/golden before committing it.\n');
}
