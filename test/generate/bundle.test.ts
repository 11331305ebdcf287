import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { parseDesign } from '../../core/load';
import { nodeSha256 } from '../../deploy/hash';

const design = (() => {
  const loaded = parseDesign(
    readFileSync(join(import.meta.dirname, '../../examples/teramind-ha.topo.json'), 'utf8'),
  );
  if (!loaded.ok) throw new Error('teramind-ha does not load');
  return loaded.design;
})();

describe('the bundle', () => {
  it('has the same manifest whether hashed by the pure SHA-256 (app) or the native one (CLI)', () => {
    expect(generateBundle(design, { sha256: nodeSha256 }).manifest).toEqual(generateBundle(design).manifest);
  });

  it('lists every file in the manifest with the hash of its content, and every host that has files', () => {
    const bundle = generateBundle(design, { sha256: nodeSha256 });
    const listed = [...bundle.manifest.bundleFiles, ...bundle.manifest.files];
    expect(listed).toHaveLength(bundle.files.length);
    for (const [i, file] of bundle.files.entries()) {
      expect(listed[i]).toMatchObject({ path: file.path, sha256: nodeSha256(file.content) });
      // files are what the hosts receive (SPEC section 5); bundleFiles are the folder's own.
      if (file.host === undefined) expect(listed[i]).not.toHaveProperty('host');
      else expect(listed[i]).toMatchObject({ host: file.host });
    }
    const hosts = new Set(bundle.files.map((f) => f.host).filter((h) => h !== undefined));
    expect(bundle.manifest.hosts.map((h) => h.id).sort()).toEqual([...hosts].sort());
  });

  it('gives every host file an absolute path and every checked file a {} placeholder', () => {
    for (const file of generateBundle(design).files) {
      if (file.host !== undefined) expect(file.path, file.path).toMatch(/^\//);
      if (file.check !== undefined) expect(file.check, file.path).toContain('{}');
    }
  });
});
