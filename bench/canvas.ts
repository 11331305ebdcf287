/**
 * `npm run bench:canvas`: the designer's canvas with 1,000 and with 5,000 services against plain
 * React Flow showing the 1,000-service design's nodes and edges, side by side in one run, all
 * production builds in headless Chromium.
 *
 * Measured over several rounds taken in turn (each designer, then each baseline), every frame
 * pooled, with these targets (interaction must not get slower as the design grows):
 * - the p95 frame interval while dragging a node, and while panning: the designer at 1,000 within
 *   1.25× of plain React Flow (every node rendered), and at 5,000 within 1.25× of plain React
 *   Flow showing 1,000 nodes with visible-only rendering;
 * - opening the design to its first painted frame: 5,000 services within 3× of 1,000;
 * - long tasks on the main thread during edits (a drag committed, a what-if failure, an
 *   inspector edit) at both sizes: the checks run in a worker, so no task may block a frame for
 *   50 ms or more. A failure is made with what-if mode already on and settled; the longest task
 *   while the mode comes on is printed beside, with no target.
 *
 * Exits 1 when a target is missed. `--rounds N` (default 5), `--sizes 1000,5000`, `--json` for the
 * raw numbers. The machine must be quiet: on a loaded machine frame times say nothing.
 *
 * Headless Chromium draws at 60 Hz, so a frame interval is a whole number of 16.7 ms ticks and a p95
 * moves in whole ticks: with few frames, a handful of slow frames can flip it from 33.4 to 50.0 ms
 * (1.00x to 1.50x). Five rounds pool about 2,000 frames per measure, which keeps it steady.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { CanvasProjection } from '../renderer/canvas/derive';
import { describe, traced } from './canvas-profile';
import { freshLinkIds } from '../renderer/state/edge-ids';
import { benchSubject, largeDesign } from '../test/e2e/large-design';
import { checksCaughtUp } from '../test/e2e/page-state';
import { serveStatic } from '../test/e2e/static-server';

const ROOT = join(import.meta.dirname, '..');
const RATIO_TARGET = 1.25;
const OPEN_RATIO_TARGET = 3;
const LONG_TASK_LIMIT_MS = 50;
/**
 * How long the harness waits for the checks to catch up. Not a measure: on a machine loaded by
 * other work, opening 5,000 services outlasted Playwright's default 30 s.
 */
const WAIT_MS = 180_000;
const VIEWPORT = { width: 1600, height: 1000 };
/** The zoom both canvases are measured at: `--zoom Z`, default 1 (actual size, as one edits). */
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 5;
const json = args.includes('--json');
const ZOOM = args.includes('--zoom') ? Number(args[args.indexOf('--zoom') + 1]) : 1;
const SIZES = (args.includes('--sizes') ? args[args.indexOf('--sizes') + 1]! : '1000,5000')
  .split(',')
  .map(Number);
/** The baseline size: plain React Flow shows this design. */
const BASE = SIZES[0]!;

function log(text: string): void {
  if (!json) console.log(text);
}

/** p95 of the intervals between animation frames, and how many exceeded 50 ms. */
interface FrameStats {
  p95: number;
  over50: number;
  frames: number;
  intervals: number[];
}

/** p95 and mean of frame intervals pooled over every sample of one kind. */
function pooled(samples: FrameStats[]): { p95: number; mean: number; over50: number; frames: number } {
  const all = samples.flatMap((s) => s.intervals).sort((a, b) => a - b);
  return {
    p95: all[Math.min(all.length - 1, Math.floor(all.length * 0.95))] ?? 0,
    mean: all.reduce((sum, i) => sum + i, 0) / Math.max(1, all.length),
    over50: all.filter((i) => i > 50).length,
    frames: all.length,
  };
}

/**
 * Records the time of every animation frame. Passed as text: tsx would wrap a named function in a
 * helper that does not exist in the page.
 */
const RECORD_FRAMES = `(() => {
  window.benchFrames = [];
  window.benchRecording = true;
  const loop = (time) => {
    if (!window.benchRecording) return;
    window.benchFrames.push(time);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
})()`;

async function startFrames(page: Page): Promise<void> {
  await page.evaluate(RECORD_FRAMES);
}

