/**
 * The title bar: the File, Edit and View menus, undo and redo, what-if, push, the theme and the
 * file name. In the desktop app the native menu has File (New, Open, Save, Export, Push): the page
 * shows no File menu of its own there, only an Examples menu, and the pictures move to View.
 */
import { useState } from 'react';
import { Moon, Redo2, Sun, Undo2, Upload, Zap } from 'lucide-react';
import { useShallow } from 'zustand/react/shallow';
import type { RecentDesign } from '../../core/host';
import {
  arrange,
  copySelection,
  deleteSelection,
  duplicateSelection,
  exportBundle,
  exportImage,
  newDesign,
  openDesign,
  openExample,
  openText,
  paste,
  saveDesign,
  selectAll,
} from '../app/commands';
import { openPush } from '../app/push';
import { useServices } from '../app/services';
import { EXAMPLES } from '../files/examples';
import { useAppStore } from '../state/store';
import { Menu } from './Menu';
import type { MenuEntry } from './Menu';
import { shortcutText } from './shortcuts';

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
      snapToGrid: s.snapToGrid,
      showMinimap: s.showMinimap,
      hasSelection: s.selection.length > 0,
    })),
  );
  const [recent, setRecent] = useState<RecentDesign[]>([]);
  const state = () => services.store.getState();

  const desktop = services.host.platform === 'desktop';
  const exampleEntries: MenuEntry[] = EXAMPLES.map((example) => ({
    label: example.title,
    hint: example.summary,
    testId: `example-${example.fileName.replace('.topo.json', '')}`,
    onSelect: () => openExample(services, example),
  }));
  const pictureEntries: MenuEntry[] = [
    {
      label: 'Export picture (PNG)',
      testId: 'menu-export-png',
      onSelect: () => void exportImage(services, 'png'),
    },
    {
      label: 'Export picture (SVG)',
      testId: 'menu-export-svg',
      onSelect: () => void exportImage(services, 'svg'),
    },
  ];

  const fileEntries: MenuEntry[] = [
    {
      label: 'New design',
      shortcut: shortcutText('mod+n'),
      testId: 'menu-new',
      onSelect: () => newDesign(services),
    },
    {
      label: 'Open…',
      shortcut: shortcutText('mod+o'),
      testId: 'menu-open',
      onSelect: () => openDesign(services),
    },
    {
      label: 'Save',
      shortcut: shortcutText('mod+s'),
      testId: 'menu-save',
      onSelect: () => void saveDesign(services),
    },
    {
      label: 'Save as…',
      shortcut: shortcutText('mod+shift+s'),
      testId: 'menu-save-as',
      onSelect: () => void saveDesign(services, { saveAs: true }),
    },
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
    {
      label: services.host.platform === 'browser' ? 'Export bundle (zip)' : 'Export bundle…',
      shortcut: shortcutText('mod+shift+e'),
      testId: 'menu-export-bundle',
      onSelect: () => void exportBundle(services),
    },
    ...pictureEntries,
    { separator: true },
    {
      label: 'Push to hosts…',
      shortcut: shortcutText('mod+shift+p'),
      testId: 'menu-push',
      onSelect: () => openPush(services),
    },
  ];

  const editEntries: MenuEntry[] = [
    {
      label: view.undoLabel ? `Undo ${view.undoLabel}` : 'Undo',
      shortcut: shortcutText('mod+z'),
      disabled: !view.undoLabel,
      onSelect: () => state().undo(),
    },
    {
      label: view.redoLabel ? `Redo ${view.redoLabel}` : 'Redo',
      shortcut: shortcutText('mod+shift+z'),
      disabled: !view.redoLabel,
      onSelect: () => state().redo(),
    },
    { separator: true },
    {
      label: 'Cut',
      shortcut: shortcutText('mod+x'),
      disabled: !view.hasSelection,
      onSelect: () => copySelection(services) && deleteSelection(services),
    },
    {
      label: 'Copy',
      shortcut: shortcutText('mod+c'),
      disabled: !view.hasSelection,
      onSelect: () => copySelection(services),
    },
    {
      label: 'Paste',
      shortcut: shortcutText('mod+v'),
      disabled: !services.clipboard,
      onSelect: () => paste(services),
    },
    {
      label: 'Duplicate',
      shortcut: shortcutText('mod+d'),
      disabled: !view.hasSelection,
      onSelect: () => duplicateSelection(services),
    },
    {
      label: 'Delete',
      shortcut: 'Del',
      disabled: !view.hasSelection,
      onSelect: () => deleteSelection(services),
    },
    { separator: true },
    { label: 'Select all', shortcut: shortcutText('mod+a'), onSelect: () => selectAll(services) },
  ];

  const viewEntries: MenuEntry[] = [
    { label: 'Fit the design in view', shortcut: 'F', onSelect: () => services.canvas?.fitView() },
    {
      label: 'Arrange automatically',
      shortcut: shortcutText('shift+l'),
      testId: 'menu-arrange',
      onSelect: () => void arrange(services),
    },
    { separator: true },
    {
      label: `${view.snapToGrid ? '✓ ' : ''}Snap to grid`,
      onSelect: () => state().setSnapToGrid(!view.snapToGrid),
    },
    {
      label: `${view.showMinimap ? '✓ ' : ''}Minimap`,
      onSelect: () => state().setShowMinimap(!view.showMinimap),
    },
    {
      label: view.theme === 'dark' ? 'Light theme' : 'Dark theme',
      testId: 'menu-theme',
      onSelect: () => state().setTheme(view.theme === 'dark' ? 'light' : 'dark'),
    },
    { separator: true },
    { label: 'Keyboard shortcuts', shortcut: '?', onSelect: () => state().openDialog({ kind: 'shortcuts' }) },
    ...(desktop ? [{ separator: true } as MenuEntry, ...pictureEntries] : []),
  ];

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
        <Menu label="Edit" entries={editEntries} testId="menu-edit" />
        <Menu label="View" entries={viewEntries} testId="menu-view" />
      </nav>
      <div className="toolbar-buttons">
        <button
          type="button"
          className="icon-button"
          title={view.undoLabel ? `Undo ${view.undoLabel} (${shortcutText('mod+z')})` : 'Nothing to undo'}
          aria-label="Undo"
          data-testid="undo"
          disabled={!view.undoLabel}
          onClick={() => state().undo()}
        >
          <Undo2 size={16} />
        </button>
        <button
          type="button"
          className="icon-button"
          title={
            view.redoLabel ? `Redo ${view.redoLabel} (${shortcutText('mod+shift+z')})` : 'Nothing to redo'
          }
          aria-label="Redo"
          data-testid="redo"
          disabled={!view.redoLabel}
          onClick={() => state().redo()}
        >
          <Redo2 size={16} />
        </button>
        <button
          type="button"
          className={`what-if-button${view.whatIf ? ' active' : ''}`}
          aria-pressed={view.whatIf}
          data-testid="what-if-button"
          title="What-if mode (W): click hosts, sites or services to fail them"
          onClick={() => state().setWhatIf(!view.whatIf)}
        >
          <Zap size={15} /> What-if
        </button>
        <button
          type="button"
          className="push-button"
          data-testid="push-button"
          title={`Push to hosts (${shortcutText('mod+shift+p')})`}
          onClick={() => openPush(services)}
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
        onClick={() => state().setTheme(view.theme === 'dark' ? 'light' : 'dark')}
      >
        {view.theme === 'dark' ? <Sun size={16} /> : <Moon size={16} />}
      </button>
    </header>
  );
}
