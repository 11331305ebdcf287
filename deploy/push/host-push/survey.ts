/**
 * What the host has now at each destination: type, mode, owner and sha256, by script or SFTP.
 */
import { createHash } from 'node:crypto';
import { GENERATED_MARK } from '../../../core/push';
import type { SshConnection } from '../connection';
import { ConnectionError } from '../connection';
import { newMarker, parsePlanOutput, planScript, scriptCommand } from '../remote';
import type { RemoteFileState, RemoteState } from '../remote';
import type { HostRun } from './run';
import { StepFailure, tail } from './run';
import type { Stats } from 'ssh2';

/** Files up to this size are read over SFTP and hashed here; larger ones are hashed on the host. */
const READ_LIMIT = 1024 * 1024;

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const NO_SUCH_FILE = 2;

/** SFTP status code SSH_FX_FAILURE: a failure the server does not explain (a full disk, among others). */
export const FAILURE = 4;

const MARK = Buffer.from(GENERATED_MARK);

/**
 * The files whose first line the survey reads: create-only ones that Topoforge generated (their own
 * first line is its mark), which push keeps on the host only when the host's copy is Topoforge's
 * too: a package's stock file in their place is replaced. A hand-made create-only file, or a
 * secret, is kept whatever the host's copy holds.
 */
function markedFiles(run: HostRun, destinations: readonly string[]): Set<number> {
  const { files } = run.context;
  if (files.length !== destinations.length) return new Set();
  return new Set(
    files.flatMap((file, index) =>
      file.policy === 'create-only' && !file.secret && file.content.subarray(0, MARK.length).equals(MARK)
        ? [index]
        : [],
    ),
  );
}

/** What the host has: over SFTP (no process started on the host), or through a shell script. */
export async function survey(
  run: HostRun,
  connection: SshConnection,
  destinations: string[],
  directories: string[],
): Promise<RemoteState> {
  const { context } = run;
  // SFTP runs as the login user and knows owners only by number: sudo and owners need the shell.
  if (context.host.sudo || context.files.some((file) => file.owner !== undefined))
    return surveyByScript(run, connection, destinations, directories);
  return surveyBySftp(run, connection, destinations, directories);
}

/** Runs one of push's own scripts, within the command time limit and the cancel. */
export function runScript(run: HostRun, connection: SshConnection, script: string) {
  const { context } = run;
  return connection.exec(scriptCommand(context.host.sudo), script, {
    timeoutMs: context.commandTimeoutMs,
    ...(context.signal ? { signal: context.signal } : {}),
  });
}

async function surveyByScript(
  run: HostRun,
  connection: SshConnection,
  destinations: string[],
  directories: string[],
): Promise<RemoteState> {
  const marker = newMarker();
  const result = await runScript(
    run,
    connection,
    planScript(marker, destinations, directories, markedFiles(run, destinations)),
  );
  const state = parsePlanOutput(marker, result.stdout, result.stderr, destinations, directories);
  if ('error' in state)
    throw new StepFailure(`cannot read the host's files: ${state.error}`, { stderr: tail(result.stderr) });
  return state;
}

function fileTypeOf(mode: number): string {
  const types: Record<number, string> = {
    0o040000: 'directory',
    0o020000: 'character device',
    0o060000: 'block device',
    0o010000: 'fifo',
    0o140000: 'socket',
    0o120000: 'symbolic link',
  };
  return types[mode & 0o170000] ?? 'special file';
}

async function surveyBySftp(
  run: HostRun,
  connection: SshConnection,
  destinations: string[],
  directories: string[],
): Promise<RemoteState> {
  const marked = markedFiles(run, destinations);
  const sftp = await connection.sftp();
  const stat = (path: string): Promise<{ stats?: Stats; error?: Error & { code?: number } }> =>
    connection
      .request<Stats>((done) => sftp.stat(path, done))
      .then(
        (stats) => ({ stats }),
        (error: unknown) => {
          if (error instanceof ConnectionError) throw error;
          return { error: error as Error & { code?: number } };
        },
      );
  const [directoryStats, fileStats] = await Promise.all([
    Promise.all(directories.map(stat)),
    Promise.all(destinations.map(stat)),
  ]);
  const missingDirectories: string[] = [];
  const blockingPaths: string[] = [];
  directoryStats.forEach((result, index) => {
    if (result.error?.code === NO_SUCH_FILE) missingDirectories.push(directories[index]!);
    else if (result.stats && !result.stats.isDirectory()) blockingPaths.push(directories[index]!);
  });

  const large: number[] = [];
  const files = await Promise.all(
    fileStats.map(async (result, index): Promise<RemoteFileState> => {
      if (result.error?.code === NO_SUCH_FILE) return { kind: 'missing' };
      if (result.error || !result.stats)
        return { kind: 'unreadable', message: result.error?.message ?? 'no answer' };
      const stats = result.stats;
      if (!stats.isFile()) return { kind: 'other', type: fileTypeOf(stats.mode) };
      const base = {
        kind: 'file' as const,
        mode: stats.mode & 0o7777,
        size: stats.size,
        user: '',
        group: '',
      };
      if (stats.size > READ_LIMIT) {
        large.push(index);
        return { ...base, sha256: '' };
      }
      try {
        const content = await connection.request<Buffer>((done) => sftp.readFile(destinations[index]!, done));
        return {
          ...base,
          sha256: createHash('sha256').update(content).digest('hex'),
          content,
          ...(marked.has(index)
            ? { generated: content.subarray(0, GENERATED_MARK.length).equals(MARK) }
            : {}),
        };
      } catch (error) {
        if (error instanceof ConnectionError) throw error;
        return { kind: 'unreadable', message: (error as Error).message };
      }
    }),
  );
  if (large.length > 0) {
    const paths = large.map((index) => destinations[index]!);
    const hashed = await surveyByScript(run, connection, paths, []);
    large.forEach((index, position) => {
      files[index] = hashed.files[position]!;
    });
  }
  return { files, missingDirectories, blockingPaths };
}
