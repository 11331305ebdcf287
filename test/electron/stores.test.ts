import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecentDesignsStore } from '../../electron/main/recent-designs';
import { RecoveryScheduler, RecoveryStore } from '../../electron/main/recovery';
import type { IntervalTimers } from '../../electron/main/recovery';
import { temporaryFolder } from './fakes';

function clock(start = Date.parse('2025-01-01T10:00:00Z')) {
  let time = start;
  return () => new Date((time += 1000));
}

async function recentStore(options: { limit?: number; platform?: NodeJS.Platform } = {}) {
  const folder = await temporaryFolder();
  const file = join(folder, 'user-data', 'recent-designs.json');
  const open = () => RecentDesignsStore.open({ file, now: clock(), ...options });
  return { folder, file, open, store: await open() };
}

describe('recent designs', () => {
  it('puts the newest first, once each, and keeps it across starts', async () => {
    const { store, open } = await recentStore();
    await store.add('/designs/a.topo.json');
    await store.add('/designs/b.topo.json');
    await store.add('/designs/./a.topo.json');
    expect(store.list().map((design) => design.location)).toEqual([
      '/designs/a.topo.json',
      '/designs/b.topo.json',
    ]);
    expect(store.list()[0]).toMatchObject({ fileName: 'a.topo.json' });
    const reopened = await open();
    expect(reopened.list()).toEqual(store.list());
    expect(reopened.has('/designs/b.topo.json')).toBe(true);
    expect(reopened.has('/designs/c.topo.json')).toBe(false);
  });

  it('keeps at most its limit', async () => {
    const { store } = await recentStore({ limit: 3 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) await store.add(`/designs/${name}.topo.json`);
    expect(store.list().map((design) => design.fileName)).toEqual([
      'e.topo.json',
      'd.topo.json',
      'c.topo.json',
    ]);
  });

  it('removes and clears, and says when it changed', async () => {
    const { store, open } = await recentStore();
    let changes = 0;
    store.onChange(() => changes++);
    await store.add('/designs/a.topo.json');
    await store.add('/designs/b.topo.json');
    await store.remove('/designs/a.topo.json');
    expect(store.list().map((design) => design.fileName)).toEqual(['b.topo.json']);
    await store.clear();
    expect((await open()).list()).toEqual([]);
    expect(changes).toBe(4);
  });

  it('compares Windows paths without case', async () => {
    const { store } = await recentStore({ platform: 'win32' });
    await store.add('C:\\Designs\\Plan.topo.json');
    await store.add('c:\\designs\\plan.topo.json');
    expect(store.list()).toHaveLength(1);
    expect(store.has('C:\\DESIGNS\\PLAN.TOPO.JSON')).toBe(true);
  });

  it('starts empty from a damaged file, and drops entries that are not designs', async () => {
    const { file, store, open } = await recentStore();
    await store.add('/designs/a.topo.json');
    await writeFile(file, '{"format":1,"designs":[{"fileName":"x"');
    expect((await open()).list()).toEqual([]);
    await writeFile(
      file,
      JSON.stringify({
        format: 1,
        designs: [
          { fileName: 'a.topo.json', location: '/designs/a.topo.json', usedAt: '2025-01-01T10:00:00.000Z' },
          { fileName: 'relative', location: 'relative.topo.json', usedAt: '' },
          { fileName: 42, location: '/designs/b.topo.json', usedAt: '' },
          'nonsense',
        ],
      }),
    );
    expect((await open()).list().map((design) => design.location)).toEqual(['/designs/a.topo.json']);
  });

  it('writes its file whole, leaving no temporary files', async () => {
    const { file, store } = await recentStore();
    await Promise.all(['a', 'b', 'c'].map((name) => store.add(`/designs/${name}.topo.json`)));
    const stored = JSON.parse(await readFile(file, 'utf8')) as { designs: { fileName: string }[] };
    expect(stored.designs.map((design) => design.fileName)).toEqual([
      'c.topo.json',
      'b.topo.json',
      'a.topo.json',
    ]);
    expect(await readdir(join(file, '..'))).toEqual(['recent-designs.json']);
  });
});

describe('recovery copies', () => {
  it('keeps one copy per window, newest first, and removes it', async () => {
    const folder = join(await temporaryFolder(), 'recovery');
    const store = new RecoveryStore({ folder, now: clock() });
    await store.write('window-1', { fileName: 'a.topo.json', text: 'first' });
    await store.write('window-2', {
      fileName: 'b.topo.json',
      location: '/designs/b.topo.json',
      text: 'second',
    });
    await store.write('window-1', { fileName: 'a.topo.json', text: 'first, later' });
    const copies = await store.list();
    expect(copies.map((copy) => [copy.id, copy.text])).toEqual([
      ['window-1', 'first, later'],
      ['window-2', 'second'],
    ]);
    expect(copies[1]).toMatchObject({ location: '/designs/b.topo.json' });
    await store.remove('window-1');
    await store.remove('window-1');
    expect((await store.list()).map((copy) => copy.id)).toEqual(['window-2']);
  });

  it('skips damaged copies and foreign files, and lists nothing without a folder', async () => {
    const folder = join(await temporaryFolder(), 'recovery');
    const store = new RecoveryStore({ folder, now: clock() });
    expect(await store.list()).toEqual([]);
    await store.write('window-1', { fileName: 'a.topo.json', text: 'kept' });
    await writeFile(join(folder, 'window-2.recovery.json'), '{"format":1,');
    await writeFile(join(folder, 'notes.txt'), 'hello');
    await writeFile(join(folder, 'Bad Id.recovery.json'), '{}');
    expect((await store.list()).map((copy) => copy.id)).toEqual(['window-1']);
  });

  it('refuses an id that could name another file', async () => {
    const store = new RecoveryStore({ folder: await temporaryFolder() });
    expect(() => store.write('../recent-designs', { fileName: 'x', text: '' })).toThrow(/not a recovery id/);
  });

  it('asks for a copy on every interval while dirty, and never while clean', () => {
    const timers: { callback: () => void; milliseconds: number }[] = [];
    const fake: IntervalTimers = {
      setInterval: (callback, milliseconds) => timers.push({ callback, milliseconds }) - 1,
      clearInterval: (handle) => timers.splice(handle as number, 1),
    };
    let requests = 0;
    const scheduler = new RecoveryScheduler(() => requests++, 30_000, fake);
    scheduler.setDirty(false);
    expect(timers).toHaveLength(0);
    scheduler.setDirty(true);
    scheduler.setDirty(true);
    expect(timers).toEqual([{ callback: expect.any(Function), milliseconds: 30_000 }]);
    timers[0]!.callback();
    timers[0]!.callback();
    expect(requests).toBe(2);
    scheduler.setDirty(false);
    expect(timers).toHaveLength(0);
    scheduler.setDirty(true);
    scheduler.stop();
    expect(timers).toHaveLength(0);
  });
});
