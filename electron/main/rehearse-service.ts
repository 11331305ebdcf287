/**
 * What the main process does for the Rehearse view (docs/rehearse.md): it loads and checks the
 * design text the page sends exactly as `topoforge rehearse` does, runs the same engine
 * (deploy/lab/rehearse.ts) in the lab directory the command uses, and forwards the engine's events
 * to the window that asked. Probe samples arrive 25 times a second per entrypoint; they are sent
 * in batches, a few a second, so that the page draws smoothly and IPC stays quiet.
 *
 * One rehearsal at a time for the whole app: every window shares the machine's one lab directory.
 * Cancel aborts the engine, which removes the lab (namespaces, mounts, processes) before the
 * rehearsal's own call resolves as `cancelled`.
 *
 * The engine and the machine check are injected, so tests run the service in plain Node.
 */
import { resolve } from 'node:path';
import type {
  RehearsalOutcome,
  RehearsalSample,
  RehearsalStreamEvent,
  RehearsalSupport,
  RehearseRequest,
  RehearsedScenario,
} from '../../core/rehearse';
import { describeProblem, parseDesign } from '../../core/load';
import { validateDesign } from '../../core/rules';
import {
  DEFAULT_LAB_DIRECTORY,
  LAB_DIRECTORY_VARIABLE,
  LabAbortedError,
  LabBusyError,
  LabCommandError,
  LabPlanError,
  labUnsupportedReason,
} from '../../deploy/lab/index';
import { RehearsalError, defaultScenarios, rehearse } from '../../deploy/lab/rehearse';
import type { RehearsalEvent, RehearsalScenario, ScenarioRehearsal } from '../../deploy/lab/rehearse';
import { HostError } from './ipc';

/** How often batched probe samples go to the page. */
const SAMPLE_FLUSH_MS = 200;

/** Options of {@link RehearseService}. */
export interface RehearseServiceOptions<Window> {
  /** Delivers an event to `window`, the one that asked. */
  send(window: Window, event: RehearsalStreamEvent): void;
  /** The lab directory; default `$TOPOFORGE_LAB_DIR`, else the command's default. */
  directory?: string;
  /** Why this machine cannot run a lab, or undefined; default the command's own check. */
  unsupportedReason?: () => string | undefined;
}

/** The page's view of a finished scenario: the engine's, without the timeline it drew live. */
function rehearsedScenario(scenario: ScenarioRehearsal): RehearsedScenario {
  return {
    failed: scenario.failed,
    partition: scenario.partition,
    kind: scenario.kind,
    label: scenario.label,
    entrypoints: scenario.entrypoints,
    runbook: scenario.runbook,
    recoveredAt: scenario.timeline.recoveredAt,
  };
}

/** The main-process side of the Rehearse view. */
export class RehearseService<Window> {
  private running: { window: Window; cancel: AbortController; ended: Promise<void> } | undefined;

  constructor(private readonly options: RehearseServiceOptions<Window>) {}

  /** Whether this machine can run a lab, with the command's one-line reason when it cannot. */
  support(): RehearsalSupport {
    const reason = (this.options.unsupportedReason ?? labUnsupportedReason)();
    return reason === undefined ? { supported: true } : { supported: false, reason };
  }

  /** Whether a rehearsal runs (from any window). */
  isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Cancels `window`'s rehearsal; the lab is removed before its call resolves. Nothing else runs. */
  cancel(window: Window): void {
    if (this.running?.window === window) this.running.cancel.abort();
  }

