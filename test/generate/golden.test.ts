/**
 * Golden bundles: the whole bundle of every example design, byte for byte, under
 * test/fixtures/golden/<example>/. A change to a generator shows up here as a reviewable diff.
 * This test only compares; after an intended change, `npm run golden:update` (scripts/update-golden.ts)
 * writes the bundles again.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  exampleBundle,
  GOLDEN_ROOT,
  goldenExamples,
  goldenName,
  writeGoldenBundles,
} from '../../scripts/update-golden';
import { temporaryFolder } from '../lab/temporary';

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
  for (const example of goldenExamples()) {
    const name = goldenName(example);
    it(`${name} generates exactly its golden bundle`, () => {
      const generated = exampleBundle(example);
      const golden = goldenFiles(join(GOLDEN_ROOT, name));
      expect([...generated.keys()].sort()).toEqual([...golden.keys()].sort());
      for (const [path, content] of generated) expect(content, path).toBe(golden.get(path));
    });
  }

  it('are what npm run golden:update writes', async () => {
    const manifest = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as {
      scripts: Record<string, string>;
    };
    expect(manifest.scripts['golden:update']).toMatch(/tsx scripts\/update-golden\.ts$/);
    const folder = await temporaryFolder('topoforge-golden-');
    expect(writeGoldenBundles(folder)).toHaveLength(goldenExamples().length);
    for (const example of goldenExamples()) {
      expect(goldenFiles(join(folder, goldenName(example)))).toEqual(exampleBundle(example));
    }
  });
});
