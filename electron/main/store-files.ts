/**
 * The file access of the small stores under the user's data folder (recent designs, recovery
 * copies): whole files read as text and replaced atomically. Tests pass an in-memory one.
 */
import * as nodeFs from 'node:fs/promises';
import { writeFileAtomically } from './atomic-file';

/** What the stores need from the file system. */
export interface StoreFileSystem {
  /** Rejects with `code: 'ENOENT'` when the file does not exist. */
  readText(path: string): Promise<string>;
  /** Replaces the file atomically (see atomic-file.ts). */
  writeText(path: string, text: string): Promise<void>;
  /** Creates a folder and its parents. */
  makeFolder(path: string): Promise<void>;
  /** Names in a folder; empty when it does not exist. */
  list(path: string): Promise<string[]>;
  /** Removes a file; a missing one is fine. */
  remove(path: string): Promise<void>;
}

/** The machine's file system. */
export const nodeStoreFileSystem: StoreFileSystem = {
  readText: (path) => nodeFs.readFile(path, 'utf8'),
  writeText: (path, text) => writeFileAtomically(path, text),
  makeFolder: async (path) => void (await nodeFs.mkdir(path, { recursive: true })),
  async list(path) {
    try {
      return await nodeFs.readdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  },
  async remove(path) {
    try {
      await nodeFs.unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  },
};

/** Runs tasks one after another, so that writes of one store never overtake each other. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it, whether those failed or not. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
