/**
 * The push dialog's state: the plan (a dry run, per host its key and files with diffs), the host
 * keys the person trusted, the hosts chosen, live progress from the host's events, and the
 * outcome. The design itself is not kept here: a plan remembers the text it was made from, and the
 * push sends exactly that text, so what is pushed is what was planned.
 */
import type { StateCreator } from 'zustand';
import type { ConfirmedHostKey } from '../../core/host';
import type { FailedStep, PushEvent, PushReport, PushStep } from '../../core/push';
import type { Store } from './store';

/** Where the dialog is: nothing yet, planning, a plan to look at, pushing, or pushed. */
export type PushPhase = 'idle' | 'planning' | 'planned' | 'pushing' | 'pushed';

/** What one host is doing, from the events of the running plan or push. */
export interface HostProgress {
  /** The step it is in, or the one it failed at. */
  step?: PushStep | FailedStep;
  /** It waits for these hosts of its voting group or entrypoint. */
  waitingFor?: string[];
  finished?: 'done' | 'failed';
}

/** The push dialog's state. */
export interface PushRun {
  phase: PushPhase;
  /** The design text of the current plan: the push sends this one. */
  designText: string | undefined;
  plan: PushReport | undefined;
  result: PushReport | undefined;
  /** Why the last plan or push did not even start (error findings, another push running, …). */
  error: string | undefined;
  /** Host ids to push. */
  selected: string[];
  /** Unknown host keys the person trusted in this session. */
  confirmed: ConfirmedHostKey[];
  /** Create missing certificates self-signed (`push --lab-certs`), for a lab only. */
  labCertificates: boolean;
  progress: Record<string, HostProgress>;
  /** The person asked to cancel the running plan or push; it is winding down. */
  cancelling: boolean;
}

/** The push part of the store. */
export interface PushSlice {
  pushRun: PushRun;
  startPushPlan: (designText: string) => void;
  finishPushPlan: (report: PushReport) => void;
  startPush: () => void;
  finishPush: (report: PushReport) => void;
  /** The plan or push could not start; back to where the dialog was, with the reason. */
  failPush: (message: string) => void;
  recordPushEvent: (event: PushEvent) => void;
  /** The person asked to cancel the running plan or push. */
  markPushCancelling: () => void;
  selectPushHost: (host: string, selected: boolean) => void;
  /** Trusts `fingerprint` for `host` (replacing one trusted before for it). */
  trustHostKey: (host: string, fingerprint: string) => void;
  /** Turns the lab-certificates choice on or off. */
  setLabCertificates: (on: boolean) => void;
}

/** Hosts a plan reached: the ones a push can go to. */
export function plannedHosts(report: PushReport): string[] {
  return report.hosts.filter((host) => host.status !== 'failed').map((host) => host.host);
}

const initialRun: PushRun = {
  phase: 'idle',
  designText: undefined,
  plan: undefined,
  result: undefined,
  error: undefined,
  selected: [],
  confirmed: [],
  labCertificates: false,
  progress: {},
  cancelling: false,
};

export const createPushSlice: StateCreator<Store, [], [], PushSlice> = (set, get) => {
  const update = (change: Partial<PushRun>) => set({ pushRun: { ...get().pushRun, ...change } });
  return {
    pushRun: initialRun,
    startPushPlan: (designText) =>
      update({
        phase: 'planning',
        designText,
        plan: undefined,
        result: undefined,
        error: undefined,
        progress: {},
        cancelling: false,
      }),
    finishPushPlan: (report) =>
      update({ phase: 'planned', plan: report, selected: plannedHosts(report), cancelling: false }),
    startPush: () =>
      update({ phase: 'pushing', result: undefined, error: undefined, progress: {}, cancelling: false }),
    finishPush: (report) => update({ phase: 'pushed', result: report, cancelling: false }),
    failPush: (message) => {
      const { phase, plan } = get().pushRun;
      update({
        phase: phase === 'pushing' && plan ? 'planned' : plan && phase !== 'planning' ? phase : 'idle',
        error: message,
        cancelling: false,
      });
    },
    markPushCancelling: () => {
      const { phase } = get().pushRun;
      if (phase === 'planning' || phase === 'pushing') update({ cancelling: true });
    },
    recordPushEvent: (event) => {
      const { phase, progress } = get().pushRun;
      if (phase !== 'planning' && phase !== 'pushing') return;
      const before = progress[event.host] ?? {};
      let next: HostProgress;
      if (event.type === 'waiting') next = { ...before, waitingFor: event.after };
      else if (event.type === 'step') next = { step: event.step };
      else if (event.type === 'done') next = { ...before, waitingFor: undefined, finished: 'done' };
      else if (event.type === 'failed') next = { step: event.step, finished: 'failed' };
      else return;
      update({ progress: { ...progress, [event.host]: next } });
    },
    selectPushHost: (host, selected) => {
      const current = get().pushRun.selected.filter((id) => id !== host);
      update({ selected: selected ? [...current, host] : current });
    },
    trustHostKey: (host, fingerprint) => {
      const confirmed = get().pushRun.confirmed.filter((key) => key.host !== host);
      update({ confirmed: [...confirmed, { host, fingerprint }] });
    },
    setLabCertificates: (on) => update({ labCertificates: on }),
  };
};
