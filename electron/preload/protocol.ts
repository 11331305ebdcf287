/**
 * The wire protocol between the preload and the main process: one invoke channel per member of
 * the host interface (core/host.ts), what each one carries, and the channel on which main sends
 * commands to the page. Main validates every message against it (electron/main/host-channels.ts).
 *
 * Only the channel names exist at run time, so the sandboxed preload bundle stays small.
 */
import type { CollectReport, CollectRequest } from '../../core/collect';
import type {
  BundleExportFormat,
  DocumentState,
  ExportResult,
  ImageExportRequest,
  OpenedDesign,
  PushRequest,
  RecentDesign,
  RecoveryCopy,
  SaveDesignRequest,
  SavedDesign,
} from '../../core/host';
import type { PushReport } from '../../core/push';
import type { RehearsalOutcome, RehearsalSupport, RehearseRequest } from '../../core/rehearse';

/** Every channel starts with it; main refuses any other. */
export const CHANNEL_PREFIX = 'topoforge:';

/** What the preload sends for an export: the design, never a bundle (main generates it). */
export interface BundleExportMessage {
  name: string;
  designText: string;
  /** `bundle` when absent. */
  format?: BundleExportFormat;
}

/** Each invoke channel's request (undefined: it takes none) and reply, by host member. */
export interface InvokeProtocol {
  openDesign: { request: undefined; reply: OpenedDesign | undefined };
  openRecentDesign: { request: RecentDesign; reply: OpenedDesign | undefined };
  recentDesigns: { request: undefined; reply: RecentDesign[] };
  saveDesign: { request: SaveDesignRequest; reply: SavedDesign | undefined };
  saveDesignAs: { request: SaveDesignRequest; reply: SavedDesign | undefined };
  exportBundle: { request: BundleExportMessage; reply: ExportResult | undefined };
  exportImage: { request: ImageExportRequest; reply: ExportResult | undefined };
  reportDocumentState: { request: DocumentState; reply: undefined };
  writeRecoveryCopy: { request: RecoveryCopy; reply: undefined };
  planPush: { request: PushRequest; reply: PushReport };
  push: { request: PushRequest; reply: PushReport };
  cancelPush: { request: undefined; reply: undefined };
  collectConfigs: { request: CollectRequest; reply: CollectReport };
  cancelCollect: { request: undefined; reply: undefined };
  rehearsalSupport: { request: undefined; reply: RehearsalSupport };
  rehearse: { request: RehearseRequest; reply: RehearsalOutcome };
  cancelRehearsal: { request: undefined; reply: undefined };
}

/** A host member that the preload forwards to main. */
export type InvokeMember = keyof InvokeProtocol;

/** The channel of each host member. */
export const INVOKE_CHANNELS = {
  openDesign: 'topoforge:open-design',
  openRecentDesign: 'topoforge:open-recent-design',
  recentDesigns: 'topoforge:recent-designs',
  saveDesign: 'topoforge:save-design',
  saveDesignAs: 'topoforge:save-design-as',
  exportBundle: 'topoforge:export-bundle',
  exportImage: 'topoforge:export-image',
  reportDocumentState: 'topoforge:report-document-state',
  writeRecoveryCopy: 'topoforge:write-recovery-copy',
  planPush: 'topoforge:plan-push',
  push: 'topoforge:push',
  cancelPush: 'topoforge:cancel-push',
  collectConfigs: 'topoforge:collect-configs',
  cancelCollect: 'topoforge:cancel-collect',
  rehearsalSupport: 'topoforge:rehearsal-support',
  rehearse: 'topoforge:rehearse',
  cancelRehearsal: 'topoforge:cancel-rehearsal',
} as const satisfies Record<InvokeMember, `${typeof CHANNEL_PREFIX}${string}`>;

/** Main to page: a {@link HostCommand} of core/host.ts. */
export const COMMAND_CHANNEL = 'topoforge:command';

/** Main to page: a `PushEvent` of core/push.ts, progress of the window's own plan or push. */
export const PUSH_EVENT_CHANNEL = 'topoforge:push-event';

/** Main to page: a `CollectEvent` of core/collect.ts, progress of the window's own collection. */
export const COLLECT_EVENT_CHANNEL = 'topoforge:collect-event';

/** Main to page: a `RehearsalStreamEvent` of core/rehearse.ts, progress of the window's own rehearsal. */
export const REHEARSAL_EVENT_CHANNEL = 'topoforge:rehearsal-event';

/**
 * What main answers on every invoke. Failures travel as data, so that the page sees main's own
 * sentence instead of Electron's "Error invoking remote method" wrapping.
 */
export type IpcReply<T> = { ok: true; value: T } | { ok: false; message: string };
