/**
 * `topoforge push BUNDLE [--host ID]... [--dry-run] [--accept-new] [--identity FILE]
 * [--known-hosts FILE] [--concurrency N] [--design FILE] [--break-lock] [--lab-certs] [--command-timeout S]
 * [--connect-timeout S] [--manifest-digest DIGEST] [--json]` (docs/cli.md and docs/push.md).
 *
 * Exit 0 when every host changed or was unchanged, 1 when some host failed (a cancelled push
 * included), 2 on bad input (not a bundle, an unknown --host, an unreadable key, a manifest
 * entry outside the daemon catalogue, …). `--json` prints the report of `deploy/push` as it is.
 * Ctrl-C cancels: every host being pushed ends with its old files.
 */
import { homedir } from 'node:os';
import pc from 'picocolors';
import { EXIT, commandOutput, parseOptions, readDesignFile } from './support';
import type { CliIo } from './support';
import type { Design } from '../core/model';
import { didYouMean } from '../core/suggest';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_CONNECT_TIMEOUT_MS,
  defaultIdentityFiles,
  defaultKnownHostsFiles,
  loadPushBundle,
  pushBundle,
} from '../deploy/push/index';
import type { HostReport, PushBundle, PushEvent, PushReport } from '../deploy/push/index';
import { SecretStore } from '../deploy/secrets/index';

/** What push takes from the process beyond the CLI's streams; tests inject their own. */
export interface PushCliEnvironment {
  /** `SSH_AUTH_SOCK`. */
  agentSocket?: string;
  /** For `~/.ssh/known_hosts` and the default identity files. */
  home: string;
  /** Asks for an encrypted key's passphrase; undefined when nobody can answer. */
  passphrase?: (identityFile: string) => Promise<string | undefined>;
  /**
   * Calls `cancel` when the person interrupts the push (Ctrl-C, SIGINT) and returns a function
   * that stops listening. A second interrupt is the environment's to handle (the process quits).
   */
  onInterrupt?: (cancel: () => void) => () => void;
  /**
   * The secret store; default `$TOPOFORGE_SECRETS_DIR`, else `secrets` in the app's data folder
   * under `home` (docs/push.md, "Secrets").
   */
  secretStore?: SecretStore;
}

/** Usage of the push command. */
export const PUSH_USAGE = `Usage: topoforge push BUNDLE [options]

Pushes a generated bundle to its hosts over SSH: plan by sha256, upload beside each file, check,
back up, rename into place, reload; a host whose check or reload fails keeps its old files.

Options:
  --host ID           push only this host (repeatable)
  --dry-run           show a unified diff per changed file and change nothing
  --accept-new        trust and record unknown host keys (a changed key is always refused)
  --identity FILE     private key to log in with (default: ssh-agent, then ~/.ssh/id_*)
  --known-hosts FILE  known_hosts file to read and record keys in (default ~/.ssh/known_hosts)
  --concurrency N     hosts at once (default ${DEFAULT_CONCURRENCY})
  --design FILE       the design of the bundle, for the roll-out order of older bundles
  --break-lock        take over a host's push lock whose push is gone (stale); never a live one
  --lab-certs         create each missing certificate and key pair self-signed (create-only;
                      fit for a lab only)
  --command-timeout S seconds one check or reload may run before it is killed and the host fails
                      with nothing replaced (default ${DEFAULT_COMMAND_TIMEOUT_MS / 1000})
  --connect-timeout S seconds to connect and finish the SSH handshake (default ${DEFAULT_CONNECT_TIMEOUT_MS / 1000})
  --manifest-digest D push a hand-made manifest whose commands, modes, owners or paths are not
                      the catalogue's, once reviewed: D is the digest --dry-run prints
  --json              print the report as JSON

Each host is locked while it is pushed: a second push to it is refused at once, naming the first.
Ctrl-C cancels: hosts not started are not pushed, and every host being pushed keeps its old files.
`;

