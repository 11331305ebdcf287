import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../core/generate/bundle';
import type { BundleFile } from '../../core/generate/bundle';
import type { Bundle } from '../../core/generate/index';
import { BundleWriteError, nodeFileSystem, writeBundle } from '../../deploy/write-bundle';
import { temporaryFolderSync } from '../lab/temporary';
import type { BundleFileSystem } from '../../deploy/write-bundle';
import { makeDesign } from '../core/builders';
import { runCommand, shellQuote } from '../lab/namespace';
import { requireTool } from '../lab/tools';

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

/** The same files with new content, and one more. */
const second = bundleOf([
  { path: 'README.md', content: '# bundle, second edition\n' },
  { host: 'web-1', path: '/etc/systemd/system/web.service', content: '[Unit]\nDescription=web 2\n' },
  { host: 'web-1', path: '/etc/old.conf', content: 'old, changed\n' },
  { host: 'web-1', path: '/etc/new/new.conf', content: 'new\n' },
]);

const scratch = temporaryFolderSync('topoforge-bundle-');
let folders = 0;
/** A fresh place for a test's folders: `<place>/out` is the bundle folder, not yet created. */
function place(): string {
  folders += 1;
  const directory = join(scratch, `test-${folders}`);
  mkdirSync(directory);
  return directory;
}
const outDir = () => join(place(), 'out');

/**
 * Everything under `root`, hidden files and links included: each path with what it is and holds
 * (a link by its target, never followed), so two snapshots are equal only if nothing changed.
 */
function snapshot(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (directory: string): void => {
    for (const name of readdirSync(directory).sort()) {
      const path = join(directory, name);
      const stats = lstatSync(path);
      const key = path.slice(root.length + 1);
      if (stats.isSymbolicLink()) result[key] = `link to ${readlinkSync(path)}`;
      else if (stats.isDirectory()) {
        result[`${key}/`] = 'directory';
        walk(path);
      } else result[key] = `${(stats.mode & 0o7777).toString(8)} ${readFileSync(path, 'utf8')}`;
    }
  };
  if (existsSync(root)) walk(root);
  return result;
}

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
    // docs/bundle.md: every entry of files is hosts/<host>/<path>; the folder's own files apart.
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
    await writeBundle(second, dir);
    const all = readdirSync(dir, { recursive: true }).map(String);
    expect(all.filter((f) => f.includes('.topoforge-'))).toEqual([]);
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

  it('never writes outside the bundle folder, whatever a host id or path says', async () => {
    const dir = outDir();
    const hostile = bundleOf([
      { path: 'README.md', content: '# bundle\n' },
      { host: '../..', path: '/escape.txt', content: 'x' },
    ]);
    await expect(writeBundle(hostile, dir)).rejects.toThrow(
      'refusing to write "hosts/../../escape.txt" into',
    );
    expect(existsSync(join(dir, '..', 'escape.txt'))).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('follows a link given as the folder itself: the person named it', async () => {
    const base = place();
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'current'));
    await writeBundle(first, join(base, 'current'));
    expect(readFileSync(join(base, 'real', 'README.md'), 'utf8')).toBe('# bundle\n');
    expect(lstatSync(join(base, 'current')).isSymbolicLink()).toBe(true);
  });
});