  /** Cancels whatever runs and resolves once its lab is removed: for the app's quit. */
  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    running.cancel.abort();
    await running.ended;
  }

  /** Rehearses the design: every single failure, or the request's one scenario. */
  async rehearse(window: Window, request: RehearseRequest): Promise<RehearsalOutcome> {
    if (this.running !== undefined)
      throw new HostError(
        this.running.window === window
          ? 'a rehearsal from this window is still running: wait for it or cancel it'
          : 'a rehearsal from another window is running: the machine has one lab',
      );
    const loaded = parseDesign(request.designText);
    if (!loaded.ok) throw new HostError(`the design does not load: ${describeProblem(loaded.problems[0]!)}`);
    const { model } = validateDesign(loaded.design);
    const scenarios = this.scenariosOf(model, request);
    const support = this.support();
    if (!support.supported) throw new HostError(support.reason!);

    const cancel = new AbortController();
    let ended = (): void => undefined;
    this.running = { window, cancel, ended: new Promise<void>((resolve) => (ended = resolve)) };
    const finished: RehearsedScenario[] = [];
    let pending: { index: number; samples: RehearsalSample[] } | undefined;
    const flush = (): void => {
      if (pending === undefined || pending.samples.length === 0) return;
      const batch = pending;
      pending = undefined;
      this.options.send(window, { type: 'samples', index: batch.index, samples: batch.samples });
    };
    const timer = setInterval(flush, SAMPLE_FLUSH_MS);
    const onEvent = (event: RehearsalEvent): void => {
      if (event.type === 'sample') {
        if (pending !== undefined && pending.index !== event.index) flush();
        pending ??= { index: event.index, samples: [] };
        pending.samples.push({
          entrypoint: event.sample.entrypoint,
          at: event.sample.at,
          ok: event.sample.ok,
        });
        return;
      }
      // Samples before an injection or verdict are drawn before it.
      flush();
      if (event.type === 'verdict') {
        const scenario = rehearsedScenario(event.scenario);
        finished.push(scenario);
        this.options.send(window, { type: 'verdict', index: event.index, scenario });
      } else this.options.send(window, event);
    };
    const started = Date.now();
    try {
      const result = await rehearse({
        design: loaded.design,
        model,
        designFile: 'the design open in Topoforge',
        directory: this.directory(),
        scenarios,
        signal: cancel.signal,
        onEvent,
      });
      flush();
      return {
        status: cancel.signal.aborted ? 'cancelled' : 'finished',
        scenarios: result.scenarios.map(rehearsedScenario),
        standIns: result.standIns.map(({ service, kind, host, reason }) => ({ service, kind, host, reason })),
        seconds: result.seconds,
      };
    } catch (error) {
      if (cancel.signal.aborted)
        return {
          status: 'cancelled',
          scenarios: finished,
          standIns: [],
          seconds: (Date.now() - started) / 1000,
        };
      if (error instanceof LabAbortedError) throw new HostError(error.message);
      if (
        error instanceof LabPlanError ||
        error instanceof LabBusyError ||
        error instanceof LabCommandError ||
        error instanceof RehearsalError
      )
        throw new HostError(error.message);
      throw error;
    } finally {
      clearInterval(timer);
      this.running = undefined;
      ended();
    }
  }

  private directory(): string {
    return resolve(this.options.directory ?? process.env[LAB_DIRECTORY_VARIABLE] ?? DEFAULT_LAB_DIRECTORY);
  }

  /** The request's one scenario, checked as the command checks `--fail` and `--partition`. */
  private scenariosOf(
    model: ReturnType<typeof validateDesign>['model'],
    request: RehearseRequest,
  ): RehearsalScenario[] {
    const failed = request.fail ?? [];
    const partition = request.partition ?? [];
    if (failed.length === 0 && partition.length === 0) return defaultScenarios(model);
    for (const id of failed)
      if (model.failureKind(id) === undefined)
        throw new HostError(`there is no host, site or service '${id}' to fail`);
    const problem = model.partitionProblem(partition);
    if (problem !== undefined) throw new HostError(`the network cut: ${problem}`);
    return [
      {
        failed,
        partition,
        kind:
          partition.length > 0 && failed.length === 0
            ? 'partition'
            : failed.length === 1 && partition.length === 0
              ? model.failureKind(failed[0]!)!
              : 'combination',
      },
    ];
  }
}
