/**
 * `topoforge lab up|status|exec|down` (docs/rehearse.md): the rehearsal lab, left running for a
 * person to look around in.
 *
 * Exit 0 on success; 1 when the lab could not be built or removed, or another lab is in the way;
 * 2 on bad input, a design the lab cannot build, or a machine that cannot run a lab (one line).
 * `lab exec` exits with the command's own status.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pc from 'picocolors';
import { EXIT, UsageError, commandOutput, parseOptions, readDesignFile } from './support';
import type { CliIo, Fail } from './support';
import { didYouMean } from '../core/suggest';
import {
  DEFAULT_LAB_DIRECTORY,
  LabAbortedError,
  LAB_DIRECTORY_VARIABLE,
  LabBusyError,
  LabCommandError,
  LabPlanError,
  clientKeyOf,
  execCommandOf,
  knownHostsOf,
  labStatus,
  labUnsupportedReason,
  readState,
  recoverCrashedLab,
  startLab,
  stopLab,
} from '../deploy/lab/index';
import { deployToLab, startStandIns } from '../deploy/lab/deploy';
import type { StandIn } from '../deploy/lab/standin';
import type { PushReport } from '../core/push';

export { LAB_DIRECTORY_VARIABLE } from '../deploy/lab/index';

/** Usage of the lab command. */
export const LAB_USAGE = `Usage: topoforge lab up DESIGN [options]
       topoforge lab status [options]
       topoforge lab exec HOST -- COMMAND [ARG]...
       topoforge lab down [options]

A lab of the design's hosts on this Linux machine, left running for you to look around in: each
host a network namespace with its design address, hostname, copy-on-write /etc and /var, private
/run and /tmp and its own sshd; one network segment per site, a routed core, a client namespace.
Nothing of the machine's own network or files is touched. Needs root.

  up DESIGN       build the lab (refused while one is running)
  up DESIGN --deploy
                  and push the design's bundle into it with topoforge push's code, host keys
                  pinned; the services start from their units
  status          hosts, addresses, services and their state
  exec HOST -- COMMAND
                  run COMMAND inside lab host HOST
  down            remove the lab: every process, mount, interface and namespace

Options:
  --dir DIR       the lab directory (default: $${LAB_DIRECTORY_VARIABLE}, else ${DEFAULT_LAB_DIRECTORY});
                  labs in different directories run side by side
  --json          machine-readable output (up, status, down)
`;

