/**
 * Step 2: the host's push lock: who holds it, taking it, and keeping it while the push runs.
 */
import { createHash } from 'node:crypto';
import { CancelledError, seconds, TimeoutError } from '../connection';
import type { RunningCommand, SshConnection } from '../connection';
import {
  leftoverPrefixesOf,
  lockPathsOf,
  LockReader,
  lockScript,
  newMarker,
  newRunId,
  rootedPath,
  scriptCommand,
} from '../remote';
import type { LockOutcome, LockPaths } from '../remote';
import { CLEANUP_LIMIT_MS, plural, StepFailure, tail } from './run';
import type { HeldLock, HostRun } from './run';
import type { PushLockHolder } from '../types';

/** The line a push records in the host's lock, for anyone it refuses. */
export function holderLine(fields: { design: string; by: string; pid: number; started: Date }): string {
  return JSON.stringify({
    design: fields.design,
    by: fields.by,
    pid: fields.pid,
    started: fields.started.toISOString(),
  });
}

/** Reads a holder line; a line from an unknown writer gives what it can, as plain text. */
export function describeHolder(line: string, state: 'held' | 'stale'): PushLockHolder {
  const holder: PushLockHolder = { state };
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    const text = (field: unknown): string | undefined =>
      typeof field === 'string' && field.length <= 200 ? field.replace(/\p{Cc}/gu, '?') : undefined;
    const design = text(value.design);
    const by = text(value.by);
    const started = text(value.started);
    if (design !== undefined) holder.design = design;
    if (by !== undefined) holder.by = by;
    if (started !== undefined) holder.started = started;
    if (typeof value.pid === 'number' && Number.isInteger(value.pid)) holder.pid = value.pid;
  } catch {
    // An unreadable record says nothing about its holder; the state alone is reported.
  }
  return holder;
}

/** `design "Shop", alice@laptop, pid 4242, started 2025-01-02T03:04:05.000Z`. */
function holderText(holder: PushLockHolder): string {
  const parts = [
    holder.design !== undefined ? `design ${JSON.stringify(holder.design)}` : undefined,
    holder.by,
    holder.pid !== undefined ? `pid ${holder.pid}` : undefined,
    holder.started !== undefined ? `started ${holder.started}` : undefined,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(', ') : 'no record of who';
}

/** A sudo staging folder's name prefix: one per lock, so only this host's own leftovers are removed. */
export function stagingPrefixOf(lock: LockPaths): string {
  return `/tmp/.topoforge-${createHash('sha256').update(lock.file).digest('hex').slice(0, 12)}-`;
}

/**
 * Ends the lock keeper's input, so that it releases the lock (if it took it) and ends, waiting for
 * that at most {@link CLEANUP_LIMIT_MS}; then closes its channel.
 */
async function endKeeper(keeper: RunningCommand): Promise<void> {
  let wait: NodeJS.Timeout | undefined;
  await Promise.race([
    keeper.finish().catch(() => undefined),
    new Promise<void>((resolve) => (wait = setTimeout(resolve, CLEANUP_LIMIT_MS))),
  ]).finally(() => clearTimeout(wait));
  keeper.close();
}

/**
 * Takes the host's push lock before the plan (docs/push.md and issue 9): a second push is
 * refused at once, naming the holder; a stale lock (its holder gone) is taken over only with
 * `breakLock`. Once held, it removes the temporary files a cut-off push left. In a dry run it
 * takes nothing and only warns when another push holds the host.
 */
export async function lock(run: HostRun, connection: SshConnection): Promise<HeldLock | undefined> {
  const { context, report } = run;
  const host = context.host;
  run.enter('locking');
  const paths = lockPathsOf(host.root);
  const token = newRunId() + newRunId();
  const marker = newMarker();
  const reader = new LockReader(marker);
  const destinations = context.files.map((file) => rootedPath(host.root, file.path));
  const script = lockScript(marker, {
    lock: paths,
    token,
    holder: context.holder,
    breakStale: context.breakLock,
    leftoverPrefixes: context.dryRun ? [] : leftoverPrefixesOf(destinations),
    ...(host.sudo && !context.dryRun ? { leftoverFolderPrefix: stagingPrefixOf(paths) } : {}),
    ...(context.dryRun ? { probe: true } : {}),
  });
  let answered: () => void = () => undefined;
  const answer = new Promise<void>((resolve) => (answered = resolve));
  let listener = (line: string): void => {
    reader.line(line);
    // Locked or free: the keeper stays. Any other answer ends the script, which then has said all.
    if (reader.outcome?.state === 'locked' || reader.outcome?.state === 'free') answered();
  };
  // No signal here: a cancel later in the push must still release the lock in order.
  const keeper: RunningCommand = await connection.start(scriptCommand(host.sudo), script, {
    onLine: (line) => listener(line),
  });
  const limit = context.commandTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      answer,
      keeper.result,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TimeoutError(`the lock script said nothing for ${seconds(limit)}`, limit)),
          limit,
        );
        onAbort = () => reject(new CancelledError());
        context.signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } catch (error) {
    // Ending its input releases a lock taken meanwhile. Wait for that: closing the channel at once
    // would let the connection end first and leave a stale lock that the next push must break.
    await endKeeper(keeper);
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort) context.signal?.removeEventListener('abort', onAbort);
  }
  const outcome: LockOutcome | undefined = reader.outcome;
  if (outcome?.state === 'locked') {
    if (outcome.broke !== undefined)
      report.warnings.push(
        `took over a stale push lock on the host (${holderText(describeHolder(outcome.broke, 'stale'))}); ` +
          'its push was gone without releasing it',
      );
    if (outcome.leftovers.length > 0)
      report.warnings.push(
        `removed ${plural(outcome.leftovers.length, 'temporary file')} that an earlier push left when it was ` +
          `cut off: ${outcome.leftovers.join(', ')}`,
      );
    return {
      paths,
      token,
      keeper,
      listen: (onLine) => {
        listener = onLine;
      },
      release: () => endKeeper(keeper),
    };
  }
  keeper.close();
  if (outcome?.state === 'free') return undefined;
  if (outcome?.state === 'held' || outcome?.state === 'stale') {
    const holder = describeHolder(outcome.holder, outcome.state);
    if (context.dryRun) {
      report.warnings.push(
        outcome.state === 'held'
          ? `another push holds the host now (${holderText(holder)}): a push would be refused until it ends`
          : `the host has a stale push lock (${holderText(holder)}): a push needs --break-lock`,
      );
      return undefined;
    }
    throw new StepFailure(
      outcome.state === 'held'
        ? `${host.id} is locked by another push (${holderText(holder)}): refused at once and nothing was changed; ` +
            'push again when that push has finished'
        : `${host.id} has a stale push lock (${holderText(holder)}): that push is gone without releasing it, so ` +
            'the host may be half-changed; look at the host, then push again with --break-lock to take the lock over',
      { lock: holder },
    );
  }
  if (outcome?.state === 'error' && outcome.reason === 'notimeout')
    throw new StepFailure(
      'the host has no timeout(1), which push needs to stop a check or reload that hangs: install coreutils (or busybox)',
    );
  const result = await keeper.result.catch(() => undefined);
  throw new StepFailure(`cannot take the push lock ${paths.file} on the host`, {
    stderr: tail([outcome?.state === 'error' ? outcome.output : '', result?.stderr ?? ''].join('\n')),
  });
}
