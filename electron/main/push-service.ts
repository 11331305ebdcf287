/**
 * What the main process does for the push members of the host interface (core/host.ts): it
 * generates the bundle from the design text the page sends, exactly as an export does (so the
 * commands a push runs as root never come from the page), and pushes it with the person's own
 * SSH setup: their ssh-agent (`SSH_AUTH_SOCK`) or OpenSSH's default key files, and their
 * known_hosts files. Progress goes to the window that asked; one push at a time per window.
 *
 * Host keys are confirmed without state across IPC: the page lists the fingerprints the person
 * trusted, and the engine's question about an unknown key is answered yes only for a listed host
 * and fingerprint. Any other unknown key is refused and reported with its fingerprint, for the
 * person to compare. A changed key is refused by the engine whatever the page lists.
 *
 * Log-in methods, known_hosts files and connections are injected, so tests run it in plain Node
 * against real sshd servers.
 */
import { homedir } from 'node:os';
import type { PushRequest } from '../../core/host';
import type { PushEvent, PushReport } from '../../core/push';
import { generateBundle } from '../../core/generate/index';
import type { Bundle } from '../../core/generate/index';
import { UnsafeValueError } from '../../core/generate/quote';
import { describeProblem, parseDesign } from '../../core/load';
import { validateDesign } from '../../core/rules';
import { indexDesign } from '../../core/design-index';
import { nodeSha256 } from '../../deploy/hash';
import {
  defaultIdentityFiles,
  defaultKnownHostsFiles,
  pushBundle,
  pushBundleOf,
} from '../../deploy/push/index';
import type { HostKeyPolicy, PushAuthentication, PushOptions } from '../../deploy/push/index';
import { SecretStore } from '../../deploy/secrets/index';
import { HostError } from './ipc';

/** Options of {@link PushService}. */
export interface PushServiceOptions<Window> {
  /** Delivers a progress event to `window`, the one that asked. */
  send(window: Window, event: PushEvent): void;
  /**
   * How to log in. Default: the ssh-agent of `SSH_AUTH_SOCK`, else the first of OpenSSH's default
   * key files that exists (an encrypted one needs the agent: no passphrase crosses into the app).
   */
  authentication?: () => PushAuthentication;
  /** Default: `~/.ssh/known_hosts` (also recorded into) and `/etc/ssh/ssh_known_hosts`. */
  knownHosts?: HostKeyPolicy['knownHosts'];
  /** Hosts at once; default the engine's. */
  concurrency?: number;
  /** Opens connections; for tests. */
  connect?: PushOptions['connect'];
  /**
   * The secret store, the one `topoforge push` and `topoforge secrets` use: default `secrets` in
   * the app's data folder (or `$TOPOFORGE_SECRETS_DIR`). A plan reads it and creates nothing.
   */
  secretStore?: () => SecretStore;
}

/** The person's own SSH setup, read at each push: an agent started later is found. */
export function defaultPushAuthentication(
  env: NodeJS.ProcessEnv = process.env,
  home = homedir(),
): PushAuthentication {
  return {
    ...(env.SSH_AUTH_SOCK ? { agentSocket: env.SSH_AUTH_SOCK } : {}),
    defaultIdentityFiles: defaultIdentityFiles(home),
  };
}

/** How many findings a refusal lists before "and N more". */
const LISTED_FINDINGS = 5;

/** The main-process side of push. */
export class PushService<Window> {
  /** Each window's running plan or push, and what cancels it. */
  private readonly running = new Map<Window, AbortController>();

  constructor(private readonly options: PushServiceOptions<Window>) {}

  /** Whether `window` has a plan or push running. */
  isRunning(window: Window): boolean {
    return this.running.has(window);
  }

  /**
   * Cancels `window`'s running plan or push: hosts not started are not pushed, and every host being
   * pushed ends with its old files. The plan's or push's own call then resolves with the report.
   */
  cancel(window: Window): void {
    this.running.get(window)?.abort();
  }

  /** A dry run: host keys and the plan with diffs; nothing changes, known_hosts included. */
  plan(window: Window, request: PushRequest): Promise<PushReport> {
    return this.run(window, request, true);
  }

  /** The push; confirmed host keys are recorded in known_hosts. */
  push(window: Window, request: PushRequest): Promise<PushReport> {
    return this.run(window, request, false);
  }

  private async run(window: Window, request: PushRequest, dryRun: boolean): Promise<PushReport> {
    if (this.running.has(window))
      throw new HostError('a push from this window is still running: wait until it has finished');
    const cancel = new AbortController();
    this.running.set(window, cancel);
    try {
      const bundle = await pushBundleOf(generatedBundle(request.designText), 'the generated bundle');
      if (!bundle.ok) throw new HostError(`the generated bundle cannot be pushed: ${bundle.problem.message}`);
      const confirmed = new Set(
        (request.confirmedHostKeys ?? []).map((key) => `${key.host} ${key.fingerprint}`),
      );
      const outcome = await pushBundle({
        bundle: bundle.bundle,
        ...(request.hosts && request.hosts.length > 0 ? { hosts: request.hosts } : {}),
        dryRun,
        labCertificates: request.labCertificates === true,
        ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
        authentication: this.options.authentication?.() ?? defaultPushAuthentication(),
        hostKeys: {
          knownHosts: this.options.knownHosts ?? defaultKnownHostsFiles(),
          confirm: async (question) => confirmed.has(`${question.host} ${question.fingerprint}`),
          record: !dryRun,
        },
        signal: cancel.signal,
        onEvent: (event) => this.options.send(window, event),
        ...(this.options.connect ? { connect: this.options.connect } : {}),
        secretStore: this.options.secretStore?.() ?? new SecretStore(),
      });
      if (!outcome.ok) throw new HostError(problemSentence(outcome.problem));
      return outcome.report;
    } finally {
      this.running.delete(window);
    }
  }
}

/** The engine's reason for not starting, worded for the app instead of the command line. */
function problemSentence(problem: { message: string; path: string }): string {
  if (problem.path === '--identity' && problem.message.startsWith('no key to log in with'))
    return (
      'no key to log in with: start an ssh-agent holding your key (SSH_AUTH_SOCK) before you start ' +
      'Topoforge, or keep the key in ~/.ssh/id_ed25519, id_ecdsa or id_rsa'
    );
  if (problem.path === '--identity' && /encrypted/u.test(problem.message))
    return `${problem.message}: add the key to your ssh-agent (ssh-add) and push again`;
  return problem.message;
}

/** The bundle of the design, refused like `topoforge generate` while error findings remain. */
function generatedBundle(designText: string): Bundle {
  const loaded = parseDesign(designText);
  if (!loaded.ok) throw new HostError(`the design does not load: ${describeProblem(loaded.problems[0]!)}`);
  // One index for the rules and the generators: the design is indexed once.
  const index = indexDesign(loaded.design);
  const errors = validateDesign(index).findings.filter((finding) => finding.severity === 'error');
  if (errors.length > 0) {
    const listed = errors.slice(0, LISTED_FINDINGS).map((finding) => `${finding.rule}: ${finding.message}`);
    if (errors.length > LISTED_FINDINGS) listed.push(`and ${errors.length - LISTED_FINDINGS} more`);
    throw new HostError(
      `the design has ${errors.length} error finding${errors.length === 1 ? '' : 's'}, and a design with ` +
        `errors is never pushed (topoforge generate refuses it too): ${listed.join('; ')}`,
    );
  }
  try {
    return generateBundle(index, { sha256: nodeSha256 });
  } catch (error) {
    if (error instanceof UnsafeValueError) throw new HostError(error.message);
    throw error;
  }
}
