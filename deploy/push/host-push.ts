/**
 * One host's push (docs/push.md), one function per step:
 *
 * 1. {@link connect}: connect and verify the host key (connect timeout);
 * 2. {@link lock}: take the host's push lock (or, in a dry run, only look whether another push
 *    holds it), and remove what a cut-off push left behind;
 * 3. {@link plan}: compare each file with the host's by sha256, mode and owner; list the commands
 *    that will run; a dry run adds diffs ({@link addDiffs}) and stops;
 * 4. {@link upload}: write the changed files beside their destinations under names unique to this
 *    run;
 * 5. {@link commit}: hand the host its commit script, which checks, swaps (backup, then rename),
 *    reloads, and restores on a failed reload, timeout or cancel (remote.ts), and read its outcome
 *    into the report ({@link applyOutcome}).
 *
 * Never throws: every outcome, cancels and timeouts included, is a report.
 */
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { checkCommandFor, DAEMON_RELOAD } from '../../core/daemons';
import type { PushFile, PushHost } from './bundle';
import { CancelledError, ConnectionError, seconds, SshConnection, TimeoutError } from './connection';
import type { ConnectOptions, Credentials, RunningCommand } from './connection';
import { DIFF_SIZE_LIMIT, unifiedDiff } from './diff';
import { SECRET_NOT_SHOWN } from '../secrets/uploads';
import type { HostKeyDecision, HostKeyVerifier } from './host-key';
import type { Prerequisite } from '../../core/prerequisites';
import { checkPrerequisites, firstLines, stubbedCheck, sudoProblem } from './prerequisites';
import type { PrerequisiteOutcome } from './prerequisites';
import {
  ancestorDirectories,
  backupPathOf,
  cancelScript,
  cleanupScript,
  commitScript,
  CommitReader,
  contentScript,
  leftoverPrefixesOf,
  lockPathsOf,
  lockScript,
  LockReader,
  newMarker,
  newRunId,
  parseContentOutput,
  parsePlanOutput,
  planScript,
  rootedPath,
  scriptCommand,
  shellQuote,
  temporaryPathOf,
} from './remote';
import type {
  CommitFile,
  CommitOutcome,
  LockOutcome,
  LockPaths,
  RemoteFileState,
  RemoteState,
} from './remote';
import type {
  FileReport,
  HostFailure,
  HostReport,
  PlannedCommand,
  PushEvent,
  PushLockHolder,
  PushStep,
  ReloadReport,
} from './types';

/** What one host's push needs from the whole push. */
export interface HostPushContext {
  host: PushHost;
  files: PushFile[];
  credentials: Credentials;
  verifier: HostKeyVerifier;
  dryRun: boolean;
  emit: (event: PushEvent) => void;
  /** Opens connections; tests and jump hosts may route them elsewhere. */
  connect?: (options: ConnectOptions) => Promise<SshConnection>;
  /** How long one check or reload (and each of push's own remote scripts) may run. */
  commandTimeoutMs: number;
  /** How long connecting and the SSH handshake may take. */
  connectTimeoutMs: number;
  /** Take over a stale lock, whose push is gone (`--break-lock`). */
  breakLock: boolean;
  /** One line of JSON that tells a refused push who holds the host (see {@link describeHolder}). */
  holder: string;
  /** Cancels the push: the host ends with its old files. */
  signal?: AbortSignal;
  /** What the manifest says this host must have (core/prerequisites.ts), checked in the plan. */
  prerequisites?: readonly Prerequisite[];
  /** `--lab-certs`: create missing certificate and key pairs, self-signed, create-only. */
  labCertificates?: boolean;
}

/** A file with what the plan decided for it. */
interface PlannedFile {
  file: PushFile;
  destination: string;
  state: RemoteFileState;
  report: FileReport;
}

/** What the plan found on the host. */
interface HostPlan {
  files: PlannedFile[];
  changed: PlannedFile[];
  missingDirectories: string[];
  /** The reloads the changed files need, in order, `systemctl daemon-reload` first. */
  reloads: string[];
  /** Every check and reload the commit will run. */
  commands: PlannedCommand[];
}