function defaultEnvironment(): PushCliEnvironment {
  return {
    agentSocket: process.env.SSH_AUTH_SOCK || undefined,
    home: homedir(),
    passphrase: process.stdin.isTTY ? askPassphrase : undefined,
    onInterrupt: (cancel) => {
      let interrupted = false;
      const onSignal = (): void => {
        if (interrupted) process.exit(130);
        interrupted = true;
        process.stderr.write(
          '\ntopoforge push: cancelling; every host being pushed ends with its old files (Ctrl-C again to quit at once)\n',
        );
        cancel();
      };
      process.on('SIGINT', onSignal);
      return () => process.off('SIGINT', onSignal);
    },
  };
}

/**
 * Reads a passphrase from the terminal without echoing it. It lives only in memory, on its way to
 * the key parser.
 */
function askPassphrase(identityFile: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const input = process.stdin;
    process.stderr.write(`Passphrase for ${identityFile}: `);
    input.setRawMode(true);
    input.resume();
    let typed = '';
    const finish = (value: string | undefined): void => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const character of chunk.toString('utf8')) {
        if (character === '\r' || character === '\n') return finish(typed);
        if (character === '\u0003' || character === '\u0004') return finish(undefined);
        if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    input.on('data', onData);
  });
}

/** Runs `topoforge push` with its arguments (after `push`) and returns the exit code. */
export async function runPush(
  args: string[],
  io: CliIo,
  environment: PushCliEnvironment = defaultEnvironment(),
): Promise<number> {
  const output = commandOutput('push', PUSH_USAGE, args.includes('--json'), io);
  const json = output.json;
  /** Bad input: push's refusals before it connects are all exit 2. */
  const fail = (message: string, path: string): number => output.fail(message, EXIT.usage, path);
  let parsed;
  try {
    parsed = parseOptions(args, {
      host: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      'accept-new': { type: 'boolean' },
      identity: { type: 'string', short: 'i' },
      'known-hosts': { type: 'string' },
      concurrency: { type: 'string' },
      design: { type: 'string' },
      'break-lock': { type: 'boolean' },
      'lab-certs': { type: 'boolean' },
      'command-timeout': { type: 'string' },
      'connect-timeout': { type: 'string' },
      'manifest-digest': { type: 'string' },
      json: { type: 'boolean' },
    });
  } catch (error) {
    return output.usage((error as Error).message);
  }
  if (parsed.values.help) {
    io.stdout(PUSH_USAGE);
    return EXIT.ok;
  }
  if (parsed.positionals.length !== 1)
    return output.usage(
      parsed.positionals.length === 0 ? 'push needs a bundle folder' : 'push takes one bundle folder',
    );
  const { values, positionals } = parsed;
  const bundleDirectory = positionals[0]!;

  let concurrency = DEFAULT_CONCURRENCY;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!/^\d+$/u.test(values.concurrency) || concurrency < 1 || concurrency > 1024)
      return fail(
        `--concurrency takes a whole number from 1 to 1024, got '${values.concurrency}'`,
        '--concurrency',
      );
  }

  const limits: Record<'command-timeout' | 'connect-timeout', number | undefined> = {
    'command-timeout': undefined,
    'connect-timeout': undefined,
  };
  for (const flag of ['command-timeout', 'connect-timeout'] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const value = Number(text);
    if (!/^\d+(?:\.\d+)?$/u.test(text) || value < (flag === 'command-timeout' ? 1 : 0.1) || value > 86_400)
      return fail(
        `--${flag} takes seconds, ${flag === 'command-timeout' ? 'from 1' : 'from 0.1'} to 86400, got '${text}'`,
        `--${flag}`,
      );
    limits[flag] = Math.round(value * 1000);
  }

  const digest = values['manifest-digest'];
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/u.test(digest))
    return fail(`--manifest-digest takes sha256: and 64 hex digits, got '${digest}'`, '--manifest-digest');
  const loaded = await loadPushBundle(
    bundleDirectory,
    digest !== undefined ? { manifestDigest: digest } : {},
  );
  if (!loaded.ok) return fail(loaded.problem.message, loaded.problem.path);
  const bundle = loaded.bundle;
  for (const host of values.host ?? []) {
    if (!bundle.hosts.some((candidate) => candidate.id === host)) {
      const suggestion = didYouMean(
        host,
        bundle.hosts.map((candidate) => candidate.id),
      );
      return fail(`--host ${host}: the bundle has no such host${suggestion}`, '--host');
    }
  }

  let design: Design | undefined;
  if (values.design !== undefined) {
    const read = await readDesignFile(values.design, io, output.fail, '--design');
    if ('exitCode' in read) return read.exitCode;
    design = read.design;
  }

  const knownHosts = values['known-hosts']
    ? { read: [values['known-hosts']], write: values['known-hosts'] }
    : defaultKnownHostsFiles(environment.home);
  const colors = pc.createColors(io.color);
  const dryRun = values['dry-run'] === true;
  const onEvent = json ? undefined : (event: PushEvent) => printEvent(event, io, colors, dryRun);
  const cancel = new AbortController();
  const stopListening = environment.onInterrupt?.(() => cancel.abort());
  const outcome = await pushBundle({
    bundle,
    ...(values.host ? { hosts: values.host } : {}),
    dryRun,
    concurrency,
    ...(limits['command-timeout'] !== undefined ? { commandTimeoutMs: limits['command-timeout'] } : {}),
    ...(limits['connect-timeout'] !== undefined ? { connectTimeoutMs: limits['connect-timeout'] } : {}),
    breakLock: values['break-lock'] === true,
    labCertificates: values['lab-certs'] === true,
    signal: cancel.signal,
    authentication: {
      ...(values.identity !== undefined ? { identityFile: values.identity } : {}),
      ...(environment.agentSocket ? { agentSocket: environment.agentSocket } : {}),
      defaultIdentityFiles: defaultIdentityFiles(environment.home),
      ...(environment.passphrase ? { passphrase: environment.passphrase } : {}),
    },
    hostKeys: { knownHosts, acceptNew: values['accept-new'] === true },
    ...(design ? { design } : {}),
    ...(onEvent ? { onEvent } : {}),
    secretStore: environment.secretStore ?? new SecretStore({ home: environment.home }),
  }).finally(() => stopListening?.());
  if (!outcome.ok) return fail(outcome.problem.message, outcome.problem.path);
  const report = outcome.report;
  if (json)
    io.stdout(
      `${JSON.stringify(report.dryRun ? { ...report, manifestDigest: bundle.trust.digest } : report)}\n`,
    );
  else printReport(report, bundle, io, colors);
  return report.ok ? EXIT.ok : EXIT.failed;
}

