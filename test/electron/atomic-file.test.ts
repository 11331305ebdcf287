import { chmod, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicWriteError, nodeAtomicFileSystem, writeFileAtomically } from '../../electron/main/atomic-file';
import type { AtomicFileSystem } from '../../electron/main/atomic-file';
import { temporaryFolder } from './fakes';

const OLD = '{"format":1,"name":"The design as it was"}\n';
const NEW = `{"format":1,"name":"The new design","description":"${'x'.repeat(200_000)}"}\n`;

/** The machine's file system, with the disk filling up after `capacity` bytes of writes. */
function fillingDisk(capacity: number, calls: string[] = []): AtomicFileSystem {
  let written = 0;
  return {
    ...nodeAtomicFileSystem,
    async create(path, mode) {
      calls.push('create');
      const file = await nodeAtomicFileSystem.create(path, mode);
      return {
        async write(buffer, offset, length) {
          const room = capacity - written;
          if (room <= 0)
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          const result = await file.write(buffer, offset, Math.min(length, room, 4096));
          written += result.bytesWritten;
          calls.push('write');
          return result;
        },
        async sync() {
          await file.sync();
          calls.push('sync');
        },
        async close() {
          await file.close();
          calls.push('close');
        },
      };
    },
    async rename(from, to) {
      await nodeAtomicFileSystem.rename(from, to);
      calls.push('rename');
    },
    async syncFolder(path) {
      await nodeAtomicFileSystem.syncFolder(path);
      calls.push('sync folder');
    },
  };
}

async function designFile(): Promise<{ folder: string; file: string }> {
  const folder = await temporaryFolder();
  const file = join(folder, 'plan.topo.json');
  await writeFile(file, OLD);
  return { folder, file };
}

describe('atomic saves', () => {
  it('replaces the file: temporary file, fsync, close, rename, then the folder is flushed', async () => {
    const { folder, file } = await designFile();
    const calls: string[] = [];
    await writeFileAtomically(file, NEW, fillingDisk(Number.POSITIVE_INFINITY, calls));
    expect(await readFile(file, 'utf8')).toBe(NEW);
    expect(await readdir(folder)).toEqual(['plan.topo.json']);
    const order = calls.filter((call) => call !== 'write');
    expect(order).toEqual(['create', 'sync', 'close', 'rename', 'sync folder']);
  });

  it('creates a new file', async () => {
    const folder = await temporaryFolder();
    await writeFileAtomically(join(folder, 'new.topo.json'), 'text');
    expect(await readFile(join(folder, 'new.topo.json'), 'utf8')).toBe('text');
  });

  it('loses nothing when the disk fills up mid-write: the old file stays whole', async () => {
    const { folder, file } = await designFile();
    const save = writeFileAtomically(file, NEW, fillingDisk(10_000));
    await expect(save).rejects.toThrow(AtomicWriteError);
    await expect(save).rejects.toMatchObject({
      code: 'ENOSPC',
      message: 'the disk is full: plan.topo.json was not changed; free some space and save again',
    });
    expect(await readFile(file, 'utf8')).toBe(OLD);
    expect(await readdir(folder)).toEqual(['plan.topo.json']);
  });

  it('never truncates the old file, whichever step fails', async () => {
    const failing = (step: keyof AtomicFileSystem | 'sync' | 'close'): AtomicFileSystem => {
      const boom = () => Promise.reject(Object.assign(new Error(`EIO: ${step} failed`), { code: 'EIO' }));
      if (step === 'sync' || step === 'close')
        return {
          ...nodeAtomicFileSystem,
          async create(path, mode) {
            const file = await nodeAtomicFileSystem.create(path, mode);
            if (step === 'sync') return { ...file, sync: boom };
            return {
              ...file,
              async close() {
                await file.close();
                return boom();
              },
            };
          },
        };
      return { ...nodeAtomicFileSystem, [step]: boom };
    };
    for (const step of ['create', 'sync', 'close', 'chmod', 'rename'] as const) {
      const { folder, file } = await designFile();
      await expect(writeFileAtomically(file, NEW, failing(step)), step).rejects.toThrow(
        /plan\.topo\.json was not changed/,
      );
      expect(await readFile(file, 'utf8'), step).toBe(OLD);
      expect(await readdir(folder), step).toEqual(['plan.topo.json']);
    }
  });

  it('still counts as saved when the folder cannot be flushed (Windows cannot)', async () => {
    const { file } = await designFile();
    const noFolderSync: AtomicFileSystem = {
      ...nodeAtomicFileSystem,
      syncFolder: () => Promise.reject(Object.assign(new Error('EISDIR'), { code: 'EISDIR' })),
    };
    await writeFileAtomically(file, NEW, noFolderSync);
    expect(await readFile(file, 'utf8')).toBe(NEW);
  });

  it('keeps the permissions of the file it replaces', async () => {
    const { file } = await designFile();
    await chmod(file, 0o600);
    await writeFileAtomically(file, NEW);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('writes through a symbolic link to the real file, and keeps the link', async () => {
    const { folder, file } = await designFile();
    const link = join(folder, 'link.topo.json');
    await symlink(file, link);
    await writeFileAtomically(link, NEW);
    expect(await readFile(file, 'utf8')).toBe(NEW);
    expect((await stat(link)).isFile()).toBe(true);
    expect(await readFile(link, 'utf8')).toBe(NEW);
  });

  it('says plainly when the folder is gone', async () => {
    const folder = await temporaryFolder();
    await expect(writeFileAtomically(join(folder, 'missing', 'plan.topo.json'), NEW)).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringMatching(/^the folder .*missing does not exist$/),
    });
  });
});