/** The lock this run holds on the host, and the shell that holds it (the keeper). */
interface HeldLock {
  paths: LockPaths;
  token: string;
  /** The keeper's channel: push sends the commit script into the same shell. */
  keeper: RunningCommand;
  /** Where the keeper's output lines go now (the lock's reader, then the commit's). */
  listen(onLine: (line: string) => void): void;
  /** Ends the keeper's input: it releases the lock (after a commit it runs) and ends. */
  release(): Promise<void>;
}

/** A step failed; `details` add to the host's failure. */
class StepFailure extends Error {
  constructor(
    message: string,
    readonly details: Omit<HostFailure, 'step' | 'message'> = {},
  ) {
    super(message);
  }
}

/** Where systemd looks for units: a change there needs `systemctl daemon-reload`. */
const UNIT_DIRECTORY = /^\/(?:etc|run|lib|usr\/lib|usr\/local\/lib)\/systemd\/(?:system|user)\//u;
/** Remote output kept in a report, from its end: enough for any error message. */
const OUTPUT_LIMIT = 8000;
/** How long push waits for its own clean-up on the host after a failure or cancel. */
const CLEANUP_LIMIT_MS = 10_000;
/**
 * How long the commit may be silent beyond one command's limit: `timeout -k 5` kills a command
 * that ignores SIGTERM 5 s after it, and the renames print nothing while they run.
 */
const COMMIT_GRACE_MS = 15_000;

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > OUTPUT_LIMIT ? `…${trimmed.slice(-OUTPUT_LIMIT)}` : trimmed;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The state of one host's push while it runs: its report, its step, its run id. */
class HostRun {
  readonly report: HostReport;
  step: PushStep = 'connecting';
  /** Names this run's temporary and backup files on the host. */
  readonly id = newRunId();
  readonly started = performance.now();
  /** What the plan found of the host's prerequisites. */
  prerequisites?: PrerequisiteOutcome;

  constructor(readonly context: HostPushContext) {
    const host = context.host;
    this.report = {
      host: host.id,
      address: host.address,
      port: host.port,
      status: 'failed',
      files: [],
      reloads: [],
      warnings: [],
      durationMs: 0,
    };
  }

  enter(step: PushStep): void {
    this.step = step;
    this.context.emit({ type: 'step', host: this.context.host.id, step });
  }

  get cancelled(): boolean {
    return this.context.signal?.aborted === true;
  }

  /** Stops with a cancel if the push was cancelled: checked between steps. */
  checkCancelled(): void {
    if (this.cancelled) throw new CancelledError();
  }
}

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

function lostMessage(step: PushStep, reason: string): string {
  if (step === 'checking' || step === 'replacing' || step === 'reloading')
    return (
      `the connection was lost while ${step} (${reason}); the host finishes the change or restores ` +
      'its previous files on its own: push again to see where it stands'
    );
  return step === 'connecting' ? reason : `the connection was lost while ${step}: ${reason}`;
}

// ---------------------------------------------------------------------------------------------
// 1. Connect

/**
 * docs/push.md, step 1: connects with ssh2 and verifies the host key. An unknown key the app may
 * confirm is asked about with no connection open, then push connects again.
 */