describe('links inside the bundle folder (issue 9, item 4)', () => {
  it('are never followed: a directory link planted in the folder is refused by name, and nothing outside or inside changes', async () => {
    const base = place();
    const dir = join(base, 'out');
    await writeBundle(first, dir);
    // Someone replaces the host's etc/ with a link to a directory outside the bundle.
    const outside = join(base, 'outside');
    mkdirSync(join(outside, 'systemd', 'system'), { recursive: true });
    writeFileSync(join(outside, 'systemd', 'system', 'web.service'), 'precious\n');
    writeFileSync(join(outside, 'old.conf'), 'old\n');
    rmSync(join(dir, 'hosts/web-1/etc'), { recursive: true });
    symlinkSync(outside, join(dir, 'hosts/web-1/etc'));
    const before = { inside: snapshot(dir), outside: snapshot(outside) };

    const error = await writeBundle(second, dir).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BundleWriteError);
    expect((error as Error).message).toBe(
      `refusing to write into ${dir}: hosts/web-1/etc is a symbolic link (to ${outside}); generate never follows links inside the bundle folder. Remove the link and generate again. Nothing changed`,
    );
    expect(snapshot(outside)).toEqual(before.outside);
    expect(snapshot(dir)).toEqual(before.inside);
  });

  it('are refused where a file would be written, even when the link points at the same content', async () => {
    const base = place();
    const dir = join(base, 'out');
    await writeBundle(first, dir);
    writeFileSync(join(base, 'elsewhere.md'), '# bundle\n');
    rmSync(join(dir, 'README.md'));
    symlinkSync(join(base, 'elsewhere.md'), join(dir, 'README.md'));
    await expect(writeBundle(first, dir)).rejects.toThrow(
      `README.md is a symbolic link (to ${join(base, 'elsewhere.md')})`,
    );
    expect(readFileSync(join(base, 'elsewhere.md'), 'utf8')).toBe('# bundle\n');
  });

  it('a planted manifest cannot make generate delete a file outside the folder through a link', async () => {
    const base = place();
    const dir = join(base, 'out');
    await writeBundle(first, dir);
    const victim = join(base, 'home', 'etc', 'victim.conf');
    mkdirSync(join(base, 'home', 'etc'), { recursive: true });
    writeFileSync(victim, 'keep me\n');
    // The planted manifest says generate wrote hosts/intruder/etc/victim.conf, with its hash,
    // and hosts/intruder is a link to the directory that holds the victim.
    symlinkSync(join(base, 'home'), join(dir, 'hosts', 'intruder'));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.files.push({
      host: 'intruder',
      path: '/etc/victim.conf',
      sha256: createHash('sha256').update('keep me\n').digest('hex'),
      mode: '0644',
      policy: 'replace',
    });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const before = snapshot(dir);

    const error = await writeBundle(first, dir).catch((e: unknown) => e);

    expect((error as Error).message).toContain('hosts/intruder is a symbolic link');
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(snapshot(dir)).toEqual(before);
  });

  it('a planted manifest listing a path no bundle holds is not taken for generate’s own', async () => {
    const base = place();
    const dir = join(base, 'out');
    await writeBundle(first, dir);
    writeFileSync(join(base, 'victim.conf'), 'keep me\n');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.bundleFiles.push({
      path: '../victim.conf',
      sha256: createHash('sha256').update('keep me\n').digest('hex'),
      mode: '0644',
    });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(writeBundle(first, dir)).rejects.toThrow(
      `${join(dir, 'manifest.json')} lists "../victim.conf", which no bundle holds: it was not written by topoforge generate`,
    );
    expect(readFileSync(join(base, 'victim.conf'), 'utf8')).toBe('keep me\n');
  });

  it('removes only regular files: a directory where the manifest lists a file is refused, not emptied', async () => {
    const dir = outDir();
    await writeBundle(first, dir);
    rmSync(join(dir, 'hosts/web-1/etc/old.conf'));
    mkdirSync(join(dir, 'hosts/web-1/etc/old.conf'));
    writeFileSync(join(dir, 'hosts/web-1/etc/old.conf/data'), 'mine\n');
    const withoutOld = bundleOf(first.files.filter((f) => f.path !== '/etc/old.conf'));
    await expect(writeBundle(withoutOld, dir)).rejects.toThrow(
      'hosts/web-1/etc/old.conf is a directory, where the bundle has a file',
    );
    expect(readFileSync(join(dir, 'hosts/web-1/etc/old.conf/data'), 'utf8')).toBe('mine\n');
  });
});

/** The machine's file system, failing with `code` at the `failAt`-th call of `operation`. */
function failing(operation: keyof BundleFileSystem, failAt: number, code = 'ENOSPC'): BundleFileSystem {
  let calls = 0;
  const wrapped = async (...args: unknown[]): Promise<unknown> => {
    calls += 1;
    if (calls === failAt) {
      if (operation === 'writeNewFile') {
        // A full disk takes part of the content before it refuses the rest.
        writeFileSync(args[0] as string, String(args[1]).slice(0, 5));
      }
      throw Object.assign(new Error(`${code}: injected`), { code });
    }
    return (nodeFileSystem[operation] as (...a: unknown[]) => Promise<unknown>)(...args);
  };
  return { ...nodeFileSystem, [operation]: wrapped };
}

