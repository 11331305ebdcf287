/**
 * Keeps the analysis current: every new design revision, set of failures or need for detail goes
 * to the analysis worker, newest first, and its answer lands in the store.
 */
import type { Design } from '../../core/model';
import type { AppStore, Store } from '../state/store';
import { AnswerReader } from '../workers/analysis-diff';
import type { AnalysisAnswer } from '../workers/analysis-diff';
import { WORST_SINGLE_FAILURES } from '../workers/analysis-protocol';
import type { Analysis, AnalysisRequest } from '../workers/analysis-protocol';
import { diffDesign, STALE_BASE } from '../workers/design-patch';
import { LatestOnly } from '../workers/rpc';

/** Whether the analysis must carry every item's state and the single-failure table. */
function needsDetail(state: Store): boolean {
  return state.whatIf || state.panel === 'what-if';
}

/** Whether the analysis must carry the Resilience view's figures. */
function needsResilience(state: Store): boolean {
  return state.panel === 'resilience';
}

/**
 * What the checks cost the main thread, per request: copying the design to the worker, and taking
 * the answer in (reading the message, the store update and the re-render it causes). The last 50
 * of each, in milliseconds; the canvas benchmark reads them.
 */
export interface AnalysisTimings {
  postMs: number[];
  applyMs: number[];
}

const TIMINGS_KEPT = 50;

/**
 * The longest a request waits for the page to be idle. The checks' worker spends up to a few
 * hundred milliseconds of CPU on an answer at 5,000 services; started beside the edit's own render
 * (the canvas's deferred pass, layout, paint), it took one of the machine's cores from it and
 * stretched the edit's tasks to twice their CPU time. Started once the page is idle, it runs while
 * the main thread has nothing to do, and findings follow within a frame or two of an edit. The
 * wait is long enough to cover opening a large design: the first request copies the whole design
 * (5,000 services: some 100 ms, and the worker's parse beside it), which, made 200 ms into the
 * second of work opening takes, put the first painted frame off by about half a second.
 */
const IDLE_WAIT_MS = 2000;

/** Runs `request` when the page is idle, or after {@link IDLE_WAIT_MS} at the latest. */
function whenIdle(request: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(request, { timeout: IDLE_WAIT_MS });
  else setTimeout(request, 0);
}

/**
 * Starts analysing; returns the function that stops it and the main-thread timings. `analyze`
 * answers as the worker does (analysis-diff.ts): the changes from the answer the page holds.
 */
export function connectAnalysis(
  store: AppStore,
  analyze: (request: AnalysisRequest) => Promise<AnalysisAnswer>,
  answerArrivedAt: () => number = () => performance.now(),
): { stop: () => void; timings: AnalysisTimings } {
  const timings: AnalysisTimings = { postMs: [], applyMs: [] };
  const keep = (list: number[], value: number) => {
    list.push(value);
    if (list.length > TIMINGS_KEPT) list.shift();
  };
  // The revision the worker holds: a request for it needs no copy of the design.
  let workerRevision = -1;
  // The design the worker holds: a new revision goes as the change from it (design-patch.ts).
  let held: { revision: number; design: Design } | undefined;
  // The last answer, from which the worker sends the next as changes.
  const answers = new AnswerReader();
  const ask = async (request: AnalysisRequest): Promise<Analysis> =>
    answers.read(await analyze({ ...request, answerBase: answers.base }));
  const send = async (request: AnalysisRequest): Promise<Analysis> => {
    if (!request.design || !held) return ask(request);
    const { design, ...rest } = request;
    try {
      return await ask({
        ...rest,
        patch: { base: held.revision, changes: diffDesign(held.design, design) },
      });
    } catch (error) {
      // A worker started anew (it failed) holds nothing: send it the whole design.
      if (error instanceof Error && error.message.startsWith(STALE_BASE)) return ask(request);
      throw error;
    }
  };
  const channel = new LatestOnly<AnalysisRequest, Analysis>(
    async (request) => {
      try {
        const analysis = await send(request);
        workerRevision = analysis.revision;
        if (request.design) held = { revision: request.revision, design: request.design };
        return analysis;
      } catch (error) {
        workerRevision = -1;
        held = undefined;
        answers.reset();
        throw error;
      }
    },
    (analysis, stale) => {
      const arrived = answerArrivedAt();
      store.setState(stale ? { analysis } : { analysis, analyzing: false });
      // React re-renders in a microtask queued by the update; this one runs after it.
      queueMicrotask(() => keep(timings.applyMs, performance.now() - arrived));
    },
    (error) => store.getState().notify(`The checks failed: ${error.message}`, 'error'),
  );
  let scheduled = false;
  let sentRevision = -1;
  const request = () => {
    scheduled = false;
    const state = store.getState();
    const withDesign = state.revision !== sentRevision || state.revision !== workerRevision;
    sentRevision = state.revision;
    const started = performance.now();
    channel.request({
      revision: state.revision,
      ...(withDesign ? { design: state.design } : {}),
      failed: state.failed,
      partition: state.cut.length > 0 ? [state.cut] : [],
      detail: needsDetail(state),
      resilience: needsResilience(state),
      ...(state.allSingleFailures ? {} : { singleFailureRows: WORST_SINGLE_FAILURES }),
    });
    keep(timings.postMs, performance.now() - started);
  };
  request();
  const stop = store.subscribe((state, previous) => {
    if (
      state.design === previous.design &&
      state.failed === previous.failed &&
      state.cut === previous.cut &&
      needsDetail(state) === needsDetail(previous) &&
      needsResilience(state) === needsResilience(previous) &&
      state.allSingleFailures === previous.allSingleFailures
    ) {
      return;
    }
    store.setState({ analyzing: true });
    // Posting copies the design; doing it once the page is idle keeps that copy, and the worker's
    // run, out of the tasks that render the edit, and coalesces the edits made meanwhile.
    if (!scheduled) {
      scheduled = true;
      whenIdle(request);
    }
  });
  return { stop, timings };
}
