/**
 * The push contract (docs/push.md), types only: the progress events a push emits, the report it
 * ends with, and the host-key questions it asks. The push engine (deploy/push), the CLI, the
 * desktop shell and the designer's push dialog all speak it, so it lives here, free of Node.
 */

/**
 * A step of one host's push, in the order they run. `locking` takes the host's push lock, so that
 * two pushes never change one host at once.
 */
export type PushStep =
  'connecting' | 'verifying' | 'locking' | 'planning' | 'uploading' | 'checking' | 'replacing' | 'reloading';

/**
 * Where a host's push stopped. `order`: it was never started because a host before it in the
 * same voting group or behind the same entrypoint failed, so pushing it could take down more than
 * the design can lose. `cancelled`: it was never started because the push was cancelled.
 */
export type FailedStep = PushStep | 'order' | 'cancelled';

/** How a server's host key came to be trusted. */
export type HostKeyTrust =
  /** It matches the `hostKey` fingerprint pinned in the design. */
  | 'pinned'
  /** known_hosts lists it for this host. */
  | 'known'
  /** It was unknown and `acceptNew` recorded it. */
  | 'accepted'
  /** It was unknown and the user confirmed its fingerprint. */
  | 'confirmed';

/** The host key a server presented. */
export interface HostKeyInfo {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, … */
  type: string;
  /** `SHA256:…`, as OpenSSH prints it. */
  fingerprint: string;
}

/**
 * Why a server's key was not trusted:
 * - `unknown`: nothing lists it; the user may confirm its fingerprint (or `--accept-new`);
 * - `changed`: known_hosts lists other keys for the host; always refused;
 * - `mismatch`: it is not the `hostKey` pinned in the design; always refused;
 * - `revoked`: known_hosts marks it `@revoked`; always refused.
 */
export type HostKeyRefusal = 'unknown' | 'changed' | 'mismatch' | 'revoked';

/** A key push refused, as reported on the host's failure. */
export interface RefusedHostKey extends HostKeyInfo {
  state: HostKeyRefusal;
}

/** What the app shows when a server's key is unknown: confirm only if the fingerprint is right. */
export interface HostKeyQuestion extends HostKeyInfo {
  host: string;
  address: string;
  port: number;
}

/** What push does to one file. */
export type FileAction =
  /** Missing on the host: created. */
  | 'create'
  /** Different content, mode or owner: replaced. */
  | 'update'
  | 'unchanged'
  /** A `create-only` file the host already has: never overwritten, whatever it holds. */
  | 'kept';

/** One file of a host's report. */
export interface FileReport {
  /** The path in the manifest (without `ssh.root`). */
  path: string;
  action: FileAction;
  /** Why an `update`: the content, the mode, the owner, or several. */
  reasons?: ('content' | 'mode' | 'owner')[];
  /** For an applied `update`: where on the host the previous version was kept. */
  backup?: string;
  /** Dry runs only: the unified diff from the host's file to the bundle's. */
  diff?: string;
  /**
   * A secret file (docs/push.md, "Secrets"), rendered from the secret store on the pushing
   * machine: its content is never shown, and its `diff` says "secret, not shown".
   */
  secret?: true;
}

/** A reload command and how it went. */
export interface ReloadReport {
  command: string;
  ok: boolean;
  /** Exit status, when it failed. */
  exitCode?: number;
  /** It ran out of time and was killed; the limit in seconds. */
  timedOutAfterSeconds?: number;
  /** What it printed (stdout and stderr), when it failed. */
  output?: string;
  /** True for the second round, run on the restored files after a failed reload. */
  afterRestore?: boolean;
}

/** The push that holds a host's lock, as it recorded itself there. */
export interface PushLockHolder {
  /** `held`: its push runs; `stale`: it is gone without releasing the lock (`--break-lock`). */
  state: 'held' | 'stale';
  /** The name of the design it pushes. */
  design?: string;
  /** Who pushes, and from where: `alice@laptop`. */
  by?: string;
  /** Its process id on the machine it pushes from. */
  pid?: number;
  /** When it took the lock (ISO 8601). */
  started?: string;
}

