/**
 * One host's push (SPEC section 6, steps 1 to 6): connect and verify the host key, plan by
 * sha256, then upload beside each destination and hand the host its commit script (checks,
 * backups, renames, reloads, restore on a failed reload). Never throws: every outcome is a report.
 */
import { performance } from 'node:perf_hooks';
import { createHash, randomBytes } from 'node:crypto';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { PushFile, PushHost } from './bundle';
import { ConnectionError, SshConnection } from './connection';
import type { ConnectOptions, Credentials } from './connection';
import { DIFF_SIZE_LIMIT, unifiedDiff } from './diff';
import type { HostKeyDecision, HostKeyVerifier } from './host-key';
import {
  ancestorDirectories,
  backupPathOf,
  cleanupScript,
  commitScript,
  CommitReader,
  contentScript,
  newMarker,
  parseContentOutput,
  parsePlanOutput,
  planScript,
  rootedPath,
  scriptCommand,
  shellQuote,
  temporaryPathOf,
} from './remote';
import type { CommitFile, CommitOutcome, RemoteFileState, RemoteState } from './remote';
import type { FileReport, HostFailure, HostReport, PushEvent, PushStep, ReloadReport } from './types';

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
}

/** A file with what the plan decided for it. */
interface PlannedFile {
  file: PushFile;
  destination: string;
  state: RemoteFileState;
  report: FileReport;
}

/** A step failed; `stderr` is what the host printed. */
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
const DAEMON_RELOAD = 'systemctl daemon-reload';
/** Remote output kept in a report, from its end: enough for any error message. */
const OUTPUT_LIMIT = 8000;

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > OUTPUT_LIMIT ? `…${trimmed.slice(-OUTPUT_LIMIT)}` : trimmed;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** Pushes one host; the report says how it went. */
export async function pushHost(context: HostPushContext): Promise<HostReport> {
  const { host, emit } = context;
  const started = performance.now();
  const report: HostReport = {
    host: host.id,
    address: host.address,
    port: host.port,
    status: 'failed',
    files: [],
    reloads: [],
    warnings: [],
    durationMs: 0,
  };
  let step: PushStep = 'connecting';
  const enter = (next: PushStep): void => {
    step = next;
    emit({ type: 'step', host: host.id, step: next });
  };
  let decision: HostKeyDecision | undefined;
  let connection: SshConnection | undefined;
  try {
    enter('connecting');
    const open = context.connect ?? SshConnection.open;
    let confirmed: HostKeyDecision | undefined;
    const attempt = (): Promise<SshConnection> =>
      open({
        address: host.address,
        port: host.port,
        user: host.user,
        credentials: context.credentials,
        preferredKeyTypes: context.verifier.preferredKeyTypes(host),
        verifyHostKey: async (key) => {
          enter('verifying');
          decision = await context.verifier.verify(host, key);
          if (decision.trusted && confirmed?.trusted) decision = confirmed;
          if (decision.trusted) step = 'connecting';
          return decision.trusted;
        },
      });
    const refused = (error: unknown): StepFailure => {
      if (decision && !decision.trusted) {
        step = 'verifying';
        return new StepFailure(decision.reason, {
          hostKey: { ...decision.key, state: decision.refusal },
        });
      }
      return new StepFailure(error instanceof Error ? error.message : String(error));
    };
    try {
      connection = await attempt();
    } catch (error) {
      if (!decision || decision.trusted || decision.ask === undefined) throw refused(error);
      confirmed = await context.verifier.ask(host, decision);
      if (!confirmed.trusted) {
        decision = confirmed;
        throw refused(error);
      }
      enter('connecting');
      decision = undefined;
      try {
        connection = await attempt();
      } catch (again) {
        throw refused(again);
      }
    }
    if (decision?.trusted) {
      report.hostKey = { ...decision.key, trust: decision.trust };
      if (decision.warning) report.warnings.push(decision.warning);
      emit({ type: 'host-key', host: host.id, hostKey: report.hostKey });
    }

    enter('planning');
    const planned = await plan(connection, context);
    report.files = planned.files.map((entry) => entry.report);
    const changed = planned.files.filter(
      (entry) => entry.report.action === 'create' || entry.report.action === 'update',
    );
    emit({ type: 'planned', host: host.id, files: changed.map((entry) => entry.report) });

    if (context.dryRun) {
      await addDiffs(connection, context, changed);
      report.status = changed.length > 0 ? 'changed' : 'unchanged';
      return report;
    }
    if (changed.length === 0) {
      report.status = 'unchanged';
      return report;
    }

    enter('uploading');
    const staging = host.sudo ? `/tmp/.topoforge-${randomBytes(8).toString('hex')}` : undefined;
    const temporaries = changed.map((entry) => temporaryPathOf(entry.destination));
    let synced = true;
    try {
      ({ synced } = await upload(connection, changed, planned.missingDirectories, staging));
    } catch (error) {
      if (!connection.lost) {
        const marker = newMarker();
        await connection
          .exec(
            scriptCommand(host.sudo),
            cleanupScript(marker, temporaries, host.sudo ? [] : planned.missingDirectories, staging),
          )
          .catch(() => undefined);
      }
      throw error;
    }

    const reloads = reloadsOf(changed);
    const commitFiles: CommitFile[] = changed.map((entry, index) => ({
      destination: entry.destination,
      temporary: temporaries[index]!,
      backup: backupPathOf(entry.destination),
      ...(staging ? { staged: `${staging}/${index}` } : {}),
      mode: octal(entry.file.mode),
      ...(entry.file.owner ? { owner: entry.file.owner } : {}),
      ...(entry.file.check
        ? { check: entry.file.check.replaceAll('{}', shellQuote(temporaries[index]!)) }
        : {}),
      createOnly: entry.file.policy === 'create-only',
    }));
    const marker = newMarker();
    const reader = new CommitReader(marker, (remoteStep) => {
      if (
        remoteStep !== step &&
        (remoteStep === 'checking' || remoteStep === 'replacing' || remoteStep === 'reloading')
      )
        enter(remoteStep);
    });
    const script = commitScript(marker, {
      files: commitFiles,
      createDirectories: host.sudo ? planned.missingDirectories : [],
      createdDirectories: planned.missingDirectories,
      reloads,
      ...(staging ? { staging } : {}),
      syncTemporaries: !synced,
    });
    enter('checking');
    const result = await connection.exec(scriptCommand(host.sudo), script, (line) => reader.line(line));
    applyOutcome(report, reader.outcome, changed, commitFiles, reloads, result.stderr);
    step = outcomeStep(reader.outcome, step);
    if (report.failure) {
      report.failure = { ...report.failure, step };
      report.status = 'failed';
    } else {
      report.status = 'changed';
    }
    return report;
  } catch (error) {
    report.status = 'failed';
    if (error instanceof StepFailure) report.failure = { step, message: error.message, ...error.details };
    else if (error instanceof ConnectionError)
      report.failure = { step, message: lostMessage(step, error.message) };
    else report.failure = { step, message: describeError(error, step, connection) };
    return report;
  } finally {
    connection?.close();
    report.durationMs = Math.round(performance.now() - started);
    if (report.status === 'failed' && report.failure) {
      const { step: failedStep, message, stderr } = report.failure;
      emit({
        type: 'failed',
        host: host.id,
        step: failedStep,
        message,
        ...(stderr ? { stderr } : {}),
        report,
      });
    } else {
      emit({ type: 'done', host: host.id, report });
    }
  }
}

