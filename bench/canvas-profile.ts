/**
 * `tsx bench/canvas-profile.ts [services] [builds]`: a Chromium trace of exactly the canvas
 * benchmark's committed drag, inspector edit and what-if failure (bench/canvas.ts, `measureEdits`), on its own
 * synthetic design, for one or more web builds under dist/ side by side (default `web`; build
 * another with `vite build --outDir dist/web-before` from an older checkout to compare).
 *
 * For each edit it prints every main-thread task of 30 ms or more: its wall time, its CPU time
 * (the trace's thread time, which a machine loaded by other work inflates far less than the wall
 * time the benchmark's long tasks measure) and the largest events inside it. Run `npm run
 * build:web` first.
 *
 * `--functions` also samples the JavaScript (V8's CPU profiler, recorded into the same trace, so on
 * the same clock) and prints under each task the five functions with the most self time inside it,
 * as `name file:line ms`. On the minified build the names are short; build without minifying into
 * its own folder and name that build, e.g. `npx vite build --minify false --outDir
 * $PWD/dist/web-plain && npx tsx bench/canvas-profile.ts 5000 web-plain --functions`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { benchSubject, largeDesign } from '../test/e2e/large-design';
import { checksCaughtUp } from '../test/e2e/page-state';
import { serveStatic } from '../test/e2e/static-server';

const ROOT = join(import.meta.dirname, '..');
const WAIT_MS = 180_000;
/** Tasks shorter than this are left out of the report. */
const REPORTED_MS = 30;

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: {
    name?: string;
    data?: {
      functionName?: string;
      /** A CPU profile's sampling, in its `Profile` and `ProfileChunk` events. */
      startTime?: number;
      cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] };
      timeDeltas?: number[];
    };
    /** A layout's: how many of the page's layout objects it had to lay out again. */
    beginData?: { dirtyObjects?: number; totalObjects?: number };
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url?: string; lineNumber?: number };
}

export interface Task {
  wallMs: number;
  cpuMs: number;
  inside: string[];
  /** With `functions`: the functions with the most self time inside the task, largest first. */
  functions?: string[];
}

/** How many functions `--functions` names per task. */
const FUNCTIONS_SHOWN = 5;

/** One sample of the CPU profiler: when (trace clock, µs) and in which function. */
interface Sample {
  pid: number;
  tid: number;
  ts: number;
  frame: string;
}

/**
 * The CPU profiler's samples from a trace's `Profile` and `ProfileChunk` events. A chunk carries
 * the new call-tree nodes, and per sample the node and the time since the previous sample.
 */
function samplesOf(events: TraceEvent[]): Sample[] {
  const profiles = new Map<string, { pid: number; tid: number; ts: number; frames: Map<number, string> }>();
  const samples: Sample[] = [];
  const ordered = events
    .filter((e) => e.name === 'Profile' || e.name === 'ProfileChunk')
    .sort((a, b) => a.ts - b.ts);
  for (const event of ordered) {
    const key = `${event.pid}:${(event as { id?: string }).id}`;
    if (event.name === 'Profile') {
      profiles.set(key, {
        pid: event.pid,
        tid: event.tid,
        ts: event.args?.data?.startTime ?? event.ts,
        frames: new Map(),
      });
      continue;
    }
    const profile = profiles.get(key);
    if (!profile) continue;
    for (const node of event.args?.data?.cpuProfile?.nodes ?? []) {
      const { functionName, url = '', lineNumber = 0 } = node.callFrame;
      const file = url.slice(url.lastIndexOf('/') + 1);
      profile.frames.set(
        node.id,
        `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`,
      );
    }
    const ids = event.args?.data?.cpuProfile?.samples ?? [];
    const deltas = event.args?.data?.timeDeltas ?? [];
    ids.forEach((id, i) => {
      profile.ts += deltas[i] ?? 0;
      samples.push({
        pid: profile.pid,
        tid: profile.tid,
        ts: profile.ts,
        frame: profile.frames.get(id) ?? '?',
      });
    });
  }
  return samples;
}

/** The functions with the most self time among the samples inside a task, as `name file:line ms`. */
function topFunctions(samples: Sample[], task: TraceEvent): string[] {
  const inside = samples.filter((s) => within(s, task));
  const self = new Map<string, number>();
  inside.forEach((sample, i) => {
    // A sample stands for the time until the next one (the last, until the task ends).
    const next = inside[i + 1]?.ts ?? task.ts + task.dur!;
    self.set(sample.frame, (self.get(sample.frame) ?? 0) + (next - sample.ts));
  });
  return [...self]
    .filter(([frame]) => frame !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, FUNCTIONS_SHOWN)
    .map(([frame, us]) => `${frame} ${(us / 1000).toFixed(1)}`);
}

