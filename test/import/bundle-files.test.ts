import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { placeFile } from '../../core/import/bundle-files';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('placing the files of an import folder', () => {
  it('places every host file of every golden bundle on its host with the daemon that reads it', () => {
    for (const bundle of readdirSync(GOLDEN)) {
      const root = join(GOLDEN, bundle);
      for (const file of filesUnder(root)) {
        const placed = placeFile(relative(root, file));
        if (placed === undefined) continue;
        if (relative(root, file).startsWith('scripts/')) expect(placed, file).toHaveProperty('script');
        else expect(placed, file).toHaveProperty('daemon');
      }
    }
  });

  it('names the host, the path, the daemon and the unit', () => {
    expect(placeFile('hosts/lb-1/etc/haproxy/haproxy.cfg')).toEqual({
      host: 'lb-1',
      path: '/etc/haproxy/haproxy.cfg',
      daemon: 'haproxy',
      unit: 'haproxy.service',
    });
    expect(placeFile('hosts/tm-1/etc/systemd/system/mnt-teramind.mount')).toMatchObject({
      host: 'tm-1',
      daemon: 'mount-unit',
    });
  });

  it('keeps a file no daemon claims on its host, without a daemon, and reports a file outside hosts/', () => {
    expect(placeFile('hosts/web-1/etc/nginx/conf.d/extra.conf')).toEqual({
      host: 'web-1',
      path: '/etc/nginx/conf.d/extra.conf',
    });
    expect(placeFile('notes.txt')).toEqual({
      file: 'notes.txt',
      reason: 'not under hosts/<host>/, so it belongs to no host',
    });
    expect(placeFile('inventory.json')).toBeUndefined();
    expect(placeFile('scripts/mongodb-rs0-init.js')).toEqual({ script: 'scripts/mongodb-rs0-init.js' });
  });
});