async function stopFrames(page: Page): Promise<FrameStats> {
  const times = await page.evaluate(() => {
    const record = window as unknown as { benchFrames: number[]; benchRecording: boolean };
    record.benchRecording = false;
    return record.benchFrames;
  });
  const intervals = times.slice(1).map((t, i) => t - times[i]!);
  intervals.sort((a, b) => a - b);
  return {
    p95: intervals[Math.min(intervals.length - 1, Math.floor(intervals.length * 0.95))] ?? 0,
    over50: intervals.filter((i) => i > 50).length,
    frames: intervals.length,
    intervals,
  };
}

/** Drags with the middle button from a point, 150 moves of a few pixels, as a person pans. */
async function panFrom(page: Page, start: { x: number; y: number }, direction: 1 | -1): Promise<void> {
  await dragAlong(
    page,
    start,
    (i) => ({ x: start.x + direction * i * 2, y: start.y + direction * i * 1.4 }),
    'middle',
  );
}

/** 150 mouse moves through `at(1)` … `at(150)`, a short pause every other move. */
async function dragAlong(
  page: Page,
  start: { x: number; y: number },
  at: (step: number) => { x: number; y: number },
  button: 'left' | 'middle' = 'left',
): Promise<void> {
  await page.mouse.move(start.x, start.y);
  await page.mouse.down({ button });
  for (let i = 1; i <= 150; i++) {
    const point = at(i);
    await page.mouse.move(point.x, point.y);
    if (i % 2 === 0) await page.waitForTimeout(8);
  }
  await page.mouse.up({ button });
}

/**
 * Drags a node three times round a small loop (48 × 16 px) and back to where it started. The
 * pointer stays within the node's starting box, so over its own host, so the drop only moves it: a longer straight drag would
 * carry a service into another host (the designer moves it there) and measure that instead.
 */
async function measureDrag(page: Page, nodeId: string, direction: 1 | -1): Promise<FrameStats> {
  const box = await page
    .locator(`.react-flow__node[data-id="${nodeId}"]`)
    .boundingBox({ timeout: 5000 })
    .catch(() => null);
  if (!box) throw new Error(`node ${nodeId} is not on the screen`);
  const start = { x: box.x + 30, y: box.y + box.height / 2 };
  await startFrames(page);
  await dragAlong(page, start, (i) => {
    const angle = (direction * 2 * Math.PI * i) / 50;
    return { x: start.x + 24 * Math.sin(angle), y: start.y + 8 * (1 - Math.cos(angle)) };
  });
  return stopFrames(page);
}

/** A point of the empty pane near the middle of the canvas. */
async function emptyPoint(page: Page): Promise<{ x: number; y: number }> {
  const point = await page.evaluate(() => {
    const pane = document.querySelector('.react-flow')!.getBoundingClientRect();
    for (let dy = 0; dy < pane.height / 2; dy += 11) {
      for (let dx = 0; dx < pane.width / 2; dx += 13) {
        for (const [x, y] of [
          [pane.left + pane.width / 2 + dx, pane.top + pane.height / 2 + dy],
          [pane.left + pane.width / 2 - dx, pane.top + pane.height / 2 - dy],
        ] as const) {
          const element = document.elementFromPoint(x, y);
          if (element?.classList.contains('react-flow__pane')) return { x, y };
        }
      }
    }
    return undefined;
  });
  if (!point) throw new Error('no empty spot of the canvas to pan from');
  return point;
}

/**
 * Pans with the middle button, which pans both canvases: a left drag on the designer's empty
 * canvas draws a selection box (as in draw.io), on plain React Flow it pans.
 */
async function measurePan(page: Page, direction: 1 | -1): Promise<FrameStats> {
  const start = await emptyPoint(page);
  await startFrames(page);
  await panFrom(page, start, direction);
  return stopFrames(page);
}

interface Subject {
  name: string;
  url: string;
  page?: Page;
}

async function openDesigner(
  browser: Browser,
  url: string,
  designText: string,
  viewport: { x: number; y: number; zoom: number },
): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.goto(url);
  await page.waitForFunction(() => 'topoforge' in window);
  await page.evaluate(async (text) => {
    const app = (
      window as unknown as { topoforge: { open: (name: string, text: string) => Promise<boolean> } }
    ).topoforge;
    await app.open('synthetic.topo.json', text);
  }, designText);
  await page.waitForFunction(checksCaughtUp, undefined, { timeout: WAIT_MS });
  // The view first fits the whole design (an animation, once the deferred canvas has caught up:
  // over a second at 5,000 services); then both pages look at the same place. Set it until it
  // holds, so a late fit cannot move it away.
  await page.waitForTimeout(1000);
  const expected = `translate(${viewport.x}px, ${viewport.y}px) scale(${viewport.zoom})`;
  for (let attempt = 0; attempt < 10; attempt++) {
    await page.evaluate((v) => {
      const app = (
        window as unknown as { topoforge: { services: { canvas?: { setViewport(v: object): void } } } }
      ).topoforge;
      app.services.canvas?.setViewport(v);
    }, viewport);
    await page.waitForTimeout(1500);
    const transform = await page
      .locator('.react-flow__viewport')
      .evaluate((element) => (element as HTMLElement).style.transform);
    if (transform === expected) break;
  }
  return page;
}

