import { describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import ELK from 'elkjs/lib/elk.bundled.js';
import { checkDesign } from '../../core/load';
import { generateBundle } from '../../core/generate/index';
import { bundleArchive } from '../../renderer/files/bundle-archive';
import { autoLayout } from '../../renderer/layout/auto-layout';
import { computeGeometry } from '../../renderer/canvas/geometry';
import { LatestOnly } from '../../renderer/workers/rpc';
import { example } from './fixtures';

describe('the bundle archive', () => {
  it('lays a bundle out as SPEC section 5 does, with modes, byte for byte the same every time', () => {
    const bundle = generateBundle(example('teramind-ha.topo.json'));
    const zip = bundleArchive(bundle, 'teramind');
    expect(bundleArchive(bundle, 'teramind')).toEqual(zip);
    const entries = unzipSync(zip);
    expect(Object.keys(entries)).toContain('teramind/manifest.json');
    expect(Object.keys(entries)).toContain('teramind/README.md');
    expect(Object.keys(entries)).toContain('teramind/hosts/lb-1/etc/haproxy/haproxy.cfg');
    expect(JSON.parse(strFromU8(entries['teramind/manifest.json']!))).toEqual(bundle.manifest);
    expect(Object.keys(entries)).toHaveLength(bundle.files.length + 1);
  });
});

describe('the automatic layout', () => {
  it('places every item of every example so that nothing is left without a position', async () => {
    const elk = new ELK();
    for (const file of [
      'teramind-ha.topo.json',
      'expertflow-two-sites.topo.json',
      'tealeaf-resilient.topo.json',
    ]) {
      const design = example(file);
      const layout = await autoLayout(design, (graph) => elk.layout(graph));
      const arranged = { ...design, layout };
      expect(checkDesign(arranged).ok).toBe(true);
      const geometry = computeGeometry(arranged);
      expect(geometry.unplaced, file).toBe(0);
      // No two hosts overlap.
      const hosts = design.hosts.map((h) => geometry.boxes.get(h.id)!);
      for (const a of hosts) {
        for (const b of hosts) {
          if (a === b) continue;
          const apart =
            a.absoluteX + a.width <= b.absoluteX ||
            b.absoluteX + b.width <= a.absoluteX ||
            a.absoluteY + a.height <= b.absoluteY ||
            b.absoluteY + b.height <= a.absoluteY;
          expect(apart, `${file}: ${a.id} and ${b.id}`).toBe(true);
        }
      }
    }
  });

  it('keeps the order of the file: hosts and sites side by side read as they are written', async () => {
    const elk = new ELK();
    const leftToRight = (ids: string[], layout: Record<string, { x: number; y: number }>) =>
      [...ids].sort((a, b) => layout[a]!.x - layout[b]!.x);
    const teramind = example('teramind-ha.topo.json');
    const nodes = ['tm-1', 'tm-2', 'tm-3', 'tm-4', 'tm-5'];
    expect(leftToRight(nodes, await autoLayout(teramind, (graph) => elk.layout(graph)))).toEqual(nodes);
    const expertflow = example('expertflow-two-sites.topo.json');
    const layout = await autoLayout(expertflow, (graph) => elk.layout(graph));
    expect(leftToRight(['site-a', 'site-b'], layout)).toEqual(['site-a', 'site-b']);
  });
});

describe('latest-only requests', () => {
  it('runs the newest of a burst once the current run ends, and marks older answers stale', async () => {
    const runs: number[] = [];
    const delivered: [number, boolean][] = [];
    let release: () => void = () => {};
    const channel = new LatestOnly<number, number>(
      (n) => {
        runs.push(n);
        return new Promise((resolve) => {
          release = () => resolve(n);
        });
      },
      (n, stale) => delivered.push([n, stale]),
    );
    channel.request(1);
    channel.request(2);
    channel.request(3);
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(runs).toEqual([1, 3]);
    expect(delivered).toEqual([
      [1, true],
      [3, false],
    ]);
  });
});
