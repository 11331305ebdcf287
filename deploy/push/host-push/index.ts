/**
 * One host's push (docs/push.md), one file per step:
 *
 * 1. `connect` (connect.ts): connect and verify the host key (connect timeout), then the
 *    prerequisites;
 * 2. `lock` (lock.ts): take the host's push lock (or, in a dry run, only look whether another push
 *    holds it), and remove what a cut-off push left behind;
 * 3. `plan` (plan.ts, survey.ts): compare each file with the host's by sha256, mode and owner;
 *    list the commands that will run; a dry run adds diffs and stops;
 * 4. `upload` (upload.ts): write the changed files beside their destinations under names unique
 *    to this run;
 * 5. `commit` (commit.ts): hand the host its commit script, which checks, swaps (backup, then
 *    rename), reloads, and restores on a failed reload, timeout or cancel (remote.ts), and read its
 *    outcome into the report.
 *
 * Never throws: every outcome, cancels and timeouts included, is a report.
 */
import { performance } from 'node:perf_hooks';
import type { SshConnection } from '../connection';
import { CancelledError, ConnectionError, seconds, TimeoutError } from '../connection';
import { HostRun, lostMessage, StepFailure } from './run';
import type { HeldLock, HostPushContext } from './run';
import { addDiffs, plan } from './plan';
import { checkSudo, connect, prerequisites } from './connect';
import { commit } from './commit';
import { lock } from './lock';
import { upload } from './upload';
import type { HostFailure, HostReport } from '../types';

/** Pushes one host; the report says how it went. */
export async function pushHost(context: HostPushContext): Promise<HostReport> {
  const run = new HostRun(context);
  const { report } = run;
  let connection: SshConnection | undefined;
  let held: HeldLock | undefined;
  try {
    connection = await connect(run);
    run.checkCancelled();
    await checkSudo(run, connection);
    held = await lock(run, connection);
    run.checkCancelled();
    await prerequisites(run, connection);
    const planned = await plan(run, connection);
    if (context.dryRun) {
      await addDiffs(run, connection, planned.changed);
      report.status = planned.changed.length > 0 ? 'changed' : 'unchanged';
      return report;
    }
    if (planned.changed.length === 0) {
      report.status = 'unchanged';
      return report;
    }
    run.checkCancelled();
    const uploaded = await upload(run, connection, planned);
    await commit(run, connection, held!, planned, uploaded);
    return report;
  } catch (error) {
    report.status = 'failed';
    report.failure = failureOf(run, error, connection);
    return report;
  } finally {
    if (held) await held.release().catch(() => undefined);
    connection?.close();
    report.durationMs = Math.round(performance.now() - run.started);
    if (report.status === 'failed' && report.failure) {
      const { step: failedStep, message, stderr } = report.failure;
      context.emit({
        type: 'failed',
        host: context.host.id,
        step: failedStep,
        message,
        ...(stderr ? { stderr } : {}),
        report,
      });
    } else {
      context.emit({ type: 'done', host: context.host.id, report });
    }
  }
}

/** The host's failure for an error that ended its push in the current step. */
function failureOf(run: HostRun, error: unknown, connection: SshConnection | undefined): HostFailure {
  const step = run.step;
  if (error instanceof StepFailure) return { step, message: error.message, ...error.details };
  if (error instanceof CancelledError)
    return {
      step,
      message: `cancelled while ${step}; nothing was replaced on the host`,
      cancelled: true,
    };
  if (error instanceof TimeoutError)
    return {
      step,
      message:
        step === 'connecting' || step === 'verifying'
          ? error.message
          : `timed out after ${seconds(error.limitMs)} while ${step} (${error.message}); nothing was replaced`,
      timedOutAfterSeconds: error.limitMs / 1000,
    };
  if (error instanceof ConnectionError) return { step, message: lostMessage(step, error.message) };
  const message = error instanceof Error ? error.message : String(error);
  return { step, message: connection?.lost ? lostMessage(step, connection.lost) : message };
}