/**
 * Opens `window.benchDesign` and resolves with the milliseconds until the frame after the design
 * reached the page: its cards, or, for a large design opened zoomed far out, its drawn picture
 * (renderer/canvas/far-layer.tsx), where React Flow holds no node at all. Text, like RECORD_FRAMES: tsx would wrap named functions in a helper the page
 * does not have.
 */
const OPEN_TO_FIRST_PAINT = `(async () => {
  const started = performance.now();
  void window.topoforge.open('synthetic.topo.json', window.benchDesign);
  await new Promise((resolve) => {
    const check = () =>
      document.querySelector('.react-flow__node, .far-layer path') ? resolve() : requestAnimationFrame(check);
    requestAnimationFrame(check);
  });
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return performance.now() - started;
})()`;

/**
 * Time from asking the designer to open a design (as File › Open does with the file's text) to the
 * first frame painted with its nodes on the canvas, in a fresh page.
 */
async function measureOpen(browser: Browser, url: string, designText: string): Promise<number> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'topoforge' in window);
    await page.waitForTimeout(300);
    await page.evaluate((text) => {
      (window as unknown as { benchDesign: string }).benchDesign = text;
    }, designText);
    return (await page.evaluate(OPEN_TO_FIRST_PAINT)) as number;
  } finally {
    await page.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function openPlain(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true);
  await page.waitForTimeout(1500);
  return page;
}

/** Long tasks on the designer's main thread while it takes edits, and the worker's check time. */
/** Main-thread cost of edits of the large design. */
interface EditCost {
  /** Longest task (ms) per kind of edit, each over its 3 repetitions, and how many reached 50 ms. */
  longestTask: Record<string, number>;
  longTasks: number;
  /**
   * The longest task (ms) while what-if mode comes on (every item's state and the single-failure
   * table arrive): not an edit the target names, measured so that it is not hidden.
   */
  whatIfOnMs: number;
  /**
   * The checks' own share during the edits: copying the design to the worker, and taking the
   * answer in (ms, longest).
   */
  checksPostMs: number;
  checksApplyMs: number;
  /** Time the worker spent on each check (ms), off the main thread. */
  workerMs: number[];
}

const WATCH_LONG_TASKS = `(() => {
  window.benchLongTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.benchLongTasks.push(entry.duration);
  }).observe({ type: 'longtask' });
})()`;

/** Waits until the analysis answers for the current revision and failures. */
async function settle(page: Page): Promise<void> {
  // A function, not text: the page's CSP rightly refuses to evaluate strings.
  await page.waitForFunction(
    () => {
      const state = (
        window as unknown as {
          topoforge: {
            store: {
              getState(): {
                revision: number;
                failed: string[];
                whatIf: boolean;
                panel: string;
                analysis?: { revision: number; failed: string[]; detail: boolean };
              };
            };
          };
        }
      ).topoforge.store.getState();
      // What-if mode, and its panel, want every item's state: the answer carries it.
      const detail = state.whatIf || state.panel === 'what-if';
      return (
        state.analysis?.revision === state.revision &&
        state.analysis.failed.length === state.failed.length &&
        state.analysis.detail === detail
      );
    },
    undefined,
    { timeout: WAIT_MS },
  );
  // Long tasks are reported after they end; give the last one time to arrive.
  await page.waitForTimeout(250);
}

async function takeLongTasks(page: Page): Promise<number[]> {
  return page.evaluate('window.benchLongTasks.splice(0)') as Promise<number[]>;
}

/**
 * Edits the large design three ways, three times each, and records the long tasks on the main
 * thread: a drag committed (checked by the loader, analysed by the worker), a what-if failure
 * (the worker evaluates it), and a label typed into the inspector.
 */