/** A command push runs on a host, listed in plans before anything runs. */
export interface PlannedCommand {
  /** The step that runs it. */
  step: 'checking' | 'reloading';
  command: string;
  /** The file it checks, or whose change it applies (absent for `systemctl daemon-reload`). */
  path?: string;
}

/** Why a host failed. */
export interface HostFailure {
  step: FailedStep;
  message: string;
  /** What the remote command printed, when one failed. */
  stderr?: string;
  /** The file the failure is about, if any. */
  path?: string;
  /** A reload failed and the previous files were put back (then reloaded again). */
  restored?: boolean;
  /** The server's key was not trusted (step `verifying`): which key, and why. */
  hostKey?: RefusedHostKey;
  /** Another push holds the host (step `locking`). */
  lock?: PushLockHolder;
  /** A remote command ran out of time and was killed; the limit in seconds. */
  timedOutAfterSeconds?: number;
  /** The push was cancelled while the host was in `step`; it ends with its old files. */
  cancelled?: boolean;
  /**
   * Temporary files this push may have left on the host (the connection was lost while
   * uploading): harmless, and the next push removes them.
   */
  leftovers?: string[];
}

/**
 * What the plan found of a host's prerequisites (docs/push.md, "Prerequisites"): one line each,
 * naming the host, the thing, why the bundle needs it and how to provide it.
 */
export interface HostPrerequisites {
  /** Missing certificates, keys, interfaces, sudo: each stops the host before anything is uploaded. */
  missing: string[];
  /** Programs (or their users) not installed yet: their units are installed but neither enabled nor started. */
  notInstalled: string[];
  /** Self-signed certificates `--lab-certs` created (in a dry run: would create). */
  labCertificates: string[];
}

/**
 * One host's outcome. `changed` and `unchanged` hosts have all their new files; a `failed` host
 * has all its old ones (the failure says what happened). In a dry run `changed` means "would
 * change".
 */
export interface HostReport {
  host: string;
  address: string;
  port: number;
  status: 'changed' | 'unchanged' | 'failed';
  hostKey?: HostKeyInfo & { trust: HostKeyTrust };
  files: FileReport[];
  /**
   * Every check and reload that runs (or, in a dry run, would run) on the host, in order, exactly
   * as the host's shell gets it; empty when nothing changes.
   */
  commands?: PlannedCommand[];
  reloads: ReloadReport[];
  failure?: HostFailure;
  /** Things the user should know that did not stop the push, e.g. a key that could not be recorded. */
  warnings: string[];
  /** The host's prerequisites, when the manifest lists any and the plan looked for them. */
  prerequisites?: HostPrerequisites;
  durationMs: number;
}

/** The whole push. `ok` when no host failed. */
export interface PushReport {
  ok: boolean;
  dryRun: boolean;
  summary: { changed: number; unchanged: number; failed: number };
  /** Selected hosts in manifest order. */
  hosts: HostReport[];
  /** About the whole push, e.g. an unreadable known_hosts line or an unknown roll-out order. */
  warnings: string[];
  durationMs: number;
}

/** Progress of a push, host by host, for a live view. */
export type PushEvent =
  /** The host waits for these hosts of its voting group or entrypoint to finish first. */
  | { type: 'waiting'; host: string; after: string[] }
  | { type: 'step'; host: string; step: PushStep }
  | { type: 'host-key'; host: string; hostKey: HostKeyInfo & { trust: HostKeyTrust } }
  /** What the plan found: the files that will change (or would, in a dry run), and the commands that will run. */
  | { type: 'planned'; host: string; files: FileReport[]; commands: PlannedCommand[] }
  | { type: 'done'; host: string; report: HostReport }
  | { type: 'failed'; host: string; step: FailedStep; message: string; stderr?: string; report: HostReport };