function lostMessage(step: PushStep, reason: string): string {
  if (step === 'checking' || step === 'replacing' || step === 'reloading')
    return (
      `the connection was lost while ${step} (${reason}); the host finishes the change or restores ` +
      'its previous files on its own: push again to see where it stands'
    );
  return step === 'connecting' ? reason : `the connection was lost while ${step}: ${reason}`;
}

function describeError(error: unknown, step: PushStep, connection: SshConnection | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  if (connection?.lost) return lostMessage(step, connection.lost);
  return message;
}

/** The step a finished commit script stopped in, for the failure. */
function outcomeStep(outcome: CommitOutcome, current: PushStep): PushStep {
  if (outcome.reloads.some((reload) => !reload.ok)) return 'reloading';
  const first = outcome.failures[0];
  if (first?.what === 'backup' || first?.what === 'replace') return 'replacing';
  if (first?.what === 'check' || first?.what === 'prepare') return 'checking';
  return current;
}

/** Files up to this size are read over SFTP and hashed here; larger ones are hashed on the host. */
const READ_LIMIT = 1024 * 1024;
/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const NO_SUCH_FILE = 2;

/** What the host has: over SFTP (no process started on the host), or through a shell script. */
async function survey(
  connection: SshConnection,
  context: HostPushContext,
  destinations: string[],
  directories: string[],
): Promise<RemoteState> {
  // SFTP runs as the login user and knows owners only by number: sudo and owners need the shell.
  if (context.host.sudo || context.files.some((file) => file.owner !== undefined))
    return surveyByScript(connection, context, destinations, directories);
  return surveyBySftp(connection, context, destinations, directories);
}

