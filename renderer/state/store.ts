/**
 * The app's one store, built from typed slices (zustand's slices pattern): the document with its
 * history, the selection, the view, the analysis and the push dialog. Components read it through
 * {@link useAppStore} with narrow selectors, `useShallow` where a selector builds an object.
 */
import { createContext, useContext } from 'react';
import { createStore, useStore } from 'zustand';
import type { StoreApi } from 'zustand';
import { createAnalysisSlice } from './analysis-slice';
import type { AnalysisSlice } from './analysis-slice';
import { createCollectSlice } from './collect-slice';
import type { CollectSlice } from './collect-slice';
import { createDocumentSlice } from './document-slice';
import type { DocumentSlice } from './document-slice';
import { createPushSlice } from './push-slice';
import type { PushSlice } from './push-slice';
import { createRehearsalSlice } from './rehearsal-slice';
import type { RehearsalSlice } from './rehearsal-slice';
import { createSelectionSlice } from './selection-slice';
import type { SelectionSlice } from './selection-slice';
import { createViewSlice } from './view-slice';
import type { ViewSlice } from './view-slice';

/** Everything the app keeps. */
export type Store = DocumentSlice &
  SelectionSlice &
  ViewSlice &
  AnalysisSlice &
  PushSlice &
  CollectSlice &
  RehearsalSlice;

/** The store's API: `getState`, `setState`, `subscribe`. */
export type AppStore = StoreApi<Store>;

/** A new store; the app makes one, each test its own. */
export function createAppStore(initial?: Partial<Store>): AppStore {
  const store = createStore<Store>()((...parts) => ({
    ...createDocumentSlice(...parts),
    ...createSelectionSlice(...parts),
    ...createViewSlice(...parts),
    ...createAnalysisSlice(...parts),
    ...createPushSlice(...parts),
    ...createCollectSlice(...parts),
    ...createRehearsalSlice(...parts),
  }));
  if (initial) store.setState(initial);
  return store;
}

/** The store of the component tree. */
export const StoreContext = createContext<AppStore | undefined>(undefined);

/** The store itself, for commands that read and write outside rendering. */
export function useAppStoreApi(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore outside <StoreContext.Provider>');
  return store;
}

/** Selects from the store; re-renders only when the selected value changes. */
export function useAppStore<T>(selector: (state: Store) => T): T {
  return useStore(useAppStoreApi(), selector);
}
