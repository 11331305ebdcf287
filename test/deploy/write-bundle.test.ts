import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../core/generate/bundle';
import type { BundleFile } from '../../core/generate/bundle';
import type { Bundle } from '../../core/generate/index';
import { BundleWriteError, nodeFileSystem, writeBundle } from '../../deploy/write-bundle';
import type { BundleFileSystem } from '../../deploy/write-bundle';
import { makeDesign } from '../core/builders';
import { temporaryFolderSync } from '../lab/temporary';

const design = makeDesign({ services: [{ id: 'web', kind: 'app', host: 'web-1' }] });

function bundleOf(files: Partial<BundleFile>[]): Bundle {
  const full = files.map((f) => ({ mode: '0644', policy: 'replace' as const, content: '', path: '', ...f }));
  return { files: full, manifest: buildManifest(design, full) };
}

const first = bundleOf([
  { path: 'README.md', content: '# bundle\n' },
  { host: 'web-1', path: '/etc/systemd/system/web.service', content: '[Unit]\nDescription=web\n' },
  { host: 'web-1', path: '/etc/old.conf', content: 'old\n' },
]);

const outDir = () => join(temporaryFolderSync('topoforge-bundle-'), 'out');

describe('writing a bundle', () => {
  it('lays out hosts/<host>/<path>, README and a manifest whose hashes match the files', async () => {
    const dir = outDir();
    const report = await writeBundle(first, dir);
    expect(report.written).toEqual([
      'README.md',
      'hosts/web-1/etc/systemd/system/web.service',
      'hosts/web-1/etc/old.conf',
      'manifest.json',
    ]);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    // SPEC section 5: every entry of files is hosts/<host>/<path>; the folder's own files apart.
    for (const file of manifest.files) {
      const local = join(dir, 'hosts', file.host, file.path);
      expect(createHash('sha256').update(readFileSync(local)).digest('hex'), file.path).toBe(file.sha256);
    }
    expect(manifest.bundleFiles.map((f: { path: string }) => f.path)).toEqual(['README.md']);
    for (const file of manifest.bundleFiles) {
      expect(
        createHash('sha256')
          .update(readFileSync(join(dir, file.path)))
          .digest('hex'),
      ).toBe(file.sha256);
    }
    expect(manifest.hosts).toEqual([
      { id: 'web-1', address: '10.0.0.2', ssh: { user: 'root', port: 22, root: '/', sudo: false } },
    ]);
  });

  it('rewrites nothing that is unchanged, and leaves no temporary files behind', async () => {
    const dir = outDir();
    await writeBundle(first, dir);
    const again = await writeBundle(first, dir);
    expect(again.written).toEqual([]);
    expect(again.unchanged).toHaveLength(4);
    const all = readdirSync(dir, { recursive: true }).map(String);
    expect(all.filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('removes files of its own earlier bundle that are no longer generated, but keeps edited ones', async () => {
    const dir = outDir();
    await writeBundle(
      bundleOf([...first.files, { host: 'web-1', path: '/etc/edited.conf', content: 'generated\n' }]),
      dir,
    );
    writeFileSync(join(dir, 'hosts/web-1/etc/edited.conf'), 'a person changed this\n');
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const report = await writeBundle(bundleOf(first.files.filter((f) => f.path !== '/etc/old.conf')), dir);
    expect(report.removed).toEqual(['hosts/web-1/etc/old.conf']);
    expect(report.kept).toEqual(['hosts/web-1/etc/edited.conf']);
    expect(readFileSync(join(dir, 'hosts/web-1/etc/edited.conf'), 'utf8')).toBe('a person changed this\n');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('refuses a folder that holds files but no bundle, and writes nothing there', async () => {
    const dir = outDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.md'), 'somebody else’s\n');
    await expect(writeBundle(first, dir)).rejects.toThrow(/not empty and holds no Topoforge bundle/);
    expect(readdirSync(dir)).toEqual(['README.md']);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('somebody else’s\n');
  });

  it('keeps the previous file whole when the disk fills while writing its replacement', async () => {
    const dir = outDir();
    await writeBundle(first, dir);
    const full: BundleFileSystem = {
      ...nodeFileSystem,
      async writeFileSynced(path, content) {
        if (path.includes('web.service')) {
          writeFileSync(path, content.slice(0, 5));
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        return nodeFileSystem.writeFileSynced(path, content);
      },
    };
    const changed = bundleOf(
      first.files.map((f) =>
        f.path.endsWith('web.service') ? { ...f, content: '[Unit]\nDescription=new\n' } : f,
      ),
    );
    const error = await writeBundle(changed, dir, full).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleWriteError);
    expect((error as Error).message).toMatch(
      /web\.service: the disk is full; the file there, if any, is unchanged/,
    );
    expect(readFileSync(join(dir, 'hosts/web-1/etc/systemd/system/web.service'), 'utf8')).toBe(
      '[Unit]\nDescription=web\n',
    );
    const leftovers = readdirSync(join(dir, 'hosts/web-1/etc/systemd/system'));
    expect(leftovers).toEqual(['web.service']);
  });

  it('never writes outside the bundle folder, whatever a host id or path says', async () => {
    const dir = outDir();
    const hostile = bundleOf([
      { path: 'README.md', content: '# bundle\n' },
      { host: '../..', path: '/escape.txt', content: 'x' },
    ]);
    await expect(writeBundle(hostile, dir)).rejects.toThrow(/outside/);
    expect(existsSync(join(dir, '..', 'escape.txt'))).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
