/**
 * The title bar: the File, Edit and View menus, undo and redo, what-if, push, the theme and the
 * file name. In the desktop app the native menu has File (New, Open, Save, Export, Push): the page
 * shows no File menu of its own there, only an Examples menu, and the pictures move to View.
 */
import { useState } from 'react';
import { Activity, FlaskConical, Moon, Redo2, Sun, Undo2, Upload, Zap } from 'lucide-react';
import { useShallow } from 'zustand/react/shallow';
import type { RecentDesign } from '../../core/host';
import { registry } from '../app/app-commands';
import { openExample, openText } from '../app/commands';
import { currentPlatform } from '../app/registry';
import type { MenuId } from '../app/registry';
import { useServices } from '../app/services';
import { EXAMPLES } from '../files/examples';
import { useAppStore } from '../state/store';
import { entriesOf, Menu } from './Menu';
import type { MenuEntry } from './Menu';

/** The title bar. */
export function TitleBar() {
  const services = useServices();
  const view = useAppStore(
    useShallow((s) => ({
      fileName: s.file.name,
      designName: s.design.name,
      dirty: s.dirty,
      undoLabel: s.past[s.past.length - 1]?.label,
      redoLabel: s.future[s.future.length - 1]?.label,
      theme: s.theme,
      whatIf: s.whatIf,
      sites: s.design.sites,
      cut: s.cut,
      resilience: s.panel === 'resilience',
      rehearse: s.panel === 'rehearse',
    })),
  );
  const [recent, setRecent] = useState<RecentDesign[]>([]);
  const state = () => services.store.getState();
  const platform = currentPlatform(services);
  const run = (id: string) => void registry.run(id, services);
  const shortcut = (id: string) => registry.shortcutOf(id, platform);
  const menu = (id: MenuId) => () => entriesOf(registry.menu(id, services, platform), run);

  const desktop = services.host.platform === 'desktop';
  const exampleEntries: MenuEntry[] = EXAMPLES.map((example) => ({
    label: example.title,
    hint: example.summary,
    testId: `example-${example.fileName.replace('.topo.json', '')}`,
    onSelect: () => openExample(services, example),
  }));

  // The browser's File menu: the registry's groups, with the examples and recent designs after
  // the first (New, Open, Save).
  const fileEntries = (): MenuEntry[] => {
    const [document = [], ...rest] = registry.menu('file', services, platform);
    return [
      ...entriesOf([document], run),
      { separator: true },
      { heading: 'New from example' },
      ...exampleEntries,
      ...(recent.length > 0
        ? [
            { separator: true } as MenuEntry,
            { heading: 'Open recent' } as MenuEntry,
            ...recent.map((entry) => ({
              label: entry.fileName,
              hint: `Last used ${new Date(entry.usedAt).toLocaleString()}`,
              onSelect: () =>
                void services.host.openRecentDesign(entry).then((opened) => {
                  if (opened) void openText(services, opened.fileName, opened.text, opened.location);
                  else state().notify(`${entry.fileName} is no longer there.`, 'warning');
                }),
            })),
          ]
        : []),
      { separator: true },
      ...entriesOf(rest, run),
    ];
  };

  return (
    <header className="title-bar">
      <div className="brand" aria-label="Topoforge">
        <span className="brand-mark">◆</span> Topoforge
      </div>
      <nav className="menus" onPointerDown={() => void services.host.recentDesigns().then(setRecent)}>
        {desktop ? (
          <Menu label="Examples" entries={exampleEntries} testId="menu-examples" />
        ) : (
          <Menu label="File" entries={fileEntries} testId="menu-file" />
        )}
        <Menu label="Edit" entries={menu('edit')} testId="menu-edit" />
        <Menu label="Arrange" entries={menu('arrange')} testId="menu-arrange-menu" />
        <Menu label="View" entries={menu('view')} testId="menu-view" />
      </nav>
      <div className="toolbar-buttons">
        <button
          type="button"
          className="icon-button"
          title={view.undoLabel ? `Undo ${view.undoLabel} (${shortcut('edit.undo')})` : 'Nothing to undo'}
          aria-label="Undo"
          data-testid="undo"
          disabled={!view.undoLabel}
          onClick={() => run('edit.undo')}
        >
          <Undo2 size={16} />
        </button>
        <button
          type="button"
          className="icon-button"
          title={view.redoLabel ? `Redo ${view.redoLabel} (${shortcut('edit.redo')})` : 'Nothing to redo'}
          aria-label="Redo"
          data-testid="redo"
          disabled={!view.redoLabel}
          onClick={() => run('edit.redo')}
        >
          <Redo2 size={16} />
        </button>
        <button
          type="button"
          className={`what-if-button${view.whatIf ? ' active' : ''}`}
          aria-pressed={view.whatIf}
          data-testid="what-if-button"
          title={`What-if mode (${shortcut('view.what-if')}): click hosts, sites or services to fail them`}
          onClick={() => run('view.what-if')}
        >
          <Zap size={15} /> What-if
        </button>
        {view.whatIf && (view.sites ?? []).length > 1 ? (
          // What-if's network cut, one site against the rest; hosts are cut from the canvas.
          <select
            className="what-if-cut-select"
            data-testid="whatif-cut-site"
            aria-label="Cut a site off from the network"
            title="Cut a site off from the others: its hosts keep running but reach no other site"
            value={
              view.cut.length === 1 && (view.sites ?? []).some((s) => s.id === view.cut[0]) ? view.cut[0] : ''
            }
            onChange={(event) => state().cutOff(event.target.value ? [event.target.value] : [])}
          >
            <option value="">{view.cut.length > 0 ? 'Heal the cut' : 'Cut a site off…'}</option>
            {(view.sites ?? []).map((site) => (
              <option key={site.id} value={site.id}>
                Cut off {site.label ?? site.id}
              </option>
            ))}
          </select>
        ) : null}
        <button
          type="button"
          className={`resilience-button${view.resilience ? ' active' : ''}`}
          aria-pressed={view.resilience}
          data-testid="resilience-button"
          title={`Resilience view (${shortcut('view.resilience')}): nines, downtime and recovery per entrypoint`}
          onClick={() => run('view.resilience')}
        >
          <Activity size={15} /> Resilience
        </button>
        <button
          type="button"
          className={`rehearse-button${view.rehearse ? ' active' : ''}`}
          aria-pressed={view.rehearse}
          data-testid="rehearse-button"
          title="Rehearse view: deploy the design into a lab and fail each host and site for real"
          onClick={() => run('view.rehearse')}
        >
          <FlaskConical size={15} /> Rehearse
        </button>
        <button
          type="button"
          className="push-button"
          data-testid="push-button"
          title={`Push to hosts (${shortcut('file.push')})`}
          onClick={() => run('file.push')}
        >
          <Upload size={15} /> Push
        </button>
      </div>
      <div className="document-name" title={view.fileName}>
        <span className="design-name">{view.designName}</span>
        <span className="file-name">
          {view.fileName}
          {view.dirty ? ' · edited' : ''}
        </span>
      </div>
      <button
        type="button"
        className="icon-button"
        aria-label={view.theme === 'dark' ? 'Light theme' : 'Dark theme'}
        title={view.theme === 'dark' ? 'Light theme' : 'Dark theme'}
        data-testid="theme-toggle"
        onClick={() => run('view.theme')}
      >
        {view.theme === 'dark' ? <Sun size={16} /> : <Moon size={16} />}
      </button>
    </header>
  );
}
