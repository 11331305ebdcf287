/**
 * `npm start`: builds the desktop app and opens it with the Electron binary from node_modules.
 * `npm run build:desktop` runs it with `--build-only` to bundle the main process and the preload.
 *
 * The binary is looked for first, the way the electron package's own index.js does (path.txt
 * names it inside the package's dist folder), but without loading that package: its index.js
 * tries to download a missing binary. A machine without it gets one line and exit status 1.
 * This file imports nothing from the repository, and esbuild only once it bundles.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** The one line `npm start` prints when there is no Electron binary. */
export const MISSING_ELECTRON_MESSAGE =
  'Electron is not installed on this machine (its binary could not be downloaded); run `npm run web` to use Topoforge in a browser';

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
    child.on('exit', (code, signal) => resolveExit(code ?? (signal ? 1 : 0)));
  });
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--build-only')) {
    await bundleDesktop(repositoryRoot);
    return 0;
  }
  const binary = findElectronBinary(join(repositoryRoot, 'node_modules', 'electron'));
  if (binary === undefined) {
    process.stderr.write(`${MISSING_ELECTRON_MESSAGE}\n`);
    return 1;
  }
  const built = runNpmScript('build:desktop');
  if (built !== 0) return built;
  return launch(binary, argv);
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