async function measureEdits(browser: Browser, page: Page, nodeId: string, hostId: string): Promise<EditCost> {
  await page.evaluate(WATCH_LONG_TASKS);
  const checks = { postMs: [] as number[], applyMs: [] as number[] };
  /** The checks' timings since the last call, kept when they belong to an edit. */
  const takeTimings = async (keep: boolean) => {
    const taken = (await page.evaluate(
      '({ postMs: window.topoforge.analysisTimings.postMs.splice(0), applyMs: window.topoforge.analysisTimings.applyMs.splice(0) })',
    )) as { postMs: number[]; applyMs: number[] };
    if (keep) {
      checks.postMs.push(...taken.postMs);
      checks.applyMs.push(...taken.applyMs);
    }
  };
  /** Forgets what happened before the edit about to be made. */
  const begin = async () => {
    await takeLongTasks(page);
    await takeTimings(false);
  };
  let whatIfOnMs = 0;
  const longestTask: Record<string, number> = {
    'drag committed': 0,
    'what-if failure': 0,
    'inspector edit': 0,
  };
  let longTasks = 0;
  const workerMs: number[] = [];
  const record = async (kind: string) => {
    await settle(page);
    const tasks = await takeLongTasks(page);
    await takeTimings(true);
    longTasks += tasks.length;
    longestTask[kind] = Math.max(longestTask[kind] ?? 0, ...tasks);
    workerMs.push((await page.evaluate('window.topoforge.store.getState().analysis.durationMs')) as number);
  };
  for (let i = 0; i < 3; i++) {
    await begin();
    const box = (await page.locator(`.react-flow__node[data-id="${nodeId}"]`).boundingBox())!;
    await page.mouse.move(box.x + 30, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + 30 + 15, box.y + 20 + 10, { steps: 4 });
    const drop = () => page.mouse.up();
    if (process.env.BENCH_TRACE)
      log(`  trace of drag committed ${i + 1}: ${describe(await traced(browser, page, drop))}`);
    else await drop();
    await record('drag committed');

    // What-if mode comes on and settles (every item's state arrives, the panel draws), then a
    // host fails: the failure is the edit measured.
    await begin();
    await page.evaluate('window.topoforge.store.getState().setWhatIf(true)');
    await settle(page);
    whatIfOnMs = Math.max(whatIfOnMs, ...(await takeLongTasks(page)));
    await begin();
    const fail = async () => {
      await page.evaluate(`window.topoforge.store.getState().toggleFailure(${JSON.stringify(hostId)})`);
    };
    // BENCH_TRACE=1: what each long task of the failure is made of (tracing slows the page a little).
    if (process.env.BENCH_TRACE)
      log(`  trace of what-if failure ${i + 1}: ${describe(await traced(browser, page, fail))}`);
    else await fail();
    await record('what-if failure');
    await page.evaluate('window.topoforge.store.getState().setWhatIf(false)');
    await settle(page);

    await page.locator(`.react-flow__node[data-id="${nodeId}"]`).click({ position: { x: 30, y: 20 } });
    await page.getByTestId('tab-inspector').click();
    const label = page.getByTestId('field-label');
    await label.fill(`edited ${i}`);
    await settle(page);
    await begin();
    const enter = () => label.press('Enter');
    if (process.env.BENCH_TRACE)
      log(`  trace of inspector edit ${i + 1}: ${describe(await traced(browser, page, enter))}`);
    else await enter();
    await record('inspector edit');
    await page.keyboard.press('Escape');
  }
  return {
    longestTask,
    longTasks,
    whatIfOnMs,
    checksPostMs: Math.max(0, ...checks.postMs),
    checksApplyMs: Math.max(0, ...checks.applyMs),
    workerMs,
  };
}

/** One design of the run, laid out, with the node each designer drags and the host it fails. */
interface Prepared {
  services: number;
  text: string;
  nodes: number;
  edges: number;
  dragged: { id: string; absoluteX: number; absoluteY: number; width: number; height: number };
  host: string;
}

async function prepare(services: number, fixtureDir?: string): Promise<Prepared> {
  const { design, geometry } = await largeDesign(services);
  const projection = new CanvasProjection();
  const nodes = projection.nodes(design, geometry, new Set());
  const edges = projection.edges(design, new Set(), freshLinkIds(design.links));
  if (fixtureDir) {
    mkdirSync(fixtureDir, { recursive: true });
    writeFileSync(
      join(fixtureDir, 'bench-nodes.json'),
      JSON.stringify({
        nodes: geometry.order.map((id) => {
          const box = geometry.boxes.get(id)!;
          return { id, x: box.absoluteX, y: box.absoluteY, width: box.width, height: box.height };
        }),
        edges: edges.map((e) => ({ source: e.source, target: e.target })),
      }),
    );
  }
  const { dragged, host } = benchSubject(geometry);
  return { services, text: JSON.stringify(design), nodes: nodes.length, edges: edges.length, dragged, host };
}

