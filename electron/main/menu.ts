/**
 * The native menu as a template: File (New, Open, Open Recent, Save, Save As, Export Bundle,
 * Push, Quit), Edit (Undo and Redo go to the designer's history; cut, copy, paste and select all
 * stay native, so text fields work), View and, on macOS, the app and Window menus. Every action
 * is a callback, so the template is built and tested without Electron.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { acceleratorOf, keyOf, SHELL_COMMANDS } from '../../core/commands';
import type { MenuCommand, RecentDesign } from '../../core/host';

/** Redo as Windows writes it: the shell command's key for keyboards other than Apple's, Ctrl+Y. */
const windowsRedo = acceleratorOf(
  keyOf(SHELL_COMMANDS.redo.keys.find((key) => typeof key !== 'string' && key.only === 'other')!),
).replace('CmdOrCtrl', 'Ctrl');

/** What the menu's items do. */
export interface MenuActions {
  /** Forwards a command to the designer in the focused window. */
  command(command: MenuCommand): void;
  openRecent(location: string): void;
  clearRecent(): void;
}

/** What the template depends on. */
export interface MenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  recent: readonly RecentDesign[];
  /** Adds Reload and the developer tools while developing. */
  development: boolean;
}

/**
 * The accelerators of the designer's commands: the first key of each in core/commands.ts, which
 * the designer's registry, its menus and its help use too.
 */
export const COMMAND_ACCELERATORS: Readonly<Partial<Record<MenuCommand, string>>> = Object.fromEntries(
  Object.entries(SHELL_COMMANDS).flatMap(([id, command]) =>
    command.keys[0] === undefined ? [] : [[id, acceleratorOf(keyOf(command.keys[0]))]],
  ),
) as Partial<Record<MenuCommand, string>>;

/** Builds the menu template. */
export function buildMenuTemplate(options: MenuOptions, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const item = (id: MenuCommand): MenuItemConstructorOptions => {
    const accelerator = COMMAND_ACCELERATORS[id];
    return {
      id,
      label: SHELL_COMMANDS[id].nativeLabel,
      ...(accelerator !== undefined ? { accelerator } : {}),
      click: () => actions.command(id),
    };
  };

  const recentItems: MenuItemConstructorOptions[] =
    options.recent.length === 0
      ? [{ id: 'recent-empty', label: 'No Recent Designs', enabled: false }]
      : options.recent.map((design, index) => ({
          id: `recent-${index}`,
          // `&` marks a mnemonic on Windows and Linux; a file name's own `&` must stay visible.
          label: `${design.fileName.replaceAll('&', '&&')}  —  ${design.location.replaceAll('&', '&&')}`,
          click: () => actions.openRecent(design.location),
        }));

  const file: MenuItemConstructorOptions = {
    id: 'file',
    label: '&File',
    submenu: [
      item('new'),
      item('open'),
      {
        id: 'open-recent',
        label: 'Open Recent',
        submenu: [
          ...recentItems,
          { type: 'separator' },
          {
            id: 'recent-clear',
            label: 'Clear Recent Designs',
            enabled: options.recent.length > 0,
            click: () => actions.clearRecent(),
          },
        ],
      },
      { type: 'separator' },
      item('import-folder'),
      item('import-hosts'),
      { type: 'separator' },
      item('save'),
      item('save-as'),
      { type: 'separator' },
      item('export-bundle'),
      item('export-ansible'),
      item('push'),
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit', id: 'quit', label: 'Quit', accelerator: 'Ctrl+Q' },
    ],
  };

  const edit: MenuItemConstructorOptions = {
    id: 'edit',
    label: '&Edit',
    submenu: [
      item('undo'),
      // Windows writes Redo as Ctrl+Y; macOS and Linux as Shift and Z. The page accepts both.
      options.platform === 'win32' ? { ...item('redo'), accelerator: windowsRedo } : item('redo'),
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  };

  const view: MenuItemConstructorOptions = {
    id: 'view',
    label: '&View',
    submenu: [
      ...(options.development
        ? ([
            { role: 'reload' },
            { role: 'toggleDevTools' },
            { type: 'separator' },
          ] as MenuItemConstructorOptions[])
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };

  if (!mac) return [file, edit, view];
  const app: MenuItemConstructorOptions = {
    id: 'app',
    label: options.appName,
    submenu: [
      { role: 'about' },
      { type: 'separator' },
      { role: 'services' },
      { type: 'separator' },
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      { type: 'separator' },
      { role: 'quit', id: 'quit', accelerator: 'Cmd+Q' },
    ],
  };
  return [app, file, edit, view, { role: 'windowMenu' }];
}
