/**
 * How the desktop app reaches a lab (docs/rehearse.md, "In the desktop app"). The lab needs root
 * (network, mount and UTS namespaces), and the app must not run as root: Chromium refuses root
 * unless its sandbox is switched off, which the app's security checklist forbids. So the main
 * process runs the engine itself only when it already is root; otherwise it runs the same
 * `topoforge rehearse --events` command as root in a child process, through `sudo -n` when this
 * user may use sudo without a password, else through `pkexec` (polkit asks for the password in a
 * system dialog), and reads the event stream. Closing the child's standard input cancels it: a
 * normal user cannot signal a process that runs as root, and the child also cancels when the app
 * goes away, so a lab never outlives the app that started it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import type {
  RehearsedScenario,
  RehearsalOutcome,
  RehearsalStreamEvent,
  RehearseRequest,
} from '../../core/rehearse';
import { isExecutable, labUnsupportedReason } from '../../deploy/lab/system';
import { HostError } from './ipc';

/**
 * How this machine runs a rehearsal for the app, or why it cannot. `elevated` runs the command
 * behind `prefix`; `via: 'none'` (an empty prefix) is for a caller that already is root, as the
 * tests are.
 */
export type RehearsalRoute =
  | { kind: 'in-process' }
  | { kind: 'elevated'; via: 'sudo' | 'pkexec' | 'none'; prefix: string[] }
  | { kind: 'unsupported'; reason: string };

/** What {@link rehearsalRoute} looks at; tests pass their own. */
export interface RouteProbe {
  platform: NodeJS.Platform;
  uid: number | undefined;
  /** Why a root process could not build a lab here (a missing program), or undefined. */
  labReasonAsRoot(): string | undefined;
  /** Whether `sudo -n` runs a command for this user without asking for a password. */
  sudoWithoutPassword(): boolean;
  /** Whether pkexec is installed and a graphical session can show its password dialog. */
  pkexecAvailable(): boolean;
}

/** The one line the view shows when the app can reach no root. */
export const NO_ROOT_REASON =
  'the lab needs root: the app runs as a normal user and found neither password-free `sudo -n` nor pkexec (polkit); run `sudo topoforge rehearse DESIGN` in a terminal, or allow one of them';

/** How the app rehearses on this machine: itself as root, through sudo or pkexec, or not. */
export function rehearsalRoute(probe: RouteProbe): RehearsalRoute {
  if (probe.platform !== 'linux' || probe.uid === 0) {
    const reason = labUnsupportedReasonFor(probe);
    return reason === undefined ? { kind: 'in-process' } : { kind: 'unsupported', reason };
  }
  const reason = probe.labReasonAsRoot();
  if (reason !== undefined) return { kind: 'unsupported', reason };
  if (probe.sudoWithoutPassword()) return { kind: 'elevated', via: 'sudo', prefix: ['sudo', '-n', '--'] };
  if (probe.pkexecAvailable()) return { kind: 'elevated', via: 'pkexec', prefix: ['pkexec'] };
  return { kind: 'unsupported', reason: NO_ROOT_REASON };
}

function labUnsupportedReasonFor(probe: RouteProbe): string | undefined {
  return probe.platform !== 'linux'
    ? labUnsupportedReason(probe.platform, probe.uid)
    : probe.labReasonAsRoot();
}

/** Where `program` is on `path` (default `PATH`), when it is there. */
function whichOnPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  return path
    .split(delimiter)
    .filter((folder) => folder !== '')
    .map((folder) => join(folder, program))
    .find(isExecutable);
}

/** This machine, as {@link rehearsalRoute} sees it. */
export const machineProbe: RouteProbe = {
  platform: process.platform,
  uid: process.getuid?.(),
  labReasonAsRoot: () => labUnsupportedReason(process.platform, 0),
  sudoWithoutPassword: () =>
    whichOnPath('sudo') !== undefined &&
    spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0,
  pkexecAvailable: () =>
    whichOnPath('pkexec') !== undefined && Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY),
};

/** What the engine was asked, however it runs. */
export interface EngineRun {
  request: RehearseRequest;
  /** The lab directory. */
  directory: string;
  signal: AbortSignal;
  /** Every event in the engine's order; samples come in batches of any size. */
  onEvent(event: RehearsalStreamEvent): void;
}

