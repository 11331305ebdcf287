/**
 * The export writer (deploy/write-export.ts) as the desktop app uses it: a new or empty folder,
 * every file created, nothing replaced; and as the CLI uses it: its own files replaced, never
 * through a symbolic link.
 */
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportWriteError, writeExportFolder } from '../../deploy/write-export';
import { temporaryFolder } from '../lab/temporary';

const FILES = [
  { path: 'inventory.yml', content: 'all: {}\n' },
  { path: 'files/web-1/etc/nginx/nginx.conf', content: 'events {}\n' },
];

describe('writing an export folder', () => {
  it('fills a new folder, and refuses one that holds anything, changing nothing in it', async () => {
    const folder = await temporaryFolder('topoforge-write-export-');
    await writeExportFolder(FILES, join(folder, 'new'));
    expect(readFileSync(join(folder, 'new/files/web-1/etc/nginx/nginx.conf'), 'utf8')).toBe('events {}\n');

    const used = join(folder, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'notes.txt'), 'mine\n');
    await expect(writeExportFolder(FILES, used)).rejects.toThrow(`${used} is not empty`);
    expect(readdirSync(used)).toEqual(['notes.txt']);
  });

  it('in replace mode refuses a folder on the way that is a link, and writes nothing where it points', async () => {
    const folder = await temporaryFolder('topoforge-write-export-');
    const out = join(folder, 'out');
    const elsewhere = join(folder, 'elsewhere');
    mkdirSync(out);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(out, 'files'));
    const written = writeExportFolder(FILES, out, { replace: true });
    await expect(written).rejects.toBeInstanceOf(ExportWriteError);
    await expect(written).rejects.toThrow(`${join(out, 'files')} is a symbolic link`);
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
