/**
 * Drives the built designer in Debian's Chromium (playwright-core) the way a person does: drags
 * from the palette, handles on the canvas, menus, the inspector. Screenshots of each step go to
 * test-results/e2e/ so a person can look at what the test saw.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checksCaughtUp } from './page-state';
import { serveStatic } from './static-server';
import type { StaticServer } from './static-server';

/** Debian's Chromium; `.ci/run` installs it. */
export const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '../..');
/** The production build the tests drive (`npm run build:web`). */
export const WEB_ROOT = join(ROOT, 'dist/web');
/** Where the screenshots of every step go. */
export const SHOT_DIR = join(ROOT, 'test-results/e2e');

/**
 * Whether the suite can run here. In CI (`CI=true`) a missing browser or build fails the suite
 * instead of skipping it.
 */
export function e2eAvailability(): { run: boolean; reason?: string } {
  const missing = !existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (apt-get install chromium)`
    : !existsSync(join(WEB_ROOT, 'index.html'))
      ? 'dist/web is missing (npm run build:web)'
      : undefined;
  if (!missing) return { run: true };
  if (process.env.CI === 'true') throw new Error(`end-to-end tests cannot run in CI: ${missing}`);
  return { run: false, reason: missing };
}

/** The browser and the server, shared by the tests of one file. */
export interface Lab {
  browser: Browser;
  server: StaticServer;
  close: () => Promise<void>;
}

/** Starts the server and the browser. */
export async function startLab(): Promise<Lab> {
  mkdirSync(SHOT_DIR, { recursive: true });
  const server = await serveStatic(WEB_ROOT);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    browser,
    server,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Starts the server and the browser before the tests of the enclosing `describe` and closes them
 * after; the tests read the lab through the returned function.
 */
export function useLab(): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await startLab();
  }, 30_000);
  afterAll(async () => {
    await lab?.close();
  });
  return () => {
    if (!lab) throw new Error('the lab has not started');
    return lab;
  };
}

/** A snapshot of the app's state, read from the page. */
export interface AppSnapshot {
  design: Record<string, unknown> & {
    name: string;
    hosts: { id: string; address: string; site?: string }[];
    services: { id: string; kind: string; host?: string; group?: string; port?: number }[];
    groups?: { id: string; kind: string }[];
    links?: { from: string; to: string }[];
    entrypoints?: { id: string; targets: string[] }[];
    layout?: Record<string, { x: number; y: number }>;
  };
  findings: { rule: string; subjects: string[] }[];
  revision: number;
  analysedRevision: number | undefined;
}

/** One page of the designer. */
export class Designer {
  private shots = 0;
  readonly errors: string[] = [];

  private constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    private readonly name: string,
  ) {
    page.on('pageerror', (error) => this.errors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(`console: ${message.text()}`);
    });
  }

  /**
   * Opens the designer in a fresh browser context. `prepare` runs on the context before the page
   * loads: init scripts and bindings, e.g. a desktop-like host (test/e2e/push.test.ts).
   */
  static async open(
    lab: Lab,
    name: string,
    options: { theme?: 'light' | 'dark'; prepare?: (context: BrowserContext) => Promise<void> } = {},
  ): Promise<Designer> {
    const context = await lab.browser.newContext({
      viewport: { width: 1600, height: 1000 },
      acceptDownloads: true,
      colorScheme: options.theme ?? 'light',
    });
    await options.prepare?.(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const designer = new Designer(page, context, name);
    await page.goto(lab.server.url);
    await page.getByTestId('status-check').waitFor();
    return designer;
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  /** Saves a screenshot of the window as test-results/e2e/<test>-<n>-<step>.png. */
  async shot(step: string): Promise<string> {
    this.shots++;
    const path = join(SHOT_DIR, `${this.name}-${String(this.shots).padStart(2, '0')}-${step}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** The app's state once an edit after `revision` has happened and the checks have caught up. */
  async editedAfter(revision: number): Promise<AppSnapshot> {
    await this.page.waitForFunction((before) => {
      const app = (window as unknown as { topoforge: { store: { getState(): { revision: number } } } })
        .topoforge;
      return app.store.getState().revision > before;
    }, revision);
    return this.settled();
  }

  /**
   * The app's state, once the checks have caught up with the latest edit; `timeout` for designs
   * whose checks outlast the page's default.
   */
  async settled(options: { timeout?: number } = {}): Promise<AppSnapshot> {
    await this.page.waitForFunction(checksCaughtUp, undefined, options);
    return this.snapshot();
  }

  /** The app's state as it is now. */
  async snapshot(): Promise<AppSnapshot> {
    return this.page.evaluate(() => {
      const app = (window as unknown as { topoforge: { store: { getState(): Record<string, unknown> } } })
        .topoforge;
      const state = app.store.getState() as {
        design: AppSnapshot['design'];
        revision: number;
        analysis?: { revision: number; findings: { rule: string; subjects: string[] }[] };
      };
      return {
        design: JSON.parse(JSON.stringify(state.design)) as AppSnapshot['design'],
        findings: state.analysis?.findings.map((f) => ({ rule: f.rule, subjects: f.subjects })) ?? [],
        revision: state.revision,
        analysedRevision: state.analysis?.revision,
      };
    });
  }

  /** The canvas's box on the screen. */
  async canvasBox(): Promise<{ x: number; y: number; width: number; height: number }> {
    return (await this.page.locator('.react-flow').boundingBox())!;
  }

  /** Drags a palette entry to a point given relative to the canvas's top-left corner. */
  async dragFromPalette(entry: string, at: { x: number; y: number }): Promise<void> {
    const canvas = await this.canvasBox();
    await this.dragTo(this.page.getByTestId(`palette-${entry}`), { x: canvas.x + at.x, y: canvas.y + at.y });
  }

  /** Drags a palette entry onto a node of the canvas. */
  async dragFromPaletteOnto(entry: string, node: string): Promise<void> {
    const box = (await this.node(node).boundingBox())!;
    await this.dragTo(this.page.getByTestId(`palette-${entry}`), {
      x: box.x + box.width / 2,
      y: box.y + box.height / 2,
    });
  }

  private async dragTo(source: ReturnType<Page['getByTestId']>, to: { x: number; y: number }): Promise<void> {
    // The palette scrolls (the overview sits below it), so bring the entry into view as a person would.
    await source.scrollIntoViewIfNeeded();
    const from = (await source.boundingBox())!;
    await this.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(to.x, to.y, { steps: 8 });
    await this.page.mouse.up();
  }

  /** A node of the canvas by item id. */
  node(id: string) {
    return this.page.getByTestId(`node-${id}`);
  }

  /** Draws a connection from one node's `out` handle to another node's handle. */
  async connect(from: string, to: string, handle: 'in' | 'members' = 'in'): Promise<void> {
    const source = (await this.node(from).locator('.react-flow__handle[data-handleid="out"]').boundingBox())!;
    const target = (await this.node(to)
      .locator(`.react-flow__handle[data-handleid="${handle}"]`)
      .boundingBox())!;
    await this.page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 10 });
    await this.page.mouse.up();
  }

  /** Opens one of the seed examples through File › New from example, and waits for its layout. */
  async openExample(base: string): Promise<void> {
    await this.page.getByTestId('menu-file').click();
    await this.page.getByTestId(`example-${base}`).click();
    await this.page.waitForFunction((name) => {
      const app = (
        window as unknown as {
          topoforge: {
            store: {
              getState(): { file: { name: string }; arranging: boolean; design: { layout?: object } };
            };
          };
        }
      ).topoforge;
      const state = app.store.getState();
      return state.file.name === name && !state.arranging && state.design.layout !== undefined;
    }, `${base}.topo.json`);
    await this.settled();
    await this.page.waitForTimeout(350);
  }

  /**
   * Opens a design file's text in the page, as File › Open does, and waits for its layout; the
   * app's state once the checks have caught up. `timeout` bounds each wait, for designs of
   * thousands of services whose opening outlasts the page's default.
   */
  async openText(fileName: string, text: string, options: { timeout?: number } = {}): Promise<AppSnapshot> {
    await this.page.evaluate(
      async ([name, content]) => {
        const topoforge = (
          window as unknown as { topoforge: { open(name: string, text: string): Promise<boolean> } }
        ).topoforge;
        await topoforge.open(name!, content!);
      },
      [fileName, text],
    );
    await this.page.waitForFunction(
      () => {
        const state = (
          window as unknown as {
            topoforge: { store: { getState(): { arranging: boolean; design: { layout?: object } } } };
          }
        ).topoforge.store.getState();
        return !state.arranging && state.design.layout !== undefined;
      },
      undefined,
      options,
    );
    const state = await this.settled(options);
    await this.page.waitForTimeout(350);
    return state;
  }

  /** Opens `design` as File › Open opens it from a file named `fileName`; see `openText`. */
  openDesign(fileName: string, design: object, options: { timeout?: number } = {}): Promise<AppSnapshot> {
    return this.openText(fileName, JSON.stringify(design), options);
  }

  /** Fits the canvas's view to the things `ids` names, through the app's canvas service. */
  async fitView(ids: string[]): Promise<void> {
    await this.page.evaluate(
      (fitted) =>
        (
          window as unknown as { topoforge: { services: { canvas?: { fitView(ids: string[]): void } } } }
        ).topoforge.services.canvas?.fitView(fitted),
      ids,
    );
  }

  /**
   * What axe-core finds against WCAG 2.1 AA on the page as it is now, one line per rule broken
   * (`view: rule (elements)`); empty when it passes.
   */
  async accessibilityViolations(view: string): Promise<string[]> {
    const result = await new AxeBuilder({ page: this.page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    return result.violations.map(
      (v) => `${view}: ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
  }

  /** Chooses a File menu entry. */
  async fileMenu(entry: string): Promise<void> {
    await this.page.getByTestId('menu-file').click();
    await this.page.getByTestId(`menu-${entry}`).click();
  }
}