async function main(): Promise<void> {
  log('Building the designer and the plain React Flow page (production)…');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  await build({ configFile: join(ROOT, 'bench/canvas/vite.config.ts'), logLevel: 'warn' });

  const designs: Prepared[] = [];
  for (const services of SIZES) {
    log(`Laying out a synthetic design of ${services} services…`);
    const prepared = await prepare(services, services === BASE ? join(ROOT, 'dist/bench-canvas') : undefined);
    designs.push(prepared);
    log(`  ${prepared.nodes} nodes and ${prepared.edges} edges on the canvas`);
  }
  const base = designs[0]!;

  const server = await serveStatic(join(ROOT, 'dist'));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    // The canvas is about 1020 × 935 pixels of the 1600 × 1000 window in the designer (palette and
    // side panel around it); the plain page shows the node at the same place of its own canvas.
    const viewportFor = (dragged: Prepared['dragged'], zoom: number, offsetX: number) => ({
      x: Math.round(offsetX - (dragged.absoluteX + dragged.width / 2) * zoom),
      y: Math.round(460 - (dragged.absoluteY + dragged.height / 2) * zoom),
      zoom,
    });
    const plainViewport = viewportFor(base.dragged, ZOOM, 800);
    const plainQuery = `x=${plainViewport.x}&y=${plainViewport.y}&zoom=${ZOOM}`;
    const designerUrl = `${server.url}web/index.html`;
    const subjects: (Subject & { design?: Prepared })[] = [
      ...designs.map((design) => ({ name: `designer ${design.services}`, url: designerUrl, design })),
      {
        name: `plain React Flow ${base.services}`,
        url: `${server.url}bench-canvas/plain.html?${plainQuery}`,
      },
      {
        name: `plain ${base.services}, visible only`,
        url: `${server.url}bench-canvas/plain.html?visible=1&${plainQuery}`,
      },
    ];

    // Opening: fresh pages, sizes taken in turn, the median of three each.
    const openings = new Map<number, number[]>(designs.map((d) => [d.services, []]));
    for (let repeat = 0; repeat < 3; repeat++) {
      for (const design of designs)
        openings.get(design.services)!.push(await measureOpen(browser, designerUrl, design.text));
    }
    const openMs = Object.fromEntries([...openings].map(([services, times]) => [services, median(times)]));

    const results = new Map<string, { drag: FrameStats[]; pan: FrameStats[] }>(
      subjects.map((s) => [s.name, { drag: [], pan: [] }]),
    );
    const held: Record<string, { nodes: number; edges: number }> = {};
    for (const subject of subjects) {
      subject.page = subject.design
        ? await openDesigner(
            browser,
            subject.url,
            subject.design.text,
            viewportFor(subject.design.dragged, ZOOM, 510),
          )
        : await openPlain(browser, subject.url);
      if (subject.design)
        held[subject.name] = (await subject.page.evaluate('window.topoforge.services.canvas.held()')) as {
          nodes: number;
          edges: number;
        };
    }
    for (const [name, count] of Object.entries(held))
      log(`  ${name}: React Flow holds ${count.nodes} nodes and ${count.edges} edges at the measured view`);
    for (let round = 0; round < rounds; round++) {
      for (const subject of subjects) {
        const page = subject.page!;
        await page.bringToFront();
        const dragged = (subject.design ?? base).dragged.id;
        // There and back again, so that every round starts from the same picture.
        for (const direction of [1, -1] as const) {
          results.get(subject.name)!.drag.push(await measureDrag(page, dragged, direction));
          await page.waitForTimeout(300);
        }
        for (const direction of [1, -1] as const) {
          results.get(subject.name)!.pan.push(await measurePan(page, direction));
          await page.waitForTimeout(300);
        }
      }
    }
    const edits: Record<number, EditCost> = {};
    for (const subject of subjects) {
      if (!subject.design) continue;
      const page = subject.page!;
      await page.bringToFront();
      // The rounds moved the node about; the edits start with it in view.
      await page.evaluate((id) => {
        const app = (
          window as unknown as { topoforge: { services: { canvas?: { fitView(ids: string[]): void } } } }
        ).topoforge;
        app.services.canvas?.fitView([id]);
      }, subject.design.dragged.id);
      await page.waitForTimeout(1000);
      edits[subject.design.services] = await measureEdits(
        browser,
        page,
        subject.design.dragged.id,
        subject.design.host,
      );
    }

    const summary = Object.fromEntries(
      [...results].map(([name, r]) => [name, { drag: pooled(r.drag), pan: pooled(r.pan) }]),
    );
    const plain = summary[`plain React Flow ${base.services}`]!;
    const visibleOnly = summary[`plain ${base.services}, visible only`]!;
    const ratios = designs.map((design) => {
      const app = summary[`designer ${design.services}`]!;
      // At the base size against plain React Flow as it comes; larger, against its best at the base size.
      const against = design === base ? plain : visibleOnly;
      return {
        services: design.services,
        against:
          design === base ? `plain React Flow ${base.services}` : `plain ${base.services}, visible only`,
        drag: app.drag.p95 / against.drag.p95,
        pan: app.pan.p95 / against.pan.p95,
      };
    });
    const largest = designs[designs.length - 1]!;
    const openRatio = openMs[largest.services]! / openMs[base.services]!;
    const editChecks = Object.entries(edits).map(([services, cost]) => ({
      services: Number(services),
      longest: Math.max(...Object.values(cost.longestTask)),
      checks: Math.max(cost.checksPostMs, cost.checksApplyMs),
    }));
    const ok =
      ratios.every((r) => r.drag <= RATIO_TARGET && r.pan <= RATIO_TARGET) &&
      (designs.length < 2 || openRatio <= OPEN_RATIO_TARGET) &&
      editChecks.every((e) => e.longest < LONG_TASK_LIMIT_MS && e.checks < LONG_TASK_LIMIT_MS);
    if (json) {
      console.log(
        JSON.stringify(
          {
            designs: designs.map(({ services, nodes, edges }) => ({ services, nodes, edges })),
            rounds,
            zoom: ZOOM,
            summary,
            ratios,
            openMs,
            openRatio,
            held,
            edits,
            ok,
          },
          null,
          2,
        ),
      );
    } else {
      log(
        `\nFrame intervals at zoom ${ZOOM}, every frame of ${rounds} rounds pooled: p95 (mean; frames over 50 ms of all):`,
      );
      for (const [name, stats] of Object.entries(summary)) {
        log(
          `  ${name.padEnd(26)} drag ${stats.drag.p95.toFixed(1).padStart(5)} ms (${stats.drag.mean.toFixed(1)}; ${stats.drag.over50} of ${stats.drag.frames})   pan ${stats.pan.p95.toFixed(1).padStart(5)} ms (${stats.pan.mean.toFixed(1)}; ${stats.pan.over50} of ${stats.pan.frames})`,
        );
      }
      for (const ratio of ratios)
        log(
          `  designer ${ratio.services} / ${ratio.against}: drag ${ratio.drag.toFixed(2)}×   pan ${ratio.pan.toFixed(2)}×   (target ≤ ${RATIO_TARGET}×)`,
        );
      log('\nOpening to the first painted frame (median of 3):');
      for (const [services, ms] of Object.entries(openMs))
        log(`  ${String(services).padStart(5)} services  ${ms.toFixed(0)} ms`);
      if (designs.length > 1)
        log(
          `  ${largest.services} / ${base.services}: ${openRatio.toFixed(2)}×   (target ≤ ${OPEN_RATIO_TARGET}×)`,
        );
      for (const [services, cost] of Object.entries(edits)) {
        log(
          `\nEdits of the ${services}-service design, 3 of each; longest main-thread task (target < ${LONG_TASK_LIMIT_MS} ms):`,
        );
        for (const [kind, ms] of Object.entries(cost.longestTask))
          log(`  ${kind.padEnd(22)} ${ms === 0 ? 'none over 50 ms' : `${ms.toFixed(0)} ms`}`);
        log(
          `  the checks themselves: ${cost.checksPostMs.toFixed(1)} ms to send the design, ${cost.checksApplyMs.toFixed(1)} ms to take the answer in (main thread, longest)`,
        );
        log(
          `  not an edit, no target: what-if mode coming on (every item's state and the single-failure table arrive) ${cost.whatIfOnMs === 0 ? 'none over 50 ms' : `${cost.whatIfOnMs.toFixed(0)} ms`}`,
        );
        log(
          `  worker time per check: ${cost.workerMs.map((ms) => ms.toFixed(0)).join(', ')} ms (off the main thread)`,
        );
      }
      log(ok ? '\n✓ within targets' : '\n✗ a target was missed');
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
