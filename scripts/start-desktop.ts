/**
 * `npm start`: builds the desktop app and opens it with the Electron binary from node_modules.
 * `npm run build:desktop` runs it with `--build-only` to bundle the main process and the preload.
 *
 * The binary is looked for first, the way the electron package's own index.js does (path.txt
 * names it inside the package's dist folder), but without loading that package. Electron 45 has
 * no install script: `npm install` leaves the binary out, and it comes from the package's own
 * installer (its `install.js`, also the `install-electron` command). When the binary is missing,
 * that installer runs here, in the terminal, so its progress shows; only when it fails does the
 * launcher print one line naming the installer's error and both ways out, and exit with status 1.
 * This file imports nothing from the repository, and esbuild only once it bundles.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildOptions } from 'esbuild';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** How {@link findElectronBinary} looks at the disk and the environment; tests pass their own. */
export interface ElectronLookup {
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
  /** Throws when the file cannot be read. */
  readText(path: string): string;
}

const nodeLookup: ElectronLookup = {
  env: process.env,
  exists: (path) => existsSync(path),
  readText: (path) => readFileSync(path, 'utf8'),
};

/**
 * The Electron executable the package in `packageDirectory` would run, or undefined when it is
 * not there. Honours `ELECTRON_OVERRIDE_DIST_PATH` as the electron package does.
 */
export function findElectronBinary(
  packageDirectory: string,
  lookup: ElectronLookup = nodeLookup,
): string | undefined {
  let relativeBinary: string | undefined;
  try {
    relativeBinary = lookup.readText(join(packageDirectory, 'path.txt')).trim() || undefined;
  } catch {
    relativeBinary = undefined;
  }
  const override = lookup.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override
    ? join(override, relativeBinary ?? 'electron')
    : relativeBinary && join(packageDirectory, 'dist', relativeBinary);
  return candidate && lookup.exists(candidate) ? candidate : undefined;
}

/** What Electron's installer did: put the binary in place, or failed with its own error. */
export type InstallOutcome = { ok: true } | { ok: false; cause: string };

/** Downloads the binary of the electron package in `packageDirectory`; tests inject their own. */
export type ElectronInstaller = (packageDirectory: string) => Promise<InstallOutcome>;

