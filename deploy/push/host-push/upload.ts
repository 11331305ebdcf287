/**
 * Step 4: writing the changed files beside their destinations under names unique to this run.
 */
import { posix } from 'node:path';
import type { SshConnection } from '../connection';
import { CancelledError, ConnectionError } from '../connection';
import { cleanupScript, lockPathsOf, newMarker, scriptCommand, temporaryPathOf } from '../remote';
import { CLEANUP_LIMIT_MS, lostMessage, plural, StepFailure } from './run';
import type { HostPlan, HostRun } from './run';
import { FAILURE } from './survey';
import { stagingPrefixOf } from './lock';
import type { SFTPWrapper } from 'ssh2';

/** What the upload left on the host for the commit. */
export interface Uploaded {
  temporaries: string[];
  /** Sudo mode: the private folder the files were staged in. */
  staging?: string;
  /** False when the server lacks fsync@openssh.com: the commit script flushes instead. */
  synced: boolean;
}

const CHUNK = 64 * 1024;

/** Writes `content` through `handle`, several chunks in flight at once. */
async function writeAll(
  connection: SshConnection,
  sftp: SFTPWrapper,
  handle: Buffer,
  content: Buffer,
): Promise<void> {
  const offsets: number[] = [];
  for (let offset = 0; offset < content.length; offset += CHUNK) offsets.push(offset);
  const inFlight = 16;
  for (let start = 0; start < offsets.length; start += inFlight) {
    await Promise.all(
      offsets
        .slice(start, start + inFlight)
        .map((offset) =>
          connection.request<void>((done) =>
            sftp.write(handle, content, offset, Math.min(CHUNK, content.length - offset), offset, (error) =>
              done(error),
            ),
          ),
        ),
    );
  }
}

/** `3.2 MB`, `512 bytes`: a size as a person reads it. */
function bytes(count: number): string {
  if (count < 1024) return `${count} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = count / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Why a write failed, in words: SFTP reports a full disk only as "Failure" (SSH_FX_FAILURE), so
 * push asks the host how much room is left where the file goes.
 */
async function writeFailure(
  connection: SshConnection,
  error: Error & { code?: number },
  target: string,
  size: number,
): Promise<string> {
  if (error.code === FAILURE) {
    const free = await connection.freeBytes(posix.dirname(target)).catch(() => undefined);
    if (free !== undefined && free < Math.max(size, 1) + 4096)
      return (
        `the host's disk is full: ${posix.dirname(target)} has ${bytes(free)} free and ${target} needs ` +
        `${bytes(size)}; nothing was replaced: free some space there and push again`
      );
  }
  return `cannot write ${target}: ${error.message}`;
}

/**
 * docs/push.md, step 3 (the upload): writes the changed files beside their destinations (mode
 * set, flushed with fsync@openssh.com) under this run's own names, or, through sudo, into a
 * private staging folder that the commit script installs from. SFTP requests are pipelined; the
 * server handles them in order, so a folder exists before its files. On a failure the host's
 * temporary files are removed again; when the connection is lost first, the failure lists them.
 */
export async function upload(run: HostRun, connection: SshConnection, planned: HostPlan): Promise<Uploaded> {
  const { context } = run;
  run.enter('uploading');
  const host = context.host;
  const changed = planned.changed;
  const staging = host.sudo ? `${stagingPrefixOf(lockPathsOf(host.root))}${run.id}` : undefined;
  const temporaries = changed.map((entry) => temporaryPathOf(entry.destination, run.id));
  let unsynced = false;
  const transfer = async (): Promise<void> => {
    const sftp = await connection.sftp();
    const directories =
      staging === undefined
        ? planned.missingDirectories.map((directory) => ({ directory, mode: 0o755 }))
        : [{ directory: staging, mode: 0o700 }];
    const made = directories.map(({ directory, mode }) =>
      connection
        .request<void>((done) => sftp.mkdir(directory, { mode }, (error) => done(error)))
        .catch((error: unknown) => {
          if (error instanceof ConnectionError) throw error;
          throw new StepFailure(`cannot create the folder ${directory}: ${(error as Error).message}`);
        }),
    );
    const written = changed.map(async (entry, index) => {
      const target = staging === undefined ? temporaries[index]! : `${staging}/${index}`;
      const mode = staging === undefined ? entry.file.mode : 0o600;
      try {
        const handle = await connection.request<Buffer>((done) =>
          sftp.open(target, 'w', { mode: 0o600 }, done),
        );
        try {
          await writeAll(connection, sftp, handle, entry.file.content);
          await connection.request<void>((done) => sftp.fchmod(handle, mode, (error) => done(error)));
          if (staging === undefined) {
            await connection
              .request<void>((done) =>
                sftp.ext_openssh_fsync(handle, (error: Error | undefined) => done(error)),
              )
              .catch((error: unknown) => {
                // A server without fsync@openssh.com: the commit script runs sync(1) on the file instead.
                if (!(error instanceof Error) || !/does not support/u.test(error.message)) throw error;
                unsynced = true;
              });
          }
        } finally {
          await connection
            .request<void>((done) => sftp.close(handle, (error) => done(error)))
            .catch(() => undefined);
        }
      } catch (error) {
        if (error instanceof StepFailure || error instanceof ConnectionError) throw error;
        if (connection.lost) throw new ConnectionError(connection.lost);
        throw new StepFailure(
          await writeFailure(connection, error as Error, target, entry.file.content.length),
          { path: entry.file.path },
        );
      }
    });
    const results = await Promise.allSettled([...made, ...written]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
  };

  const cancelled = new Promise<never>((_, reject) => {
    if (context.signal?.aborted) reject(new CancelledError());
    context.signal?.addEventListener('abort', () => reject(new CancelledError()), { once: true });
  });
  cancelled.catch(() => undefined);
  try {
    await Promise.race([transfer(), cancelled]);
    run.checkCancelled();
  } catch (error) {
    if (connection.lost) {
      throw new StepFailure(
        `${lostMessage('uploading', connection.lost)}; nothing was replaced. ` +
          `${plural(temporaries.length, 'temporary file')} of this push may be left on the host ` +
          `(${posix.basename(temporaries[0]!)}${temporaries.length > 1 ? ', …' : ''}): harmless, and the next push ` +
          'to the host removes them',
        { leftovers: staging === undefined ? temporaries : [staging] },
      );
    }
    // Nothing is replaced yet: remove what was written, whatever the reason for stopping.
    const marker = newMarker();
    await connection
      .exec(
        scriptCommand(host.sudo),
        cleanupScript(marker, temporaries, host.sudo ? [] : planned.missingDirectories, staging),
        { timeoutMs: CLEANUP_LIMIT_MS },
      )
      .catch(() => undefined);
    throw error;
  }
  return { temporaries, ...(staging ? { staging } : {}), synced: !unsynced };
}
