/**
 * The desktop implementation of the host interface (core/host.ts), as the preload exposes it: one
 * function per member, each forwarding a copy of exactly the fields main accepts to its channel.
 * It takes the IPC object as a parameter, so tests run it in plain Node against main's router.
 */
import type { IpcRenderer } from 'electron';
import type {
  BundleExportRequest,
  DocumentState,
  HostCommand,
  ImageExportRequest,
  PushRequest,
  RecentDesign,
  RecoveryCopy,
  SaveDesignRequest,
  TopoforgeHost,
} from '../../core/host';
import type { CollectEvent, CollectRequest } from '../../core/collect';
import type { PushEvent } from '../../core/push';
import type { RehearsalStreamEvent, RehearseRequest } from '../../core/rehearse';
import {
  COLLECT_EVENT_CHANNEL,
  COMMAND_CHANNEL,
  INVOKE_CHANNELS,
  PUSH_EVENT_CHANNEL,
  REHEARSAL_EVENT_CHANNEL,
} from './protocol';
import type { InvokeMember, InvokeProtocol, IpcReply } from './protocol';

/** The part of `ipcRenderer` the host uses. */
export type HostIpc = Pick<IpcRenderer, 'invoke' | 'on'>;

/** Commands kept for a listener that has not subscribed yet; a page that never listens loses the oldest. */
const PENDING_COMMANDS_LIMIT = 32;

const withLocation = (location: string | undefined) => (location === undefined ? {} : { location });