/** The Electron version the package in `packageDirectory` downloads, when its package.json says. */
function electronVersion(packageDirectory: string, lookup: ElectronLookup): string | undefined {
  try {
    const { version } = JSON.parse(lookup.readText(join(packageDirectory, 'package.json'))) as {
      version?: unknown;
    };
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The one line `npm start` prints when there is no Electron binary and none could be had: the
 * cause, then both ways out (the designer in a browser, or a binary kept elsewhere).
 */
export function missingElectronMessage(cause: string, version?: string): string {
  const electron = version ? `Electron ${version}` : 'Electron';
  return (
    `${electron} could not be downloaded (${cause}); run \`npm run web\` to use Topoforge in a browser, ` +
    `or set ELECTRON_OVERRIDE_DIST_PATH to a folder that holds the ${electron} binary`
  );
}

/** How {@link ensureElectronBinary} downloads and what it tells the person waiting. */
export interface EnsureElectronOptions {
  install: ElectronInstaller;
  lookup?: ElectronLookup;
  /** One line for the person at the terminal (stderr). */
  say: (line: string) => void;
  /** The Node.js version running the installer; default this process's. */
  nodeVersion?: string;
}

/** The oldest Node.js that Electron's installer supports (its package's `engines`). */
export const INSTALLER_NODE = '22.12.0';

/** Whether `version` (e.g. `20.19.1`) is older than `minimum`. */
function isOlder(version: string, minimum: string): boolean {
  const [a, b] = [version, minimum].map((v) => v.replace(/^v/, '').split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((a![i] ?? 0) !== (b![i] ?? 0)) return (a![i] ?? 0) < (b![i] ?? 0);
  return false;
}

/**
 * The Electron binary to start: the one already there, or the one the package's installer
 * downloads now. A failure is the line to print, never a throw.
 */
export async function ensureElectronBinary(
  packageDirectory: string,
  { install, lookup = nodeLookup, say, nodeVersion = process.versions.node }: EnsureElectronOptions,
): Promise<{ ok: true; binary: string } | { ok: false; message: string }> {
  const found = findElectronBinary(packageDirectory, lookup);
  if (found !== undefined) return { ok: true, binary: found };
  const version = electronVersion(packageDirectory, lookup);
  const override = lookup.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    // The installer would download into the package, where an override is never looked for.
    return {
      ok: false,
      message: missingElectronMessage(
        `ELECTRON_OVERRIDE_DIST_PATH is ${override}, which has no Electron binary`,
        version,
      ),
    };
  }
  say(
    `Electron${version ? ` ${version}` : ''} is not downloaded yet: downloading it now (once, about 100 MB)…`,
  );
  const outcome = await install(packageDirectory);
  if (!outcome.ok) {
    // Node 20 runs the installer, but Electron supports it from 22.12 on: say so beside the cause.
    const cause = isOlder(nodeVersion, INSTALLER_NODE)
      ? `${outcome.cause}; Electron's installer needs Node.js ${INSTALLER_NODE} or later, and this is Node.js ${nodeVersion}`
      : outcome.cause;
    return { ok: false, message: missingElectronMessage(cause, version) };
  }
  const installed = findElectronBinary(packageDirectory, lookup);
  if (installed === undefined) {
    return {
      ok: false,
      message: missingElectronMessage(
        `its installer finished, but no binary is in ${join(packageDirectory, 'dist')}`,
        version,
      ),
    };
  }
  return { ok: true, binary: installed };
}

/** What the installer reported through the hook of scripts/electron-install-hook.cjs. */
interface InstallReport {
  printed?: string;
  cause?: string;
}

/**
 * Runs the electron package's own installer (`install.js`) with the terminal, so that its progress
 * shows, and reads its error from the hook's report descriptor. The cause is the first line it
 * printed (e.g. `TypeError: fetch failed`) with the network's own reason when fetch hid one.
 */
export const runElectronInstaller: ElectronInstaller = (packageDirectory) => {
  const hook = join(dirname(fileURLToPath(import.meta.url)), 'electron-install-hook.cjs');
  const installer = join(packageDirectory, 'install.js');
  if (!existsSync(installer)) {
    return Promise.resolve({ ok: false, cause: `${installer} is missing: run \`npm install\` again` });
  }
  return new Promise((resolveOutcome) => {
    const child = spawn(process.execPath, ['--require', hook, installer], {
      cwd: packageDirectory,
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    });
    let reported = '';
    const reports = child.stdio[3] as Readable;
    reports.setEncoding('utf8');
    reports.on('data', (chunk: string) => {
      reported += chunk;
    });
    child.on('error', (error) => resolveOutcome({ ok: false, cause: error.message }));
    child.on('close', (code, signal) => {
      if (code === 0) return resolveOutcome({ ok: true });
      const entries = reported
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line): InstallReport[] => {
          try {
            return [JSON.parse(line) as InstallReport];
          } catch {
            return [];
          }
        });
      const printed = entries
        .find((entry) => entry.printed?.trim())
        ?.printed?.trim()
        .split('\n')[0];
      const cause = entries.find((entry) => entry.cause)?.cause;
      const said =
        printed ??
        (signal ? `the installer was stopped by ${signal}` : `the installer exited with status ${code}`);
      resolveOutcome({ ok: false, cause: cause && !said.includes(cause) ? `${said}: ${cause}` : said });
    });
  });
};

/**
 * Native add-ons that ssh2 loads only if they are there, each inside a try: its own crypto
 * binding and cpu-features. Built for Node, not for Electron's ABI, they could not load in the app
 * anyway; left out of the bundle, ssh2 runs on its pure JavaScript and Node crypto code.
 */
export const OPTIONAL_NATIVE_MODULES = ['cpu-features', '*.node'];

