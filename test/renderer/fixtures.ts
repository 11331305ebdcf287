/**
 * Test doubles for the renderer: an app (store + services) with an in-memory host that records
 * what it was asked to write, and the seed examples as loaded designs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateBundle } from '../../core/generate/index';
import type { TopoforgeHost } from '../../core/host';
import { parseDesign } from '../../core/load';
import type { Design } from '../../core/model';
import type { AppServices } from '../../renderer/app/services';
import { autoLayout } from '../../renderer/layout/auto-layout';
import { createAppStore } from '../../renderer/state/store';
import { Analyzer } from '../../renderer/workers/analyze';

const examples = join(import.meta.dirname, '../../examples');

/** The text of a seed example. */
export function exampleText(fileName: string): string {
  return readFileSync(join(examples, fileName), 'utf8');
}

/** A seed example, loaded. */
export function example(fileName: string): Design {
  const result = parseDesign(exampleText(fileName));
  if (!result.ok) throw new Error(`${fileName} does not load`);
  return result.design;
}

/** What the fake host was asked to do. */
export interface HostLog {
  saved: { fileName: string; text: string }[];
  bundles: { name: string; fileCount: number }[];
  toOpen: { fileName: string; text: string }[];
}

/** An app for tests: a real store and the real layout, a host that records. */
export function testApp(design?: Design): { services: AppServices; log: HostLog } {
  const log: HostLog = { saved: [], bundles: [], toOpen: [] };
  const host: TopoforgeHost = {
    platform: 'browser',
    openDesign: async () => log.toOpen.shift(),
    openRecentDesign: async () => undefined,
    recentDesigns: async () => [],
    saveDesign: async (request) => {
      log.saved.push({ fileName: request.fileName, text: request.text });
      return { fileName: request.fileName };
    },
    saveDesignAs: async (request) => {
      log.saved.push({ fileName: request.fileName, text: request.text });
      return { fileName: request.fileName };
    },
    exportBundle: async (request) => {
      log.bundles.push({ name: request.name, fileCount: request.bundle.files.length });
      return { location: `${request.name}.zip`, fileCount: request.bundle.files.length + 1 };
    },
    exportImage: async (request) => ({ location: request.fileName, fileCount: 1 }),
  };
  const store = createAppStore();
  if (design) store.getState().replaceDocument(design, { name: 'test.topo.json' });
  const analyzer = new Analyzer();
  const services: AppServices = {
    store,
    host,
    layout: (d, options) => autoLayout(d, options),
    generate: async (request) =>
      request.kind === 'bundle'
        ? {
            kind: 'bundle',
            revision: request.revision,
            bundle: generateBundle(request.design),
            durationMs: 0,
          }
        : { kind: 'archive', bytes: new Uint8Array() },
    canvas: undefined,
    clipboard: undefined,
  };
  // The analysis runs in-process and at once, as the worker would answer.
  const analyse = () => {
    const state = store.getState();
    store.setState({
      analysis: analyzer.analyze({
        revision: state.revision,
        design: state.design,
        failed: state.failed,
        detail: true,
        resilience: state.panel === 'resilience',
      }),
    });
  };
  analyse();
  store.subscribe((state, previous) => {
    if (
      state.design !== previous.design ||
      state.failed !== previous.failed ||
      (state.panel === 'resilience') !== (previous.panel === 'resilience')
    )
      analyse();
  });
  return { services, log };
}
