/**
 * The gate every IPC message from a page passes in the main process, after VS Code's
 * `base/parts/ipc/electron-main/ipcMain.ts`: the channel must carry the app's prefix and be in the
 * table, the sender must be the main frame of one of the app's windows showing the app's own
 * origin, and the arguments must match the channel's schema. Anything else is refused and
 * logged with the channel and the reason only: never a payload, which may hold a whole design.
 */
import { CHANNEL_PREFIX } from '../preload/protocol';
import type { IpcReply } from '../preload/protocol';
import { APP_ORIGIN, originForLog } from './security';

/** The frame that sent a message: the part of Electron's `WebFrameMain` the gate reads. */
export interface SenderFrame {
  readonly url: string;
  readonly parent: unknown;
}

/** The part of Electron's `IpcMainInvokeEvent` the gate reads. */
export interface IpcEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: SenderFrame | null;
}

/** A schema check: an ajv `ValidateFunction` fits. */
export interface Validator<T> {
  (value: unknown): value is T;
  errors?: readonly { instancePath: string; message?: string }[] | null;
}

/** One row of the table: a channel, its argument's schema (none for no argument) and its handler. */
export interface ChannelEntry<Context, Request, Reply> {
  channel: string;
  request: Validator<Request> | undefined;
  handle(context: Context, request: Request): Promise<Reply>;
}

/** A channel entry of any request and reply type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table holds entries of every shape
export type AnyChannelEntry<Context> = ChannelEntry<Context, any, any>;

/** A refused or failed message, as logged. */
export interface IpcLogEntry {
  /** The channel, cut to a printable 80 characters (a hostile page chooses it). */
  channel: string;
  /** Where the message came from: an origin, never a full URL. */
  origin: string;
  outcome: 'refused' | 'failed';
  reason: string;
}

/** An error whose message is meant for the person, sent to the page as is. */
export class HostError extends Error {
  override name = 'HostError';
}

/** Options of {@link createIpcRouter}. */
export interface IpcRouterOptions<Context> {
  entries: readonly AnyChannelEntry<Context>[];
  /** The context of a sender's window (its document, its dialogs), or undefined for a stranger. */
  contextOf(senderId: number): Context | undefined;
  log(entry: IpcLogEntry): void;
}

/** The router: main registers {@link IpcRouter.channels} and sends every message to dispatch. */
export interface IpcRouter {
  readonly channels: readonly string[];
  dispatch(channel: string, event: IpcEventLike, args: readonly unknown[]): Promise<IpcReply<unknown>>;
}

/** A channel name safe to print. */
function printable(channel: unknown): string {
  if (typeof channel !== 'string') return `(${typeof channel})`;
  return channel.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}

/** Why `event` does not come from the app's own page, or undefined when it does. */
export function senderProblem(
  event: IpcEventLike,
  isAppWindow: (senderId: number) => boolean,
): string | undefined {
  const frame = event.senderFrame;
  if (frame === null) return 'the sending frame is gone';
  if (!isAppWindow(event.sender.id)) return 'the sender is not a Topoforge window';
  if (frame.parent !== null) return 'the sender is not the main frame';
  if (originForLog(frame.url) !== APP_ORIGIN) return 'the sender does not show the app';
  return undefined;
}

/** What failed, for the log: the error's kind and code, never its message (it may quote the file). */
function failureReason(error: unknown): string {
  if (error instanceof HostError) return 'declined';
  if (!(error instanceof Error)) return 'a non-error was thrown';
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? error.name : `${error.name} ${code}`;
}

/** Builds the router of a channel table. */
export function createIpcRouter<Context>(options: IpcRouterOptions<Context>): IpcRouter {
  const table = new Map<string, AnyChannelEntry<Context>>();
  for (const entry of options.entries) {
    if (!entry.channel.startsWith(CHANNEL_PREFIX))
      throw new Error(`${entry.channel} lacks ${CHANNEL_PREFIX}`);
    if (table.has(entry.channel)) throw new Error(`${entry.channel} is in the table twice`);
    table.set(entry.channel, entry);
  }

  const refuse = (channel: unknown, event: IpcEventLike, reason: string): IpcReply<unknown> => {
    options.log({
      channel: printable(channel),
      origin: originForLog(event.senderFrame?.url),
      outcome: 'refused',
      reason,
    });
    return { ok: false, message: `Topoforge refused the request: ${reason}` };
  };

  return {
    channels: [...table.keys()],
    async dispatch(channel, event, args) {
      if (typeof channel !== 'string' || !channel.startsWith(CHANNEL_PREFIX))
        return refuse(channel, event, 'the channel is not one of the app');
      const entry = table.get(channel);
      if (entry === undefined) return refuse(channel, event, 'the channel is unknown');
      const problem = senderProblem(event, (id) => options.contextOf(id) !== undefined);
      if (problem !== undefined) return refuse(channel, event, problem);
      const context = options.contextOf(event.sender.id)!;

      const expected = entry.request === undefined ? 0 : 1;
      if (args.length !== expected)
        return refuse(
          channel,
          event,
          `expected ${expected} argument${expected === 1 ? '' : 's'}, got ${args.length}`,
        );
      if (entry.request !== undefined && !entry.request(args[0])) {
        const first = entry.request.errors?.[0];
        const where = first
          ? `${first.instancePath || '(the request)'} ${first.message ?? 'is invalid'}`
          : 'invalid';
        return refuse(channel, event, `the request does not match its schema: ${where}`);
      }

      try {
        return { ok: true, value: await entry.handle(context, args[0]) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        options.log({ channel, origin: APP_ORIGIN, outcome: 'failed', reason: failureReason(error) });
        return { ok: false, message };
      }
    },
  };
}
