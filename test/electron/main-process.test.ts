/**
 * The main process as built (dist/desktop/main.cjs), run in plain Node against a stand-in for
 * Electron that records what it is asked to do. It checks the wiring of electron/main/index.ts
 * that the module tests cannot reach: what happens before the app is ready, the window it opens,
 * the handlers it installs, and the unsaved-changes and recovery flows.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { COMMAND_CHANNEL, INVOKE_CHANNELS } from '../../electron/preload/protocol';
import { APP_ENTRY_URL, contentSecurityPolicy, secureWebPreferences } from '../../electron/main/security';
import { bundleDesktop } from '../../scripts/start-desktop';
import { eventFrom, temporaryFolder } from './fakes';

const ROOT = join(import.meta.dirname, '..', '..');

interface PreventableEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
}
const preventable = (fields: object = {}): PreventableEvent => ({
  ...fields,
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true;
  },
});

class FakeWebContents extends EventEmitter {
  sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler?: (details: { url: string }) => { action: string };
  constructor(readonly id: number) {
    super();
  }
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  reload() {}
}

function fakeElectron(appPath: string, userData: string) {
  const order: string[] = [];
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let isReady = false;
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    quits: 0,
    getAppPath: () => appPath,
    enableSandbox: () => order.push('enableSandbox'),
    setName: (name: string) => order.push(`setName ${name}`),
    setAppUserModelId: () => undefined,
    requestSingleInstanceLock: () => true,
    whenReady: () => ready,
    isReady: () => isReady,
    getPath: (name: string) => (name === 'userData' ? userData : join(userData, name)),
    getName: () => 'Topoforge',
    addRecentDocument: () => undefined,
    quit: () => app.quits++,
    exit: () => undefined,
  });
  const protocolHandlers = new Map<string, (request: { url: string; method: string }) => Promise<Response>>();
  const protocol = {
    schemes: [] as unknown[],
    registerSchemesAsPrivileged: (schemes: unknown[]) => {
      order.push('registerSchemesAsPrivileged');
      protocol.schemes = schemes;
    },
    handle: (scheme: string, handler: (request: { url: string; method: string }) => Promise<Response>) =>
      protocolHandlers.set(scheme, handler),
  };
  const sessionHandlers: Record<string, (...args: never[]) => unknown> = {};
  const session = {
    defaultSession: {
      setPermissionRequestHandler: (handler: never) => (sessionHandlers.permissionRequest = handler),
      setPermissionCheckHandler: (handler: never) => (sessionHandlers.permissionCheck = handler),
      setDevicePermissionHandler: (handler: never) => (sessionHandlers.devicePermission = handler),
      webRequest: { onBeforeRequest: (handler: never) => (sessionHandlers.beforeRequest = handler) },
    },
  };
  const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  const menus: { template: { id?: string }[] }[] = [];
  const messageBoxes: { message: string; buttons: string[] }[] = [];
  const responses: number[] = [];
  const windows: FakeWindow[] = [];
  let nextId = 1;
  class FakeWindow extends EventEmitter {
    webContents = new FakeWebContents(nextId++);
    loadedUrl = '';
    title = '';
    destroyed = false;
    constructor(readonly options: { webPreferences: unknown }) {
      super();
      windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    static getFocusedWindow() {
      return windows.find((window) => !window.destroyed) ?? null;
    }
    async loadURL(url: string) {
      this.loadedUrl = url;
    }
    setTitle(title: string) {
      this.title = title;
    }
    close() {
      const event = preventable();
      this.emit('close', event);
      if (event.defaultPrevented) return;
      this.destroyed = true;
      this.emit('closed');
    }
    show() {}
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {}
    setDocumentEdited() {}
    setRepresentedFilename() {}
  }
  const electron = {
    app,
    protocol,
    session,
    ipcMain: { handle: (channel: string, handler: never) => ipcHandlers.set(channel, handler) },
    Menu: {
      buildFromTemplate: (template: { id?: string }[]) => ({ template }),
      setApplicationMenu: (menu: { template: { id?: string }[] }) => menus.push(menu),
    },
    dialog: {
      showMessageBox: async (_window: unknown, options: { message: string; buttons: string[] }) => {
        messageBoxes.push(options);
        return { response: responses.shift() ?? options.buttons.length - 1 };
      },
      showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
      showSaveDialog: async () => ({ canceled: true, filePath: '' }),
      showErrorBox: () => undefined,
    },
    BrowserWindow: FakeWindow,
  };
  const becomeReady = () => {
    order.push('ready');
    isReady = true;
    markReady();
  };
  return {
    electron,
    order,
    becomeReady,
    protocol,
    protocolHandlers,
    sessionHandlers,
    ipcHandlers,
    menus,
    messageBoxes,
    responses,
    windows,
    app,
  };
}

let fake: ReturnType<typeof fakeElectron>;
let appPath: string;
let userData: string;

beforeAll(async () => {
  const folder = await temporaryFolder('topoforge-main-');
  appPath = join(folder, 'app');
  userData = join(folder, 'user-data');
  const output = join(appPath, 'dist', 'desktop');
  await bundleDesktop(ROOT, output);
  await mkdir(join(appPath, 'dist', 'web'), { recursive: true });
  await writeFile(join(appPath, 'dist', 'web', 'index.html'), '<!doctype html><title>Topoforge</title>');
  // A copy left by a session that ended without saving.
  await mkdir(join(userData, 'recovery'), { recursive: true });
  await writeFile(
    join(userData, 'recovery', 'earlier-session.recovery.json'),
    JSON.stringify({
      format: 1,
      fileName: 'lost.topo.json',
      savedAt: '2025-01-01T10:00:00.000Z',
      text: '{"lost":1}',
    }),
  );
  await mkdir(join(output, 'node_modules', 'electron'), { recursive: true });
  await writeFile(
    join(output, 'node_modules', 'electron', 'index.js'),
    'module.exports = globalThis.topoforgeFakeElectron;\n',
  );

  fake = fakeElectron(appPath, userData);
  (globalThis as { topoforgeFakeElectron?: unknown }).topoforgeFakeElectron = fake.electron;
  createRequire(join(output, 'main.cjs'))(join(output, 'main.cjs'));
  if (fake.windows.length !== 0) throw new Error('a window opened before the app was ready');
  fake.becomeReady();
  await vi.waitFor(() => {
    if (fake.windows.length !== 1) throw new Error('no window yet');
  });
}, 60_000);

const window = () => fake.windows[0]!;
const menuItem = (id: string): MenuItemConstructorOptions => {
  const walk = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions | undefined => {
    for (const item of items) {
      const found = item.id === id ? item : Array.isArray(item.submenu) ? walk(item.submenu) : undefined;
      if (found) return found;
    }
    return undefined;
  };
  return walk(fake.menus.at(-1)!.template as MenuItemConstructorOptions[])!;
};
const contents = () => window().webContents;

describe('the main process, before the app is ready', () => {
  it('registers the app scheme as privileged and turns the sandbox on for every renderer', () => {
    expect(fake.order.indexOf('registerSchemesAsPrivileged')).toBeLessThan(fake.order.indexOf('ready'));
    expect(fake.order.indexOf('enableSandbox')).toBeLessThan(fake.order.indexOf('ready'));
    expect(fake.protocol.schemes).toEqual([
      expect.objectContaining({
        scheme: 'app',
        privileges: expect.objectContaining({ standard: true, secure: true }),
      }),
    ]);
  });
});

describe('the designer window', () => {
  it('uses the checklist preferences and the bundled preload, and loads the app from app://', () => {
    expect(window().options.webPreferences).toEqual(
      secureWebPreferences({ preload: join(appPath, 'dist', 'desktop', 'preload.cjs'), devTools: true }),
    );
    expect(window().loadedUrl).toBe(APP_ENTRY_URL);
    expect(window().title).toBe('untitled.topo.json — Topoforge');
  });

  it('serves the app files with the CSP header', async () => {
    const response = await fake.protocolHandlers.get('app')!({
      url: 'app://topoforge/index.html',
      method: 'GET',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
    expect(await response.text()).toContain('<title>Topoforge</title>');
    const escape = await fake.protocolHandlers.get('app')!({
      url: 'app://topoforge/..%2f..%2fpackage.json',
      method: 'GET',
    });
    expect(escape.status).toBe(404);
  });

  it('denies navigation, new windows and webviews', () => {
    const navigation = preventable();
    contents().emit('will-navigate', navigation, 'https://example.com/');
    expect(navigation.defaultPrevented).toBe(true);
    const frame = preventable({ url: 'file:///etc/passwd' });
    contents().emit('will-frame-navigate', frame);
    expect(frame.defaultPrevented).toBe(true);
    const webview = preventable();
    contents().emit('will-attach-webview', webview, {}, {});
    expect(webview.defaultPrevented).toBe(true);
    expect(contents().windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('denies every permission and every request outside the app', () => {
    const decisions: boolean[] = [];
    fake.sessionHandlers.permissionRequest!(
      ...([{}, 'media', (granted: boolean) => decisions.push(granted)] as never[]),
    );
    expect(decisions).toEqual([false]);
    expect(fake.sessionHandlers.permissionCheck!(...([{}, 'clipboard-read'] as never[]))).toBe(false);
    const cancelled: boolean[] = [];
    const ask = (url: string) =>
      fake.sessionHandlers.beforeRequest!(
        ...([{ url }, (response: { cancel: boolean }) => cancelled.push(response.cancel)] as never[]),
      );
    ask('https://cdn.example.com/x.js');
    ask('app://topoforge/assets/index.js');
    expect(cancelled).toEqual([true, false]);
  });

  it('installs the native menu', () => {
    expect(fake.menus.at(-1)!.template.map((menu) => menu.id)).toEqual(['file', 'edit', 'view']);
  });
});

describe('IPC', () => {
  it('handles exactly the channels of the host interface', () => {
    expect([...fake.ipcHandlers.keys()].sort()).toEqual(Object.values(INVOKE_CHANNELS).sort());
  });

  it('answers the window it opened and refuses any other sender', async () => {
    const handler = fake.ipcHandlers.get(INVOKE_CHANNELS.recentDesigns)!;
    expect(await handler(eventFrom(contents().id))).toEqual({ ok: true, value: [] });
    expect(await handler(eventFrom(contents().id, 'https://example.com/'))).toMatchObject({ ok: false });
    expect(await handler(eventFrom(99))).toMatchObject({ ok: false });
  });
});

describe('once the page has loaded', () => {
  it('delivers commands sent before, and offers the recovery copy of an earlier session', async () => {
    contents().emit('did-navigate');
    (menuItem('save').click as () => void)();
    expect(contents().sent).toEqual([]);
    fake.responses.push(0);
    contents().emit('did-finish-load');
    await expect.poll(() => contents().sent.length).toBe(2);
    expect(fake.messageBoxes[0]!.message).toBe(
      'Topoforge closed without saving lost.topo.json. Recover the unsaved changes?',
    );
    expect(contents().sent).toEqual([
      { channel: COMMAND_CHANNEL, payload: { type: 'save' } },
      {
        channel: COMMAND_CHANNEL,
        payload: {
          type: 'open-design',
          design: { fileName: 'lost.topo.json', text: '{"lost":1}' },
          recovered: true,
        },
      },
    ]);
  });

  it('after a crash, reloads the page and offers what it had not saved', async () => {
    const report = fake.ipcHandlers.get(INVOKE_CHANNELS.reportDocumentState)!;
    const recover = fake.ipcHandlers.get(INVOKE_CHANNELS.writeRecoveryCopy)!;
    await report(eventFrom(contents().id), { fileName: 'lost.topo.json', dirty: true });
    expect(
      await recover(eventFrom(contents().id), { fileName: 'lost.topo.json', text: '{"lost":2}' }),
    ).toEqual({
      ok: true,
      value: undefined,
    });
    let reloaded = false;
    contents().reload = () => {
      reloaded = true;
    };
    contents().emit('render-process-gone', {}, { reason: 'crashed' });
    expect(reloaded).toBe(true);
    contents().emit('did-navigate');
    expect(window().title).toBe('untitled.topo.json — Topoforge');
    contents().sent.length = 0;
    fake.responses.push(0);
    contents().emit('did-finish-load');
    await expect.poll(() => contents().sent.length).toBe(1);
    expect(contents().sent[0]!.payload).toMatchObject({
      type: 'open-design',
      design: { text: '{"lost":2}' },
      recovered: true,
    });
  });

  it('asks before New or Open loses unsaved work, and forwards other commands at once', async () => {
    const report = fake.ipcHandlers.get(INVOKE_CHANNELS.reportDocumentState)!;
    await report(eventFrom(contents().id), { fileName: 'lost.topo.json', dirty: true });
    contents().sent.length = 0;
    (menuItem('undo').click as () => void)();
    expect(contents().sent).toEqual([{ channel: COMMAND_CHANNEL, payload: { type: 'undo' } }]);

    const asked = fake.messageBoxes.length;
    fake.responses.push(2);
    (menuItem('new').click as () => void)();
    await expect.poll(() => fake.messageBoxes.length).toBe(asked + 1);
    expect(fake.messageBoxes.at(-1)!.message).toBe(
      'Save the changes to lost.topo.json before starting a new design?',
    );
    fake.responses.push(1);
    (menuItem('open').click as () => void)();
    await expect.poll(() => contents().sent.length).toBe(2);
    expect(contents().sent.map((message) => message.payload)).toEqual([{ type: 'undo' }, { type: 'open' }]);
  });

  it('titles the window from the document state, and asks before closing unsaved work', async () => {
    const report = fake.ipcHandlers.get(INVOKE_CHANNELS.reportDocumentState)!;
    await report(eventFrom(contents().id), { fileName: 'lost.topo.json', dirty: true });
    expect(window().title).toBe('● lost.topo.json — Topoforge');

    const asked = fake.messageBoxes.length;
    fake.responses.push(2);
    window().close();
    await expect.poll(() => fake.messageBoxes.length).toBe(asked + 1);
    expect(fake.messageBoxes.at(-1)).toMatchObject({
      message: 'Save the changes to lost.topo.json before closing?',
      buttons: ['Save', "Don't Save", 'Cancel'],
    });
    expect(window().destroyed).toBe(false);

    fake.responses.push(1);
    window().close();
    await expect.poll(() => window().destroyed).toBe(true);
    // Don't Save means the person let the changes go: the adopted recovery copy goes too.
    await expect
      .poll(() => existsSync(join(userData, 'recovery', 'earlier-session.recovery.json')))
      .toBe(false);
  });
});
