/**
 * Nothing of a lab outlives it: the `topoforge lab up` command is killed at several points of its
 * start (SIGKILL, as a crash; SIGTERM and SIGINT, as a person or a supervisor), and afterwards no
 * namespace, process or mount of the lab is left, either at once (signals) or after the next
 * `lab up` or `lab down` (a crash). Two labs refuse or coexist, never tangle. Runs the built CLI
 * (`npm run build`) as a child process, since a signal must hit a real command.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../../deploy/lab/index';
import type { LabState } from '../../../deploy/lab/index';
import { requireSshd } from '../../lab/sshd';
import { isRunning, LAB_DESIGN } from './fixture';
import { labFoldersStoppedAfterEach } from './lab-folder';
import { expectNothingLeft, leftovers, namespaceExists, waitForState } from './leftovers';

const available = requireSshd();
const CLI = join(import.meta.dirname, '../../../bin/topoforge.js');

const children: ChildProcess[] = [];
const newLabFolder = labFoldersStoppedAfterEach(async () => {
  // A command a failed assertion left running would hold its lab: end it first.
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 100));
});
const labDirectory = () => newLabFolder('topoforge-lab-', LAB_DESIGN);

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[]): { child: ChildProcess; finished: Promise<Finished> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const finished = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, finished };
}

function runCliProcess(args: string[]): Promise<Finished> {
  return startCli(args).finished;
}

describe.skipIf(!available)('lab cleanup', () => {
  it.each([
    ['while the network is built', (state: LabState) => namespaceExists(state.namespaces[1] ?? '')],
    ['while the hosts start', (state: LabState) => state.hosts.some((host) => host.sshd !== undefined)],
  ])('a crash %s is cleaned up by the next lab down', { timeout: 60_000 }, async (_point, reached) => {
    const { directory, designFile } = await labDirectory();
    const { child, finished } = startCli(['lab', 'up', designFile, '--dir', directory]);
    const state = await waitForState(directory, reached);
    child.kill('SIGKILL');
    await finished;
    const crashed = readState(directory)!;
    const left = leftovers(crashed, directory);
    // The crash did leave something: the test proves the clean-up, not an empty lab.
    expect(left.namespaces.length).toBeGreaterThan(0);
    expect(state.phase).toBe('starting');

    const down = await runCliProcess(['lab', 'down', '--dir', directory]);
    expect(down.code).toBe(0);
    expectNothingLeft(crashed, directory, left.pids);
  });

  it(
    'a crash is cleaned up by the next lab up, which then builds its own lab',
    { timeout: 90_000 },
    async () => {
      const { directory, designFile } = await labDirectory();
      const { child, finished } = startCli(['lab', 'up', designFile, '--dir', directory]);
      await waitForState(directory, (state) => state.hosts.some((host) => host.sshd !== undefined));
      child.kill('SIGKILL');
      await finished;
      const crashed = readState(directory)!;
      const left = leftovers(crashed, directory);

      const up = await runCliProcess(['lab', 'up', designFile, '--dir', directory]);
      expect(up.code).toBe(0);
      expect(up.stderr).toContain(`removed a lab left by a crashed run (pid ${crashed.owner.pid})`);
      expect(leftovers(crashed, directory).namespaces).toEqual([]);
      for (const pid of left.pids) expect(isRunning(pid)).toBe(false);
      const fresh = readState(directory)!;
      expect(fresh.id).not.toBe(crashed.id);
      expect(fresh.phase).toBe('ready');
      expect(leftovers(fresh, directory).namespaces).toEqual(fresh.namespaces);

      expect((await runCliProcess(['lab', 'down', '--dir', directory])).code).toBe(0);
      expectNothingLeft(fresh, directory, []);
    },
  );

  it.each([
    ['SIGTERM', 143, (state: LabState) => namespaceExists(state.namespaces[2] ?? '')],
    ['SIGINT', 130, (state: LabState) => state.hosts.some((host) => host.sshd !== undefined)],
  ] as const)(
    '%s during the start removes everything before the command ends',
    { timeout: 60_000 },
    async (signal, code, reached) => {
      const { directory, designFile } = await labDirectory();
      const { child, finished } = startCli(['lab', 'up', designFile, '--dir', directory]);
      await waitForState(directory, reached);
      const state = readState(directory)!;
      const pids = leftovers(state, directory).pids;
      child.kill(signal);
      const result = await finished;
      expect(result.code).toBe(code);
      expect(result.stderr).toContain(`interrupted by ${signal}; everything the lab had created was removed`);
      expectNothingLeft(readState(directory) ?? state, directory, pids);
    },
  );

  it(
    'refuses a second lab in the same directory, and runs one in another beside it',
    { timeout: 90_000 },
    async () => {
      const first = await labDirectory();
      const second = await labDirectory();
      expect((await runCliProcess(['lab', 'up', first.designFile, '--dir', first.directory])).code).toBe(0);
      const firstState = readState(first.directory)!;

      const again = await runCliProcess(['lab', 'up', first.designFile, '--dir', first.directory]);
      expect(again.code).toBe(1);
      expect(again.stderr.trim()).toBe(
        `topoforge lab: a lab of "Lab test" is already running in ${first.directory}: run topoforge lab down first`,
      );
      expect(readState(first.directory)).toEqual(firstState);

      expect((await runCliProcess(['lab', 'up', second.designFile, '--dir', second.directory])).code).toBe(0);
      const secondState = readState(second.directory)!;
      expect(secondState.namespaces.filter((name) => firstState.namespaces.includes(name))).toEqual([]);
      // The same design addresses live in both labs, each in its own namespaces.
      const address = (directory: string) =>
        execFileSync(
          process.execPath,
          [
            CLI,
            'lab',
            'exec',
            'back-1',
            '--dir',
            directory,
            '--',
            'ip',
            '-o',
            '-4',
            'address',
            'show',
            'dev',
            'eth0',
          ],
          {
            encoding: 'utf8',
          },
        );
      expect(address(first.directory)).toContain('10.77.1.11/32');
      expect(address(second.directory)).toContain('10.77.1.11/32');

      expect((await runCliProcess(['lab', 'down', '--dir', first.directory])).code).toBe(0);
      expectNothingLeft(firstState, first.directory, []);
      expect(leftovers(secondState, second.directory).namespaces).toEqual(secondState.namespaces);
      expect((await runCliProcess(['lab', 'down', '--dir', second.directory])).code).toBe(0);
      expectNothingLeft(secondState, second.directory, []);
    },
  );

  it('says in one line that it needs root, and exits 2', async () => {
    const result = await new Promise<Finished>((resolve) => {
      const child = spawn(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'lab', 'status'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          cwd: '/',
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'topoforge lab: the lab needs root to create network namespaces (run it with sudo); rootless labs in user namespaces are not supported yet\n',
    );
  });
});