describe('replacing a bundle as a whole (issue 9, item 5)', () => {
  it.each([
    ['the disk fills while staging the third file', failing('writeNewFile', 3)],
    ['keeping the previous version fails', failing('link', 2)],
    ['a directory cannot be created', failing('mkdir', 1, 'EACCES')],
    ['the third rename into place fails', failing('rename', 3, 'EIO')],
    ['the last rename (the manifest) fails', failing('rename', 4, 'EIO')],
  ])('leaves the previous bundle exactly as it was when %s, and says so', async (_when, fileSystem) => {
    const dir = outDir();
    await writeBundle(first, dir);
    const before = snapshot(dir);

    const error = await writeBundle(second, dir, fileSystem).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BundleWriteError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cannot write \\S+ in ${dir}: .+\\. Nothing changed: the folder holds the previous bundle, as it was$`,
      ),
    );
    expect(snapshot(dir)).toEqual(before);
    // The same bundle then goes in whole once the disk has room.
    await writeBundle(second, dir);
    expect(readFileSync(join(dir, 'hosts/web-1/etc/new/new.conf'), 'utf8')).toBe('new\n');
    expect(Object.keys(snapshot(dir)).filter((path) => path.includes('.topoforge-'))).toEqual([]);
  });

  it('names a full disk as such', async () => {
    const dir = outDir();
    await writeBundle(first, dir);
    const error = await writeBundle(second, dir, failing('writeNewFile', 2)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/: the disk is full\. Nothing changed/);
  });

  it('removes what it created for a first bundle that fails, leaving no folder behind', async () => {
    const dir = join(place(), 'deeper', 'out');
    const error = await writeBundle(first, dir, failing('rename', 2, 'EIO')).catch((e: unknown) => e);
    expect((error as Error).message).toContain('Nothing changed');
    expect(existsSync(join(dir, '..'))).toBe(false);
  });

  /**
   * A real full disk: a 1 MiB tmpfs in a private mount namespace (`unshare -m`), filled until
   * only a few pages are free, and `topoforge generate` run inside it as a person would.
   */
  describe.skipIf(!requireTool('unshare'))('on a real tmpfs that fills up', () => {
    const designOf = (services: number, label: string) => ({
      format: 1,
      name: 'Full disk',
      hosts: [1, 2, 3].map((n) => ({ id: `app-${n}`, address: `10.0.0.${n}` })),
      services: Array.from({ length: services }, (_, i) => ({
        id: `svc-${i}`,
        kind: 'app',
        label: `${label} ${i}`,
        host: `app-${(i % 3) + 1}`,
        port: 8000 + i,
        command: `/usr/bin/app --id ${i}`,
      })),
    });

    it('leaves the previous bundle exactly as it was and says that nothing changed', async () => {
      const base = place();
      const disk = join(base, 'disk');
      mkdirSync(disk);
      writeFileSync(join(base, 'first.topo.json'), JSON.stringify(designOf(12, 'first')));
      writeFileSync(join(base, 'second.topo.json'), JSON.stringify(designOf(60, 'second')));
      const cli = `const { main } = await import(${JSON.stringify(join(import.meta.dirname, '../../cli/main.ts'))}); process.exitCode = await main(process.argv.slice(1));`;
      const topoforge = `${shellQuote(process.execPath)} --import tsx --input-type=module -e ${shellQuote(cli)}`;
      const q = (path: string) => shellQuote(join(base, path));
      const script = [
        'set -e',
        `mount -t tmpfs -o size=1m tmpfs ${q('disk')}`,
        `${topoforge} generate ${q('first.topo.json')} --out ${q('disk/bundle')} --force > /dev/null`,
        `cp -a ${q('disk/bundle')} ${q('before')}`,
        // Leave 8 pages free: the second bundle needs dozens.
        `free=$(( $(stat -f -c %a ${q('disk')}) * $(stat -f -c %S ${q('disk')}) ))`,
        `head -c $(( free - 8 * 4096 )) /dev/zero > ${q('disk/filler')}`,
        'set +e',
        `${topoforge} generate ${q('second.topo.json')} --out ${q('disk/bundle')} --force > ${q('stdout')} 2> ${q('stderr')}`,
        `echo $? > ${q('status')}`,
        `cp -a ${q('disk/bundle')} ${q('after')}`,
      ].join('\n');
      const result = await runCommand(
        'unshare',
        ['-m', '--propagation', 'private', '/bin/sh', '-c', script],
        60_000,
      );
      expect(result.exitCode, result.stderr).toBe(0);

      const stderr = readFileSync(join(base, 'stderr'), 'utf8');
      expect(readFileSync(join(base, 'status'), 'utf8').trim()).toBe('2');
      expect(stderr).toMatch(
        /^topoforge: cannot write \S+ in \S+: the disk is full\. Nothing changed: the folder holds the previous bundle, as it was\n$/,
      );
      expect(snapshot(join(base, 'after'))).toEqual(snapshot(join(base, 'before')));
    });
  });
});
