/**
 * The push engine's contract (SPEC section 6): what a push is given, the progress events it
 * emits while it runs, and the report it ends with. The CLI and the desktop app both use it.
 */

/** A step of one host's push, in the order they run. */
export type PushStep =
  'connecting' | 'verifying' | 'planning' | 'uploading' | 'checking' | 'replacing' | 'reloading';

/**
 * Where a host's push stopped. `order`: it was never started because a host before it in the
 * same voting group or behind the same entrypoint failed, so pushing it could take down more than
 * the design can lose.
 */
export type FailedStep = PushStep | 'order';

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
}

/** A reload command and how it went. */
export interface ReloadReport {
  command: string;
  ok: boolean;
  /** Exit status, when it failed. */
  exitCode?: number;
  /** What it printed (stdout and stderr), when it failed. */
  output?: string;
  /** True for the second round, run on the restored files after a failed reload. */
  afterRestore?: boolean;
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
  reloads: ReloadReport[];
  failure?: HostFailure;
  /** Things the user should know that did not stop the push, e.g. a key that could not be recorded. */
  warnings: string[];
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
  /** What the plan found: the files that will change (or would, in a dry run). */
  | { type: 'planned'; host: string; files: FileReport[] }
  | { type: 'done'; host: string; report: HostReport }
  | { type: 'failed'; host: string; step: FailedStep; message: string; stderr?: string; report: HostReport };

/** How push logs in. Nothing here is ever written to disk or into a report or event. */
export interface PushAuthentication {
  /** Private key file (`--identity`). When set, only this key is offered. */
  identityFile?: string;
  /** ssh-agent socket (`SSH_AUTH_SOCK`), used when no identity file is given. */
  agentSocket?: string;
  /**
   * Key files tried when neither of the above is given, like OpenSSH's defaults
   * (`~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`); the first that exists is used.
   */
  defaultIdentityFiles?: string[];
  /** Asked once for an encrypted key's passphrase; undefined gives up. */
  passphrase?: (identityFile: string) => Promise<string | undefined>;
}

/** How push decides whether to trust a server. */
export interface HostKeyPolicy {
  /** known_hosts files to read, and the one that records accepted keys. */
  knownHosts: { read: string[]; write: string; hashNames?: boolean };
  /** Trust an unknown key on first use and record it (`--accept-new`). Never a changed one. */
  acceptNew?: boolean;
  /**
   * Asked (one question at a time) about an unknown key when `acceptNew` is off; true trusts and
   * records it. Without it an unknown key is refused.
   */
  confirm?: (question: HostKeyQuestion) => Promise<boolean>;
}
