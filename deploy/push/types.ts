/**
 * The push engine's contract (docs/push.md): what a push is given, the progress events it
 * emits while it runs, and the report it ends with. The CLI and the desktop app both use it. The
 * events, reports and host-key questions are declared in core/push.ts, where the designer can
 * read them too, and re-exported here.
 */
import type { HostKeyQuestion } from '../../core/push';

export type * from '../../core/push';

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
  /**
   * Record keys trusted through `acceptNew` or `confirm` in the known_hosts write file; default
   * true. False trusts them for this push only: the app's plan, which must change nothing.
   */
  record?: boolean;
}
