/**
 * The Rehearse view's state (docs/rehearse.md): the rehearsal's phase, its progress lines, and per
 * scenario the probe samples drawn live, the injection, runbook steps and, once it finished, its
 * verdicts. Selecting a finished scenario paints it on the canvas the way what-if mode does: its
 * failures and cut become what-if's, and each entrypoint shows its verdict.
 */
import type { StateCreator } from 'zustand';
import type {
  RehearsalOutcome,
  RehearsalSample,
  RehearsalStreamEvent,
  RehearsalSupport,
  RehearsedScenario,
} from '../../core/rehearse';
import type { Store } from './store';

/** Where the rehearsal is. */
export type RehearsalPhase = 'idle' | 'running' | 'finished' | 'cancelled' | 'failed';

/** One scenario as the view draws it. */
export interface ScenarioProgress {
  label: string;
  /** Per entrypoint, every probe request so far. */
  samples: Record<string, RehearsalSample[]>;
  injectedAt?: number;
  runbook: { at: number; step: string }[];
  /** The verdicts, once the scenario finished. */
  result?: RehearsedScenario;
}

/** The rehearsal as the view shows it. */
export interface RehearsalRun {
  phase: RehearsalPhase;
  /** Whether this machine can run a lab; unknown until the host answered. */
  support: RehearsalSupport | undefined;
  /** The engine's progress lines, newest last. */
  progress: string[];
  scenarios: ScenarioProgress[];
  /** The scenario running now. */
  current: number | undefined;
  /** The finished scenario painted on the canvas. */
  selected: number | undefined;
  /** Why the rehearsal could not run. */
  error: string | undefined;
  standIns: RehearsalOutcome['standIns'];
  seconds: number | undefined;
  cancelling: boolean;
}

/** The rehearsal part of the store. */
export interface RehearsalSlice {
  rehearsalRun: RehearsalRun;
  setRehearsalSupport: (support: RehearsalSupport) => void;
  startRehearsal: () => void;
  applyRehearsalEvent: (event: RehearsalStreamEvent) => void;
  finishRehearsal: (outcome: RehearsalOutcome) => void;
  failRehearsal: (message: string) => void;
  markRehearsalCancelling: () => void;
  /** Paints a finished scenario on the canvas (what-if mode with its failures), or clears it. */
  selectRehearsedScenario: (index: number | undefined) => void;
}

/** Progress lines kept: the start of a lab prints a dozen. */
const PROGRESS_KEPT = 50;

const IDLE: RehearsalRun = {
  phase: 'idle',
  support: undefined,
  progress: [],
  scenarios: [],
  current: undefined,
  selected: undefined,
  error: undefined,
  standIns: [],
  seconds: undefined,
  cancelling: false,
};

function emptyScenario(label: string): ScenarioProgress {
  return { label, samples: {}, runbook: [] };
}

export const createRehearsalSlice: StateCreator<Store, [], [], RehearsalSlice> = (set, get) => {
  const update = (change: Partial<RehearsalRun>) =>
    set({ rehearsalRun: { ...get().rehearsalRun, ...change } });
  const updateScenario = (index: number, change: (scenario: ScenarioProgress) => ScenarioProgress) => {
    const scenarios = [...get().rehearsalRun.scenarios];
    scenarios[index] = change(scenarios[index] ?? emptyScenario(`scenario ${index + 1}`));
    update({ scenarios });
  };
  return {
    rehearsalRun: IDLE,
    setRehearsalSupport: (support) => update({ support }),
    startRehearsal: () => {
      get().selectRehearsedScenario(undefined);
      update({ ...IDLE, support: get().rehearsalRun.support, phase: 'running' });
    },
    applyRehearsalEvent: (event) => {
      switch (event.type) {
        case 'progress':
          update({ progress: [...get().rehearsalRun.progress, event.line].slice(-PROGRESS_KEPT) });
          return;
        case 'scenario': {
          const scenarios = [...get().rehearsalRun.scenarios];
          for (let index = scenarios.length; index < event.count; index += 1)
            scenarios.push(emptyScenario(''));
          scenarios[event.index] = { ...scenarios[event.index]!, label: event.label };
          update({ scenarios, current: event.index });
          return;
        }
        case 'samples':
          updateScenario(event.index, (scenario) => {
            // One new list per entrypoint and batch (not per sample): a scenario keeps thousands.
            const arrived = new Map<string, RehearsalSample[]>();
            for (const sample of event.samples) {
              const list = arrived.get(sample.entrypoint) ?? [];
              list.push(sample);
              arrived.set(sample.entrypoint, list);
            }
            const samples = { ...scenario.samples };
            for (const [entrypoint, list] of arrived)
              samples[entrypoint] = (samples[entrypoint] ?? []).concat(list);
            return { ...scenario, samples };
          });
          return;
        case 'injected':
          updateScenario(event.index, (scenario) => ({ ...scenario, injectedAt: event.at }));
          return;
        case 'runbook':
          updateScenario(event.index, (scenario) => ({
            ...scenario,
            runbook: [...scenario.runbook, { at: event.at, step: event.step }],
          }));
          return;
        case 'verdict':
          updateScenario(event.index, (scenario) => ({
            ...scenario,
            label: event.scenario.label,
            result: event.scenario,
          }));
          return;
      }
    },
    finishRehearsal: (outcome) => {
      // Scenarios never started (a cancel) are not listed as waiting for ever.
      const scenarios = get().rehearsalRun.scenarios.filter((scenario) => scenario.result !== undefined);
      update({
        phase: outcome.status,
        scenarios,
        current: undefined,
        standIns: outcome.standIns,
        seconds: outcome.seconds,
        cancelling: false,
      });
    },
    failRehearsal: (error) => update({ phase: 'failed', error, current: undefined, cancelling: false }),
    markRehearsalCancelling: () => update({ cancelling: true }),
    selectRehearsedScenario: (index) => {
      const result = index === undefined ? undefined : get().rehearsalRun.scenarios[index]?.result;
      if (result === undefined) {
        if (get().rehearsalRun.selected !== undefined) {
          update({ selected: undefined });
          set({ whatIf: false, failed: [], cut: [] });
        }
        return;
      }
      update({ selected: index });
      // What-if mode paints the scenario: its failed items, the side it cut off.
      set({ whatIf: true, failed: [...result.failed], cut: [...(result.partition[0] ?? [])] });
    },
  };
};
