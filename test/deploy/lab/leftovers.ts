/**
 * What a lab leaves behind, for the tests that interrupt `lab up` and `rehearse`: its namespaces,
 * the processes in them, its mounts and its directory. Only the lab named by a state file is
 * looked at, never every `tf*` namespace: another lab on this machine may be running.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readState } from '../../../deploy/lab/index';
import type { LabState } from '../../../deploy/lab/index';
import { isRunning } from './fixture';

/** Whether the named network namespace exists. */
export function namespaceExists(name: string): boolean {
  return existsSync(join('/run/netns', name));
}

/** Polls until `condition` holds for the lab's state, then returns that state. */
export async function waitForState(
  directory: string,
  condition: (state: LabState) => boolean,
  timeoutMs = 30_000,
): Promise<LabState> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = existsSync(join(directory, 'state.json')) ? readState(directory) : undefined;
    if (state !== undefined && condition(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the lab never reached the point to interrupt it at');
}

/** What of a lab is there: its namespaces, the processes in them, its mounts. */
export function leftovers(
  state: LabState,
  directory: string,
): { namespaces: string[]; pids: string[]; mounts: string[] } {
  const namespaces = state.namespaces.filter(namespaceExists);
  const pids = namespaces.flatMap((name) =>
    execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split('\n').filter(Boolean),
  );
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(
      (line) =>
        line.includes(directory) || state.namespaces.some((name) => line.includes(`/run/netns/${name} `)),
    );
  return { namespaces, pids, mounts };
}

/** Asserts that nothing of the lab is left: namespaces, mounts, the given processes, sshds, directory. */
export function expectNothingLeft(state: LabState, directory: string, pids: string[]): void {
  expect(leftovers(state, directory)).toEqual({ namespaces: [], pids: [], mounts: [] });
  for (const pid of pids) expect(isRunning(pid), `lab process ${pid}`).toBe(false);
  for (const host of state.hosts)
    if (host.sshd) expect(isRunning(host.sshd.pid), `sshd of ${host.id}`).toBe(false);
  expect(existsSync(directory)).toBe(false);
}
