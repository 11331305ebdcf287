import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ensureElectronBinary,
  findElectronBinary,
  missingElectronMessage,
  ROOT_MESSAGE,
  rootExitMessage,
} from '../../scripts/start-desktop';
import type { ElectronLookup, InstallOutcome } from '../../scripts/start-desktop';
import { freePort } from '../lab/processes';
import { temporaryFolder } from '../lab/temporary';

const SCRIPTS = join(import.meta.dirname, '..', '..', 'scripts');
const TSX = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');

/** An electron package's install.js that fails as the real one does offline: its stack on stderr. */
const FAILING_INSTALLER = `
const error = new TypeError('fetch failed');
console.error(error.stack);
process.exit(1);
`;

/**
 * An install.js that fails inside fetch, as the real one does when the network says no: Node's
 * fetch reports "fetch failed" and keeps the reason (here a refused connection) in its cause.
 */
const refusedInstaller = (port: number) => `
fetch('http://127.0.0.1:${port}/electron.zip').catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
`;

/**
 * An install.js that does what the real one does when the download works: it prints its progress,
 * then puts the binary (here a script that says how it was started) where path.txt points.
 */
const WORKING_INSTALLER = `
const fs = require('node:fs');
const path = require('node:path');
process.stderr.write('Downloading electron-v45.4.1-linux-x64.zip: [====] 100%\\n');
fs.mkdirSync(path.join(__dirname, 'dist'), { recursive: true });
fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), '#!/bin/sh\\necho "electron started in $(basename "$PWD") with $*"\\n', { mode: 0o755 });
fs.writeFileSync(path.join(__dirname, 'dist', 'version'), 'v45.4.1');
fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');
`;

/**
 * Runs a copy of the launcher in a project whose node_modules/electron holds `electron`, so that it
 * never finds, downloads or starts a real Electron, on this machine or any other. The project's
 * build:desktop only says that it ran.
 */
async function runLauncher(electron: Record<string, string>, argv: string[] = []) {
  const project = await temporaryFolder('topoforge-launcher-');
  await mkdir(join(project, 'scripts'));
  for (const file of ['start-desktop.ts', 'electron-install-hook.cjs'])
    await copyFile(join(SCRIPTS, file), join(project, 'scripts', file));
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'project', scripts: { 'build:desktop': 'node -e "console.log(\'built\')"' } }),
  );
  const electronPackage = join(project, 'node_modules', 'electron');
  await mkdir(electronPackage, { recursive: true });
  // Loading this would download the binary behind the person's back; the launcher must not load it.
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
    if (name.startsWith('dist/')) await chmod(join(electronPackage, name), 0o755);
  }
  const env = { ...process.env };
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  delete env.npm_execpath;
  return spawnSync(process.execPath, [TSX, join(project, 'scripts', 'start-desktop.ts'), ...argv], {
    cwd: project,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const isOlderNode = major < 22 || (major === 22 && minor < 12);
const NODE_NOTE = `Electron's installer needs Node.js 22.12.0 or later, and this is Node.js ${process.versions.node}`;

const DOWNLOADING = 'Electron 45.4.1 is not downloaded yet: downloading it now (once, about 100 MB)…';

describe('npm start without the Electron binary', () => {
  it('runs the package installer, shows its progress, then builds and opens the app', async () => {
    const run = await runLauncher({ 'install.js': WORKING_INSTALLER }, ['examples/tessera-ha.topo.json']);
    expect(run.stderr).toContain(DOWNLOADING);
    expect(run.stderr).toContain('Downloading electron-v45.4.1-linux-x64.zip: [====] 100%');
    expect(run.stdout).toContain('built');
    expect(run.stdout).toContain('with . examples/tessera-ha.topo.json');
    expect(run.status).toBe(0);
  });

  it('names the installer error and both ways out in one line when the download fails', async () => {
    const run = await runLauncher({ 'install.js': FAILING_INSTALLER });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(DOWNLOADING);
    // On Node older than the installer supports, the cause also says which Node it needs.
    const cause = isOlderNode ? `TypeError: fetch failed; ${NODE_NOTE}` : 'TypeError: fetch failed';
    expect(lines[1]).toBe(missingElectronMessage(cause, '45.4.1'));
    expect(lines[1]).toContain('npm run web');
    expect(lines[1]).toContain('ELECTRON_OVERRIDE_DIST_PATH');
  });

  it("adds the network's own reason that fetch keeps out of its message", async () => {
    const run = await runLauncher({ 'install.js': refusedInstaller(await freePort()) });
    expect(run.status).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^Electron 45\.4\.1 could not be downloaded \(TypeError: fetch failed: .*ECONNREFUSED/,
    );
  });

  it('says so when the package has no installer at all', async () => {
    const run = await runLauncher({});
    expect(run.status).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      DOWNLOADING,
      expect.stringContaining('install.js is missing: run `npm install` again'),
    ]);
    expect(lines[1]).toContain('npm run web');
  });

  it.skipIf(process.getuid?.() !== 0)(
    'explains, when Electron stopped because it ran as root, how to start the app instead',
    async () => {
      // What Chromium does as root without --no-sandbox: one FATAL line, then SIGTRAP.
      const run = await runLauncher({
        'path.txt': 'electron',
        'dist/electron':
          '#!/bin/sh\necho "[1:FATAL:electron_main_delegate.cc(298)] Running as root without --no-sandbox is not supported." >&2\nkill -TRAP $$\n',
      });
      expect(run.stderr).toContain('Running as root without --no-sandbox is not supported.');
      expect(run.stderr).toContain(ROOT_MESSAGE);
      expect(run.status).toBe(1);
    },
  );

  it('says nothing about root when Electron stopped for another reason, or for a normal user', () => {
    expect(rootExitMessage('SIGTRAP', 0)).toBe(ROOT_MESSAGE);
    expect(rootExitMessage('SIGSEGV', 0)).toBeUndefined();
    expect(rootExitMessage(null, 0)).toBeUndefined();
    expect(rootExitMessage('SIGTRAP', 1000)).toBeUndefined();
  });

  it('does not run the installer when the binary is there', async () => {
    const run = await runLauncher({
      'install.js': FAILING_INSTALLER,
      'path.txt': 'electron',
      'dist/electron': '#!/bin/sh\necho "electron started with $*"\n',
    });
    expect(run.stderr).not.toContain(DOWNLOADING);
    expect(run.stdout).toContain('electron started with .');
    expect(run.status).toBe(0);
  });
});