/** The app in the page, as much of it as this script reads. */
interface PageApp {
  topoforge: {
    open(name: string, text: string): Promise<boolean>;
    store: {
      getState(): {
        revision: number;
        whatIf: boolean;
        panel: string;
        failed: string[];
        analysis?: { revision: number; detail: boolean; failed: string[] };
        setWhatIf(on: boolean): void;
        toggleFailure(id: string): void;
      };
    };
    services: { canvas?: { fitView(ids: string[]): void } };
  };
}

async function settle(page: Page): Promise<void> {
  await page.waitForFunction(checksCaughtUp, undefined, { timeout: WAIT_MS });
  // In what-if mode, until the answer with every item's state and the failures asked for.
  await page.waitForFunction(
    () => {
      const state = (window as unknown as PageApp).topoforge.store.getState();
      return (
        state.analysis?.detail === (state.whatIf || state.panel === 'what-if') &&
        state.analysis.failed.length === state.failed.length
      );
    },
    undefined,
    { timeout: WAIT_MS },
  );
  // Long tasks end after the answer is in; give the last one time to finish.
  await page.waitForTimeout(300);
}

/** The main-thread tasks of `act` and of the checks' answer to it. */
export async function traced(
  browser: Browser,
  page: Page,
  act: () => Promise<void>,
  { functions = false }: { functions?: boolean } = {},
): Promise<Traced> {
  await browser.startTracing(page, {
    categories: [
      'devtools.timeline',
      'disabled-by-default-devtools.timeline',
      'v8.execute',
      ...(functions ? ['disabled-by-default-v8.cpu_profiler'] : []),
    ],
  });
  // The profiler starts with the page's next script, in one long task of its own (it lists every
  // function compiled so far): let that pass before the edit.
  if (functions) {
    await page.evaluate(() => 0);
    await page.waitForTimeout(300);
  }
  await act();
  await settle(page);
  const events = (JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] })
    .traceEvents;
  const mains = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  const samples = functions ? samplesOf(events) : [];
  const all = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && mains.has(`${e.pid}:${e.tid}`));
  // The profiler's own start is no part of the edit (it is one task, the longest, before it).
  const counted = functions ? all.filter((e) => !startsProfiler(events, e)) : all;
  const cpu = counted.map((e) => (e.tdur ?? 0) / 1000);
  const tasks = all
    .filter((e) => (e.dur ?? 0) >= REPORTED_MS * 1000)
    .map((task) => ({
      wallMs: task.dur! / 1000,
      cpuMs: (task.tdur ?? 0) / 1000,
      inside: events
        .filter((e) => e.ph === 'X' && within(e, task) && e.name !== 'RunTask' && (e.dur ?? 0) > 5000)
        .sort((a, b) => b.dur! - a.dur!)
        .slice(0, 3)
        .map(
          (e) =>
            `${e.name}${e.args?.data?.functionName ? ` ${e.args.data.functionName}` : ''}${e.args?.beginData?.dirtyObjects !== undefined ? ` (${e.args.beginData.dirtyObjects} of ${e.args.beginData.totalObjects} objects)` : ''} ${(e.dur! / 1000).toFixed(0)}`,
        ),
      ...(functions ? { functions: topFunctions(samples, task) } : {}),
    }));
  return {
    tasks,
    cpuMs: cpu.reduce((sum, ms) => sum + ms, 0),
    largestCpuMs: Math.max(0, ...cpu),
  };
}

/** Whether `event` happened on `task`'s thread while it ran. */
function within(event: { pid: number; tid: number; ts: number }, task: TraceEvent): boolean {
  return (
    event.pid === task.pid && event.tid === task.tid && event.ts >= task.ts && event.ts < task.ts + task.dur!
  );
}

/** Whether `task` is the CPU profiler starting: V8 interrupts the page to list its compiled code. */
function startsProfiler(events: TraceEvent[], task: TraceEvent): boolean {
  return events.some(
    (e) => e.name === 'V8.InvokeApiInterruptCallbacks' && within(e, task) && e.dur! > task.dur! / 2,
  );
}

/** What {@link traced} found: the long tasks, and the CPU time of every main-thread task, long or not. */
export interface Traced {
  tasks: Task[];
  /** All the main-thread tasks' CPU time together (ms): what the edit and its answer cost. */
  cpuMs: number;
  /** The most CPU time (ms) of any one task, however short its wall time. */
  largestCpuMs: number;
}

