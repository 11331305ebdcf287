/**
 * The state of File › Import from hosts (docs/import.md): the targets as typed, the unknown host
 * keys the person trusted, each host's live progress from the host's collect events, and the
 * report. The collected files are not kept here: they go straight into the import.
 */
import type { StateCreator } from 'zustand';
import { hostIdsOf, parseTarget } from '../../core/collect';
import type { CollectEvent, CollectReport, CollectState, CollectTarget } from '../../core/collect';
import type { ConfirmedHostKey } from '../../core/host';
import type { RefusedHostKey } from '../../core/push';
import type { Store } from './store';

/** Where the dialog is: targets being typed, a collection running, or its outcome shown. */
export type CollectPhase = 'idle' | 'collecting' | 'collected';

/** One host's progress bar: its state, files and bytes so far, and why it failed. */
export interface HostCollectProgress {
  host: string;
  address: string;
  port: number;
  /** `waiting` until its collection starts (hosts are read a few at a time). */
  state: CollectState | 'waiting';
  files: number;
  bytes: number;
  /** Files known to be wanted so far: the bar's length. */
  wanted: number;
  reason?: string;
  refusedKey?: RefusedHostKey;
}

/** The import-from-hosts dialog's state. */
export interface CollectRun {
  phase: CollectPhase;
  /** The targets as typed, one `user@address[:port]` a line. */
  targetsText: string;
  /** Unknown host keys the person trusted in this session, by host id. */
  confirmed: ConfirmedHostKey[];
  /** Host ids in the order of the targets. */
  order: string[];
  progress: Record<string, HostCollectProgress>;
  report: CollectReport | undefined;
  /** Why the last collection did not even start (no key to log in with, a bad target, …). */
  error: string | undefined;
  /** The person asked to cancel; the collection is winding down. */
  cancelling: boolean;
}

/** A line of the targets that is not `user@address[:port]`. */
export interface TargetProblem {
  line: number;
  text: string;
}

/** The targets of `text`, one a line (blank lines skipped), and the lines that are not targets. */
export function targetsOf(text: string): {
  targets: CollectTarget[];
  lines: string[];
  problems: TargetProblem[];
} {
  const targets: CollectTarget[] = [];
  const lines: string[] = [];
  const problems: TargetProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const target = parseTarget(line);
    if (target) {
      targets.push(target);
      lines.push(line);
    } else problems.push({ line: index + 1, text: line });
  });
  return { targets, lines, problems };
}

/** The collect part of the store. */
export interface CollectSlice {
  collectRun: CollectRun;
  setCollectTargets: (text: string) => void;
  /** A collection of `targets` starts: every host waits in the order typed. */
  startCollect: (targets: readonly CollectTarget[]) => void;
  recordCollectEvent: (event: CollectEvent) => void;
  finishCollect: (report: CollectReport) => void;
  /** The collection could not start; back to the targets, with the reason. */
  failCollect: (message: string) => void;
  markCollectCancelling: () => void;
  /** Trusts `fingerprint` for `host` (replacing one trusted before for it). */
  trustCollectKey: (host: string, fingerprint: string) => void;
}

const initialRun: CollectRun = {
  phase: 'idle',
  targetsText: '',
  confirmed: [],
  order: [],
  progress: {},
  report: undefined,
  error: undefined,
  cancelling: false,
};

export const createCollectSlice: StateCreator<Store, [], [], CollectSlice> = (set, get) => {
  const update = (change: Partial<CollectRun>) => set({ collectRun: { ...get().collectRun, ...change } });
  return {
    collectRun: initialRun,
    setCollectTargets: (text) => update({ targetsText: text }),
    startCollect: (targets) => {
      const ids = hostIdsOf(targets);
      const progress: Record<string, HostCollectProgress> = {};
      targets.forEach((target, index) => {
        progress[ids[index]!] = {
          host: ids[index]!,
          address: target.address,
          port: target.port,
          state: 'waiting',
          files: 0,
          bytes: 0,
          wanted: 0,
        };
      });
      update({
        phase: 'collecting',
        order: ids,
        progress,
        report: undefined,
        error: undefined,
        cancelling: false,
      });
    },
    recordCollectEvent: (event) => {
      const { phase, progress } = get().collectRun;
      const before = progress[event.host];
      if (phase !== 'collecting' || !before) return;
      const next: HostCollectProgress =
        event.type === 'file'
          ? { ...before, files: event.files, bytes: event.bytes, wanted: Math.max(event.wanted, event.files) }
          : {
              ...before,
              state: event.state,
              ...(event.reason !== undefined ? { reason: event.reason } : {}),
              ...(event.refusedKey ? { refusedKey: event.refusedKey } : {}),
            };
      update({ progress: { ...progress, [event.host]: next } });
    },
    finishCollect: (report) => {
      const progress = { ...get().collectRun.progress };
      // The report is the last word on each host, whatever events were missed.
      for (const host of report.hosts) {
        progress[host.host] = {
          host: host.host,
          address: host.address,
          port: host.port,
          state: host.state,
          files: host.files,
          bytes: host.bytes,
          wanted: Math.max(progress[host.host]?.wanted ?? 0, host.files),
          ...(host.state === 'failed' && host.problems[0] ? { reason: host.problems[0].message } : {}),
          ...(host.refusedKey ? { refusedKey: host.refusedKey } : {}),
        };
      }
      update({ phase: 'collected', report, progress, cancelling: false });
    },
    failCollect: (message) => update({ phase: 'idle', error: message, cancelling: false }),
    markCollectCancelling: () => {
      if (get().collectRun.phase === 'collecting') update({ cancelling: true });
    },
    trustCollectKey: (host, fingerprint) => {
      const confirmed = get().collectRun.confirmed.filter((key) => key.host !== host);
      update({ confirmed: [...confirmed, { host, fingerprint }] });
    },
  };
};