async function connect(run: HostRun): Promise<SshConnection> {
  const { context } = run;
  const host = context.host;
  run.enter('connecting');
  const open = context.connect ?? SshConnection.open;
  let decision: HostKeyDecision | undefined;
  let confirmed: HostKeyDecision | undefined;
  const attempt = (): Promise<SshConnection> =>
    open({
      address: host.address,
      port: host.port,
      user: host.user,
      credentials: context.credentials,
      preferredKeyTypes: context.verifier.preferredKeyTypes(host),
      readyTimeoutMs: context.connectTimeoutMs,
      ...(context.signal ? { signal: context.signal } : {}),
      verifyHostKey: async (key) => {
        run.enter('verifying');
        decision = await context.verifier.verify(host, key);
        if (decision.trusted && confirmed?.trusted) decision = confirmed;
        if (decision.trusted) run.step = 'connecting';
        return decision.trusted;
      },
    });
  const refused = (error: unknown): unknown => {
    if (decision && !decision.trusted) {
      run.step = 'verifying';
      return new StepFailure(decision.reason, { hostKey: { ...decision.key, state: decision.refusal } });
    }
    return error;
  };
  let connection: SshConnection;
  try {
    connection = await attempt();
  } catch (error) {
    if (!decision || decision.trusted || decision.ask === undefined) throw refused(error);
    confirmed = await context.verifier.ask(host, decision);
    if (!confirmed.trusted) {
      decision = confirmed;
      throw refused(error);
    }
    run.checkCancelled();
    run.enter('connecting');
    decision = undefined;
    try {
      connection = await attempt();
    } catch (again) {
      throw refused(again);
    }
  }
  if (decision?.trusted) {
    run.report.hostKey = { ...decision.key, trust: decision.trust };
    if (decision.warning) run.report.warnings.push(decision.warning);
    context.emit({ type: 'host-key', host: host.id, hostKey: run.report.hostKey });
  }
  return connection;
}

// ---------------------------------------------------------------------------------------------
// Prerequisites (deploy/push/prerequisites.ts)

