/**
 * The lab's state file: a journal of everything the lab created, written before each thing is
 * created, so that whatever ends a run (a crash, SIGKILL, a power cut of the command) the next
 * `lab up`, `lab down` or `rehearse` can remove exactly what is left, and nothing else.
 *
 * The file is also the lab's lock: it is created exclusively, and names the process that owns it
 * while the lab is being built or torn down.
 */
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** Where a lab is in its life. */
export type LabPhase = 'starting' | 'ready' | 'stopping';

/** A process of the lab: enough to tell it from a later process that reuses its pid. */
export interface LabProcessRecord {
  pid: number;
  /** Field 22 of `/proc/PID/stat`: the start time in clock ticks since boot. */
  startTime: number;
}

/** One host as recorded, for status and exec. */
export interface LabHostRecord {
  id: string;
  address: string;
  interface: string;
  namespace: string;
  sshPort: number;
  site?: string;
  /** The host's sshd: its pid is also the way into the host's mount and UTS namespaces. */
  sshd?: LabProcessRecord;
  hostKeyFingerprint?: string;
}

/** What the state file holds. */
export interface LabState {
  format: 1;
  id: string;
  phase: LabPhase;
  /** The `topoforge` process that builds or tears the lab down right now. */
  owner: LabProcessRecord;
  designName: string;
  /** The design file the lab was built from, as given on the command line. */
  designFile: string;
  startedAt: string;
  /** The lab lives only as long as its owner (a rehearsal's): a ready one whose owner is gone crashed. */
  ephemeral?: boolean;
  /** Network namespaces, in creation order; each is recorded before it is created. */
  namespaces: string[];
  hosts: LabHostRecord[];
  client?: { namespace: string; address: string };
  /** Services per host, for status: id, kind and the ports it should listen on. */
  services: { id: string; kind: string; host: string; ports: number[] }[];
}

/** The state file inside a lab directory. */
export function stateFileOf(directory: string): string {
  return join(directory, 'state.json');
}

/** The start time of a running process, or undefined when there is none with that pid. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = Number(fields[19]);
    return Number.isFinite(startTime) ? startTime : undefined;
  } catch {
    return undefined;
  }
}

/** This process, as a record. */
export function currentProcess(): LabProcessRecord {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 };
}

/** Whether the recorded process still runs (and is the same process, not a reused pid). */
export function isAlive(record: LabProcessRecord): boolean {
  return processStartTime(record.pid) === record.startTime;
}

/** Reads the state file; undefined when there is no lab in `directory`. */
export function readState(directory: string): LabState | undefined {
  const path = stateFileOf(directory);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as LabState;
}

/** Creates the state file; false when one exists already (another lab, or a crashed one). */
export function createState(directory: string, state: LabState): boolean {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  // Written in full first, then linked into place: the link fails when a state file exists, and a
  // reader never sees a half-written one.
  const temporary = `${stateFileOf(directory)}.${process.pid}.new`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, stateFileOf(directory));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** Replaces the state file atomically, so a crash never leaves half a journal. */
export function writeState(directory: string, state: LabState): void {
  const path = stateFileOf(directory);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
