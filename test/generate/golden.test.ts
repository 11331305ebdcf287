/**
 * Golden bundles: the whole bundle of every example design, byte for byte, under
 * test/fixtures/golden/<example>/. A change to a generator shows up here as a reviewable diff.
 * After an intended change: `UPDATE_GOLDEN=1 npx vitest run test/generate/golden.test.ts`.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundlePathOf } from '../../core/generate/bundle';
import { generateBundle } from '../../core/generate/index';
import { parseDesign } from '../../core/load';

const root = join(import.meta.dirname, '../..');
const goldenRoot = join(root, 'test/fixtures/golden');
const update = process.env.UPDATE_GOLDEN === '1';
const examples = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.topo.json') && !f.includes('-broken'))
  .sort();

function bundleFiles(example: string): Map<string, string> {
  const loaded = parseDesign(readFileSync(join(root, 'examples', example), 'utf8'));
  if (!loaded.ok) throw new Error(`${example} does not load`);
  const bundle = generateBundle(loaded.design);
  const files = new Map(bundle.files.map((f) => [bundlePathOf(f), f.content]));
  files.set('manifest.json', `${JSON.stringify(bundle.manifest, null, 2)}\n`);
  return files;
}

function goldenFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path.slice(dir.length + 1), readFileSync(path, 'utf8'));
  }
  return files;
}

describe('golden bundles', () => {
  for (const example of examples) {
    const name = example.replace(/\.topo\.json$/, '');
    it(`${name} generates exactly its golden bundle`, () => {
      const generated = bundleFiles(example);
      const dir = join(goldenRoot, name);
      if (update) {
        rmSync(dir, { recursive: true, force: true });
        for (const [path, content] of generated) {
          mkdirSync(dirname(join(dir, path)), { recursive: true });
          writeFileSync(join(dir, path), content);
        }
      }
      const golden = goldenFiles(dir);
      expect([...generated.keys()].sort()).toEqual([...golden.keys()].sort());
      for (const [path, content] of generated) expect(content, path).toBe(golden.get(path));
    });
  }
});
