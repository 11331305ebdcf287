/**
 * The designer's window: title bar, palette, canvas, side panel (inspector, findings, what-if,
 * preview, resilience, rehearse) and status bar.
 */
import { useEffect } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { useServices } from './app/services';
import { Canvas } from './canvas/Canvas';
import { Overview } from './canvas/Overview';
import { Dialogs } from './chrome/Dialogs';
import { StatusBar } from './chrome/StatusBar';
import { TitleBar } from './chrome/TitleBar';
import { useShortcuts } from './chrome/shortcuts';
import { Inspector } from './inspector/Inspector';
import { Palette } from './palette/Palette';
import { FindingsPanel } from './panels/FindingsPanel';
import { PreviewPanel } from './panels/PreviewPanel';
import { RehearsePanel } from './panels/RehearsePanel';
import { ResiliencePanel } from './panels/ResiliencePanel';
import { WhatIfPanel } from './panels/WhatIfPanel';
import { useAppStore } from './state/store';
import type { SidePanel } from './state/view-slice';

const TABS: { panel: SidePanel; title: string }[] = [
  { panel: 'inspector', title: 'Inspector' },
  { panel: 'findings', title: 'Findings' },
  { panel: 'what-if', title: 'What-if' },
  { panel: 'preview', title: 'Configs' },
  { panel: 'resilience', title: 'Resilience' },
  { panel: 'rehearse', title: 'Rehearse' },
];

function SidePanelTabs() {
  const { panel, counts } = useAppStore(useShallow((s) => ({ panel: s.panel, counts: s.analysis?.counts })));
  const setPanel = useAppStore((s) => s.setPanel);
  return (
    <div className="side-tabs" role="tablist">
      {TABS.map((tab) => (
        <button
          key={tab.panel}
          type="button"
          role="tab"
          aria-selected={panel === tab.panel}
          className={panel === tab.panel ? 'active' : undefined}
          data-testid={`tab-${tab.panel}`}
          onClick={() => setPanel(tab.panel)}
        >
          {tab.title}
          {tab.panel === 'findings' && counts && counts.error + counts.warning > 0 ? (
            <span className={`tab-count ${counts.error > 0 ? 'severity-error' : 'severity-warning'}`}>
              {counts.error + counts.warning}
            </span>
          ) : null}
        </button>
      ))}
    </div>
  );
}

function SidePanelBody() {
  const panel = useAppStore((s) => s.panel);
  if (panel === 'findings') return <FindingsPanel />;
  if (panel === 'what-if') return <WhatIfPanel />;
  if (panel === 'preview') return <PreviewPanel />;
  if (panel === 'resilience') return <ResiliencePanel />;
  if (panel === 'rehearse') return <RehearsePanel />;
  return <Inspector />;
}

/** The whole app. */
export function App() {
  const services = useServices();
  const theme = useAppStore((s) => s.theme);
  const dirty = useAppStore((s) => s.dirty);
  const wide = useAppStore(
    (s) => s.panel === 'preview' || s.panel === 'resilience' || s.panel === 'rehearse',
  );
  useShortcuts(services);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  return (
    <ReactFlowProvider>
      <div className="app">
        <h1 className="visually-hidden">Topoforge designer</h1>
        <TitleBar />
        <div className={`workspace${wide ? ' wide-panel' : ''}`}>
          <div className="palette-column">
            <Palette />
            <Overview />
          </div>
          <main className="canvas-area" aria-label="Canvas">
            <Canvas />
          </main>
          <aside className="side-panel" aria-label="Details">
            <SidePanelTabs />
            <div className="side-body">
              <SidePanelBody />
            </div>
          </aside>
        </div>
        <StatusBar />
        <Dialogs />
      </div>
    </ReactFlowProvider>
  );
}
