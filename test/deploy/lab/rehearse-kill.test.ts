/**
 * Nothing of a rehearsal outlives `topoforge rehearse` (SPEC section 7, cleanup): the command is
 * killed while the lab comes up, while the bundle deploys and in the middle of a scenario, with
 * SIGINT and SIGTERM (the command removes its lab before it exits) and with SIGKILL (a crash: the
 * next start removes it). Each time: no namespace of the lab in `ip netns`, no mount of it in
 * `/proc/mounts`, none of the processes that ran in it (sshd, haproxy, the stand-in, the probes),
 * and no `topoforge-*` temporary folder. Runs the built CLI (`npm run build`) as a child process,
 * since a signal must hit a real command; only the lab this test starts is looked at.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readState, stopLab } from '../../../deploy/lab/index';
import type { LabState } from '../../../deploy/lab/index';
import { requireSshd } from '../../lab/sshd';
import { removeTemporaryFolder, temporaryFolder } from '../../lab/temporary';
import { requireTool } from '../../lab/tools';
import { isRunning } from './fixture';
import { expectNothingLeft, leftovers, namespaceExists, waitForState } from './leftovers';

const available = process.getuid?.() === 0 && requireSshd() && requireTool('haproxy');
const CLI = join(import.meta.dirname, '../../../bin/topoforge.js');
const DESIGN = join(import.meta.dirname, '../../fixtures/designs/rehearse-two-hosts.topo.json');

const folders: string[] = [];
const directories: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const directory of directories.splice(0)) await stopLab(directory).catch(() => undefined);
  for (const folder of folders.splice(0)) await removeTemporaryFolder(folder);
});

interface Run {
  child: ChildProcess;
  /** What the command printed to stderr so far. */
  stderr: () => string;
  finished: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** A folder for one run: the lab directory, and a TMPDIR of its own to find temporary leftovers in. */
async function workspace(): Promise<{ directory: string; temporary: string }> {
  const folder = await temporaryFolder('topoforge-rehearse-kill-');
  folders.push(folder);
  const directory = join(folder, 'lab');
  directories.push(directory);
  const temporary = join(folder, 'tmp');
  mkdirSync(temporary);
  return { directory, temporary };
}

/** Starts `topoforge ARGS…` with its own TMPDIR. */
function command(args: readonly string[], temporary: string): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: temporary },
  });
  children.push(child);
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const finished = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, stderr: () => stderr, finished };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`the rehearsal never reached ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The points to kill at, each reached by watching the lab's state and the command's progress. */
const POINTS = {
  'while the lab comes up': async (directory: string) => {
    await waitForState(directory, (state) => namespaceExists(state.namespaces[1] ?? ''));
  },
  'while deploying': async (directory: string, run: Run) => {
    await waitFor(() => run.stderr().includes('sshd started on'), 'the deploy');
  },
  'mid-scenario': async (directory: string, run: Run) => {
    await waitFor(() => run.stderr().includes('scenario 1/'), 'the first scenario');
    // Past the wait for a healthy lab, into the injection and the measurement.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  },
} as const;

/** Mount lines of the lab: its directory or one of its namespaces. */
function labMounts(state: LabState, directory: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((line) => line.includes(directory) || line.includes(` /run/netns/tf${state.id}-`));
}

/** What ran in the lab just before the kill: pid and program name. */
function labProcesses(state: LabState, directory: string): { pid: string; name: string }[] {
  return leftovers(state, directory).pids.map((pid) => {
    let name = '?';
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      // Gone between the listing and the read.
    }
    return { pid, name };
  });
}

function expectNoLab(state: LabState, directory: string, temporary: string, processes: { pid: string }[]) {
  expectNothingLeft(
    state,
    directory,
    processes.map((process) => process.pid),
  );
  expect(labMounts(state, directory)).toEqual([]);
  const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  expect(names).not.toContain(`tf${state.id}-`);
  expect(readdirSync(temporary).filter((name) => name.startsWith('topoforge-'))).toEqual([]);
}

describe.skipIf(!available)('topoforge rehearse, killed', () => {
  it.each([
    ['while the lab comes up', 'SIGINT', 130],
    ['while deploying', 'SIGTERM', 143],
    ['mid-scenario', 'SIGINT', 130],
    ['mid-scenario', 'SIGTERM', 143],
  ] as const)(
    '%s by %s, removes its lab before it exits',
    { timeout: 60_000 },
    async (point, signal, code) => {
      const { directory, temporary } = await workspace();
      const run = command(['rehearse', DESIGN, '--fail', 'app-host', '--dir', directory], temporary);
      await POINTS[point](directory, run);
      const state = readState(directory)!;
      const processes = labProcesses(state, directory);
      // There is a lab to remove: namespaces and, once it is up, its sshds.
      expect(state.namespaces.filter(namespaceExists).length).toBeGreaterThan(0);
      // Mid-scenario, the balancer on edge-1 still runs (the scenario fails app-host).
      if (point === 'mid-scenario') expect(processes.map((p) => p.name)).toContain('haproxy');
      run.child.kill(signal);
      const finished = await run.finished;
      expect(finished.code, finished.stderr).toBe(code);
      expect(finished.stderr).toContain(`interrupted by ${signal}`);
      expectNoLab(state, directory, temporary, processes);
    },
  );

  it.each([
    ['while deploying', 'lab down', ['lab', 'down']],
    ['mid-scenario', 'rehearse', ['rehearse', DESIGN, '--fail', 'app-host']],
  ] as const)(
    'killed %s by SIGKILL, the next %s removes what the crash left',
    { timeout: 90_000 },
    async (point, _name, next) => {
      const { directory, temporary } = await workspace();
      const run = command(['rehearse', DESIGN, '--fail', 'app-host', '--dir', directory], temporary);
      await POINTS[point](directory, run);
      run.child.kill('SIGKILL');
      await run.finished;
      const crashed = readState(directory)!;
      const processes = labProcesses(crashed, directory);
      // The crash did leave a lab: the next start proves the clean-up, not an empty machine.
      expect(crashed.namespaces.filter(namespaceExists).length).toBeGreaterThan(0);
      expect(processes.map((p) => p.name)).toContain('sshd');

      const finished = await command([...next, '--dir', directory], temporary).finished;
      expect(finished.code, finished.stderr).toBe(0);
      // `lab down` removes the lab it finds; a new rehearsal says what it removed before its own.
      if (next[0] === 'rehearse')
        expect(finished.stderr).toContain(`removed a lab left by a crashed run (pid ${crashed.owner.pid})`);
      for (const { pid } of processes) expect(isRunning(pid), `lab process ${pid}`).toBe(false);
      expectNoLab(crashed, directory, temporary, processes);
      expect(existsSync(directory)).toBe(false);
    },
  );
});
