/**
 * Runs a real tool in a private mount (and optionally network) namespace, so a production config
 * can be checked unmodified without touching the machine.
 *
 * Files are placed at their absolute production paths through overlay mounts (the machine's own
 * files stay visible beneath them), chosen directories are covered with an empty tmpfs, and
 * network interfaces are created as bridges in a namespace of their own. Everything is undone when
 * the process ends: the namespace dies with it and the staging directory is removed.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { shellQuote } from '../../core/shell';
import { runTool, systemEnvironment } from '../../deploy/lab/system';
import type { ToolResult } from '../../deploy/lab/system';
import { removeTemporaryFolderSync, temporaryFolderSync } from './temporary';

/** A file to place: its text, or its content with a mode (e.g. `0o755` for a script). */
export type LabFile = string | { content: string | Uint8Array; mode?: number };

/** Files keyed by the absolute path they have inside the namespace. */
export type LabFiles = Record<string, LabFile>;

/** What the namespace looks like around the command. */
export interface IsolationOptions {
  /** Placed at these absolute paths, visible only inside the namespace. */
  files?: LabFiles;
  /** Existing directories covered with an empty tmpfs, so the tool's writes there vanish. */
  tmpfs?: string[];
  /** Run in a fresh network namespace with only `lo` up (implied by `interfaces`). */
  isolateNetwork?: boolean;
  /** Interfaces created as bridges and set up in the fresh network namespace. */
  interfaces?: string[];
}

/** A command ready to spawn, and the staging directory to remove once it has ended. */
export interface PreparedCommand {
  command: string;
  args: string[];
  /** Removes the staging directory; call once the process has exited. */
  dispose(): void;
}

/** How a finished command ended and everything it printed: the lab's own result. */
export type RunResult = ToolResult;

/** `environment` with the system directories appended to PATH: the rehearsal lab's own function. */
export const labEnvironment = systemEnvironment;

/** Exit status the wrapper script uses when the namespace itself could not be set up. */
const SETUP_FAILURE = 125;
const SETUP_MARKER = 'lab namespace setup failed:';

