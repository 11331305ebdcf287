/**
 * Keeps the analysis current: every new design revision or set of failures goes to the analysis
 * worker, newest first, and its answer lands in the store.
 */
import type { AppStore } from '../state/store';
import type { Analysis, AnalysisRequest } from '../workers/analysis-protocol';
import { LatestOnly } from '../workers/rpc';

/** Starts analysing; returns the function that stops it. */
export function connectAnalysis(
  store: AppStore,
  analyze: (request: AnalysisRequest) => Promise<Analysis>,
): () => void {
  const channel = new LatestOnly<AnalysisRequest, Analysis>(
    analyze,
    (analysis, stale) => store.setState(stale ? { analysis } : { analysis, analyzing: false }),
    (error) => store.getState().notify(`The checks failed: ${error.message}`, 'error'),
  );
  const request = () => {
    const { revision, design, failed } = store.getState();
    store.setState({ analyzing: true });
    channel.request({ revision, design, failed });
  };
  request();
  return store.subscribe((state, previous) => {
    if (state.design !== previous.design || state.failed !== previous.failed) request();
  });
}
