import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { temporaryFolderSync } from '../lab/temporary';

const root = join(import.meta.dirname, '../..');
const example = (name: string) => join(root, 'examples', name);
const freshDir = () => join(temporaryFolderSync('topoforge-generate-'), 'bundle');

const run = runCli;

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const path = join(entry.parentPath, entry.name);
        return [path.slice(dir.length + 1), readFileSync(path, 'utf8')];
      }),
  );
}

describe('topoforge generate', () => {
  it('writes the bundle and says what it wrote per host', async () => {
    const out = freshDir();
    const { code, stdout } = await run(['generate', example('tealeaf-resilient.topo.json'), '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Tealeaf resilient installation: \d+ files in /);
    expect(stdout).toMatch(/\(bundle\)\s+README\.md.*manifest\.json/);
    expect(stdout).toContain('written');
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(
      '`rep-b` on host `rep-2` is a cold standby for `rep-a`',
    );
  });

  it('refuses while error findings remain, writing nothing, and names them', async () => {
    const out = freshDir();
    const { code, stderr } = await run([
      'generate',
      example('tealeaf-resilient-broken.topo.json'),
      '--out',
      out,
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('reporting.single-active');
    expect(stderr).toContain(
      'refusing to generate: 3 error findings remain; fix them or pass --force. Nothing was written.',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('generates anyway with --force, and says so', async () => {
    const out = freshDir();
    const { code, stdout } = await run([
      'generate',
      example('tealeaf-resilient-broken.topo.json'),
      '--out',
      out,
      '--force',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('generated with --force despite 3 error findings');
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });

  it('gives byte-identical bundles for the same design', async () => {
    for (const name of ['teramind-ha.topo.json', 'expertflow-two-sites.topo.json']) {
      const a = freshDir();
      const b = freshDir();
      await run(['generate', example(name), '--out', a]);
      await run(['generate', example(name), '--out', b]);
      expect(snapshot(a), name).toEqual(snapshot(b));
    }
  });

  it('exits 2 without --out, for a bad design, and for a folder that is not a bundle', async () => {
    expect((await run(['generate', example('tealeaf-resilient.topo.json')])).stderr).toContain(
      'generate needs --out DIR',
    );
    const bad = await run(['generate', join(root, 'package.json'), '--out', freshDir(), '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toContain("missing required key 'format'");
    const foreign = await run([
      'generate',
      example('tealeaf-resilient.topo.json'),
      '--out',
      join(root, 'examples'),
    ]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('is not empty and holds no Topoforge bundle');
  });
});
