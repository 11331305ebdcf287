/**
 * The rehearsal contract of the desktop's Rehearse view (docs/rehearse.md), types only: what the
 * page asks for, the events it draws live and the result it ends with. The engine (deploy/lab)
 * produces them and the main process forwards them, so the page never imports the engine; they
 * live here, free of Node, as the push contract does.
 */
import type { Recovery } from './recovery/mechanisms';

/** What the page sends to start a rehearsal: the design text, and optionally one scenario. */
export interface RehearseRequest {
  /** The whole `*.topo.json` text; the main process loads and checks it as the command does. */
  designText: string;
  /** Fail these host, site or service ids (one scenario, as `rehearse --fail`). */
  fail?: string[];
  /** Cut these sides off (one scenario, as `rehearse --partition`). */
  partition?: string[][];
}

/** Whether this machine can run a lab; `reason` is the one line `topoforge rehearse` prints when not. */
export interface RehearsalSupport {
  supported: boolean;
  reason?: string;
}

/** What kind of failure a scenario is. */
export type RehearsalScenarioKind = 'host' | 'site' | 'service' | 'partition' | 'combination';

/** One entrypoint of a finished scenario: predicted, measured, verdict (SPEC section 7). */
export interface RehearsedEntrypoint {
  id: string;
  predicted: { state: 'up' | 'manual' | 'down'; degraded: boolean; recovery: Recovery | null };
  measured: { state: 'up' | 'manual' | 'down'; interruptionSeconds: number | null; failedRequests: number };
  verdict: 'match' | 'mismatch';
  /** What differs, in words; empty for a match. */
  differences: string[];
}

/** One finished scenario, its timeline left out (the view drew it from the samples). */
export interface RehearsedScenario {
  failed: string[];
  partition: string[][];
  kind: RehearsalScenarioKind;
  label: string;
  entrypoints: RehearsedEntrypoint[];
  /** Runbook steps run for a cold standby. */
  runbook: string[];
  /** When each entrypoint was served again, in milliseconds from the injection; null if never. */
  recoveredAt: Record<string, number | null>;
}

/**
 * One probe request: which entrypoint, when (milliseconds since the epoch, the clock of the
 * injection and runbook events too) and whether it was served.
 */
export interface RehearsalSample {
  entrypoint: string;
  at: number;
  ok: boolean;
}

/**
 * What a running rehearsal reports, in order: progress lines while the lab comes up and the
 * bundle deploys, then per scenario its start, batches of probe samples, the injection, any
 * runbook step, and its verdicts.
 */
export type RehearsalStreamEvent =
  | { type: 'progress'; line: string }
  | { type: 'scenario'; index: number; count: number; label: string }
  | { type: 'samples'; index: number; samples: RehearsalSample[] }
  | { type: 'injected'; index: number; at: number }
  | { type: 'runbook'; index: number; at: number; step: string }
  | { type: 'verdict'; index: number; scenario: RehearsedScenario };

/** How a rehearsal ended: every scenario, or cancelled (the lab removed) after some of them. */
export interface RehearsalOutcome {
  status: 'finished' | 'cancelled';
  scenarios: RehearsedScenario[];
  /** Services that ran as stand-ins, with why. */
  standIns: { service: string; kind: string; host: string; reason: string }[];
  seconds: number;
}
