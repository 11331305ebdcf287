import { describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { generateBundle } from '../../core/generate/index';
import { bundleArchive } from '../../renderer/files/bundle-archive';
import { LatestOnly } from '../../renderer/workers/rpc';
import { example } from './fixtures';

describe('the bundle archive', () => {
  it('lays a bundle out as docs/bundle.md does, with modes, byte for byte the same every time', () => {
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