/** What the engine ends with when it was not cancelled. */
export type EngineResult = Omit<RehearsalOutcome, 'status'>;

/**
 * The program that runs the `topoforge` command, as an argument list. Developing (`npm start`),
 * the Electron binary itself runs the repository's script as Node; sudo and pkexec start from a
 * clean environment, so `env` names the one variable that makes the binary Node. A packaged app
 * has that switch burnt off (its `runAsNode` fuse), so it runs the `topoforge` command installed
 * on `PATH` with the `node` found there, or has none.
 */
export function topoforgeCommand(options: {
  packaged: boolean;
  execPath: string;
  appRoot: string;
  path?: string;
}): string[] | undefined {
  if (!options.packaged)
    return ['env', 'ELECTRON_RUN_AS_NODE=1', options.execPath, join(options.appRoot, 'bin', 'topoforge.js')];
  const node = whichOnPath('node', options.path);
  const topoforge = whichOnPath('topoforge', options.path);
  return node !== undefined && topoforge !== undefined ? [node, topoforge] : undefined;
}

/** The one line the view shows when a packaged app finds no `topoforge` command to run as root. */
export const NO_COMMAND_REASON =
  'the lab runs through the topoforge command as root, and neither it nor node is on PATH: install the command (npm install --global topoforge) and open the app again';

/** The command line of `topoforge rehearse` for a run, after the route's prefix. */
export function rehearseCommand(
  command: string[],
  designFile: string,
  run: Omit<EngineRun, 'onEvent' | 'signal'>,
): string[] {
  return [
    ...command,
    'rehearse',
    designFile,
    '--events',
    '--dir',
    run.directory,
    ...(run.request.fail ?? []).flatMap((id) => ['--fail', id]),
    ...(run.request.partition ?? []).flatMap((side) => ['--partition', side.join(',')]),
  ];
}

/**
 * Runs `topoforge rehearse --events` (`command`, see {@link topoforgeCommand}) behind `prefix` and forwards its stream.
 * Resolves with the result, or, once cancelled, when the command has removed the lab and exited;
 * a failure it reports becomes a {@link HostError} with its message.
 */
export async function runElevatedRehearsal(
  prefix: string[],
  command: string[],
  run: EngineRun,
): Promise<EngineResult> {
  // The design goes to the command as a file only this user (and root) can read.
  const folder = await mkdtemp(join(tmpdir(), 'topoforge-rehearse-'));
  try {
    const designFile = join(folder, 'design.topo.json');
    await writeFile(designFile, run.request.designText, { mode: 0o600 });
    const [program, ...args] = [...prefix, ...rehearseCommand(command, designFile, run)];
    const child = spawn(program!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const cancel = (): void => void child.stdin.end();
    run.signal.addEventListener('abort', cancel, { once: true });
    if (run.signal.aborted) cancel();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    // A child gone early leaves a broken pipe, not a crash.
    child.stdin.on('error', () => undefined);
    const finished: RehearsedScenario[] = [];
    let result: EngineResult | undefined;
    let failure: string | undefined;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let message: { type?: string; ok?: boolean; error?: { message: string } } & Record<string, unknown>;
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (message.ok === false) failure = message.error?.message;
      else if (message.type === 'result')
        result = {
          scenarios: finished,
          standIns: (message.standIns as EngineResult['standIns']).map(({ service, kind, host, reason }) => ({
            service,
            kind,
            host,
            reason,
          })),
          seconds: message.seconds as number,
        };
      else {
        const event = message as unknown as RehearsalStreamEvent;
        if (event.type === 'verdict') finished.push(event.scenario);
        run.onEvent(event);
      }
    });
    const exit = await new Promise<number | null>((resolveExit) => {
      child.on('error', (error) => {
        failure = `${program} could not be started: ${error.message}`;
        resolveExit(null);
      });
      child.on('close', (code) => resolveExit(code));
    });
    run.signal.removeEventListener('abort', cancel);
    if (run.signal.aborted)
      return { scenarios: finished, standIns: result?.standIns ?? [], seconds: result?.seconds ?? 0 };
    if (result !== undefined) return result;
    const lastLine = stderr.trim().split('\n').pop();
    throw new HostError(
      failure ??
        `the rehearsal stopped without a result (exit ${exit ?? 'unknown'})${lastLine ? `: ${lastLine}` : ''}`,
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
