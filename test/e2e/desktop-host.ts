/**
 * A desktop-like host for the pages of an end-to-end test: main's real gate (the IPC router, the
 * request schemas and the host's services) runs in this Node process, and the page reaches it
 * through playwright bindings; events come back into the page the way the preload delivers them.
 * Nothing of this is in the app. test/e2e/push.test.ts and import-hosts.test.ts use it.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { DesignService } from '../../electron/main/design-service';
import type { ImportService } from '../../electron/main/import-service';
import type { IpcRouter } from '../../electron/main/ipc';
import type { PushService } from '../../electron/main/push-service';
import { RecentDesignsStore } from '../../electron/main/recent-designs';
import { RecoveryStore } from '../../electron/main/recovery';
import { eventFrom, scriptedDialogs, temporaryFolder } from '../electron/fakes';
import { hostGate, quietWindow } from '../electron/gate';

/** Each event reaches the page this long after the one before, so every state stays on screen a moment. */
const EVENT_SPACING_MS = 40;

/** Main's gate for one test's pages, as one window. */
export interface DesktopGate {
  /** A scratch folder for the host's files (known_hosts, recent designs), removed after the test. */
  folder: string;
  /**
   * A service's `send`: hands each event to the page function `receiver` (defined by the test's
   * init script), in order and {@link EVENT_SPACING_MS} apart.
   */
  sender<Event>(receiver: string): (page: Page, event: Event) => void;
  /** Builds the router over the host's services; push or import default to one that sends nothing. */
  route(services: { push?: PushService<Page>; imports?: ImportService<Page> }): Promise<void>;
  /**
   * Exposes `channel` of the router to the context's pages as the binding `binding`; as over IPC,
   * every event sent before a reply is delivered before it.
   */
  expose(context: BrowserContext, binding: string, channel: string): Promise<void>;
}

/** Starts a gate whose window id is `windowId`, its files under a temporary folder named `prefix…`. */
export async function startDesktopGate(prefix: string, windowId: number): Promise<DesktopGate> {
  const folder = await temporaryFolder(prefix);
  const recent = await RecentDesignsStore.open({ file: join(folder, 'recent-designs.json') });
  let delivery: Promise<unknown> = Promise.resolve();
  const pages = new Map<number, Page>();
  let router: IpcRouter | undefined;
  return {
    folder,
    sender:
      <Event>(receiver: string) =>
      (page: Page, event: Event) => {
        delivery = delivery.then(async () => {
          await new Promise((resolve) => setTimeout(resolve, EVENT_SPACING_MS));
          await page
            .evaluate(
              ([name, payload]) =>
                (window as unknown as Record<string, (event: unknown) => void>)[name as string]!(payload),
              [receiver, event] as const,
            )
            .catch(() => undefined);
        });
      },
    route: async (services) => {
      router = hostGate(
        {
          design: new DesignService<Page>({
            dialogs: scriptedDialogs() as never,
            recent,
            documentsFolder: folder,
          }),
          recovery: new RecoveryStore({ folder: join(folder, 'recovery') }),
          push: services.push,
          imports: services.imports,
        },
        (id) => {
          const page = pages.get(id);
          return page === undefined ? undefined : quietWindow(page, 'e2e');
        },
      ).router;
    },
    expose: async (context, binding, channel) => {
      await context.exposeBinding(binding, async (source: { page: Page }, request: unknown) => {
        if (!router) throw new Error('route() the gate before a page calls it');
        pages.set(windowId, source.page);
        const reply = await router.dispatch(channel, eventFrom(windowId), [request]);
        await delivery;
        return reply;
      });
    },
  };
}

/**
 * Gives the context's pages a desktop `topoforgeHost` whose file members do nothing; a test's own
 * init script, added after this one, adds the members it drives.
 */
export async function installDesktopHostStubs(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    (window as unknown as Record<string, unknown>).topoforgeHost = {
      platform: 'desktop',
      openDesign: async () => undefined,
      openRecentDesign: async () => undefined,
      recentDesigns: async () => [],
      saveDesign: async () => undefined,
      saveDesignAs: async () => undefined,
      exportBundle: async () => undefined,
      exportImage: async () => undefined,
    };
  });
}
