/**
 * Step 5: the commit script's run on the host (check, swap, reload, restore) and its outcome.
 */
import type { SshConnection } from '../connection';
import { seconds, TimeoutError } from '../connection';
import { firstLines } from '../prerequisites';
import { backupPathOf, cancelScript, CommitReader, commitScript, newMarker, scriptCommand } from '../remote';
import type { CommitFile, CommitOutcome } from '../remote';
import { CLEANUP_LIMIT_MS, COMMIT_GRACE_MS, octal, StepFailure, tail } from './run';
import type { HeldLock, HostPlan, PlannedFile, HostRun } from './run';
import { checkCommandOf } from './plan';
import type { HostFailure, PushStep, ReloadReport } from '../types';
import type { Uploaded } from './upload';

/**
 * docs/push.md, steps 3 to 5 on the host: the commit script runs the checks on the temporary
 * files, keeps backups and renames (the swap), runs the reloads, and restores the previous files
 * when a reload fails, times out, or push cancels. It runs to its end even when the connection is
 * lost. A cancel sends it SIGTERM; it stops the running command and ends with the old files.
 */
export async function commit(
  run: HostRun,
  connection: SshConnection,
  held: HeldLock,
  planned: HostPlan,
  uploaded: Uploaded,
): Promise<void> {
  const { context } = run;
  const host = context.host;
  const { changed, reloads } = planned;
  const commitFiles: CommitFile[] = changed.map((entry, index) => ({
    destination: entry.destination,
    temporary: uploaded.temporaries[index]!,
    backup: backupPathOf(entry.destination, run.id),
    ...(uploaded.staging ? { staged: `${uploaded.staging}/${index}` } : {}),
    mode: octal(entry.file.mode),
    ...(entry.file.owner ? { owner: entry.file.owner } : {}),
    // Its package not installed yet, a file's owner may not exist: root keeps it until it does.
    ...(entry.file.owner ? { rootUntilOwnerExists: true } : {}),
    ...(entry.file.check ? { check: checkCommandOf(entry.file, uploaded.temporaries[index]!, run) } : {}),
    // A stock file that is not Topoforge's is replaced; any other create-only file is only created.
    createOnly: entry.file.policy === 'create-only' && entry.report.action === 'create',
  }));
  const marker = newMarker();
  let cancelSent = false;
  let pid: number | undefined;
  const sendCancel = (): void => {
    if (cancelSent || pid === undefined || !context.signal?.aborted) return;
    cancelSent = true;
    void connection
      .exec(scriptCommand(host.sudo), cancelScript(newMarker(), held.paths, held.token, pid), {
        timeoutMs: CLEANUP_LIMIT_MS,
      })
      .catch(() => undefined);
  };
  const reader = new CommitReader(
    marker,
    (remoteStep) => {
      if (
        remoteStep !== run.step &&
        (remoteStep === 'checking' || remoteStep === 'replacing' || remoteStep === 'reloading')
      )
        run.enter(remoteStep);
    },
    (remotePid) => {
      pid = remotePid;
      sendCancel();
    },
    context.commandTimeoutMs,
  );
  const script = commitScript(marker, {
    files: commitFiles,
    lock: held.paths,
    token: held.token,
    createDirectories: host.sudo ? planned.missingDirectories : [],
    createdDirectories: planned.missingDirectories,
    reloads,
    commandTimeoutSeconds: context.commandTimeoutMs / 1000,
    ...(uploaded.staging ? { staging: uploaded.staging } : {}),
    syncTemporaries: !uploaded.synced,
  });

  // The commit runs in the lock's keeper shell: it ends with its `end` line (or, when it stops
  // early, with the shell); the host must say something at least every command's limit.
  const idleLimit = context.commandTimeoutMs + COMMIT_GRACE_MS;
  let ended: () => void = () => undefined;
  let stalled: (error: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    ended = resolve;
    stalled = reject;
  });
  let idle: NodeJS.Timeout | undefined;
  // Once the commit is over, a late line (the keeper shell's own, after `end`) arms no timer: one
  // would keep the process alive for the whole idle limit after push has answered.
  let finished = false;
  const awake = (): void => {
    clearTimeout(idle);
    if (finished) return;
    idle = setTimeout(
      () => stalled(new TimeoutError(`no word from the host for ${seconds(idleLimit)}`, idleLimit)),
      idleLimit,
    );
  };
  held.listen((line) => {
    awake();
    reader.line(line);
    if (reader.outcome.ended) ended();
  });
  context.signal?.addEventListener('abort', sendCancel, { once: true });
  run.enter('checking');
  awake();
  held.keeper.write(script);
  try {
    let stderr = '';
    await Promise.race([
      done,
      held.keeper.result.then((result) => {
        stderr = result.stderr;
      }),
    ]);
    applyOutcome(run, reader.outcome, changed, commitFiles, reloads, stderr);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    throw new StepFailure(
      `the host stopped answering while ${run.step} (${error.message}); its commit runs on, and ends with ` +
        'either every new file or every old one: push again to see where it stands',
      { timedOutAfterSeconds: error.limitMs / 1000 },
    );
  } finally {
    finished = true;
    clearTimeout(idle);
    context.signal?.removeEventListener('abort', sendCancel);
  }
}

/** The step a finished commit script stopped in, for the failure. */
function outcomeStep(outcome: CommitOutcome, current: PushStep): PushStep {
  if (outcome.cancelled) return outcome.cancelled;
  if (outcome.reloads.some((reload) => !reload.ok)) return 'reloading';
  const first = outcome.failures[0];
  if (first?.what === 'backup' || first?.what === 'replace') return 'replacing';
  if (first?.what === 'check' || first?.what === 'prepare' || first?.what === 'lock') return 'checking';
  return current;
}