describe('ensuring the Electron binary', () => {
  const lookup = (files: Record<string, string>, env: NodeJS.ProcessEnv = {}): ElectronLookup => ({
    env,
    exists: (path: string) => path in files,
    readText: (path: string) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    },
  });
  const packageJson = { '/p/package.json': '{"version":"45.4.1"}' };

  it('returns the binary that is there without installing', async () => {
    const files = { ...packageJson, '/p/path.txt': 'electron', '/p/dist/electron': '' };
    let installs = 0;
    const said: string[] = [];
    const result = await ensureElectronBinary('/p', {
      lookup: lookup(files),
      install: async () => (installs++, { ok: true }),
      say: (line) => said.push(line),
    });
    expect(result).toEqual({ ok: true, binary: '/p/dist/electron' });
    expect(installs).toBe(0);
    expect(said).toEqual([]);
  });

  it('installs a missing binary and returns it', async () => {
    const files: Record<string, string> = { ...packageJson };
    const said: string[] = [];
    const result = await ensureElectronBinary('/p', {
      lookup: lookup(files),
      install: async (directory): Promise<InstallOutcome> => {
        files[`${directory}/path.txt`] = 'electron';
        files[`${directory}/dist/electron`] = '';
        return { ok: true };
      },
      say: (line) => said.push(line),
    });
    expect(result).toEqual({ ok: true, binary: '/p/dist/electron' });
    expect(said).toEqual([DOWNLOADING]);
  });

  it("fails with the installer's cause", async () => {
    const result = await ensureElectronBinary('/p', {
      lookup: lookup(packageJson),
      install: async () => ({ ok: false, cause: 'HTTPError: Response code 403 (Forbidden)' }),
      say: () => {},
      nodeVersion: '22.12.0',
    });
    expect(result).toEqual({
      ok: false,
      message:
        'Electron 45.4.1 could not be downloaded (HTTPError: Response code 403 (Forbidden)); run `npm run web` ' +
        'to use Topoforge in a browser, or set ELECTRON_OVERRIDE_DIST_PATH to a folder that holds the Electron 45.4.1 binary',
    });
  });

  it("names the Node.js that Electron's installer needs when an older one ran it", async () => {
    const failing = async (): Promise<InstallOutcome> => ({ ok: false, cause: 'TypeError: fetch failed' });
    const old = await ensureElectronBinary('/p', {
      lookup: lookup(packageJson),
      install: failing,
      say: () => {},
      nodeVersion: '20.19.1',
    });
    expect(!old.ok && old.message).toContain(
      "(TypeError: fetch failed; Electron's installer needs Node.js 22.12.0 or later, and this is Node.js 20.19.1)",
    );
    const current = await ensureElectronBinary('/p', {
      lookup: lookup(packageJson),
      install: failing,
      say: () => {},
      nodeVersion: '24.1.0',
    });
    expect(!current.ok && current.message).toContain('(TypeError: fetch failed);');
  });

  it('fails when the installer says it worked but left no binary', async () => {
    const result = await ensureElectronBinary('/p', {
      lookup: lookup(packageJson),
      install: async () => ({ ok: true }),
      say: () => {},
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain('no binary is in /p/dist');
  });

  it('does not download when ELECTRON_OVERRIDE_DIST_PATH names a folder without the binary', async () => {
    let installs = 0;
    const result = await ensureElectronBinary('/p', {
      lookup: lookup(packageJson, { ELECTRON_OVERRIDE_DIST_PATH: '/opt/electron' }),
      install: async () => (installs++, { ok: true }),
      say: () => {},
    });
    expect(installs).toBe(0);
    expect(!result.ok && result.message).toContain('ELECTRON_OVERRIDE_DIST_PATH is /opt/electron');
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
