// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { createBrowserHost, dataUrlToBlob } from '../../renderer/host/browser-host';

function memoryStorage() {
  const values = new Map<string, string>();
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
  };
}

describe('the browser host', () => {
  it('downloads a saved design and remembers it among the recent designs', async () => {
    const storage = memoryStorage();
    let clock = 0;
    const host = createBrowserHost({
      archive: async () => new Uint8Array(),
      storage,
      now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, clock++)),
    });
    const clicked: string[] = [];
    document.addEventListener('click', (event) => {
      const target = event.target as HTMLAnchorElement;
      if (target.download) {
        clicked.push(target.download);
        event.preventDefault();
      }
    });
    await host.saveDesign({ fileName: 'a.topo.json', text: '{"a":1}' });
    await host.saveDesignAs({ fileName: 'b.topo.json', text: '{"b":2}' });
    await host.saveDesign({ fileName: 'a.topo.json', text: '{"a":3}' });
    expect(clicked).toEqual(['a.topo.json', 'b.topo.json', 'a.topo.json']);
    const recent = await host.recentDesigns();
    expect(recent.map((r) => r.fileName)).toEqual(['a.topo.json', 'b.topo.json']);
    expect(await host.openRecentDesign(recent[0]!)).toEqual({ fileName: 'a.topo.json', text: '{"a":3}' });
    expect(
      await host.openRecentDesign({ fileName: 'gone', location: 'recent:gone', usedAt: '' }),
    ).toBeUndefined();
  });

  it('decodes data URLs without fetch, which the CSP forbids', async () => {
    expect(await dataUrlToBlob('data:image/svg+xml;charset=utf-8,%3Csvg%3E%3C%2Fsvg%3E').text()).toBe(
      '<svg></svg>',
    );
    const png = dataUrlToBlob('data:image/png;base64,AAEC');
    expect(png.type).toBe('image/png');
    expect([...new Uint8Array(await png.arrayBuffer())]).toEqual([0, 1, 2]);
  });
});