/** With `ssh.sudo`, whether `sudo -n` works, before push relies on it: a host without it says so in words. */
async function checkSudo(run: HostRun, connection: SshConnection): Promise<void> {
  const { context } = run;
  if (!context.host.sudo) return;
  // Part of the plan, ahead of the lock that needs sudo; its step shows in a failure, not as an event.
  run.step = 'planning';
  const result = await connection.exec('sudo -n true', '', {
    timeoutMs: context.commandTimeoutMs,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  const problem = sudoProblem(context.host, result);
  if (problem === undefined) return;
  run.report.prerequisites = { missing: [problem], notInstalled: [], labCertificates: [] };
  throw new StepFailure(problem, { stderr: tail(result.stderr) });
}

/**
 * docs/push.md, "Prerequisites": looks on the host for what the bundle needs there, before the
 * plan; a missing certificate, key or interface stops the host with nothing uploaded.
 */
async function prerequisites(run: HostRun, connection: SshConnection): Promise<void> {
  const { context } = run;
  const listed = (context.prerequisites ?? []).filter((prerequisite) => prerequisite.kind !== 'sudo');
  if (listed.length === 0) return;
  run.enter('planning');
  const outcome = await checkPrerequisites({
    host: context.host,
    prerequisites: listed,
    run: (script) => runScript(run, connection, script),
    labCertificates: context.labCertificates === true,
    dryRun: context.dryRun,
  });
  run.prerequisites = outcome;
  run.report.prerequisites = outcome.report;
  const { missing } = outcome.report;
  if (missing.length > 0)
    throw new StepFailure(
      `${plural(missing.length, 'prerequisite')} missing on ${context.host.id}, so nothing was uploaded:\n` +
        missing.map((line) => `- ${line}`).join('\n'),
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Lock

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
function stagingPrefixOf(lock: LockPaths): string {
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
async function lock(run: HostRun, connection: SshConnection): Promise<HeldLock | undefined> {
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

// ---------------------------------------------------------------------------------------------
// 3. Plan

/** Files up to this size are read over SFTP and hashed here; larger ones are hashed on the host. */
const READ_LIMIT = 1024 * 1024;
/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const NO_SUCH_FILE = 2;
const FAILURE = 4;

/** What the host has: over SFTP (no process started on the host), or through a shell script. */
async function survey(
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
function runScript(run: HostRun, connection: SshConnection, script: string) {
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
  const result = await runScript(run, connection, planScript(marker, destinations, directories));
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
        return { ...base, sha256: createHash('sha256').update(content).digest('hex'), content };
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

/**
 * docs/push.md, step 2: what each file needs, by sha256, mode and owner (unchanged files are
 * skipped), and every command the commit will run.
 */
async function plan(run: HostRun, connection: SshConnection): Promise<HostPlan> {
  const { context, report } = run;
  if (run.step !== 'planning') run.enter('planning');
  const { host, files } = context;
  const destinations = files.map((file) => rootedPath(host.root, file.path));
  const directories = ancestorDirectories(destinations);
  const state = await survey(run, connection, destinations, directories);
  if (state.blockingPaths.length > 0)
    throw new StepFailure(`${state.blockingPaths[0]} on the host is not a directory`);

  const planned = files.map((file, index): PlannedFile => {
    const remote = state.files[index]!;
    const destination = destinations[index]!;
    const fileReport: FileReport = {
      path: file.path,
      action: 'unchanged',
      ...(file.secret ? { secret: true } : {}),
    };
    if (remote.kind === 'missing') fileReport.action = 'create';
    else if (remote.kind === 'other')
      throw new StepFailure(`${destination} on the host is a ${remote.type}, not a file`, {
        path: file.path,
      });
    else if (remote.kind === 'unreadable')
      throw new StepFailure(`cannot read ${destination} on the host`, {
        path: file.path,
        stderr: tail(remote.message),
      });
    else if (file.policy === 'create-only') fileReport.action = 'kept';
    else {
      const reasons: NonNullable<FileReport['reasons']> = [];
      if (remote.sha256 !== file.sha256) reasons.push('content');
      if ((remote.mode & 0o7777) !== file.mode) reasons.push('mode');
      if (file.owner !== undefined) {
        const [user, group] = file.owner.split(':');
        if (user !== remote.user || (group !== undefined && group !== remote.group)) reasons.push('owner');
      }
      if (reasons.length > 0) {
        fileReport.action = 'update';
        fileReport.reasons = reasons;
      }
    }
    return { file, destination, state: remote, report: fileReport };
  });
  report.files = planned.map((entry) => entry.report);
  report.warnings.push(...ownerWarnings(planned));
  const changed = planned.filter(
    (entry) => entry.report.action === 'create' || entry.report.action === 'update',
  );
  const reloads = reloadsOf(changed, planned, run.prerequisites?.held);
  const commands: PlannedCommand[] = [
    ...changed.flatMap((entry): PlannedCommand[] =>
      entry.file.check === undefined
        ? []
        : [
            {
              step: 'checking',
              command: checkCommandOf(entry.file, temporaryPathOf(entry.destination, run.id), run),
              path: entry.file.path,
            },
          ],
    ),
    ...reloads.map((command): PlannedCommand => {
      const file = changed.find((entry) => entry.file.reload === command);
      return { step: 'reloading', command, ...(file ? { path: file.file.path } : {}) };
    }),
  ];
  report.commands = commands;
  context.emit({
    type: 'planned',
    host: host.id,
    files: changed.map((entry) => entry.report),
    commands,
  });
  return { files: planned, changed, missingDirectories: state.missingDirectories, reloads, commands };
}

/**
 * A file push created while its owner did not exist is root's (docs/push.md): once the service's
 * package is installed, its user must be given it. A replaced file is, by the next push; a
 * create-only one (a secret, Sentinel's own config) never is, so the person is told.
 */
function ownerWarnings(planned: PlannedFile[]): string[] {
  return planned.flatMap(({ file, state, report, destination }) => {
    if (report.action !== 'kept' || state.kind !== 'file' || file.owner === undefined) return [];
    if (`${state.user}:${state.group}` === file.owner) return [];
    return [
      `the ${file.secret ? 'secret ' : ''}file ${file.path} belongs to ${state.user}:${state.group}, not ${file.owner} ` +
        `(push makes it root's while its user does not exist): once the user exists, run chown ${file.owner} ` +
        `${destination} on the host`,
    ];
  });
}

/**
 * The command that checks `file` at `path`: built from the catalogue's words, each quoted, for a
 * file the catalogue knows; a hand-made manifest's own text (which the person vouched for by its
 * digest) with `{}` replaced otherwise.
 */
function checkCommandOf(file: PushFile, path: string, run: HostRun): string {
  const command =
    file.checkWords !== undefined
      ? checkCommandFor(file.checkWords, path)
      : (file.check ?? '').replaceAll('{}', shellQuote(path));
  const stubs = run.prerequisites?.stubs.get(file.path);
  return stubs === undefined ? command : stubbedCheck(command, stubs);
}

/**
 * The reloads a set of changed files needs, each once, in file order; daemon-reload first for
 * units. A file whose program is not installed (`held`) is installed without its reload: its unit
 * is neither enabled nor started.
 */
function reloadsOf(
  changed: PlannedFile[],
  planned: PlannedFile[],
  held: ReadonlySet<string> = new Set(),
): string[] {
  // A unit whose program is not installed is neither started nor restarted: not for its own files
  // (held), and not for a file it shares a reload with, such as its secret (mongod's keyFile).
  const heldReloads = new Set(
    planned.filter((entry) => held.has(entry.file.path)).map((entry) => entry.file.reload),
  );
  const reloads: string[] = [];
  if (changed.some((entry) => UNIT_DIRECTORY.test(entry.file.path))) reloads.push(DAEMON_RELOAD);
  for (const entry of changed) {
    if (held.has(entry.file.path)) continue;
    const reload = entry.file.reload;
    if (reload !== undefined && !heldReloads.has(reload) && !reloads.includes(reload)) reloads.push(reload);
  }
  return reloads;
}

/** Adds a unified diff to each changed file's report, reading the host's versions in one command. */
async function addDiffs(run: HostRun, connection: SshConnection, changed: PlannedFile[]): Promise<void> {
  const hostId = run.context.host.id;
  const readable = changed.filter(
    (entry) =>
      !entry.file.secret &&
      entry.state.kind === 'file' &&
      entry.state.content === undefined &&
      entry.report.reasons?.includes('content') &&
      entry.state.size <= DIFF_SIZE_LIMIT,
  );
  let contents: (Buffer | undefined)[] = [];
  if (readable.length > 0) {
    const marker = newMarker();
    const result = await runScript(
      run,
      connection,
      contentScript(
        marker,
        readable.map((entry) => entry.destination),
      ),
    );
    contents = parseContentOutput(marker, result.stdout, readable.length);
  }
  for (const entry of changed) {
    const { state, file, report } = entry;
    const notes: string[] = [];
    if (state.kind === 'file' && report.reasons?.includes('mode'))
      notes.push(`mode ${octal(state.mode & 0o7777)} -> ${octal(file.mode)}`);
    if (state.kind === 'file' && report.reasons?.includes('owner'))
      notes.push(`owner ${state.user}:${state.group} -> ${file.owner}`);
    const header = notes.length > 0 ? `${hostId}:${file.path}: ${notes.join(', ')}\n` : '';
    if (file.secret) {
      // Neither the host's secret nor the store's is ever shown or compared as text.
      report.diff = `${header}${hostId}:${file.path}: ${SECRET_NOT_SHOWN}\n`;
    } else if (state.kind === 'missing') {
      report.diff = header + unifiedDiff(hostId, file.path, undefined, file.content);
    } else if (report.reasons?.includes('content')) {
      const index = readable.indexOf(entry);
      const before =
        state.kind === 'file' && state.content ? state.content : index >= 0 ? contents[index] : undefined;
      report.diff =
        header +
        (before === undefined
          ? `Files ${hostId}:${file.path} (on the host) and (bundle) differ (sha256 ${state.kind === 'file' ? state.sha256.slice(0, 12) : '?'} -> ${file.sha256.slice(0, 12)})\n`
          : unifiedDiff(hostId, file.path, before, file.content));
    } else {
      report.diff = header;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Upload

/** What the upload left on the host for the commit. */
interface Uploaded {
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
async function upload(run: HostRun, connection: SshConnection, planned: HostPlan): Promise<Uploaded> {
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

// ---------------------------------------------------------------------------------------------
// 5. Commit: check, swap, reload, restore

/**
 * docs/push.md, steps 3 to 5 on the host: the commit script runs the checks on the temporary
 * files, keeps backups and renames (the swap), runs the reloads, and restores the previous files
 * when a reload fails, times out, or push cancels. It runs to its end even when the connection is
 * lost. A cancel sends it SIGTERM; it stops the running command and ends with the old files.
 */
async function commit(
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
    createOnly: entry.file.policy === 'create-only',
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
