/**
 * The push engine (docs/push.md): pushes a bundle to its hosts over SSH, at most `concurrency`
 * at once, in the roll-out order of the design, with progress events and a report per host.
 *
 * ```ts
 * const loaded = await loadPushBundle('bundle/');
 * if (!loaded.ok) throw new Error(loaded.problem.message);
 * const outcome = await pushBundle({
 *   bundle: loaded.bundle,
 *   authentication: { agentSocket: process.env.SSH_AUTH_SOCK },
 *   hostKeys: { knownHosts: defaultKnownHostsFiles(), confirm: askTheUser },
 *   onEvent: (event) => render(event),
 * });
 * ```
 */
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../../core/generate/bundle';
import type { Design } from '../../core/model';
import type { PushBundle } from './bundle';
import { CredentialsError, DEFAULT_READY_TIMEOUT_MS, prepareCredentials } from './connection';
import type { ConnectOptions, SshConnection } from './connection';
import { HostKeyVerifier } from './host-key';
import { KnownHosts } from './known-hosts';
import type { KnownHostsFileSystem } from './known-hosts';
import { holderLine } from './host-push/lock';
import { blankReport } from './host-push/run';
import { pushHost } from './host-push';
import { scheduleHosts, serialGroupsOf } from './order';
import type { SerialGroup } from './order';
import type { HostKeyPolicy, HostReport, PushAuthentication, PushEvent, PushReport } from './types';
import { SecretStore } from '../secrets/store';
import { finishSecretRollouts, secretPushPlan } from '../secrets/push';

export type {
  BundleLoad,
  BundleOptions,
  BundleProblem,
  ManifestTrust,
  PushBundle,
  PushFile,
  PushHost,
  PushManifest,
} from './bundle';
export { loadPushBundle, manifestDigest, pushBundleOf } from './bundle';
export type { SerialGroup } from './order';
export { serialGroupsOf } from './order';
export { fingerprintOf, KnownHosts, parseKnownHosts } from './known-hosts';
export type * from './types';

/** The default concurrency of docs/push.md. */
export const DEFAULT_CONCURRENCY = 8;

/** How long one check or reload may run on a host before it is killed, by default (issue 9). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** How long connecting and the SSH handshake may take, by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = DEFAULT_READY_TIMEOUT_MS;

/** Everything a push needs. */
export interface PushOptions {
  bundle: PushBundle;
  /** Push only these host ids (`--host`); default every host of the bundle. */
  hosts?: string[];
  /** Plan and diff only (`--dry-run`): nothing on any host changes. */
  dryRun?: boolean;
  /** Hosts at once; default {@link DEFAULT_CONCURRENCY}. */
  concurrency?: number;
  /**
   * How long one check or reload (and each of push's own remote scripts) may run before push
   * kills it and fails the host at that step, with nothing replaced; default
   * {@link DEFAULT_COMMAND_TIMEOUT_MS} (`--command-timeout`).
   */
  commandTimeoutMs?: number;
  /** How long connecting and the SSH handshake may take; default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number;
  /** Take over a host's stale push lock, whose push is gone (`--break-lock`). Never a live one. */
  breakLock?: boolean;
  /**
   * `--lab-certs`: on a host where a certificate and its key are both missing, create them
   * self-signed (create-only, fit for a lab only) instead of stopping the host.
   */
  labCertificates?: boolean;
  /**
   * Cancels the push: hosts not started yet are not started, and every host being pushed ends
   * with its old files (a commit already running on a host restores them).
   */
  signal?: AbortSignal;
  /** Who pushes, recorded in each host's lock for a push it refuses; default this user, machine and process. */
  pusher?: { by: string; pid: number };
  authentication: PushAuthentication;
  hostKeys: HostKeyPolicy;
  /**
   * The design the bundle was generated from, for the roll-out order when the manifest carries
   * none (`serial`). It must be that design: its sha256 is checked against the manifest's.
   */
  design?: Design;
  /** Receives progress, host by host. */
  onEvent?: (event: PushEvent) => void;
  /** Opens connections; for tests and jump hosts. */
  connect?: (options: ConnectOptions) => Promise<SshConnection>;
  /** known_hosts file access; for tests. */
  knownHostsFileSystem?: KnownHostsFileSystem;
  /**
   * Where the deployment's secrets are kept (docs/push.md, "Secrets"); default the app's data
   * folder, or `$TOPOFORGE_SECRETS_DIR`. Only a bundle with secret files uses it.
   */
  secretStore?: SecretStore;
}

