/**
 * The Electron main process: the one module that imports Electron at run time. It applies the
 * policy of security.ts, serves the designer on `app://topoforge/`, registers the IPC table behind
 * the router of ipc.ts, builds the native menu, and ties each window's document to the
 * unsaved-changes prompt and its recovery copy. Everything it decides is in the modules it
 * imports, which the tests run in plain Node (the Electron binary is not needed for them).
 */
import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session } from 'electron';
import type { Event as ElectronEvent, FileFilter, WebContents } from 'electron';
import type { DocumentState, HostCommand, MenuCommand } from '../../core/host';
import {
  COLLECT_EVENT_CHANNEL,
  COMMAND_CHANNEL,
  PUSH_EVENT_CHANNEL,
  REHEARSAL_EVENT_CHANNEL,
} from '../preload/protocol';
import { serveAppRequest } from './app-protocol';
import { DesignService } from './design-service';
import type { DesignDialogs } from './design-service';
import { discardingAction, DocumentGuard, windowTitle } from './document-guard';
import type { DiscardAnswer } from './document-guard';
import { channelEntries, hostChannelTable } from './host-channels';
import type { HostContext } from './host-channels';
import { createIpcRouter } from './ipc';
import type { IpcLogEntry } from './ipc';
import { designPathsFromArguments } from './launch-arguments';
import { buildMenuTemplate } from './menu';
import { SECRETS_DIRECTORY_VARIABLE, SecretStore } from '../../deploy/secrets/index';
import { ImportService } from './import-service';
import { PushService } from './push-service';
import { RehearseService } from './rehearse-service';
import { topoforgeCommand } from './rehearsal-route';
import { RecentDesignsStore } from './recent-designs';
import { RecoveryScheduler, RecoveryStore } from './recovery';
import type { RecoveredDesign } from './recovery';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  designerWindowOptions,
  isRequestAllowed,
  mayGrantPermission,
  mayNavigate,
  originForLog,
  privilegedSchemes,
} from './security';

interface WindowRecord {
  window: BrowserWindow;
  contents: WebContents;
  guard: DocumentGuard;
  scheduler: RecoveryScheduler;
  context: HostContext<BrowserWindow>;
  recoveryId: string;
  /** The page has loaded: its preload listens for commands. */
  loaded: boolean;
  /** Commands for a page that has not loaded yet. */
  queued: HostCommand[];
  closeApproved: boolean;
}

const DESIGN_FILTERS: FileFilter[] = [
  { name: 'Topoforge designs (*.topo.json)', extensions: ['json'] },
  { name: 'All files', extensions: ['*'] },
];

const development = !app.isPackaged;
const appRoot = app.getAppPath();
const webRoot = join(appRoot, 'dist', 'web');
const preloadPath = join(appRoot, 'dist', 'desktop', 'preload.cjs');
const argumentsToSkip = app.isPackaged ? 1 : 2;

/** Logs a security-relevant refusal: what and why, never a payload. */
function logRefusal(entry: IpcLogEntry | { event: string; origin: string }): void {
  console.warn(`[topoforge] ${JSON.stringify(entry)}`);
}

// Both must happen before the app is ready.
protocol.registerSchemesAsPrivileged(privilegedSchemes());
app.enableSandbox();
// The same data folder (recent designs, recovery copies) in development as in packages.
app.setName('Topoforge');
if (process.platform === 'win32') app.setAppUserModelId('dev.topoforge.desktop');

const windows = new Map<number, WindowRecord>();
const pendingPaths: string[] = designPathsFromArguments(process.argv, {
  cwd: process.cwd(),
  skip: argumentsToSkip,
});
let quitting = false;
let recoveryOffered = false;
let service: DesignService<BrowserWindow> | undefined;
let recent: RecentDesignsStore | undefined;
let recovery: RecoveryStore | undefined;
let imports: ImportService<BrowserWindow> | undefined;
let rehearsals: RehearseService<BrowserWindow> | undefined;

// Every web contents, whoever creates it: no navigation, no new windows, no <webview>.
app.on('web-contents-created', (_event, contents) => {
  const refuseNavigation = (event: ElectronEvent, url: string, kind: string) => {
    if (mayNavigate(url)) return;
    event.preventDefault();
    logRefusal({ event: kind, origin: originForLog(url) });
  };
  contents.on('will-navigate', (event, url) => refuseNavigation(event, url, 'navigation'));
  contents.on('will-redirect', (event, url) => refuseNavigation(event, url, 'redirect'));
  contents.on('will-frame-navigate', (event) => refuseNavigation(event, event.url, 'frame navigation'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    logRefusal({ event: 'webview', origin: '(none)' });
  });
  contents.setWindowOpenHandler((details) => {
    logRefusal({ event: 'new window', origin: originForLog(details.url) });
    return { action: 'deny' };
  });
});