type Colors = ReturnType<typeof pc.createColors>;

function describeFiles(report: HostReport, dryRun: boolean): string {
  const count = (action: string): number => report.files.filter((file) => file.action === action).length;
  const parts = [
    count('create') > 0 ? `${count('create')} ${dryRun ? 'to create' : 'created'}` : '',
    count('update') > 0 ? `${count('update')} ${dryRun ? 'to update' : 'updated'}` : '',
    count('kept') > 0 ? `${count('kept')} kept (create-only)` : '',
  ].filter((part) => part !== '');
  const secrets = report.files.filter(
    (file) => file.secret && (file.action === 'create' || file.action === 'update'),
  );
  if (secrets.length > 0) parts.push(`${secrets.length} of them secret (not shown)`);
  return parts.join(', ');
}

/** What the plan found of a host's prerequisites that did not stop it: lab certificates, software to install. */
function printPrerequisites(report: HostReport, io: CliIo, c: Colors): void {
  for (const line of report.prerequisites?.labCertificates ?? [])
    io.stdout(`      ${c.yellow('+')} ${line}\n`);
  for (const line of report.prerequisites?.notInstalled ?? []) io.stdout(`      ${c.yellow('!')} ${line}\n`);
}

function printEvent(event: PushEvent, io: CliIo, c: Colors, dryRun: boolean): void {
  if (event.type === 'done') {
    const report = event.report;
    const width = 12;
    if (report.status === 'unchanged') {
      io.stdout(
        `  ${c.dim('=')} ${report.host.padEnd(width)} unchanged ${c.dim(`(${report.durationMs} ms)`)}\n`,
      );
      for (const warning of report.warnings) io.stdout(`      ${c.yellow('!')} ${warning}\n`);
      printPrerequisites(report, io, c);
      return;
    }
    const reloads = report.reloads.map((reload) => reload.command);
    io.stdout(
      `  ${c.green('✓')} ${report.host.padEnd(width)} ${dryRun ? 'would change' : 'changed'}: ${describeFiles(report, dryRun)}` +
        `${reloads.length > 0 ? `; ran ${reloads.join(', ')}` : ''} ${c.dim(`(${report.durationMs} ms)`)}\n`,
    );
    for (const warning of report.warnings) io.stdout(`      ${c.yellow('!')} ${warning}\n`);
    printPrerequisites(report, io, c);
  } else if (event.type === 'failed') {
    io.stdout(
      `  ${c.red('✗')} ${event.host.padEnd(12)} ${c.red(event.step === 'cancelled' ? 'not started' : `failed while ${event.step}`)}: ${event.message.replaceAll('\n', '\n      ')}\n`,
    );
    if (event.stderr) {
      const lines = event.stderr.split('\n');
      for (const line of lines.slice(0, 12)) io.stdout(`      ${c.dim(line)}\n`);
      if (lines.length > 12)
        io.stdout(`      ${c.dim(`… ${lines.length - 12} more lines (--json has them all)`)}\n`);
    }
    for (const warning of event.report.warnings) io.stdout(`      ${c.yellow('!')} ${warning}\n`);
    printPrerequisites(event.report, io, c);
  }
}