/** Characters that would break a mount option list or the wrapper script. */
const UNSAFE_PATH = /[,:\\\s'"$`]|\p{Cc}/u;
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/u;

/** Quotes one word for `/bin/sh`: the project's one quoting function, re-exported for the lab. */
export { shellQuote } from '../../core/shell';

/** Throws unless `path` is absolute, normalized and safe to hand to `mount`. */
function assertLabPath(path: string): void {
  if (
    !path.startsWith('/') ||
    posix.normalize(path) !== path ||
    path.endsWith('/') ||
    UNSAFE_PATH.test(path)
  ) {
    throw new Error(`lab: ${JSON.stringify(path)} must be a plain absolute path`);
  }
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}

function isUnder(path: string, directory: string): boolean {
  return directory === '/' ? path.startsWith('/') : path.startsWith(`${directory}/`);
}

function nearestExistingDirectory(path: string): string {
  let candidate = dirname(path);
  while (!existsSync(candidate)) candidate = dirname(candidate);
  if (!statSync(candidate).isDirectory())
    throw new Error(`lab: ${candidate} is a file, so ${path} cannot be placed`);
  return candidate;
}

/** A tmpfs, or an overlay whose layer directory (upper and work) is in the staging directory. */
type Mount = { kind: 'tmpfs'; target: string } | { kind: 'overlay'; target: string; layer: string };

function ownership(path: string): { mode: string; uid: number; gid: number } {
  const stat = statSync(path);
  return { mode: (stat.mode & 0o7777).toString(8).padStart(4, '0'), uid: stat.uid, gid: stat.gid };
}

/**
 * Writes `file` into the overlay layer of the directory it will be mounted over, creating that
 * layer (and returning its mount) the first time the directory is used.
 */
function stageFile(
  staging: string,
  overlays: Map<string, string>,
  tmpfsTargets: string[],
  path: string,
  file: LabFile,
): Mount[] {
  const mounts: Mount[] = [];
  const coveringTmpfs = tmpfsTargets
    .filter((target) => isUnder(path, target))
    .sort((left, right) => depth(right) - depth(left))[0];
  const mountPoint = coveringTmpfs ?? nearestExistingDirectory(path);
  let layer = overlays.get(mountPoint);
  if (layer === undefined) {
    layer = join(staging, 'layers', String(overlays.size));
    mkdirSync(join(layer, 'upper'), { recursive: true });
    mkdirSync(join(layer, 'work'));
    if (coveringTmpfs === undefined) {
      // The overlay's root takes the upper directory's owner and mode: keep the original's.
      const owner = ownership(mountPoint);
      chmodSync(join(layer, 'upper'), Number.parseInt(owner.mode, 8));
      chownSync(join(layer, 'upper'), owner.uid, owner.gid);
    }
    overlays.set(mountPoint, layer);
    mounts.push({ kind: 'overlay', target: mountPoint, layer });
  }
  const staged = join(layer, 'upper', posix.relative(mountPoint, path));
  mkdirSync(dirname(staged), { recursive: true, mode: 0o755 });
  writeFileSync(staged, typeof file === 'string' ? file : file.content);
  chmodSync(staged, typeof file === 'string' ? 0o644 : (file.mode ?? 0o644));
  return mounts;
}

/** Builds the `unshare … sh -c` command that sets up the namespace and then execs `argv`. */
export function prepareIsolated(argv: string[], options: IsolationOptions = {}): PreparedCommand {
  const files = Object.entries(options.files ?? {});
  const tmpfsTargets = [...new Set(options.tmpfs ?? [])];
  const interfaces = options.interfaces ?? [];
  for (const target of tmpfsTargets) {
    assertLabPath(target);
    if (!existsSync(target) || !statSync(target).isDirectory())
      throw new Error(`lab: tmpfs target ${target} is not a directory`);
  }
  for (const name of interfaces) {
    if (!INTERFACE_NAME.test(name))
      throw new Error(`lab: ${JSON.stringify(name)} is not a valid interface name`);
  }
  for (const [path] of files) assertLabPath(path);

  assertLabPath(tmpdir());
  const staging = temporaryFolderSync('topoforge-lab-');
  const mounts: Mount[] = tmpfsTargets.map((target) => ({ kind: 'tmpfs', target }));
  const overlays = new Map<string, string>();

  try {
    for (const [path, file] of files) mounts.push(...stageFile(staging, overlays, tmpfsTargets, path, file));
  } catch (error) {
    removeTemporaryFolderSync(staging);
    throw error;
  }

  // Shallower first, so a deeper mount is not hidden by an overlay of its ancestor; a tmpfs
  // before an overlay of the same directory, which then layers the files over the empty tmpfs.
  mounts.sort((left, right) => depth(left.target) - depth(right.target) || (left.kind === 'tmpfs' ? -1 : 1));

  const script: string[] = [];
  const step = (command: string): void => {
    script.push(
      `${command} || { echo ${shellQuote(`${SETUP_MARKER} ${command}`)} >&2; exit ${SETUP_FAILURE}; }`,
    );
  };
  for (const mount of mounts) {
    if (mount.kind === 'tmpfs') {
      const owner = ownership(mount.target);
      step(
        `mount -t tmpfs -o mode=${owner.mode},uid=${owner.uid},gid=${owner.gid} tmpfs ${shellQuote(mount.target)}`,
      );
    } else {
      const optionList = `lowerdir=${mount.target},upperdir=${mount.layer}/upper,workdir=${mount.layer}/work`;
      step(`mount -t overlay overlay -o ${shellQuote(optionList)} ${shellQuote(mount.target)}`);
    }
  }
  const isolateNetwork = options.isolateNetwork === true || interfaces.length > 0;
  if (isolateNetwork) step('ip link set lo up');
  for (const name of interfaces) {
    step(`ip link add ${shellQuote(name)} type bridge`);
    step(`ip link set ${shellQuote(name)} up`);
  }
  script.push(`exec ${argv.map(shellQuote).join(' ')}`);

  const unshareArgs = ['-m', '--propagation', 'private', ...(isolateNetwork ? ['-n'] : [])];
  return {
    command: 'unshare',
    args: [...unshareArgs, '/bin/sh', '-c', script.join('\n')],
    dispose: () => removeTemporaryFolderSync(staging),
  };
}

/** True when `result` is the wrapper reporting that the namespace could not be set up. */
export function isSetupFailure(result: Pick<RunResult, 'exitCode' | 'stderr'>): boolean {
  return result.exitCode === SETUP_FAILURE && result.stderr.includes(SETUP_MARKER);
}

/**
 * Runs `argv` to completion inside a namespace shaped by `options` and collects its output.
 *
 * Throws when the namespace cannot be set up: that is a broken lab, not a verdict on the config.
 */
export async function runIsolated(
  argv: string[],
  options: IsolationOptions & { timeoutMs?: number } = {},
): Promise<RunResult> {
  const prepared = prepareIsolated(argv, options);
  try {
    const result = await runCommand(prepared.command, prepared.args, options.timeoutMs);
    if (isSetupFailure(result)) throw new Error(result.stderr.trim());
    return result;
  } finally {
    prepared.dispose();
  }
}

/**
 * Runs a command to completion, killing it after `timeoutMs`: the lab's own runner. `environment`
 * adds variables, e.g. a password that must not appear on the command line (`REDISCLI_AUTH`).
 */
export function runCommand(
  command: string,
  args: string[],
  timeoutMs = 20_000,
  environment: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return runTool(command, args, timeoutMs, undefined, environment);
}
