/**
 * Starts the designer in a browser page: the store, the workers, the browser host and the React
 * tree. The desktop shell will start the same app with its own host (core/host.ts).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/base.css';
import './styles.css';
import './canvas/present.css';
import { DESKTOP_HOST_GLOBAL } from '../core/host';
import type { TopoforgeHost } from '../core/host';
import type { LayoutPosition } from '../core/model';
import { App } from './App';
import { connectAnalysis } from './app/analysis';
import { openText } from './app/commands';
import { connectHost } from './app/host-bridge';
import { ServicesContext } from './app/services';
import type { AppServices } from './app/services';
import { createBrowserHost } from './host/browser-host';
import type { LayoutRequest } from './layout/auto-layout';
import { createAppStore, StoreContext } from './state/store';
import type { Theme } from './state/view-slice';
import type { AnalysisAnswer } from './workers/analysis-diff';
import type { AnalysisRequest } from './workers/analysis-protocol';
import type { GenerateRequest, GenerateResponse } from './workers/generate-protocol';
import { WorkerRpc } from './workers/rpc';

const THEME_KEY = 'topoforge.theme';

function initialTheme(): Theme {
  const stored = localStorage.getItem(THEME_KEY);
  if (stored === 'light' || stored === 'dark') return stored;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

const store = createAppStore({ theme: initialTheme() });
store.subscribe((state, previous) => {
  if (state.theme !== previous.theme) localStorage.setItem(THEME_KEY, state.theme);
});

const analysisWorker = new WorkerRpc<AnalysisRequest, AnalysisAnswer>(
  () => new Worker(new URL('./workers/analysis.worker.ts', import.meta.url), { type: 'module' }),
);
const generateWorker = new WorkerRpc<GenerateRequest, GenerateResponse>(
  () => new Worker(new URL('./workers/generate.worker.ts', import.meta.url), { type: 'module' }),
);
const layoutWorker = new WorkerRpc<LayoutRequest, Record<string, LayoutPosition>>(
  () => new Worker(new URL('./layout/layout.worker.ts', import.meta.url), { type: 'module' }),
);

/** The desktop preload's host when the app runs in the shell, else the browser's own. */
const desktopHost = (window as unknown as Record<string, TopoforgeHost | undefined>)[DESKTOP_HOST_GLOBAL];

const services: AppServices = {
  store,
  host:
    desktopHost ??
    createBrowserHost({
      archive: async (bundle, folder) => {
        const response = await generateWorker.call({ kind: 'archive', bundle, folder });
        if (response.kind !== 'archive')
          throw new Error('the generate worker did not answer with an archive');
        return response.bytes;
      },
      ansibleArchive: async (bundle, design, folder) => {
        const response = await generateWorker.call({ kind: 'ansible-archive', bundle, design, folder });
        if (response.kind !== 'archive')
          throw new Error('the generate worker did not answer with an archive');
        return { bytes: response.bytes, fileCount: response.fileCount ?? 0 };
      },
    }),
  layout: (design, options = {}) => layoutWorker.call({ design, options }),
  generate: (request) => generateWorker.call(request),
  canvas: undefined,
  clipboard: undefined,
};

const analysis = connectAnalysis(
  store,
  (request) => analysisWorker.call(request),
  () => analysisWorker.lastAnswerAt,
);
connectHost(services);

// Tests and the canvas benchmark drive the app through this handle; people never need it.
(window as unknown as { topoforge?: unknown }).topoforge = {
  store,
  services,
  open: (fileName: string, text: string) => openText(services, fileName, text),
  analysisTimings: analysis.timings,
};

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <ServicesContext.Provider value={services}>
        <App />
      </ServicesContext.Provider>
    </StoreContext.Provider>
  </StrictMode>,
);