function send(record: WindowRecord, command: HostCommand): void {
  if (!record.loaded) {
    record.queued.push(command);
    return;
  }
  record.contents.send(COMMAND_CHANNEL, command);
}

function focusedRecord(): WindowRecord | undefined {
  const focused = BrowserWindow.getFocusedWindow();
  const found = [...windows.values()];
  return found.find((record) => record.window === focused) ?? found[0];
}

async function showError(window: BrowserWindow | undefined, message: string, detail: string): Promise<void> {
  const options = { type: 'error' as const, message, detail, buttons: ['OK'] };
  await (window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options));
}

async function askToSave(
  window: BrowserWindow,
  state: DocumentState,
  action: string,
): Promise<DiscardAnswer> {
  const { response } = await dialog.showMessageBox(window, {
    type: 'warning',
    message: `Save the changes to ${state.fileName} before ${action}?`,
    detail: "Your changes will be lost if you don't save them.",
    buttons: ['Save', "Don't Save", 'Cancel'],
    defaultId: 0,
    cancelId: 2,
    noLink: true,
  });
  return (['save', 'discard', 'cancel'] as const)[response] ?? 'cancel';
}

const dialogs: DesignDialogs<BrowserWindow> = {
  async chooseDesignToOpen(window, defaultFolder) {
    const result = await dialog.showOpenDialog(window, {
      title: 'Open Design',
      defaultPath: defaultFolder,
      properties: ['openFile'],
      filters: DESIGN_FILTERS,
    });
    return result.canceled ? undefined : result.filePaths[0];
  },
  async chooseDesignLocation(window, defaultPath) {
    const result = await dialog.showSaveDialog(window, {
      title: 'Save Design',
      defaultPath,
      filters: DESIGN_FILTERS,
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    return result.canceled || !result.filePath ? undefined : result.filePath;
  },
  async chooseBundleFolder(window, defaultPath) {
    const result = await dialog.showSaveDialog(window, {
      title: 'Export Bundle',
      message:
        'The bundle is written into this folder: an empty or new one, or the folder of an earlier bundle.',
      buttonLabel: 'Export',
      nameFieldLabel: 'Folder:',
      defaultPath,
      properties: ['createDirectory'],
    });
    return result.canceled || !result.filePath ? undefined : result.filePath;
  },
  async chooseImageLocation(window, defaultPath, format) {
    const result = await dialog.showSaveDialog(window, {
      title: 'Export Picture',
      defaultPath,
      filters: [{ name: format === 'png' ? 'PNG image' : 'SVG image', extensions: [format] }],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    return result.canceled || !result.filePath ? undefined : result.filePath;
  },
  async confirmExportWithErrors(window, errors) {
    const listed = errors.slice(0, 5).map((finding) => `• ${finding.rule}: ${finding.message}`);
    if (errors.length > listed.length) listed.push(`• and ${errors.length - listed.length} more`);
    const { response } = await dialog.showMessageBox(window, {
      type: 'warning',
      message: `The design still has ${errors.length} error finding${errors.length === 1 ? '' : 's'}. Export the bundle anyway?`,
      detail: `${listed.join('\n')}\n\nThe command line refuses to generate this design without --force.`,
      buttons: ['Export Anyway', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      noLink: true,
    });
    return response === 0;
  },
};

/** Opens a file the operating system, the command line or the native Open Recent menu named. */
async function openPath(path: string, fromRecent: boolean): Promise<void> {
  const record = focusedRecord();
  if (!record || !record.loaded || !service) {
    pendingPaths.push(path);
    if (!record && app.isReady()) createWindow();
    return;
  }
  if (!(await record.guard.confirmDiscard(`opening ${basename(path)}`))) return;
  try {
    const opened = fromRecent
      ? await service.openRecentDesign({ fileName: basename(path), location: path, usedAt: '' })
      : await service.openPath(path);
    if (opened === undefined) {
      await showError(
        record.window,
        `${basename(path)} no longer exists`,
        'It was taken off the recent designs.',
      );
      return;
    }
    send(record, { type: 'open-design', design: opened, recovered: false });
  } catch (error) {
    await showError(record.window, `Topoforge cannot open ${basename(path)}`, (error as Error).message);
  }
}

/** Offers the recovery copies no open window owns, newest first; one can be recovered. */
async function offerRecovery(record: WindowRecord): Promise<void> {
  if (!recovery || !service) return;
  const owned = new Set([...windows.values()].map((other) => other.recoveryId));
  let copies: RecoveredDesign[];
  try {
    copies = (await recovery.list()).filter((copy) => !owned.has(copy.id));
  } catch {
    return;
  }
  for (const copy of copies) {
    const { response } = await dialog.showMessageBox(record.window, {
      type: 'question',
      message: `Topoforge closed without saving ${copy.fileName}. Recover the unsaved changes?`,
      detail: `The copy is from ${new Date(copy.savedAt).toLocaleString()}. Later keeps it for the next start.`,
      buttons: ['Recover', 'Discard', 'Later'],
      defaultId: 0,
      cancelId: 2,
      noLink: true,
    });
    if (response === 2) return;
    if (response === 1) {
      await recovery.remove(copy.id).catch(() => undefined);
      continue;
    }
    if (copy.location !== undefined) service.grant(copy.location);
    // The window adopts the copy: its autosaves replace it, and its next save removes it.
    record.recoveryId = copy.id;
    send(record, {
      type: 'open-design',
      design: {
        fileName: copy.fileName,
        text: copy.text,
        ...(copy.location ? { location: copy.location } : {}),
      },
      recovered: true,
    });
    return;
  }
}

function pageLoaded(record: WindowRecord): void {
  record.loaded = true;
  for (const command of record.queued.splice(0)) send(record, command);
  const paths = pendingPaths.splice(0);
  // One window shows one design: of several files, the last one named is opened.
  const last = paths.at(-1);
  if (last !== undefined) void openPath(last, false);
  else if (!recoveryOffered) {
    recoveryOffered = true;
    void offerRecovery(record);
  }
}

function createWindow(): WindowRecord {
  const window = new BrowserWindow(designerWindowOptions({ preload: preloadPath, devTools: development }));
  const contents = window.webContents;
  const id = contents.id;
  // The guard and the scheduler reach the record only once it exists (when they first fire).
  const guard = new DocumentGuard({
    ask: (state, action) => askToSave(window, state, action),
    requestSave: () => send(record, { type: 'save' }),
  });
  const scheduler = new RecoveryScheduler(() => send(record, { type: 'write-recovery-copy' }));
  const removeCopy = () =>
    recovery?.remove(record.recoveryId).catch((error: unknown) => {
      console.warn(`[topoforge] the recovery copy could not be removed: ${(error as Error).message}`);
    });
  const record: WindowRecord = {
    window,
    contents,
    guard,
    scheduler,
    recoveryId: randomUUID(),
    loaded: false,
    queued: [],
    closeApproved: false,
    context: {
      window,
      guard,
      get recoveryId() {
        return record.recoveryId;
      },
      documentChanged(state) {
        guard.update(state);
        window.setTitle(windowTitle(state));
        if (process.platform === 'darwin') {
          window.setDocumentEdited(state.dirty);
          window.setRepresentedFilename(state.location ?? '');
        }
        scheduler.setDirty(state.dirty);
        if (!state.dirty) void removeCopy();
      },
      saved() {
        scheduler.setDirty(false);
        void removeCopy();
      },
    },
  };
  windows.set(id, record);

  window.setTitle(windowTitle(guard.state));
  window.on('page-title-updated', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  contents.on('did-navigate', () => {
    // A new page (the first, a reload, or one after a crash) holds no design yet. Unsaved work of
    // the page before it survives only as its recovery copy, which is offered once this one loads.
    record.loaded = false;
    if (guard.state.dirty) {
      record.recoveryId = randomUUID();
      recoveryOffered = false;
    }
    scheduler.stop();
    guard.update({ fileName: 'untitled.topo.json', dirty: false });
    window.setTitle(windowTitle(guard.state));
  });
  contents.on('did-finish-load', () => pageLoaded(record));
  contents.on('render-process-gone', (_event, details) => {
    if (details.reason === 'clean-exit') return;
    console.warn(`[topoforge] the designer stopped (${details.reason}); reloading it`);
    contents.reload();
  });
  window.on('close', (event) => {
    if (record.closeApproved || !guard.state.dirty) return;
    event.preventDefault();
    void guard.confirmDiscard(quitting ? 'quitting' : 'closing').then(async (confirmed) => {
      if (!confirmed) {
        quitting = false;
        return;
      }
      record.closeApproved = true;
      await removeCopy();
      window.close();
      if (quitting) app.quit();
    });
  });
  window.on('closed', () => {
    scheduler.stop();
    // A collection for a window that is gone would import into nothing: stop it, keep nothing.
    imports?.cancel(window);
    // A rehearsal for a window that is gone would draw into nothing: stop it, which removes its lab.
    rehearsals?.cancel(window);
    windows.delete(id);
  });
  void window.loadURL(APP_ENTRY_URL);
  return record;
}

function installMenu(): void {
  const template = buildMenuTemplate(
    { platform: process.platform, appName: app.getName(), recent: recent?.list() ?? [], development },
    {
      command: (command: MenuCommand) => {
        const record = focusedRecord() ?? createWindow();
        const action = discardingAction(command);
        if (action === undefined) return send(record, { type: command });
        void record.guard.confirmDiscard(action).then((confirmed) => {
          if (confirmed) send(record, { type: command });
        });
      },
      openRecent: (location) => void openPath(location, true),
      clearRecent: () => void recent?.clear().catch(() => undefined),
    },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function documentsFolder(): string {
  try {
    return app.getPath('documents');
  } catch {
    return homedir();
  }
}

async function start(): Promise<void> {
  await app.whenReady();

  const defaultSession = session.defaultSession;
  defaultSession.setPermissionRequestHandler((_contents, permission, callback) => {
    const granted = mayGrantPermission(permission);
    if (!granted) logRefusal({ event: `permission ${permission}`, origin: '(page)' });
    callback(granted);
  });
  defaultSession.setPermissionCheckHandler((_contents, permission) => mayGrantPermission(permission));
  defaultSession.setDevicePermissionHandler(() => false);
  defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isRequestAllowed(details.url);
    if (!allowed) logRefusal({ event: 'request', origin: originForLog(details.url) });
    callback({ cancel: !allowed });
  });
  protocol.handle(APP_SCHEME, async (request) => {
    const response = await serveAppRequest({ url: request.url, method: request.method }, webRoot);
    return new Response(response.body ? Buffer.from(response.body) : null, {
      status: response.status,
      headers: response.headers,
    });
  });

  const userData = app.getPath('userData');
  recent = await RecentDesignsStore.open({ file: join(userData, 'recent-designs.json') });
  recovery = new RecoveryStore({ folder: join(userData, 'recovery') });
  service = new DesignService<BrowserWindow>({
    dialogs,
    recent,
    documentsFolder: documentsFolder(),
    warn: (message) => console.warn(`[topoforge] ${message}`),
  });
  recent.onChange(() => {
    installMenu();
    const newest = recent?.list()[0];
    if (newest) app.addRecentDocument(newest.location);
  });

  // Progress goes to the window that asked, while it still exists.
  const push = new PushService<BrowserWindow>({
    send: (window, event) => {
      if (!window.isDestroyed()) window.webContents.send(PUSH_EVENT_CHANNEL, event);
    },
    // The store the command line uses too: `secrets` in this data folder, unless the variable moves it.
    secretStore: () =>
      new SecretStore({ directory: process.env[SECRETS_DIRECTORY_VARIABLE] || join(userData, 'secrets') }),
  });

  imports = new ImportService<BrowserWindow>({
    send: (window, event) => {
      if (!window.isDestroyed()) window.webContents.send(COLLECT_EVENT_CHANNEL, event);
    },
  });

  rehearsals = new RehearseService<BrowserWindow>({
    send: (window, event) => {
      if (!window.isDestroyed()) window.webContents.send(REHEARSAL_EVENT_CHANNEL, event);
    },
    // Not root (as it should be): the lab runs as root in this command, through sudo or pkexec.
    command: topoforgeCommand({ packaged: app.isPackaged, execPath: process.execPath, appRoot }),
  });

  const router = createIpcRouter({
    entries: channelEntries(hostChannelTable(service, recovery, push, imports, rehearsals)),
    contextOf: (senderId) => windows.get(senderId)?.context,
    log: logRefusal,
  });
  for (const channel of router.channels) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => router.dispatch(channel, event, args));
  }

  installMenu();
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const record = focusedRecord();
    if (record) {
      if (record.window.isMinimized()) record.window.restore();
      record.window.focus();
    }
    const paths = designPathsFromArguments(argv, { cwd: workingDirectory, skip: argumentsToSkip });
    const last = paths.at(-1);
    if (last !== undefined) void openPath(last, false);
  });
  // macOS hands over double-clicked files (also before the app is ready) with this event.
  app.on('open-file', (event, path) => {
    event.preventDefault();
    void openPath(path, false);
  });
  app.on('before-quit', () => {
    quitting = true;
  });
  // A rehearsal's lab lives in namespaces of this machine: quitting waits until it is removed.
  app.on('will-quit', (event) => {
    if (rehearsals?.isRunning() !== true) return;
    event.preventDefault();
    void rehearsals.stop().finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (app.isReady() && windows.size === 0) createWindow();
  });
  start().catch((error: unknown) => {
    console.error(error);
    dialog.showErrorBox('Topoforge could not start', (error as Error).message);
    app.exit(1);
  });
}