function printReport(report: PushReport, bundle: PushBundle, io: CliIo, c: Colors): void {
  if (report.dryRun) {
    for (const host of report.hosts) {
      for (const file of host.files) if (file.diff) io.stdout(`\n${file.diff}`);
    }
    if (report.hosts.some((host) => host.files.some((file) => file.diff))) io.stdout('\n');
    printCommands(report, bundle, io, c);
  }
  for (const warning of report.warnings) io.stderr(`${c.yellow('!')} ${warning}\n`);
  const { changed, unchanged, failed } = report.summary;
  const summary = `${bundle.manifest.design.name}: ${changed} ${report.dryRun ? 'would change' : 'changed'}, ${unchanged} unchanged, ${failed} failed ${c.dim(`(${report.durationMs} ms)`)}`;
  io.stdout(failed === 0 ? `${c.green('✓')} ${summary}\n` : `${c.red('✗')} ${summary}\n`);
  if (report.dryRun) io.stdout(`${c.dim('dry run: nothing was changed on any host')}\n`);
}

/**
 * Every command a push would run on each host, as the host's shell gets it, and the manifest's
 * digest: what a person reviews before vouching for a hand-made manifest.
 */
function printCommands(report: PushReport, bundle: PushBundle, io: CliIo, c: Colors): void {
  const hosts = report.hosts.filter((host) => (host.commands ?? []).length > 0);
  for (const host of hosts) {
    const sudo = bundle.hosts.find((candidate) => candidate.id === host.host)?.sudo === true;
    io.stdout(`${host.host} would run${sudo ? ' (through sudo -n)' : ''}:\n`);
    for (const command of host.commands ?? [])
      io.stdout(`  ${command.step === 'checking' ? 'check ' : 'reload'}  ${command.command}\n`);
  }
  if (hosts.length > 0) io.stdout('\n');
  for (const problem of bundle.trust.unknown)
    io.stdout(`${c.yellow('!')} not in the daemon catalogue: ${problem.path}: ${problem.message}\n`);
  io.stdout(
    `${c.dim(`manifest digest (commands, modes, owners, paths): ${bundle.trust.digest}`)}\n` +
      (bundle.trust.unknown.length > 0 && !bundle.trust.vouched
        ? `${c.dim('push refuses this manifest unless you pass --manifest-digest with that digest, once reviewed')}\n`
        : ''),
  );
}