async function surveyByScript(
  connection: SshConnection,
  context: HostPushContext,
  destinations: string[],
  directories: string[],
): Promise<RemoteState> {
  const marker = newMarker();
  const result = await connection.exec(
    scriptCommand(context.host.sudo),
    planScript(marker, destinations, directories),
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
  connection: SshConnection,
  context: HostPushContext,
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
    const hashed = await surveyByScript(connection, context, paths, []);
    large.forEach((index, position) => {
      files[index] = hashed.files[position]!;
    });
  }
  return { files, missingDirectories, blockingPaths };
}

/** Plans the host: what each file needs. */
async function plan(
  connection: SshConnection,
  context: HostPushContext,
): Promise<{ files: PlannedFile[]; missingDirectories: string[] }> {
  const { host, files } = context;
  const destinations = files.map((file) => rootedPath(host.root, file.path));
  const directories = ancestorDirectories(destinations);
  const state = await survey(connection, context, destinations, directories);
  if (state.blockingPaths.length > 0)
    throw new StepFailure(`${state.blockingPaths[0]} on the host is not a directory`);

  const planned = files.map((file, index): PlannedFile => {
    const remote = state.files[index]!;
    const destination = destinations[index]!;
    const report: FileReport = { path: file.path, action: 'unchanged' };
    if (remote.kind === 'missing') report.action = 'create';
    else if (remote.kind === 'other')
      throw new StepFailure(`${destination} on the host is a ${remote.type}, not a file`, {
        path: file.path,
      });
    else if (remote.kind === 'unreadable')
      throw new StepFailure(`cannot read ${destination} on the host`, {
        path: file.path,
        stderr: tail(remote.message),
      });
    else if (file.policy === 'create-only') report.action = 'kept';
    else {
      const reasons: NonNullable<FileReport['reasons']> = [];
      if (remote.sha256 !== file.sha256) reasons.push('content');
      if ((remote.mode & 0o7777) !== file.mode) reasons.push('mode');
      if (file.owner !== undefined) {
        const [user, group] = file.owner.split(':');
        if (user !== remote.user || (group !== undefined && group !== remote.group)) reasons.push('owner');
      }
      if (reasons.length > 0) {
        report.action = 'update';
        report.reasons = reasons;
      }
    }
    return { file, destination, state: remote, report };
  });
  return { files: planned, missingDirectories: state.missingDirectories };
}

/** Adds a unified diff to each changed file's report, reading the host's versions in one command. */
async function addDiffs(
  connection: SshConnection,
  context: HostPushContext,
  changed: PlannedFile[],
): Promise<void> {
  const readable = changed.filter(
    (entry) =>
      entry.state.kind === 'file' &&
      entry.state.content === undefined &&
      entry.report.reasons?.includes('content') &&
      entry.state.size <= DIFF_SIZE_LIMIT,
  );
  let contents: (Buffer | undefined)[] = [];
  if (readable.length > 0) {
    const marker = newMarker();
    const result = await connection.exec(
      scriptCommand(context.host.sudo),
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
    const header = notes.length > 0 ? `${context.host.id}:${file.path}: ${notes.join(', ')}\n` : '';
    if (state.kind === 'missing') {
      report.diff = header + unifiedDiff(context.host.id, file.path, undefined, file.content);
    } else if (report.reasons?.includes('content')) {
      const index = readable.indexOf(entry);
      const before =
        state.kind === 'file' && state.content ? state.content : index >= 0 ? contents[index] : undefined;
      report.diff =
        header +
        (before === undefined
          ? `Files ${context.host.id}:${file.path} (on the host) and (bundle) differ (sha256 ${state.kind === 'file' ? state.sha256.slice(0, 12) : '?'} -> ${file.sha256.slice(0, 12)})\n`
          : unifiedDiff(context.host.id, file.path, before, file.content));
    } else {
      report.diff = header;
    }
  }
}

/** The reloads a set of changed files needs, each once, in file order; daemon-reload first for units. */
function reloadsOf(changed: PlannedFile[]): string[] {
  const reloads: string[] = [];
  if (changed.some((entry) => UNIT_DIRECTORY.test(entry.file.path))) reloads.push(DAEMON_RELOAD);
  for (const entry of changed) {
    const reload = entry.file.reload;
    if (reload !== undefined && !reloads.includes(reload)) reloads.push(reload);
  }
  return reloads;
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

function sftpMessage(error: unknown, path: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return `cannot write ${path}: ${message}`;
}

/**
 * Uploads the changed files: beside their destination (mode set, flushed with fsync@openssh.com),
 * or, through sudo, into a private staging folder that the commit script installs from (and
 * flushes). `synced` is false when the server lacks the fsync extension. SFTP
 * requests are pipelined; the server handles them in order, so a folder exists before its files.
 */
async function upload(
  connection: SshConnection,
  changed: PlannedFile[],
  missingDirectories: string[],
  staging: string | undefined,
): Promise<{ synced: boolean }> {
  let unsynced = false;
  const sftp = await connection.sftp();
  const directories =
    staging === undefined
      ? missingDirectories.map((directory) => ({ directory, mode: 0o755 }))
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
    const target = staging === undefined ? temporaryPathOf(entry.destination) : `${staging}/${index}`;
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
      throw new StepFailure(sftpMessage(error, target), { path: entry.file.path });
    }
  });
  const results = await Promise.allSettled([...made, ...written]);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return { synced: !unsynced };
}

