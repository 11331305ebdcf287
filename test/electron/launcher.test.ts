import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findElectronBinary, MISSING_ELECTRON_MESSAGE } from '../../scripts/start-desktop';
import { temporaryFolder } from './fakes';

const LAUNCHER = join(import.meta.dirname, '..', '..', 'scripts', 'start-desktop.ts');
const TSX = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');

/**
 * Runs a copy of the launcher in a project whose node_modules/electron is what `electron` holds,
 * so that it never finds (and starts) a real Electron, on this machine or any other.
 */
async function runLauncher(electron: Record<string, string>) {
  const project = await temporaryFolder('topoforge-launcher-');
  await mkdir(join(project, 'scripts'));
  await copyFile(LAUNCHER, join(project, 'scripts', 'start-desktop.ts'));
  const electronPackage = join(project, 'node_modules', 'electron');
  await mkdir(electronPackage, { recursive: true });
  // Loading this would download the binary; the launcher must not load it.
  await writeFile(
    join(electronPackage, 'index.js'),
    'console.log("electron package loaded"); process.exit(99);\n',
  );
  await writeFile(
    join(electronPackage, 'package.json'),
    '{"name":"electron","version":"45.4.1","main":"index.js"}',
  );
  for (const [name, content] of Object.entries(electron)) {
    await mkdir(dirname(join(electronPackage, name)), { recursive: true });
    await writeFile(join(electronPackage, name), content);
  }
  const env = { ...process.env };
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  return spawnSync(process.execPath, [TSX, join(project, 'scripts', 'start-desktop.ts')], {
    cwd: project,
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('npm start without the Electron binary', () => {
  it.each([
    ['the package never downloaded its binary', {}],
    ['path.txt names a binary that is not there', { 'path.txt': 'electron' }],
    ['the dist folder lacks the binary', { 'path.txt': 'electron', 'dist/version': 'v45.4.1' }],
  ])('prints one line and exits with 1 when %s', async (_case, files) => {
    const run = await runLauncher(files);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${MISSING_ELECTRON_MESSAGE}\n`);
  });
});

describe('finding the Electron binary', () => {
  const lookup = (files: Record<string, string>, env: NodeJS.ProcessEnv = {}) => ({
    env,
    exists: (path: string) => path in files,
    readText: (path: string) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    },
  });

  it('follows path.txt into the dist folder, as the electron package does', () => {
    const files = { '/p/path.txt': 'electron\n', '/p/dist/electron': 'binary' };
    expect(findElectronBinary('/p', lookup(files))).toBe('/p/dist/electron');
    expect(findElectronBinary('/p', lookup({ '/p/path.txt': 'electron' }))).toBeUndefined();
    expect(findElectronBinary('/p', lookup({}))).toBeUndefined();
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH', () => {
    const files = {
      '/p/path.txt': 'Electron.app/Contents/MacOS/Electron',
      '/custom/Electron.app/Contents/MacOS/Electron': '',
    };
    expect(findElectronBinary('/p', lookup(files, { ELECTRON_OVERRIDE_DIST_PATH: '/custom' }))).toBe(
      '/custom/Electron.app/Contents/MacOS/Electron',
    );
    expect(
      findElectronBinary(
        '/p',
        lookup({ '/custom/electron': '' }, { ELECTRON_OVERRIDE_DIST_PATH: '/custom' }),
      ),
    ).toBe('/custom/electron');
  });
});