/**
 * The bundles of the desktop app, written to `outDir` (dist/desktop by default): the main
 * process as CommonJS for Electron's Node (everything bundled but Electron itself and ssh2's
 * optional native add-ons, so a package needs no node_modules), and the preload as one CommonJS
 * file, which a sandboxed preload must be. The preload is built for the browser platform, so a
 * Node import in it fails the build.
 */
export function desktopBundles(root: string, outDir = join(root, 'dist', 'desktop')): BuildOptions[] {
  const common: BuildOptions = {
    bundle: true,
    format: 'cjs',
    external: ['electron'],
    sourcemap: true,
    logLevel: 'warning',
    absWorkingDir: root,
  };
  return [
    {
      ...common,
      entryPoints: [join(root, 'electron', 'main', 'index.ts')],
      outfile: join(outDir, 'main.cjs'),
      external: ['electron', ...OPTIONAL_NATIVE_MODULES],
      platform: 'node',
      target: 'node22',
      // jsonc-parser's `main` is a UMD build that bundlers cannot follow; its ES module build bundles.
      mainFields: ['module', 'main'],
    },
    {
      ...common,
      entryPoints: [join(root, 'electron', 'preload', 'index.ts')],
      outfile: join(outDir, 'preload.cjs'),
      platform: 'browser',
      target: 'es2022',
    },
  ];
}

/** Writes the bundles of {@link desktopBundles}. */
export async function bundleDesktop(root: string, outDir?: string): Promise<void> {
  const esbuild = await import('esbuild');
  await Promise.all(desktopBundles(root, outDir).map((options) => esbuild.build(options)));
}

/** Runs an npm script the way npm itself was started, when it was. */
function runNpmScript(script: string): number {
  const npm = process.env.npm_execpath;
  const result =
    npm && /\.[cm]?js$/.test(npm)
      ? spawnSync(process.execPath, [npm, 'run', script], { cwd: repositoryRoot, stdio: 'inherit' })
      : spawnSync('npm', ['run', script], {
          cwd: repositoryRoot,
          stdio: 'inherit',
          shell: process.platform === 'win32',
        });
  return result.status ?? 1;
}

/**
 * What `npm start` adds when Electron died as root: Chromium refuses root unless its sandbox is
 * switched off (it prints a FATAL line and stops with SIGTRAP), and the app never switches it off.
 * The lab the Rehearse view needs root for is reached from a normal user's app instead.
 */
export const ROOT_MESSAGE =
  "Topoforge's desktop app does not run as root: Chromium refuses root unless its sandbox is off, and the app keeps it on. Start it as your own user; its Rehearse view runs the lab as root through `sudo -n` or pkexec (docs/rehearse.md)";

/** The line to print after Electron ended with `signal`, if it ended because it ran as root. */
export function rootExitMessage(signal: NodeJS.Signals | null, uid = process.getuid?.()): string | undefined {
  return uid === 0 && signal === 'SIGTRAP' ? ROOT_MESSAGE : undefined;
}

/** Opens the app and resolves with Electron's exit status. */
function launch(binary: string, appArguments: string[]): Promise<number> {
  const env = { ...process.env };
  // Set, it would make the binary a plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, ['.', ...appArguments], { cwd: repositoryRoot, stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  return new Promise((resolveExit) => {
    child.on('error', (error) => {
      process.stderr.write(`Electron could not be started: ${error.message}\n`);
      resolveExit(1);
    });
    child.on('exit', (code, signal) => {
      const rootMessage = rootExitMessage(signal);
      if (rootMessage !== undefined) process.stderr.write(`${rootMessage}\n`);
      resolveExit(code ?? (signal ? 1 : 0));
    });
  });
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--build-only')) {
    await bundleDesktop(repositoryRoot);
    return 0;
  }
  const electron = await ensureElectronBinary(join(repositoryRoot, 'node_modules', 'electron'), {
    install: runElectronInstaller,
    say: (line) => void process.stderr.write(`${line}\n`),
  });
  if (!electron.ok) {
    process.stderr.write(`${electron.message}\n`);
    return 1;
  }
  const built = runNpmScript('build:desktop');
  if (built !== 0) return built;
  return launch(electron.binary, argv);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