/** Turns the commit script's outcome into the host's report. */
function applyOutcome(
  run: HostRun,
  outcome: CommitOutcome,
  changed: PlannedFile[],
  commitFiles: CommitFile[],
  reloads: string[],
  stderr: string,
): void {
  const { report } = run;
  const limit = run.context.commandTimeoutMs / 1000;
  report.reloads = outcome.reloads.map((reload): ReloadReport => ({
    command: reloads[reload.index] ?? '',
    ok: reload.ok,
    ...(reload.ok ? {} : { exitCode: reload.exitCode, output: tail(reload.output ?? '') }),
    ...(reload.timedOut ? { timedOutAfterSeconds: limit } : {}),
    ...(reload.again ? { afterRestore: true } : {}),
  }));
  const failure = commitFailure(run, outcome, changed, reloads, stderr);
  if (failure) {
    report.status = 'failed';
    report.failure = { ...failure, step: outcomeStep(outcome, run.step) };
    return;
  }
  report.status = 'changed';
  for (const [index, entry] of changed.entries()) {
    if (outcome.kept.includes(index)) entry.report.action = 'kept';
    if (outcome.backedUp.includes(index)) entry.report.backup = commitFiles[index]!.backup;
  }
}

/** What went wrong in the commit, if anything, as the host's failure (its step is set by the caller). */
function commitFailure(
  run: HostRun,
  outcome: CommitOutcome,
  changed: PlannedFile[],
  reloads: string[],
  stderr: string,
): Omit<HostFailure, 'step'> | undefined {
  const limit = run.context.commandTimeoutMs / 1000;
  const pathOf = (index: number | undefined): string | undefined =>
    index === undefined ? undefined : changed[index]?.file.path;

  if (outcome.cancelled === 'checking' || outcome.cancelled === 'replacing')
    return {
      message: `cancelled while ${outcome.cancelled}; ${outcome.cancelled === 'replacing' ? 'the previous files were restored' : 'nothing was replaced'}`,
      cancelled: true,
      ...(outcome.cancelled === 'replacing' ? { restored: true } : {}),
    };

  const checks = outcome.failures.filter((failure) => failure.what === 'check');
  const first = outcome.failures[0];
  if (first !== undefined) {
    const path = pathOf(first.file);
    let message: string;
    if (first.what === 'check') {
      const names = checks.map((failure) => pathOf(failure.file)).join(', ');
      const command = changed[first.file!]?.file.check;
      message =
        checks.length === 1 && first.timedOut
          ? `the check of ${names} timed out after ${limit} s (\`${command}\`): it was killed, and nothing was replaced`
          : `the check of ${names} failed` +
            (checks.length === 1
              ? ` (\`${command}\` exited ${first.exitCode}${first.output.trim() === '' ? '' : `: ${firstLines(first.output)}`})`
              : `: ${checks.map((failure) => `${pathOf(failure.file)}: ${firstLines(failure.output) || `exit ${failure.exitCode}`}`).join('; ')}`) +
            '; nothing was replaced';
    } else if (first.what === 'prepare') {
      message = `cannot prepare ${path ?? 'the folders'} on the host; nothing was replaced`;
    } else if (first.what === 'lock') {
      message = 'the push lock was taken over by another push before the commit; nothing was replaced';
    } else {
      message = `cannot ${first.what === 'backup' ? 'back up' : 'replace'} ${path}; the previous files were restored`;
    }
    return {
      message,
      stderr: tail(
        checks.length > 1
          ? checks.map((failure) => `${pathOf(failure.file)}:\n${failure.output}`).join('\n')
          : first.output,
      ),
      ...(path ? { path } : {}),
      ...(first.what === 'backup' || first.what === 'replace' ? { restored: true } : {}),
      ...(checks.some((failure) => failure.timedOut) ? { timedOutAfterSeconds: limit } : {}),
    };
  }

  const failedReload = outcome.reloads.find((reload) => !reload.ok && !reload.again);
  if (failedReload !== undefined || outcome.cancelled === 'reloading') {
    const againFailed = outcome.reloads.filter((reload) => reload.again && !reload.ok);
    const restoreProblems = outcome.restoreFailures.map((failure) => pathOf(failure.file)).join(', ');
    const after =
      restoreProblems !== ''
        ? `restoring the previous files failed for ${restoreProblems}: the host needs a person`
        : againFailed.length > 0
          ? `the previous files were restored, but reloading them failed too (\`${reloads[againFailed[0]!.index]}\`): the host needs a person`
          : 'the previous files were restored and reloaded';
    const command = failedReload ? reloads[failedReload.index] : undefined;
    return {
      message:
        failedReload === undefined
          ? `cancelled while reloading; ${after}`
          : failedReload.timedOut
            ? `\`${command}\` timed out after ${limit} s and was killed; ${after}`
            : `\`${command}\` failed (exit ${failedReload.exitCode}); ${after}`,
      ...(failedReload ? { stderr: tail(failedReload.output ?? '') } : {}),
      restored: outcome.restored && restoreProblems === '',
      ...(failedReload?.timedOut ? { timedOutAfterSeconds: limit } : {}),
      ...(outcome.cancelled ? { cancelled: true } : {}),
    };
  }

  if (!outcome.ended) {
    return {
      message:
        'the commit on the host stopped before its end; it restores the previous files when it fails, ' +
        'so push again to see where it stands',
      ...(stderr.trim() !== '' ? { stderr: tail(stderr) } : {}),
    };
  }
  return undefined;
}