/** Runs `topoforge lab …`. */
export async function runLab(args: string[], io: CliIo): Promise<number> {
  const separator = args.indexOf('--');
  const own = separator === -1 ? args : args.slice(0, separator);
  const command = separator === -1 ? [] : args.slice(separator + 1);
  const output = commandOutput('lab', LAB_USAGE, own.includes('--json'), io);
  const { json, fail } = output;
  try {
    const { values, positionals } = parseOptions(own, {
      json: { type: 'boolean' },
      dir: { type: 'string' },
      deploy: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(LAB_USAGE);
      return EXIT.ok;
    }
    const [subcommand, ...rest] = positionals;
    const subcommands = ['up', 'status', 'exec', 'down'];
    if (subcommand === undefined || !subcommands.includes(subcommand)) {
      throw new UsageError(
        subcommand === undefined
          ? 'lab needs a subcommand: up, status, exec or down'
          : `unknown subcommand '${subcommand}'${didYouMean(subcommand, subcommands)}`,
      );
    }
    const unsupported = labUnsupportedReason();
    if (unsupported !== undefined) return fail(unsupported, EXIT.usage, '(machine)');
    const directory = resolve(values.dir ?? process.env[LAB_DIRECTORY_VARIABLE] ?? DEFAULT_LAB_DIRECTORY);

    if (subcommand === 'up') {
      if (rest.length !== 1) throw new UsageError('lab up takes one design file');
      return await up(rest[0]!, directory, values.deploy === true, json, io, fail);
    }
    if (values.deploy === true) throw new UsageError('--deploy goes with lab up');
    if (rest.length > (subcommand === 'exec' ? 1 : 0))
      throw new UsageError(
        `lab ${subcommand} takes no ${subcommand === 'exec' ? 'more than a host' : 'arguments'}`,
      );
    if (subcommand === 'status') return await status(directory, json, io, fail);
    if (subcommand === 'down') return await down(directory, json, io);
    if (rest.length !== 1 || command.length === 0)
      throw new UsageError('lab exec takes a host and a command: topoforge lab exec HOST -- COMMAND');
    return await exec(directory, rest[0]!, command, io, fail);
  } catch (error) {
    if (error instanceof UsageError) return output.usage(error.message);
    if (error instanceof LabBusyError || error instanceof LabCommandError)
      return fail(error.message, EXIT.failed, '(lab)');
    throw error;
  }
}

async function up(
  file: string,
  directory: string,
  deploy: boolean,
  json: boolean,
  io: CliIo,
  fail: Fail,
): Promise<number> {
  const loaded = await readDesignFile(file, io, fail);
  if ('exitCode' in loaded) return loaded.exitCode;

  const interrupts = watchInterrupts();
  const c = pc.createColors(io.color);
  try {
    const { state, recovered } = await startLab({
      design: loaded.design,
      designFile: file,
      directory,
      signal: interrupts.signal,
      progress: json ? undefined : (line) => io.stderr(`${c.dim(line)}\n`),
    });
    let push: PushReport | undefined;
    let standIns: StandIn[] = [];
    if (deploy) {
      const outcome = await deployToLab({
        design: loaded.design,
        directory,
        state,
        signal: interrupts.signal,
      });
      if (interrupts.received() !== undefined) throw new LabAbortedError();
      if (!outcome.ok)
        return fail(
          `the bundle could not be pushed into the lab: ${outcome.problem.message}`,
          EXIT.failed,
          outcome.problem.path,
        );
      push = outcome.report;
      // What this machine has no program for runs as a stand-in, as in a rehearsal.
      if (push.ok) standIns = await startStandIns(loaded.design, directory, state);
    }
    const code = push === undefined || push.ok ? EXIT.ok : EXIT.failed;
    if (json) {
      io.stdout(
        `${JSON.stringify({ ok: code === EXIT.ok, directory, id: state.id, recovered: recovered ?? null, hosts: state.hosts.map(hostJson), ...(push ? { push, standIns: standIns.map(standInJson) } : {}) })}\n`,
      );
      return code;
    }
    io.stdout(
      `${c.green('✓')} lab of ${c.bold(state.designName)} is up (${state.hosts.length} hosts, id ${state.id})\n`,
    );
    for (const host of state.hosts) io.stdout(`  ${host.id.padEnd(16)} ${host.address}\n`);
    io.stdout(
      `Look around: topoforge lab status, topoforge lab exec ${state.hosts[0]!.id} -- ip address\n` +
        `SSH from the client namespace: ip netns exec ${state.client!.namespace} ssh -i ${clientKeyOf(directory)} -o UserKnownHostsFile=${knownHostsOf(directory)} root@${state.hosts[0]!.address}\n` +
        'Remove it: topoforge lab down\n',
    );
    if (push !== undefined) {
      io.stdout(
        `Pushed the bundle (${push.summary.changed} changed, ${push.summary.unchanged} unchanged, ${push.summary.failed} failed):\n`,
      );
      for (const host of push.hosts) {
        const failure =
          host.failure === undefined
            ? ''
            : `: ${host.failure.step}: ${host.failure.message}${host.failure.stderr ? ` (${host.failure.stderr.trim().split('\n').at(-1)})` : ''}`;
        io.stdout(
          `  ${host.status === 'failed' ? c.red('✗') : c.green('✓')} ${host.host} ${host.status}${failure}\n`,
        );
      }
      if (standIns.length > 0) {
        io.stdout('Stand-ins (the program is not installed here):\n');
        for (const standIn of standIns)
          io.stdout(
            `  ${standIn.service} (${standIn.kind}) on ${standIn.host}: ${standIn.reason}${standIn.coldStandby ? ' (cold standby, not started)' : ''}\n`,
          );
      }
    }
    return code;
  } catch (error) {
    return labFailure(error, file, interrupts, fail);
  } finally {
    interrupts.stop();
  }
}

/** Ctrl-C and SIGTERM while a lab is built: `signal` aborts the work, which removes what it built. */
export interface Interrupts {
  signal: AbortSignal;
  /** The first signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** Interrupts as `signal` would, for a command that has another way to be stopped. */
  interrupt(signal: NodeJS.Signals): void;
  /** Stops listening. */
  stop(): void;
}

/** Listens for Ctrl-C and SIGTERM until `stop`, so an interrupted lab leaves nothing behind. */
export function watchInterrupts(): Interrupts {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    received ??= signal;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    interrupt: onSignal,
    stop: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Reports how building a lab from `file` failed and returns the exit code: 130 or 143 when
 * interrupted (after Ctrl-C or SIGTERM), 2 for a design the lab cannot build, 1 for a lab in the
 * way or a command that failed. Anything else is not the lab's and is thrown on.
 */
export function labFailure(error: unknown, file: string, interrupts: Interrupts, fail: Fail): number {
  const received = interrupts.received();
  if (received !== undefined || error instanceof LabAbortedError) {
    fail(
      `interrupted by ${received ?? 'a signal'}; everything the lab had created was removed`,
      EXIT.failed,
      '(lab)',
    );
    return received === 'SIGINT' ? 130 : 143;
  }
  if (error instanceof LabPlanError) return fail(`${file}: ${error.message}`, EXIT.usage, error.path);
  if (error instanceof LabBusyError || error instanceof LabCommandError)
    return fail(error.message, EXIT.failed, '(lab)');
  throw error;
}

function standInJson(standIn: StandIn) {
  return {
    service: standIn.service,
    kind: standIn.kind,
    host: standIn.host,
    unit: standIn.unit,
    reason: standIn.reason,
  };
}

function hostJson(host: {
  id: string;
  address: string;
  interface: string;
  site?: string;
  hostKeyFingerprint?: string;
}) {
  return {
    id: host.id,
    address: host.address,
    interface: host.interface,
    site: host.site ?? null,
    hostKey: host.hostKeyFingerprint ?? null,
  };
}

async function status(directory: string, json: boolean, io: CliIo, fail: Fail): Promise<number> {
  const current = await labStatus(directory);
  if (current === undefined) {
    if (json) io.stdout(`${JSON.stringify({ ok: true, running: false, directory })}\n`);
    else io.stdout(`no lab is running (${directory})\n`);
    return EXIT.ok;
  }
  const { state, hosts } = current;
  if (state.phase !== 'ready') {
    return fail(
      `the lab in ${directory} is ${state.phase === 'starting' ? 'being built' : 'being removed'} (pid ${state.owner.pid}); if that run crashed, topoforge lab down removes it`,
      EXIT.failed,
      '(lab)',
    );
  }
  if (json) {
    io.stdout(
      `${JSON.stringify({
        ok: true,
        running: true,
        directory,
        id: state.id,
        design: { name: state.designName, file: state.designFile },
        startedAt: state.startedAt,
        client: state.client,
        hosts,
      })}\n`,
    );
    return EXIT.ok;
  }
  const c = pc.createColors(io.color);
  io.stdout(
    `${c.bold(`Lab of ${state.designName}`)} ${c.dim(`(${state.designFile}, id ${state.id}, since ${state.startedAt})`)}\n`,
  );
  for (const host of hosts) {
    const badge = host.state === 'up' ? c.green('up  ') : c.red('down');
    const where = `${host.address} on ${host.interface}${host.site === undefined ? '' : `, site ${host.site}`}`;
    io.stdout(`  ${badge} ${c.bold(host.id)}  ${where}\n`);
    for (const service of host.services) {
      const ports = service.ports.length === 0 ? '' : ` :${service.ports.join(',')}`;
      const mark =
        service.state === 'listening'
          ? c.green(service.state)
          : service.state === 'no port'
            ? c.dim(service.state)
            : c.yellow(service.state);
      io.stdout(`         ${service.id} (${service.kind}${ports})  ${mark}\n`);
    }
  }
  return EXIT.ok;
}

async function down(directory: string, json: boolean, io: CliIo): Promise<number> {
  const removed = await stopLab(directory);
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: true, removed: removed === undefined ? null : { id: removed.id, design: removed.designName } })}\n`,
    );
  } else if (removed === undefined) io.stdout(`no lab to remove (${directory})\n`);
  else io.stdout(`lab of ${removed.designName} removed (${removed.hosts.length} hosts)\n`);
  return EXIT.ok;
}

async function exec(
  directory: string,
  hostId: string,
  command: string[],
  io: CliIo,
  fail: Fail,
): Promise<number> {
  await recoverCrashedLab(directory);
  const state = readState(directory);
  if (state === undefined || state.phase !== 'ready')
    return fail(`no lab is running (${directory}): topoforge lab up DESIGN first`, EXIT.failed, '(lab)');
  const prepared = execCommandOf(state, hostId, command);
  if (!prepared.ok) return fail(prepared.message, EXIT.usage, '(arguments)');
  return new Promise((resolveExit, reject) => {
    const child = spawn(prepared.command, prepared.args, { stdio: ['inherit', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => io.stdout(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => io.stderr(chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolveExit(code ?? (signal === null ? EXIT.failed : 128 + (signal === 'SIGKILL' ? 9 : 15))),
    );
  });
}