/** Why a push could not start: bad input, exit 2. `path` names the option or file concerned. */
export interface PushProblem {
  message: string;
  path: string;
}

/** The report, or why nothing was attempted. */
export type PushOutcome = { ok: true; report: PushReport } | { ok: false; problem: PushProblem };

/** `~/.ssh/known_hosts` (read and recorded into) and `/etc/ssh/ssh_known_hosts` (read), as OpenSSH uses them. */
export function defaultKnownHostsFiles(home = homedir()): HostKeyPolicy['knownHosts'] {
  const user = join(home, '.ssh', 'known_hosts');
  return { read: [user, '/etc/ssh/ssh_known_hosts'], write: user };
}

/** OpenSSH's default identity files, tried when neither a key file nor an agent is given. */
export function defaultIdentityFiles(home = homedir()): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => join(home, '.ssh', name));
}

/** This user on this machine, and this process: who a refused push is told holds the host. */
function defaultPusher(): { by: string; pid: number } {
  let user = 'someone';
  try {
    user = userInfo().username;
  } catch {
    // No user name for this uid (a container): the machine and pid still say who.
  }
  return { by: `${user}@${hostname()}`, pid: process.pid };
}

/** The roll-out order: the manifest's, else the design's; undefined when neither says. */
function serialOrder(options: PushOptions): { serial?: SerialGroup[]; problem?: PushProblem } {
  const fromManifest = options.bundle.manifest.serial;
  if (fromManifest !== undefined) return { serial: fromManifest };
  if (options.design === undefined) return {};
  if (sha256Hex(canonicalJson(options.design)) !== options.bundle.manifest.design.sha256) {
    return {
      problem: {
        message: `the design is not the one this bundle was generated from (its sha256 differs): generate the bundle again`,
        path: '--design',
      },
    };
  }
  return { serial: serialGroupsOf(options.design) };
}