export function describe({ tasks, cpuMs, largestCpuMs }: Traced): string {
  const total = `; every main-thread task: CPU ${cpuMs.toFixed(0)} ms in all, ${largestCpuMs.toFixed(0)} at most`;
  if (tasks.length === 0) return `none of ${REPORTED_MS} ms or more${total}`;
  return `${tasks
    .map(
      (t) =>
        `${t.wallMs.toFixed(0)} ms (CPU ${t.cpuMs.toFixed(0)}) [${t.inside.join(', ')}]${t.functions && t.inside[0]?.startsWith('V8.StackGuard') ? ' (the profiler starting, before the edit; not counted below)' : ''}${t.functions ? `\n      self time: ${t.functions.join(', ') || 'no samples'}` : ''}`,
    )
    .join(' | ')}${total}`;
}

async function main(): Promise<void> {
  const functions = process.argv.includes('--functions');
  const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const services = Number(args[0] ?? 5000);
  const builds = (args[1] ?? 'web').split(',');
  // The benchmark's design, dragged node and failed host.
  const { design, geometry } = await largeDesign(services);
  const {
    dragged: { id: dragged },
    host,
  } = benchSubject(geometry);
  const text = JSON.stringify(design);

  const server = await serveStatic(join(ROOT, 'dist'));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    for (const build of builds) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await page.goto(`${server.url}${build}/index.html`);
      await page.waitForFunction(() => 'topoforge' in window);
      await page.evaluate(async (designText) => {
        await (window as unknown as PageApp).topoforge.open('synthetic.topo.json', designText);
      }, text);
      await settle(page);
      await page.waitForTimeout(2000);
      await page.evaluate(
        (id) => (window as unknown as PageApp).topoforge.services.canvas?.fitView([id]),
        dragged,
      );
      await page.waitForTimeout(1500);
      const node = page.locator(`.react-flow__node[data-id="${dragged}"]`);
      /** Drags the node and resolves with its drop, the part measured (as bench/canvas.ts traces it). */
      const drag = async (sign: number) => {
        const box = (await node.boundingBox())!;
        await page.mouse.move(box.x + 30, box.y + 20);
        await page.mouse.down();
        await page.mouse.move(box.x + 30 + sign * 15, box.y + 20 + sign * 10, { steps: 4 });
        return () => page.mouse.up();
      };
      const relabel = async (label: string, measure: boolean): Promise<Traced | undefined> => {
        await node.click({ position: { x: 30, y: 20 } });
        await page.getByTestId('tab-inspector').click();
        const field = page.getByTestId('field-label');
        await field.fill(label);
        await settle(page);
        let tasks: Traced | undefined;
        if (measure) tasks = await traced(browser, page, () => field.press('Enter'), { functions });
        else {
          await field.press('Enter');
          await settle(page);
        }
        await page.keyboard.press('Escape');
        return tasks;
      };
      // Warmed up as the benchmark's rounds warm the page: drags there and back, two edits.
      for (let i = 0; i < 4; i++) {
        await (
          await drag(i % 2 === 0 ? 1 : -1)
        )();
        await settle(page);
      }
      await relabel('warm 1', false);
      await relabel('warm 2', false);
      console.log(`${build}, ${services} services:`);
      for (let i = 0; i < 3; i++) {
        console.log(
          `  drag committed ${i + 1}: ${describe(await traced(browser, page, await drag(1), { functions }))}`,
        );
        // As the benchmark fails a host: what-if mode on and settled first.
        await page.evaluate(() => (window as unknown as PageApp).topoforge.store.getState().setWhatIf(true));
        await settle(page);
        const failure = await traced(
          browser,
          page,
          () =>
            page.evaluate(
              (id) => (window as unknown as PageApp).topoforge.store.getState().toggleFailure(id),
              host,
            ),
          { functions },
        );
        console.log(`  what-if failure ${i + 1}: ${describe(failure)}`);
        await page.evaluate(() => (window as unknown as PageApp).topoforge.store.getState().setWhatIf(false));
        await settle(page);
        // Last, as in the benchmark: the next drag finds the inspector open, not the what-if panel.
        console.log(`  inspector edit ${i + 1}: ${describe((await relabel(`edited ${i}`, true))!)}`);
      }
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

// Run as a script; the bench imports its tracing (`BENCH_TRACE=1`).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
