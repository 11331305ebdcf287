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
 * The engine runs in this process when the app is root; otherwise `topoforge rehearse --events` runs
 * as root in a child process (rehearsal-route.ts says how and why). The route is injected, so tests
 * run the service in plain Node.
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
} from '../../deploy/lab/index';
import { RehearsalError, rehearse } from '../../deploy/lab/rehearse';
import { rehearsedScenario, requestedScenarios, streamEvent } from '../../deploy/lab/scenarios';
import { HostError } from './ipc';
import { NO_COMMAND_REASON, machineProbe, rehearsalRoute, runElevatedRehearsal } from './rehearsal-route';
import type { EngineResult, EngineRun, RehearsalRoute } from './rehearsal-route';

/** How often batched probe samples go to the page. */
const SAMPLE_FLUSH_MS = 200;

/** Options of {@link RehearseService}. */
export interface RehearseServiceOptions<Window> {
  /** Delivers an event to `window`, the one that asked. */
  send(window: Window, event: RehearsalStreamEvent): void;
  /** The lab directory; default `$TOPOFORGE_LAB_DIR`, else the command's default. */
  directory?: string;
  /** How this machine rehearses, or why it cannot; default {@link rehearsalRoute} of this machine. */
  route?: () => RehearsalRoute;
  /**
   * The program that runs the `topoforge` command (see {@link topoforgeCommand}), for a rehearsal
   * in a child process; undefined when there is none.
   */
  command?: string[];
}

/** The main-process side of the Rehearse view. */
export class RehearseService<Window> {
  private running: { window: Window; cancel: AbortController; ended: Promise<void> } | undefined;

  constructor(private readonly options: RehearseServiceOptions<Window>) {}

  private route(): RehearsalRoute {
    const route = (this.options.route ?? (() => rehearsalRoute(machineProbe)))();
    return route.kind === 'elevated' && this.options.command === undefined
      ? { kind: 'unsupported', reason: NO_COMMAND_REASON }
      : route;
  }

  /** Whether this machine can run a lab for the app, with a one-line reason when it cannot. */
  support(): RehearsalSupport {
    const route = this.route();
    return route.kind === 'unsupported' ? { supported: false, reason: route.reason } : { supported: true };
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
    const failed = request.fail ?? [];
    const partition = request.partition ?? [];
    for (const id of failed)
      if (model.failureKind(id) === undefined)
        throw new HostError(`there is no host, site or service '${id}' to fail`);
    const problem = model.partitionProblem(partition);
    if (problem !== undefined) throw new HostError(`the network cut: ${problem}`);
    const route = this.route();
    if (route.kind === 'unsupported') throw new HostError(route.reason);

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
    const judged = new Set<number>();
    const onEvent = (event: RehearsalStreamEvent): void => {
      if (event.type === 'samples') {
        // A scenario's chart is final once its verdict is drawn: probe answers still in flight
        // when the engine stops its probes (more of them on a loaded machine) are not drawn.
        if (judged.has(event.index)) return;
        if (pending !== undefined && pending.index !== event.index) flush();
        pending ??= { index: event.index, samples: [] };
        pending.samples.push(...event.samples);
        return;
      }
      // Samples before an injection or verdict are drawn before it.
      flush();
      if (event.type === 'verdict') {
        judged.add(event.index);
        finished.push(event.scenario);
      }
      this.options.send(window, event);
    };
    const started = Date.now();
    const run: EngineRun = { request, directory: this.directory(), signal: cancel.signal, onEvent };
    try {
      const result =
        route.kind === 'in-process'
          ? await this.rehearseHere(loaded.design, model, run)
          : await runElevatedRehearsal(route.prefix, this.options.command!, run);
      flush();
      return { status: cancel.signal.aborted ? 'cancelled' : 'finished', ...result };
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

  /** The engine in this process, for an app that runs as root. */
  private async rehearseHere(
    design: Parameters<typeof rehearse>[0]['design'],
    model: ReturnType<typeof validateDesign>['model'],
    run: EngineRun,
  ): Promise<EngineResult> {
    const result = await rehearse({
      design,
      model,
      designFile: 'the design open in Topoforge',
      directory: run.directory,
      scenarios: requestedScenarios(model, run.request.fail ?? [], run.request.partition ?? []),
      signal: run.signal,
      onEvent: (event) => run.onEvent(streamEvent(event)),
    });
    return {
      scenarios: result.scenarios.map(rehearsedScenario),
      standIns: result.standIns.map(({ service, kind, host, reason }) => ({ service, kind, host, reason })),
      seconds: result.seconds,
    };
  }

  private directory(): string {
    return resolve(this.options.directory ?? process.env[LAB_DIRECTORY_VARIABLE] ?? DEFAULT_LAB_DIRECTORY);
  }
}
