import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { listPackage } from '@electron/asar';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleDesktop, desktopBundles } from '../../scripts/start-desktop';
import { temporaryFolder } from '../lab/temporary';

const ROOT = join(import.meta.dirname, '..', '..');
const WEB_BUILD = join(ROOT, 'dist', 'web', 'index.html');
const require = createRequire(import.meta.url);

interface BuilderConfig {
  files: string[];
  extraMetadata: { main: string };
  electronFuses: Record<string, boolean>;
  fileAssociations: { ext: string; mimeType: string }[];
  linux: { target: string[]; executableName: string };
  mac: { target: string };
  win: { target: string };
  nsis: { perMachine: boolean };
}

const config = async () => parse(await readFile(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  it('builds AppImage and deb, dmg and an nsis installer', async () => {
    const { linux, mac, win } = await config();
    expect(linux.target).toEqual(['AppImage', 'deb']);
    expect(mac.target).toBe('dmg');
    expect(win.target).toBe('nsis');
  });

  it('associates .topo.json files, per machine on Windows as NSIS requires', async () => {
    const { fileAssociations, nsis } = await config();
    expect(fileAssociations).toEqual([
      expect.objectContaining({ ext: 'topo.json', mimeType: expect.any(String) }),
    ]);
    expect(nsis.perMachine).toBe(true);
  });

  it('starts the bundled main process and ships both bundles', async () => {
    const { extraMetadata, files } = await config();
    const [main, preload] = desktopBundles(ROOT).map((bundle) => relative(ROOT, bundle.outfile!));
    expect(extraMetadata.main).toBe(main);
    expect(files).toContain('dist/desktop/*.cjs');
    expect(preload).toBe('dist/desktop/preload.cjs');
    expect(files).toContain('dist/web/**/*');
  });

  it('burns out the fuses the app never needs', async () => {
    const { electronFuses } = await config();
    expect(electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});

/** The fuse sentinel of Electron's binaries, followed by fuse wire version 1 and its length. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSES = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;

/**
 * An unpacked Electron distribution that electron-builder can pack without a download: a script
 * in place of the binary, carrying the fuse wire (every fuse on) that electron-builder burns.
 */
async function standInElectron(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const wire = `${FUSE_SENTINEL}\u0001${String.fromCharCode(FUSES.length)}${'1'.repeat(FUSES.length)}`;
  await writeFile(join(folder, 'electron'), `#!/bin/sh\n# ${wire}\necho "stand-in for Electron"\n`);
  await chmod(join(folder, 'electron'), 0o755);
  await writeFile(join(folder, 'version'), 'v45.4.1');
  await writeFile(join(folder, 'LICENSE'), 'stand-in');
  return folder;
}

describe('npm run package', () => {
  it('is electron-builder, pinned, after the desktop build', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(manifest.devDependencies['electron-builder']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.scripts.package).toBe('npm run build:desktop && electron-builder --publish never');
  });

  // Packing needs the web build; npm test makes it before the suites run.
  const webBuilt = existsSync(WEB_BUILD);
  if (!webBuilt && process.env.CI === 'true')
    throw new Error(`${WEB_BUILD} is missing: run npm run build:web`);

  it.skipIf(!webBuilt)(
    'packs the main bundle, the preload and the web build into app.asar, with the fuses burnt',
    async () => {
      const folder = await temporaryFolder('topoforge-package-');
      // A copy of the project with the bundles built into it, so the repository's dist/ is untouched.
      const project = join(folder, 'project');
      await mkdir(project);
      for (const file of ['package.json', 'electron-builder.yml'])
        await cp(join(ROOT, file), join(project, file));
      await symlink(join(ROOT, 'node_modules'), join(project, 'node_modules'));
      await bundleDesktop(ROOT, join(project, 'dist', 'desktop'));
      await cp(dirname(WEB_BUILD), join(project, 'dist', 'web'), { recursive: true });
      const electron = await standInElectron(join(folder, 'electron'));
      const output = join(folder, 'packages');
      const builder = join(dirname(require.resolve('electron-builder/package.json')), 'cli.js');
      await promisify(execFile)(
        process.execPath,
        [
          builder,
          '--linux',
          'dir',
          '--publish',
          'never',
          '--projectDir',
          project,
          `-c.electronDist=${electron}`,
          `-c.directories.output=${output}`,
        ],
        { cwd: project, timeout: 120_000, env: { ...process.env, CI: 'true' } },
      );

      const unpacked = join(output, 'linux-unpacked');
      const packed = listPackage(join(unpacked, 'resources', 'app.asar'), { isPack: false });
      expect(packed).toEqual(
        expect.arrayContaining([
          '/package.json',
          '/dist/desktop/main.cjs',
          '/dist/desktop/preload.cjs',
          '/dist/web/index.html',
        ]),
      );
      expect(packed.filter((path) => path.includes('node_modules') || path.endsWith('.map'))).toEqual([]);
      const packedManifest = JSON.parse(
        (await import('@electron/asar'))
          .extractFile(join(unpacked, 'resources', 'app.asar'), 'package.json')
          .toString(),
      ) as { main: string };
      expect(packedManifest.main).toBe('dist/desktop/main.cjs');

      const binary = await readFile(join(unpacked, 'topoforge-desktop'), 'latin1');
      const start = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length + 2;
      const burnt = Object.fromEntries(FUSES.map((fuse, i) => [fuse, binary[start + i] === '1']));
      const { electronFuses } = await config();
      expect(burnt).toEqual(electronFuses);
    },
    180_000,
  );
});