/** Pushes the bundle; resolves with the report once every host has finished. */
export async function pushBundle(options: PushOptions): Promise<PushOutcome> {
  const started = performance.now();
  const bundle = options.bundle;
  const known = new Set(bundle.hosts.map((host) => host.id));
  const unknown = (options.hosts ?? []).filter((host) => !known.has(host));
  if (unknown.length > 0)
    return {
      ok: false,
      problem: {
        message: `the bundle has no host ${unknown.join(', ')}; it has ${[...known].join(', ') || 'none'}`,
        path: '--host',
      },
    };
  const selected = bundle.hosts.filter(
    (host) => options.hosts === undefined || options.hosts.length === 0 || options.hosts.includes(host.id),
  );
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    return {
      ok: false,
      problem: { message: 'concurrency must be a whole number of at least 1', path: '--concurrency' },
    };

  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs < 1000)
    return {
      ok: false,
      problem: { message: 'the command timeout must be at least 1 second', path: '--command-timeout' },
    };
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0)
    return {
      ok: false,
      problem: { message: 'the connect timeout must be more than 0 seconds', path: '--connect-timeout' },
    };

  // Push runs as root only what the daemon catalogue gives, unless the person vouched for the
  // manifest by its digest. A dry run runs no check or reload: it shows them for review.
  const untrusted = bundle.trust.unknown;
  if (!options.dryRun && untrusted.length > 0 && !bundle.trust.vouched) {
    const first = untrusted[0]!;
    return {
      ok: false,
      problem: {
        path: first.path,
        message:
          `${first.path}: ${first.message}. Push refuses what its daemon catalogue does not give, as root on the ` +
          'host; if you made this bundle yourself, review every command with --dry-run and push with ' +
          '--manifest-digest and the digest it prints',
      },
    };
  }

  const order = serialOrder(options);
  if (order.problem) return { ok: false, problem: order.problem };
  const warnings: string[] = [];
  let serial = order.serial ?? [];
  let effectiveConcurrency = concurrency;
  if (order.serial === undefined && !options.dryRun && selected.length > 1) {
    effectiveConcurrency = 1;
    warnings.push(
      'the bundle does not say which hosts may change together (no design was given and the manifest has no ' +
        'roll-out order), so hosts were pushed one at a time',
    );
  }
  if (options.dryRun) serial = [];

  let knownHosts: KnownHosts;
  try {
    knownHosts = await KnownHosts.load(options.hostKeys.knownHosts, options.knownHostsFileSystem);
  } catch (error) {
    return { ok: false, problem: { message: (error as Error).message, path: '--known-hosts' } };
  }
  for (const problem of knownHosts.problems) warnings.push(`${problem.source}: ignored: ${problem.message}`);

  let credentials;
  try {
    credentials = await prepareCredentials(options.authentication);
  } catch (error) {
    if (error instanceof CredentialsError)
      return { ok: false, problem: { message: error.message, path: '--identity' } };
    throw error;
  }

  const verifier = new HostKeyVerifier({
    knownHosts,
    acceptNew: options.hostKeys.acceptNew === true,
    ...(options.hostKeys.record === false ? { record: false } : {}),
    ...(options.hostKeys.confirm ? { confirm: options.hostKeys.confirm } : {}),
  });
  const emit = (event: PushEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A broken listener must not break the push.
    }
  };
  const hostsById = new Map(selected.map((host) => [host.id, host]));
  // Secret files join each host's bundle files, rendered from the store (created on first deploy).
  const secretStore =
    (bundle.manifest.secrets ?? []).length > 0 ? (options.secretStore ?? new SecretStore()) : undefined;
  const secrets = secretStore
    ? await secretPushPlan(bundle.manifest, secretStore, [...hostsById.keys()], options.dryRun === true)
    : undefined;
  if (secrets && !secrets.ok) return { ok: false, problem: secrets.problem };
  const pusher = options.pusher ?? defaultPusher();
  const holder = holderLine({
    design: bundle.manifest.design.name,
    by: pusher.by,
    pid: pusher.pid,
    started: new Date(),
  });
  const notStarted = (id: string, step: 'cancelled' | 'order', message: string): HostReport => {
    const host = hostsById.get(id)!;
    const report: HostReport = {
      ...blankReport(host),
      failure: { step, message, ...(step === 'cancelled' ? { cancelled: true } : {}) },
    };
    emit({ type: 'failed', host: id, step, message, report });
    return report;
  };
  const results = await scheduleHosts<HostReport & { failed: boolean }>({
    hosts: selected.map((host) => host.id),
    serial,
    concurrency: effectiveConcurrency,
    onWaiting: (host, after) => emit({ type: 'waiting', host, after }),
    run: async (id) => {
      if (options.signal?.aborted) {
        const report = notStarted(id, 'cancelled', 'not pushed: the push was cancelled before it started');
        return { ...report, failed: true };
      }
      const report = await pushHost({
        host: hostsById.get(id)!,
        files: [...(bundle.files.get(id) ?? []), ...(secrets?.plan.files.get(id) ?? [])],
        credentials,
        verifier,
        dryRun: options.dryRun === true,
        emit,
        commandTimeoutMs,
        connectTimeoutMs,
        breakLock: options.breakLock === true,
        holder,
        prerequisites: (bundle.manifest.prerequisites ?? []).filter(
          (prerequisite) => prerequisite.host === id,
        ),
        labCertificates: options.labCertificates === true,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.connect ? { connect: options.connect } : {}),
      });
      return { ...report, failed: report.status === 'failed' };
    },
    skip: (id, failedHost, group) => {
      if (options.signal?.aborted) {
        const report = notStarted(id, 'cancelled', 'not pushed: the push was cancelled before it started');
        return { ...report, failed: true };
      }
      const report = notStarted(
        id,
        'order',
        `not pushed: ${failedHost}, before it in ${group}, failed, and pushing on could take down more than the design can lose`,
      );
      return { ...report, failed: true };
    },
  });

  const hosts = selected.map((host) => {
    const { failed: _failed, ...report } = results.get(host.id)!;
    return report;
  });
  const count = (status: HostReport['status']): number =>
    hosts.filter((host) => host.status === status).length;
  const summary = { changed: count('changed'), unchanged: count('unchanged'), failed: count('failed') };
  if (secretStore && secrets?.ok && !options.dryRun)
    warnings.push(
      ...(await finishSecretRollouts(bundle.manifest, secretStore, secrets.plan.rollouts, hosts)),
    );
  return {
    ok: true,
    report: {
      ok: summary.failed === 0,
      dryRun: options.dryRun === true,
      summary,
      hosts,
      warnings,
      durationMs: Math.round(performance.now() - started),
    },
  };
}