/** Turns the commit script's outcome into the host's report. */
function applyOutcome(
  report: HostReport,
  outcome: CommitOutcome,
  changed: PlannedFile[],
  commitFiles: CommitFile[],
  reloads: string[],
  stderr: string,
): void {
  const pathOf = (index: number | undefined): string | undefined =>
    index === undefined ? undefined : changed[index]?.file.path;
  report.reloads = outcome.reloads.map((reload): ReloadReport => ({
    command: reloads[reload.index] ?? '',
    ok: reload.ok,
    ...(reload.ok ? {} : { exitCode: reload.exitCode, output: tail(reload.output ?? '') }),
    ...(reload.again ? { afterRestore: true } : {}),
  }));

  const checks = outcome.failures.filter((failure) => failure.what === 'check');
  const first = outcome.failures[0];
  if (first !== undefined) {
    const path = pathOf(first.file);
    let message: string;
    if (first.what === 'check') {
      const names = checks.map((failure) => pathOf(failure.file)).join(', ');
      message =
        `the check of ${names} failed` +
        (checks.length === 1 ? ` (\`${changed[first.file!]?.file.check}\` exited ${first.exitCode})` : '') +
        '; nothing was replaced';
    } else if (first.what === 'prepare') {
      message = `cannot prepare ${path ?? 'the folders'} on the host; nothing was replaced`;
    } else {
      message = `cannot ${first.what === 'backup' ? 'back up' : 'replace'} ${path}; the previous files were restored`;
    }
    report.failure = {
      step: 'checking',
      message,
      stderr: tail(
        checks.length > 1
          ? checks.map((failure) => `${pathOf(failure.file)}:\n${failure.output}`).join('\n')
          : first.output,
      ),
      ...(path ? { path } : {}),
      ...(first.what === 'backup' || first.what === 'replace' ? { restored: true } : {}),
    };
    return;
  }

  const failedReload = outcome.reloads.find((reload) => !reload.ok && !reload.again);
  if (failedReload !== undefined) {
    const command = reloads[failedReload.index];
    const againFailed = outcome.reloads.filter((reload) => reload.again && !reload.ok);
    const restoreProblems = outcome.restoreFailures.map((failure) => pathOf(failure.file)).join(', ');
    report.failure = {
      step: 'reloading',
      message:
        `\`${command}\` failed (exit ${failedReload.exitCode}); ` +
        (restoreProblems !== ''
          ? `restoring the previous files failed for ${restoreProblems}: the host needs a person`
          : againFailed.length > 0
            ? `the previous files were restored, but reloading them failed too (\`${reloads[againFailed[0]!.index]}\`): the host needs a person`
            : 'the previous files were restored and reloaded'),
      stderr: tail(failedReload.output ?? ''),
      restored: outcome.restored && restoreProblems === '',
    };
    return;
  }

  if (!outcome.ended) {
    report.failure = {
      step: 'checking',
      message:
        'the commit on the host stopped before its end; it restores the previous files when it fails, ' +
        'so push again to see where it stands',
      ...(stderr.trim() !== '' ? { stderr: tail(stderr) } : {}),
    };
    return;
  }

  for (const [index, entry] of changed.entries()) {
    if (outcome.kept.includes(index)) entry.report.action = 'kept';
    if (outcome.backedUp.includes(index)) entry.report.backup = commitFiles[index]!.backup;
  }
}
