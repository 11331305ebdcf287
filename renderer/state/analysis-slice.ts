/**
 * What the checks say about the current design, as the analysis worker last reported it:
 * findings, badges per item, group summaries and, in what-if mode, the state of every item.
 */
import type { StateCreator } from 'zustand';
import type { Analysis } from '../workers/analysis-protocol';
import type { Store } from './store';

/** The analysis part of the store. */
export interface AnalysisSlice {
  analysis: Analysis | undefined;
  /** True while the worker works on a newer revision than {@link analysis}. */
  analyzing: boolean;
  setAnalysis: (analysis: Analysis) => void;
  setAnalyzing: (analyzing: boolean) => void;
}

export const createAnalysisSlice: StateCreator<Store, [], [], AnalysisSlice> = (set) => ({
  analysis: undefined,
  analyzing: false,
  setAnalysis: (analysis) => set({ analysis }),
  setAnalyzing: (analyzing) => set({ analyzing }),
});
