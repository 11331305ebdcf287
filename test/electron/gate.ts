/**
 * Main's gate as the tests drive it: the real IPC router over the real host services, and the
 * page's desktop host (the preload's) talking to it the way it does over IPC. Nothing of this is
 * in the app; the tests choose the services and the windows.
 */
import type { DesignService } from '../../electron/main/design-service';
import { DocumentGuard } from '../../electron/main/document-guard';
import { channelEntries, hostChannelTable } from '../../electron/main/host-channels';
import type { HostContext } from '../../electron/main/host-channels';
import { ImportService } from '../../electron/main/import-service';
import { createIpcRouter } from '../../electron/main/ipc';
import type { IpcLogEntry, IpcRouter } from '../../electron/main/ipc';
import { PushService } from '../../electron/main/push-service';
import type { RecoveryStore } from '../../electron/main/recovery';
import type { RehearseService } from '../../electron/main/rehearse-service';
import { createDesktopHost } from '../../electron/preload/desktop-host';
import type { HostIpc } from '../../electron/preload/desktop-host';
import { eventFrom } from './fakes';

/** The services behind the gate; push and import, when not given, are ones that send nothing. */
export interface GateServices<Window> {
  design: DesignService<Window>;
  recovery: RecoveryStore;
  push?: PushService<Window>;
  imports?: ImportService<Window>;
  rehearsals?: RehearseService<Window>;
}

/** Main's gate over `services`; every message it refuses is in `log`. */
export function hostGate<Window>(
  services: GateServices<Window>,
  contextOf: (senderId: number) => HostContext<Window> | undefined,
): { router: IpcRouter; log: IpcLogEntry[] } {
  const log: IpcLogEntry[] = [];
  const router = createIpcRouter({
    entries: channelEntries(
      hostChannelTable(
        services.design,
        services.recovery,
        services.push ?? new PushService<Window>({ send: () => undefined }),
        services.imports ?? new ImportService<Window>({ send: () => undefined }),
        services.rehearsals,
      ),
    ),
    contextOf,
    log: (entry) => log.push(entry),
  });
  return { router, log };
}

/** A window whose document the test does not follow: closing it asks nothing, saves are not recorded. */
export function quietWindow<Window>(window: Window, recoveryId: string): HostContext<Window> {
  return {
    window,
    guard: new DocumentGuard({ ask: async () => 'cancel', requestSave: () => undefined }),
    recoveryId,
    documentChanged: () => undefined,
    saved: () => undefined,
  };
}

/** The preload's `ipcRenderer.on`; each channel's listener takes its own kind of event. */
type Subscribe = (channel: string, listener: never) => void;

/**
 * The page's host in window `windowId`, each call dispatched to `router` as a structured clone
 * (what crosses the process boundary); `on` is the preload's listener registration, by default
 * one that never delivers, and `sent` records every call the page makes.
 */
export function desktopHostOver(
  router: IpcRouter,
  windowId: number,
  options: { on?: Subscribe; sent?: { channel: string; args: unknown[] }[] } = {},
): ReturnType<typeof createDesktopHost> {
  const ipc = {
    invoke: async (channel: string, ...args: unknown[]) => {
      options.sent?.push({ channel, args });
      return router.dispatch(channel, eventFrom(windowId), structuredClone(args));
    },
    on: options.on ?? (() => undefined),
  } as unknown as HostIpc;
  return createDesktopHost(ipc);
}
