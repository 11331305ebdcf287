/**
 * The state of one host's push while it runs, and what its steps share.
 */
import { performance } from 'node:perf_hooks';
import { CancelledError } from '../connection';
import type { ConnectOptions, Credentials, RunningCommand, SshConnection } from '../connection';
import { newRunId } from '../remote';
import type { LockPaths, RemoteFileState } from '../remote';
import type { PushFile, PushHost } from '../bundle';
import type { HostKeyVerifier } from '../host-key';
import type { Prerequisite } from '../../../core/prerequisites';
import type { PrerequisiteOutcome } from '../prerequisites';
import type { FileReport, HostFailure, HostReport, PlannedCommand, PushEvent, PushStep } from '../types';

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
export interface PlannedFile {
  file: PushFile;
  destination: string;
  state: RemoteFileState;
  report: FileReport;
}

/** What the plan found on the host. */
export interface HostPlan {
  files: PlannedFile[];
  changed: PlannedFile[];
  missingDirectories: string[];
  /** The reloads the changed files need, in order, `systemctl daemon-reload` first. */
  reloads: string[];
  /** Every check and reload the commit will run. */
  commands: PlannedCommand[];
}

/** The lock this run holds on the host, and the shell that holds it (the keeper). */
export interface HeldLock {
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
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly details: Omit<HostFailure, 'step' | 'message'> = {},
  ) {
    super(message);
  }
}

/** Where systemd looks for units: a change there needs `systemctl daemon-reload`. */
export const UNIT_DIRECTORY = /^\/(?:etc|run|lib|usr\/lib|usr\/local\/lib)\/systemd\/(?:system|user)\//u;

/** Remote output kept in a report, from its end: enough for any error message. */
const OUTPUT_LIMIT = 8000;

/** How long push waits for its own clean-up on the host after a failure or cancel. */
export const CLEANUP_LIMIT_MS = 10_000;

/**
 * How long the commit may be silent beyond one command's limit: `timeout -k 5` kills a command
 * that ignores SIGTERM 5 s after it, and the renames print nothing while they run.
 */
export const COMMIT_GRACE_MS = 15_000;

/** A host's report before anything happened: failed until a step says otherwise. */
export function blankReport(host: PushHost): HostReport {
  return {
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

/** The end of a command's output, at most OUTPUT_LIMIT characters, for a report. */
export function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > OUTPUT_LIMIT ? `…${trimmed.slice(-OUTPUT_LIMIT)}` : trimmed;
}

/** A file mode as four octal digits (`0644`). */
export function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** `1 file`, `2 files`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The state of one host's push while it runs: its report, its step, its run id. */
export class HostRun {
  readonly report: HostReport;
  step: PushStep = 'connecting';
  /** Names this run's temporary and backup files on the host. */
  readonly id = newRunId();
  readonly started = performance.now();
  /** What the plan found of the host's prerequisites. */
  prerequisites?: PrerequisiteOutcome;

  constructor(readonly context: HostPushContext) {
    this.report = blankReport(context.host);
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

/** What a report says when the connection drops during a step: whether the host finishes on its own. */
export function lostMessage(step: PushStep, reason: string): string {
  if (step === 'checking' || step === 'replacing' || step === 'reloading')
    return (
      `the connection was lost while ${step} (${reason}); the host finishes the change or restores ` +
      'its previous files on its own: push again to see where it stands'
    );
  return step === 'connecting' ? reason : `the connection was lost while ${step}: ${reason}`;
}
