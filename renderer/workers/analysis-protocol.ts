/**
 * Messages between the app and the analysis worker, which runs the rules and the availability
 * engine off the main thread so that no edit ever waits for them.
 */
import type { GroupSummary } from '../../core/group-summary';
import type { Design } from '../../core/model';
import type { DesignPatch } from './design-patch';
import type { Recovery } from '../../core/recovery/mechanisms';
import type { Finding, Severity } from '../../core/rules/catalogue';
import type { OutcomeStep } from '../../core/what-if';
import type { ItemTable } from './item-table';
import type { ResilienceReport } from './resilience';

/** Analyse this revision of the design with these failures. */
export interface AnalysisRequest {
  revision: number;
  /** Absent when the worker already has this revision (only the failures changed). */
  design?: Design;
  /**
   * In place of `design`: what changed since revision `base`, which the worker holds
   * (design-patch.ts); copying a whole large design on every edit blocked the page.
   */
  patch?: { base: number; changes: DesignPatch };
  failed: string[];
  /**
   * A network partition on top of the failures: each side lists site and host ids, the hosts named
   * in no side form one more side (docs/availability.md, network partitions). Absent or empty: no
   * cut.
   */
  partition?: string[][];
  /**
   * Whether to report the state of every item, the entrypoints' reasons and the single-failure
   * table: only what-if mode and its panel show them, and they are most of the answer's size.
   */
  detail: boolean;
  /** Whether to compute the Resilience view's figures: only that view shows them. */
  resilience?: boolean;
  /**
   * How many rows of the single-failure table to send, worst first. At 5,000 services the whole
   * table is some 5.7 MB that took the page a hundred milliseconds to copy in, for a panel that
   * shows the worst {@link WORST_SINGLE_FAILURES} until asked for all. Absent: every row.
   */
  singleFailureRows?: number;
  /**
   * The answer the page holds (its `seq`, analysis-diff.ts): the worker answers with the changes
   * from it when it is the last one the worker sent, else whole. Absent: whole.
   */
  answerBase?: number;
}

/** The rows of the single-failure table the what-if panel shows until asked for all. */
export const WORST_SINGLE_FAILURES = 60;

/** The state an item shows: `degraded` is an `up` that lost redundancy. */
export type DisplayState = 'up' | 'degraded' | 'manual' | 'down';

/** The worst finding on an item and how many there are. */
export interface Badge {
  severity: Severity;
  count: number;
}

/** An entrypoint's state under the current failures, and why. */
export interface EntrypointStatus {
  id: string;
  label?: string;
  state: DisplayState;
  reason: string;
  /** One sentence, cause first, by label: "Checkout is down: lb-1 and lb-2 both failed with site A". */
  headline: string;
  /** The entrypoint and what it needs, down to what failed (core/what-if.ts). */
  chain: OutcomeStep;
  /** True when the design declares no entrypoints and this one stands for an unlinked item. */
  implicit: boolean;
  /**
   * How long its clients wait after the failures and the cut, and which mechanism sets it: the
   * figures of `simulate --json`'s `recovery`; null when it is down.
   */
  recovery: Recovery | null;
}

/** One side of the what-if cut: the ids that name it (none for the rest) and its hosts. */
export interface CutSide {
  ids: string[];
  hosts: string[];
}

/** Entrypoints one set of failures took down or weakened (core/what-if.ts), by id: their
 * sentences and chains are in {@link Analysis.entrypoints}, sent once. */
export interface CauseSummary {
  causes: string[];
  title: string;
  /** Worst first. */
  entrypoints: string[];
}

/**
 * What one host or site failure, or one site cut off from the others (`partition`, designs with
 * two or more sites), does to the entrypoints that change.
 */
export interface SingleFailureRow {
  /** The host or site that fails, or the site cut off. */
  failed: string;
  kind: 'host' | 'site' | 'partition';
  effects: { id: string; name: string; state: DisplayState; reason: string }[];
  /** For a cut: the groups up on both sides. */
  splitBrain?: string[];
}

/** Everything the worker reports for one request. */
export interface Analysis {
  revision: number;
  failed: string[];
  /** The partition evaluated, as requested (the sides that name nothing are left out). */
  partition: string[][];
  /** Every side of the partition, the rest included; empty when nothing is cut. */
  sides: CutSide[];
  /** Groups up on two or more sides of the cut: two primaries accept writes. */
  splitBrain: string[];
  /** Whether {@link states}, {@link entrypoints} and {@link singleFailures} were computed. */
  detail: boolean;
  findings: Finding[];
  counts: Record<Severity, number>;
  /** The worst finding per item that has one (item-table.ts: an edit copies only what it changes). */
  badges: ItemTable<Badge>;
  groups: Record<string, GroupSummary>;
  /**
   * The ids that stand for entrypoints when the design declares none (docs/design-file.md: every
   * service nothing links to, a group for its members); empty when it declares some.
   */
  implicitEntrypoints: string[];
  /**
   * Services, groups, entrypoints, hosts and sites under the failures (item-table.ts: an answer
   * that changes a few states copies a few small chunks, not a record of every item).
   */
  states: ItemTable<DisplayState>;
  entrypoints: EntrypointStatus[];
  /** The entrypoints that are not fully up, grouped by the failures they trace back to. */
  byCause: CauseSummary[];
  /** The single-failure table, worst first: the first `singleFailureRows` asked for. */
  singleFailures: SingleFailureRow[];
  /** How many rows the whole single-failure table has. */
  singleFailureCount: number;
  /** The Resilience view's figures, when asked for (renderer/workers/resilience.ts). */
  resilience?: ResilienceReport;
  /** Time the worker spent, for the status bar. */
  durationMs: number;
  /** Set when the checks themselves failed (a bug): the message. */
  error?: string;
}