/** Creates the host the preload exposes on `window` (see `DESKTOP_HOST_GLOBAL`). */
export function createDesktopHost(ipc: HostIpc) {
  const invoke = async <Member extends InvokeMember>(
    member: Member,
    ...request: InvokeProtocol[Member]['request'] extends undefined ? [] : [InvokeProtocol[Member]['request']]
  ): Promise<InvokeProtocol[Member]['reply']> => {
    const reply = (await ipc.invoke(INVOKE_CHANNELS[member], ...request)) as IpcReply<
      InvokeProtocol[Member]['reply']
    >;
    if (!reply.ok) throw new Error(reply.message);
    return reply.value;
  };

  const listeners = new Set<(command: HostCommand) => void>();
  const pending: HostCommand[] = [];
  const deliver = (command: HostCommand): void => {
    for (const listener of listeners) {
      try {
        listener(command);
      } catch (error) {
        console.error('A Topoforge command listener failed', error);
      }
    }
  };
  ipc.on(COMMAND_CHANNEL, (_event, command: HostCommand) => {
    if (listeners.size > 0) return deliver(command);
    pending.push(command);
    if (pending.length > PENDING_COMMANDS_LIMIT) pending.shift();
  });

  const pushListeners = new Set<(event: PushEvent) => void>();
  ipc.on(PUSH_EVENT_CHANNEL, (_event, pushEvent: PushEvent) => {
    for (const listener of pushListeners) {
      try {
        listener(pushEvent);
      } catch (error) {
        console.error('A Topoforge push listener failed', error);
      }
    }
  });
  const collectListeners = new Set<(event: CollectEvent) => void>();
  ipc.on(COLLECT_EVENT_CHANNEL, (_event, collectEvent: CollectEvent) => {
    for (const listener of collectListeners) {
      try {
        listener(collectEvent);
      } catch (error) {
        console.error('A Topoforge import listener failed', error);
      }
    }
  });
  const rehearsalListeners = new Set<(event: RehearsalStreamEvent) => void>();
  ipc.on(REHEARSAL_EVENT_CHANNEL, (_event, rehearsalEvent: RehearsalStreamEvent) => {
    for (const listener of rehearsalListeners) {
      try {
        listener(rehearsalEvent);
      } catch (error) {
        console.error('A Topoforge rehearsal listener failed', error);
      }
    }
  });
  const rehearseMessage = (request: RehearseRequest): RehearseRequest => ({
    designText: request.designText,
    ...(request.fail !== undefined ? { fail: [...request.fail] } : {}),
    ...(request.partition !== undefined ? { partition: request.partition.map((side) => [...side]) } : {}),
  });
  const collectMessage = (request: CollectRequest): CollectRequest => ({
    targets: [...request.targets],
    ...(request.confirmedHostKeys !== undefined
      ? {
          confirmedHostKeys: request.confirmedHostKeys.map((key) => ({
            host: key.host,
            fingerprint: key.fingerprint,
          })),
        }
      : {}),
  });

  const pushMessage = (request: PushRequest): PushRequest => ({
    designText: request.designText,
    ...(request.labCertificates === true ? { labCertificates: true } : {}),
    ...(request.hosts !== undefined ? { hosts: [...request.hosts] } : {}),
    ...(request.confirmedHostKeys !== undefined
      ? {
          confirmedHostKeys: request.confirmedHostKeys.map((key) => ({
            host: key.host,
            fingerprint: key.fingerprint,
          })),
        }
      : {}),
  });

  const saveMessage = (request: SaveDesignRequest): SaveDesignRequest => ({
    fileName: request.fileName,
    text: request.text,
    ...withLocation(request.location),
  });

  return {
    platform: 'desktop',
    openDesign: () => invoke('openDesign'),
    openRecentDesign: (recent: RecentDesign) =>
      invoke('openRecentDesign', {
        fileName: recent.fileName,
        location: recent.location,
        usedAt: recent.usedAt,
      }),
    recentDesigns: () => invoke('recentDesigns'),
    saveDesign: (request: SaveDesignRequest) => invoke('saveDesign', saveMessage(request)),
    saveDesignAs: (request: SaveDesignRequest) => invoke('saveDesignAs', saveMessage(request)),
    exportBundle: async (request: BundleExportRequest) => {
      if (request.designText === undefined)
        throw new Error('the desktop exports a bundle from the design: pass designText with the request');
      return invoke('exportBundle', {
        name: request.name,
        designText: request.designText,
        ...(request.format === 'ansible' ? { format: 'ansible' as const } : {}),
      });
    },
    exportImage: (request: ImageExportRequest) =>
      invoke('exportImage', { fileName: request.fileName, format: request.format, dataUrl: request.dataUrl }),
    onCommand: (listener: (command: HostCommand) => void) => {
      listeners.add(listener);
      for (const command of pending.splice(0)) deliver(command);
      return () => void listeners.delete(listener);
    },
    reportDocumentState: (state: DocumentState) =>
      invoke('reportDocumentState', {
        fileName: state.fileName,
        dirty: state.dirty,
        ...withLocation(state.location),
      }),
    writeRecoveryCopy: (copy: RecoveryCopy) =>
      invoke('writeRecoveryCopy', {
        fileName: copy.fileName,
        text: copy.text,
        ...withLocation(copy.location),
      }),
    planPush: (request: PushRequest) => invoke('planPush', pushMessage(request)),
    push: (request: PushRequest) => invoke('push', pushMessage(request)),
    cancelPush: () => invoke('cancelPush'),
    onPushEvent: (listener: (event: PushEvent) => void) => {
      pushListeners.add(listener);
      return () => void pushListeners.delete(listener);
    },
    collectConfigs: (request: CollectRequest) => invoke('collectConfigs', collectMessage(request)),
    cancelCollect: () => invoke('cancelCollect'),
    onCollectEvent: (listener: (event: CollectEvent) => void) => {
      collectListeners.add(listener);
      return () => void collectListeners.delete(listener);
    },
    rehearsalSupport: () => invoke('rehearsalSupport'),
    rehearse: (request: RehearseRequest) => invoke('rehearse', rehearseMessage(request)),
    cancelRehearsal: () => invoke('cancelRehearsal'),
    onRehearsalEvent: (listener: (event: RehearsalStreamEvent) => void) => {
      rehearsalListeners.add(listener);
      return () => void rehearsalListeners.delete(listener);
    },
  } satisfies TopoforgeHost;
}
