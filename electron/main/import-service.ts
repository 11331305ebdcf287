/**
 * What the main process does for File › Import from hosts (docs/import.md): it runs the same
 * `collect` as `topoforge collect`, with push's host-key policy and the person's own SSH setup
 * (their ssh-agent or OpenSSH's default key files, their known_hosts), into a temporary folder;
 * reads that folder as `topoforge import` reads one; removes it; and answers with its files, for
 * the page to import as it imports a folder. Progress goes to the window that asked; one
 * collection at a time per window.
 *
 * Host keys are confirmed as push confirms them, without state across IPC: an unknown key is
 * trusted only when the request lists that host and fingerprint (the person compared it in the
 * dialog), and is then recorded in known_hosts; any other unknown key is refused and reported with
 * its fingerprint. A changed key is refused whatever the request lists.
 *
 * A cancelled collection disconnects at once and keeps nothing: the temporary folder is removed
 * and no files are answered, so nothing half-collected is ever imported.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTarget } from '../../core/collect';
import type { CollectEvent, CollectReport, CollectRequest, CollectTarget } from '../../core/collect';
import { readImportFolder } from '../../deploy/collect/folder';
import { collect } from '../../deploy/collect/index';
import { CredentialsError } from '../../deploy/push/connection';
import { defaultKnownHostsFiles } from '../../deploy/push/index';
import type { HostKeyPolicy, PushAuthentication } from '../../deploy/push/index';
import { HostError } from './ipc';
import { defaultPushAuthentication } from './push-service';

/** Options of {@link ImportService}. */
export interface ImportServiceOptions<Window> {
  /** Delivers a progress event to `window`, the one that asked. */
  send(window: Window, event: CollectEvent): void;
  /** How to log in; default as push: the ssh-agent of `SSH_AUTH_SOCK`, else OpenSSH's default key files. */
  authentication?: () => PushAuthentication;
  /** Default: `~/.ssh/known_hosts` (also recorded into) and `/etc/ssh/ssh_known_hosts`. */
  knownHosts?: HostKeyPolicy['knownHosts'];
  /**
   * Where each target's configs are read on its host; default `/`. Tests point it at the staged
   * root of a lab host, as `topoforge collect --root` does.
   */
  rootOf?: (target: CollectTarget) => string | undefined;
  /** Where the temporary folder is made; default the system's. */
  temporaryDirectory?: string;
  /** Milliseconds to connect and log in, per host. */
  connectTimeoutMs?: number;
}

/** The main-process side of File › Import from hosts. */
export class ImportService<Window> {
  /** Each window's running collection, and what cancels it. */
  private readonly running = new Map<Window, AbortController>();

  constructor(private readonly options: ImportServiceOptions<Window>) {}

  /** Whether `window` has a collection running. */
  isRunning(window: Window): boolean {
    return this.running.has(window);
  }

  /** Cancels `window`'s collection: it disconnects at once and keeps nothing. */
  cancel(window: Window): void {
    this.running.get(window)?.abort();
  }

  /** Collects the configs of the request's targets; resolves when every host has ended. */
  async collect(window: Window, request: CollectRequest): Promise<CollectReport> {
    if (this.running.has(window))
      throw new HostError('an import from hosts in this window is still running: wait until it has finished');
    const targets: CollectTarget[] = [];
    for (const [index, text] of request.targets.entries()) {
      const target = parseTarget(text.trim());
      if (!target) throw new HostError(`line ${index + 1}: '${text}' is not user@address[:port]`);
      const root = this.options.rootOf?.(target);
      targets.push(root === undefined ? target : { ...target, root });
    }
    if (targets.length === 0)
      throw new HostError('no host to import from: write one user@address[:port] per line');
    const cancel = new AbortController();
    this.running.set(window, cancel);
    const folder = await mkdtemp(join(this.options.temporaryDirectory ?? tmpdir(), 'topoforge-collect-'));
    try {
      const confirmed = new Set(
        (request.confirmedHostKeys ?? []).map((key) => `${key.host} ${key.fingerprint}`),
      );
      let hosts;
      try {
        hosts = await collect({
          targets,
          out: folder,
          authentication: this.options.authentication?.() ?? defaultPushAuthentication(),
          hostKeys: {
            knownHosts: this.options.knownHosts ?? defaultKnownHostsFiles(),
            confirm: async (question) => confirmed.has(`${question.host} ${question.fingerprint}`),
            record: true,
          },
          signal: cancel.signal,
          onEvent: (event) => this.options.send(window, event),
          ...(this.options.connectTimeoutMs !== undefined
            ? { connectTimeoutMs: this.options.connectTimeoutMs }
            : {}),
        });
      } catch (error) {
        if (error instanceof CredentialsError) throw new HostError(credentialsSentence(error.message));
        throw error;
      }
      const report = hosts.map((host) => ({
        host: host.host,
        address: host.address,
        port: host.port,
        user: host.user,
        state: host.state,
        files: host.files.length,
        bytes: host.bytes,
        problems: host.problems,
        ...(host.hostKey ? { hostKey: host.hostKey } : {}),
        ...(host.refusedKey ? { refusedKey: host.refusedKey } : {}),
      }));
      if (cancel.signal.aborted) return { cancelled: true, hosts: report, files: [], problems: [] };
      const read = await readImportFolder(folder);
      return { cancelled: false, hosts: report, files: read.files, problems: read.problems };
    } finally {
      this.running.delete(window);
      await rm(folder, { recursive: true, force: true, maxRetries: 3 });
    }
  }
}

/** The engine's reason for not logging in at all, worded for the app instead of the command line. */
function credentialsSentence(message: string): string {
  if (message.startsWith('no key to log in with'))
    return (
      'no key to log in with: start an ssh-agent holding your key (SSH_AUTH_SOCK) before you start ' +
      'Topoforge, or keep the key in ~/.ssh/id_ed25519, id_ecdsa or id_rsa'
    );
  if (/encrypted/u.test(message))
    return `${message}: add the key to your ssh-agent (ssh-add) and import again`;
  return message;
}
