import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import type { MenuCommand, RecentDesign } from '../../core/host';
import { buildMenuTemplate } from '../../electron/main/menu';
import type { MenuActions, MenuOptions } from '../../electron/main/menu';

const recent: RecentDesign[] = [
  { fileName: 'tealeaf.topo.json', location: '/designs/tealeaf.topo.json', usedAt: '2025-01-02T00:00:00Z' },
  { fileName: 'R&D.topo.json', location: '/designs/R&D.topo.json', usedAt: '2025-01-01T00:00:00Z' },
];

function menu(options: Partial<MenuOptions> = {}) {
  const actions: MenuActions = { command: vi.fn(), openRecent: vi.fn(), clearRecent: vi.fn() };
  const template = buildMenuTemplate(
    { platform: 'linux', appName: 'Topoforge', recent, development: false, ...options },
    actions,
  );
  const items: MenuItemConstructorOptions[] = [];
  const walk = (list: MenuItemConstructorOptions[]) => {
    for (const item of list) {
      items.push(item);
      if (Array.isArray(item.submenu)) walk(item.submenu);
    }
  };
  walk(template);
  const byId = (id: string) => {
    const found = items.find((item) => item.id === id);
    if (!found) throw new Error(`no menu item ${id}`);
    return found;
  };
  const click = (id: string) => (byId(id).click as () => void)();
  return { template, items, byId, click, actions };
}

describe('the native menu', () => {
  it.each([
    ['new', 'CmdOrCtrl+N'],
    ['open', 'CmdOrCtrl+O'],
    ['save', 'CmdOrCtrl+S'],
    ['save-as', 'CmdOrCtrl+Shift+S'],
    ['export-bundle', 'CmdOrCtrl+Shift+E'],
    ['push', 'CmdOrCtrl+Shift+P'],
    ['undo', 'CmdOrCtrl+Z'],
    ['redo', 'CmdOrCtrl+Shift+Z'],
  ] as [MenuCommand, string][])('has %s on %s and forwards it to the designer', (command, accelerator) => {
    const { byId, click, actions } = menu();
    expect(byId(command).accelerator).toBe(accelerator);
    click(command);
    expect(actions.command).toHaveBeenCalledWith(command);
  });

  it('has File › Import configs from a folder and Import from hosts, without shortcuts', () => {
    const { byId, click, actions } = menu();
    expect(byId('import-folder').label).toBe('Import Configs from a Folder…');
    expect(byId('import-hosts').label).toBe('Import from Hosts…');
    expect(byId('import-hosts').accelerator).toBeUndefined();
    click('import-hosts');
    expect(actions.command).toHaveBeenCalledWith('import-hosts');
    click('import-folder');
    expect(actions.command).toHaveBeenCalledWith('import-folder');
  });

  it('sends Undo and Redo to the designer history, and keeps cut, copy and paste native', () => {
    const { byId, items } = menu();
    expect(byId('undo').role).toBeUndefined();
    expect(byId('redo').role).toBeUndefined();
    const roles = items.map((item) => item.role).filter(Boolean);
    expect(roles).toEqual(expect.arrayContaining(['cut', 'copy', 'paste', 'selectAll']));
  });

  it('writes Redo as Ctrl+Y on Windows', () => {
    expect(menu({ platform: 'win32' }).byId('redo').accelerator).toBe('Ctrl+Y');
  });

  it('lists recent designs, opens and clears them, and keeps an & in a name visible', () => {
    const { byId, click, actions } = menu();
    expect(byId('recent-0').label).toContain('tealeaf.topo.json');
    expect(byId('recent-1').label).toContain('R&&D.topo.json');
    click('recent-1');
    expect(actions.openRecent).toHaveBeenCalledWith('/designs/R&D.topo.json');
    click('recent-clear');
    expect(actions.clearRecent).toHaveBeenCalled();
  });

  it('says when there are no recent designs', () => {
    const { byId } = menu({ recent: [] });
    expect(byId('recent-empty').enabled).toBe(false);
    expect(byId('recent-clear').enabled).toBe(false);
  });

  it('quits with Ctrl+Q on Linux and Windows, from the app menu with Cmd+Q on macOS', () => {
    const linux = menu();
    expect(linux.byId('quit')).toMatchObject({ role: 'quit', accelerator: 'Ctrl+Q' });
    expect(linux.template.map((item) => item.id)).toEqual(['file', 'edit', 'view']);
    const mac = menu({ platform: 'darwin' });
    expect(mac.template[0]).toMatchObject({ id: 'app', label: 'Topoforge' });
    expect(mac.byId('quit')).toMatchObject({ role: 'quit', accelerator: 'Cmd+Q' });
    expect(mac.template.at(-1)).toMatchObject({ role: 'windowMenu' });
  });

  it('offers reload and the developer tools only while developing', () => {
    const roles = (development: boolean) => menu({ development }).items.map((item) => item.role);
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).not.toContain('reload');
    expect(roles(true)).toEqual(expect.arrayContaining(['toggleDevTools', 'reload']));
  });
});
