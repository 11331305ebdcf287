/**
 * Design files named on the command line: `topoforge-desktop plan.topo.json`, what a file manager
 * runs for a double-clicked file (Windows passes a path, Linux desktop entries may pass a
 * `file://` URL), and the arguments a second instance forwards to the first. macOS delivers
 * files through the `open-file` event instead.
 */
import { fileURLToPath } from 'node:url';
import { posix, win32 } from 'node:path';

/** Options of {@link designPathsFromArguments}. */
export interface LaunchArgumentOptions {
  /** The folder relative paths are relative to (a second instance's working directory). */
  cwd: string;
  /**
   * Leading arguments that are not the app's: the executable in a packaged app (1); the Electron
   * binary and the app folder while developing (2).
   */
  skip: number;
  platform?: NodeJS.Platform;
}

/** Whether a path names a design file by its extension (`.topo.json`, or any `.json`). */
export function isDesignFileName(path: string): boolean {
  return /\.json$/i.test(path);
}

/**
 * The absolute paths of the design files in `argv`, in order. Switches (Chromium adds its own,
 * such as `--original-process-start-time`) are skipped; after `--` everything is a file.
 */
export function designPathsFromArguments(argv: readonly string[], options: LaunchArgumentOptions): string[] {
  const paths = options.platform === 'win32' ? win32 : posix;
  const found: string[] = [];
  let switches = true;
  for (const argument of argv.slice(options.skip)) {
    if (switches && argument === '--') {
      switches = false;
      continue;
    }
    if (argument === '' || (switches && argument.startsWith('-'))) continue;
    let path = argument;
    if (/^file:\/\//i.test(argument)) {
      try {
        path = fileURLToPath(argument, { windows: options.platform === 'win32' });
      } catch {
        continue;
      }
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(argument)) {
      continue;
    }
    if (!isDesignFileName(path)) continue;
    found.push(paths.resolve(options.cwd, path));
  }
  return found;
}
