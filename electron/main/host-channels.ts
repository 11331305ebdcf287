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

  type Entry<Member extends InvokeMember> = ChannelEntry<
    HostContext<Window>,
    InvokeProtocol[Member]['request'],
    InvokeProtocol[Member]['reply']
  >;
  /** The row of `member`: its channel, the schema of its argument, and its handler. */
  const entry = <Member extends InvokeMember>(
    member: Member,
    request: Entry<Member>['request'],
    handle: Entry<Member>['handle'],
  ): Entry<Member> => ({ channel: INVOKE_CHANNELS[member], request, handle });
  /** A row served by a service for the sending window. */
  const forWindow = <Member extends InvokeMember>(
    member: Member,
    request: Entry<Member>['request'],
    serve: (
      window: Window,
      request: InvokeProtocol[Member]['request'],
    ) => Promise<InvokeProtocol[Member]['reply']>,
  ): Entry<Member> => entry(member, request, (context, message) => serve(context.window, message));
  /** A row that cancels the sending window's running work and answers nothing. */
  const cancelling = <Member extends InvokeMember>(member: Member, cancel: (window: Window) => void) =>
    entry(member, undefined, async (context) => {
      cancel(context.window);
      return undefined as InvokeProtocol[Member]['reply'];
    });

  return {
    openDesign: entry('openDesign', undefined, (context) =>
      service.openDesign(context.window, context.guard.state.location),
    ),
    openRecentDesign: entry('openRecentDesign', requestValidators.recentDesign, (_context, recent) =>
      service.openRecentDesign(recent),
    ),
    recentDesigns: entry('recentDesigns', undefined, async () => service.recentDesigns()),
    saveDesign: entry('saveDesign', requestValidators.saveDesign, (context, request) =>
      save(context, request, false),
    ),
    saveDesignAs: entry('saveDesignAs', requestValidators.saveDesign, (context, request) =>
      save(context, request, true),
    ),
    exportBundle: entry('exportBundle', requestValidators.exportBundle, (context, message) =>
      service.exportBundle(context.window, message, context.guard.state.location),
    ),
    exportImage: entry('exportImage', requestValidators.exportImage, (context, request) =>
      service.exportImage(context.window, request, context.guard.state.location),
    ),
    reportDocumentState: entry(
      'reportDocumentState',
      requestValidators.documentState,
      async (context, state) => {
        context.documentChanged({ fileName: state.fileName, dirty: state.dirty, ...chosen(state.location) });
        return undefined;
      },
    ),
    writeRecoveryCopy: entry('writeRecoveryCopy', requestValidators.recoveryCopy, async (context, copy) => {
      // A copy that arrives after the save that made it stale is not kept.
      if (!context.guard.state.dirty) return undefined;
      await recovery.write(context.recoveryId, {
        fileName: copy.fileName,
        text: copy.text,
        ...chosen(copy.location),
      });
      return undefined;
    }),
    planPush: forWindow('planPush', requestValidators.pushRequest, (window, request) =>
      push.plan(window, request),
    ),
    push: forWindow('push', requestValidators.pushRequest, (window, request) => push.push(window, request)),
    cancelPush: cancelling('cancelPush', (window) => push.cancel(window)),
    collectConfigs: forWindow('collectConfigs', requestValidators.collectRequest, (window, request) =>
      imports.collect(window, request),
    ),
    cancelCollect: cancelling('cancelCollect', (window) => imports.cancel(window)),
    rehearsalSupport: entry('rehearsalSupport', undefined, async () => rehearsals.support()),
    rehearse: forWindow('rehearse', requestValidators.rehearseRequest, (window, request) =>
      rehearsals.rehearse(window, request),
    ),
    cancelRehearsal: cancelling('cancelRehearsal', (window) => rehearsals.cancel(window)),
  };
}

/** The table as the router takes it. */
export function channelEntries<Context>(table: HostChannelTable<Context>): AnyChannelEntry<Context>[] {
  return Object.values(table);
}
