/**
 * The IPC table of the host interface: one row per channel of electron/preload/protocol.ts, with
 * the schema its argument must match and the handler that serves it. The mapped type makes a
 * missing channel a compile error; the router (ipc.ts) checks sender and arguments before any
 * handler runs.
 */
import type { DocumentState, SavedDesign, SaveDesignRequest } from '../../core/host';
import { INVOKE_CHANNELS } from '../preload/protocol';
import type { InvokeMember, InvokeProtocol } from '../preload/protocol';
import type { DesignService } from './design-service';
import type { DocumentGuard } from './document-guard';
import type { ImportService } from './import-service';
import type { PushService } from './push-service';
import { RehearseService } from './rehearse-service';
import { requestValidators } from './host-schemas';
import type { AnyChannelEntry, ChannelEntry } from './ipc';
import type { RecoveryStore } from './recovery';

/** What a handler knows about the window that sent the message. */
export interface HostContext<Window> {
  window: Window;
  guard: DocumentGuard;
  /** The key of this window's recovery copy. */
  recoveryId: string;
  /** The page reported its document (locations main did not hand out are already dropped). */
  documentChanged(state: DocumentState): void;
  /** A save wrote the design. */
  saved(saved: SavedDesign): void;
}

/** The table, one entry per host member. */
export type HostChannelTable<Context> = {
  [Member in InvokeMember]: ChannelEntry<
    Context,
    InvokeProtocol[Member]['request'],
    InvokeProtocol[Member]['reply']
  >;
};

/** Builds the table over the main-process services. */
export function hostChannelTable<Window>(
  service: DesignService<Window>,
  recovery: RecoveryStore,
  push: PushService<Window>,
  imports: ImportService<Window>,
  // Tests of the other channels need no lab: a service that reaches no window.
  rehearsals: RehearseService<Window> = new RehearseService<Window>({ send: () => undefined }),
): HostChannelTable<HostContext<Window>> {
  const chosen = (location: string | undefined) =>
    location !== undefined && service.isGranted(location) ? { location } : {};

  const save = async (context: HostContext<Window>, request: SaveDesignRequest, alwaysAsk: boolean) => {
    context.guard.saveStarted();
    let saved: SavedDesign | undefined;
    try {
      saved = await service.saveDesign(context.window, request, alwaysAsk);
    } catch (error) {
      context.guard.saveFinished(false);
      throw error;
    }
    context.guard.saveFinished(saved !== undefined);
    if (saved !== undefined) context.saved(saved);
    return saved;
  };

  return {
    openDesign: {
      channel: INVOKE_CHANNELS.openDesign,
      request: undefined,
      handle: (context) => service.openDesign(context.window, context.guard.state.location),
    },
    openRecentDesign: {
      channel: INVOKE_CHANNELS.openRecentDesign,
      request: requestValidators.recentDesign,
      handle: (_context, recent) => service.openRecentDesign(recent),
    },
    recentDesigns: {
      channel: INVOKE_CHANNELS.recentDesigns,
      request: undefined,
      handle: async () => service.recentDesigns(),
    },
    saveDesign: {
      channel: INVOKE_CHANNELS.saveDesign,
      request: requestValidators.saveDesign,
      handle: (context, request) => save(context, request, false),
    },
    saveDesignAs: {
      channel: INVOKE_CHANNELS.saveDesignAs,
      request: requestValidators.saveDesign,
      handle: (context, request) => save(context, request, true),
    },
    exportBundle: {
      channel: INVOKE_CHANNELS.exportBundle,
      request: requestValidators.exportBundle,
      handle: (context, message) =>
        service.exportBundle(context.window, message, context.guard.state.location),
    },
    exportImage: {
      channel: INVOKE_CHANNELS.exportImage,
      request: requestValidators.exportImage,
      handle: (context, request) =>
        service.exportImage(context.window, request, context.guard.state.location),
    },
    reportDocumentState: {
      channel: INVOKE_CHANNELS.reportDocumentState,
      request: requestValidators.documentState,
      handle: async (context, state) => {
        context.documentChanged({ fileName: state.fileName, dirty: state.dirty, ...chosen(state.location) });
        return undefined;
      },
    },
    writeRecoveryCopy: {
      channel: INVOKE_CHANNELS.writeRecoveryCopy,
      request: requestValidators.recoveryCopy,
      handle: async (context, copy) => {
        // A copy that arrives after the save that made it stale is not kept.
        if (!context.guard.state.dirty) return undefined;
        await recovery.write(context.recoveryId, {
          fileName: copy.fileName,
          text: copy.text,
          ...chosen(copy.location),
        });
        return undefined;
      },
    },
    planPush: {
      channel: INVOKE_CHANNELS.planPush,
      request: requestValidators.pushRequest,
      handle: (context, request) => push.plan(context.window, request),
    },
    push: {
      channel: INVOKE_CHANNELS.push,
      request: requestValidators.pushRequest,
      handle: (context, request) => push.push(context.window, request),
    },
    cancelPush: {
      channel: INVOKE_CHANNELS.cancelPush,
      request: undefined,
      handle: async (context) => {
        push.cancel(context.window);
        return undefined;
      },
    },
    collectConfigs: {
      channel: INVOKE_CHANNELS.collectConfigs,
      request: requestValidators.collectRequest,
      handle: (context, request) => imports.collect(context.window, request),
    },
    cancelCollect: {
      channel: INVOKE_CHANNELS.cancelCollect,
      request: undefined,
      handle: async (context) => {
        imports.cancel(context.window);
        return undefined;
      },
    },
    rehearsalSupport: {
      channel: INVOKE_CHANNELS.rehearsalSupport,
      request: undefined,
      handle: async () => rehearsals.support(),
    },
    rehearse: {
      channel: INVOKE_CHANNELS.rehearse,
      request: requestValidators.rehearseRequest,
      handle: (context, request) => rehearsals.rehearse(context.window, request),
    },
    cancelRehearsal: {
      channel: INVOKE_CHANNELS.cancelRehearsal,
      request: undefined,
      handle: async (context) => {
        rehearsals.cancel(context.window);
        return undefined;
      },
    },
  };
}

/** The table as the router takes it. */
export function channelEntries<Context>(table: HostChannelTable<Context>): AnyChannelEntry<Context>[] {
  return Object.values(table);
}
