/**
 * Recovery copies: while a design has unsaved changes, the shell asks the page for its text every
 * {@link RECOVERY_INTERVAL_MS} and keeps it under `<userData>/recovery/`, one file per window,
 * written atomically. A successful save, or choosing not to save, removes it; a copy still there
 * at the next start means the app ended without either, and is offered back.
 */
import { join } from 'node:path';
import type { RecoveryCopy } from '../../core/host';
import { nodeStoreFileSystem, SerialQueue } from './store-files';
import type { StoreFileSystem } from './store-files';

/** How often a dirty design is copied. */
export const RECOVERY_INTERVAL_MS = 30_000;

const RECOVERY_ID = /^[a-z0-9-]{1,64}$/;
const SUFFIX = '.recovery.json';

/** A copy found on disk. */
export interface RecoveredDesign extends RecoveryCopy {
  /** The window key it was written under. */
  id: string;
  /** ISO 8601 time of the copy. */
  savedAt: string;
}

interface StoredCopy extends RecoveryCopy {
  format: 1;
  savedAt: string;
}

/** Options of {@link RecoveryStore}. */
export interface RecoveryStoreOptions {
  /** E.g. `<userData>/recovery`. */
  folder: string;
  fileSystem?: StoreFileSystem;
  now?: () => Date;
}

function isStoredCopy(value: unknown): value is StoredCopy {
  if (typeof value !== 'object' || value === null) return false;
  const copy = value as Record<string, unknown>;
  return (
    copy.format === 1 &&
    typeof copy.fileName === 'string' &&
    typeof copy.text === 'string' &&
    typeof copy.savedAt === 'string' &&
    (copy.location === undefined || typeof copy.location === 'string')
  );
}

/** The recovery folder. */
export class RecoveryStore {
  private readonly folder: string;
  private readonly fileSystem: StoreFileSystem;
  private readonly now: () => Date;
  private readonly queue = new SerialQueue();

  constructor(options: RecoveryStoreOptions) {
    this.folder = options.folder;
    this.fileSystem = options.fileSystem ?? nodeStoreFileSystem;
    this.now = options.now ?? (() => new Date());
  }

  private fileOf(id: string): string {
    if (!RECOVERY_ID.test(id)) throw new Error(`not a recovery id: ${JSON.stringify(id)}`);
    return join(this.folder, `${id}${SUFFIX}`);
  }

  /** Keeps `copy` as the recovery copy of `id`, replacing the previous one. */
  write(id: string, copy: RecoveryCopy): Promise<void> {
    const file = this.fileOf(id);
    const stored: StoredCopy = {
      format: 1,
      fileName: copy.fileName,
      ...(copy.location === undefined ? {} : { location: copy.location }),
      savedAt: this.now().toISOString(),
      text: copy.text,
    };
    return this.queue.run(async () => {
      await this.fileSystem.makeFolder(this.folder);
      await this.fileSystem.writeText(file, JSON.stringify(stored));
    });
  }

  /** Removes the copy of `id`, if any. */
  remove(id: string): Promise<void> {
    const file = this.fileOf(id);
    return this.queue.run(() => this.fileSystem.remove(file));
  }

  /** Every readable copy, newest first; damaged files are skipped, not deleted. */
  async list(): Promise<RecoveredDesign[]> {
    const names = await this.fileSystem.list(this.folder);
    const found: RecoveredDesign[] = [];
    for (const name of names) {
      if (!name.endsWith(SUFFIX)) continue;
      const id = name.slice(0, -SUFFIX.length);
      if (!RECOVERY_ID.test(id)) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(await this.fileSystem.readText(join(this.folder, name)));
      } catch {
        continue;
      }
      if (!isStoredCopy(parsed)) continue;
      found.push({
        id,
        fileName: parsed.fileName,
        ...(parsed.location === undefined ? {} : { location: parsed.location }),
        text: parsed.text,
        savedAt: parsed.savedAt,
      });
    }
    return found.sort((a, b) => (a.savedAt < b.savedAt ? 1 : a.savedAt > b.savedAt ? -1 : 0));
  }
}

/** The timer functions the scheduler uses; tests pass fake ones. */
export interface IntervalTimers {
  setInterval(callback: () => void, milliseconds: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: IntervalTimers = {
  setInterval: (callback, milliseconds) => setInterval(callback, milliseconds),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/**
 * Asks for a recovery copy every `intervalMs` while the document is dirty, and not at all while
 * it is clean.
 */
export class RecoveryScheduler {
  private handle: unknown;

  constructor(
    private readonly requestCopy: () => void,
    private readonly intervalMs: number = RECOVERY_INTERVAL_MS,
    private readonly timers: IntervalTimers = realTimers,
  ) {}

  /** Follows the document's dirty state. */
  setDirty(dirty: boolean): void {
    if (dirty && this.handle === undefined) {
      this.handle = this.timers.setInterval(this.requestCopy, this.intervalMs);
    } else if (!dirty) {
      this.stop();
    }
  }

  /** Stops asking (the window closed). */
  stop(): void {
    if (this.handle === undefined) return;
    this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }
}
