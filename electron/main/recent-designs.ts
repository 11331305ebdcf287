/**
 * The designs opened or saved before, newest first, kept in `recent-designs.json` under the user's
 * data folder and written atomically. The list is also what lets the page reopen a file by its
 * location: main opens only locations on it (see design-service.ts).
 */
import { dirname, posix, win32 } from 'node:path';
import type { RecentDesign } from '../../core/host';
import { nodeStoreFileSystem, SerialQueue } from './store-files';
import type { StoreFileSystem } from './store-files';

/** How many designs the list keeps. */
export const RECENT_DESIGNS_LIMIT = 10;

/** Options of {@link RecentDesignsStore.open}. */
export interface RecentDesignsOptions {
  /** The JSON file, e.g. `<userData>/recent-designs.json`. */
  file: string;
  fileSystem?: StoreFileSystem;
  now?: () => Date;
  limit?: number;
  /** Decides how paths compare: case-insensitively on Windows and macOS. */
  platform?: NodeJS.Platform;
}

interface StoredList {
  format: 1;
  designs: RecentDesign[];
}

/** The path rules of a platform, for comparing locations. */
export function pathsOf(platform: NodeJS.Platform): typeof posix {
  return platform === 'win32' ? win32 : posix;
}

/** A key under which two spellings of one file compare equal. */
export function locationKey(location: string, platform: NodeJS.Platform): string {
  const normalized = pathsOf(platform).normalize(location);
  return platform === 'win32' || platform === 'darwin' ? normalized.toLowerCase() : normalized;
}

function isRecentDesign(value: unknown, platform: NodeJS.Platform): value is RecentDesign {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.fileName === 'string' &&
    typeof entry.location === 'string' &&
    pathsOf(platform).isAbsolute(entry.location) &&
    typeof entry.usedAt === 'string'
  );
}

/** The recent designs list. */
export class RecentDesignsStore {
  private designs: RecentDesign[] = [];
  private readonly queue = new SerialQueue();
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly file: string,
    private readonly fileSystem: StoreFileSystem,
    private readonly now: () => Date,
    private readonly limit: number,
    private readonly platform: NodeJS.Platform,
  ) {}

  /** Reads the list; a missing or damaged file gives an empty one (it is only a convenience). */
  static async open(options: RecentDesignsOptions): Promise<RecentDesignsStore> {
    const platform = options.platform ?? process.platform;
    const store = new RecentDesignsStore(
      options.file,
      options.fileSystem ?? nodeStoreFileSystem,
      options.now ?? (() => new Date()),
      options.limit ?? RECENT_DESIGNS_LIMIT,
      platform,
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(await store.fileSystem.readText(options.file));
    } catch {
      return store;
    }
    const designs = (parsed as Partial<StoredList> | null)?.designs;
    if (!Array.isArray(designs)) return store;
    const seen = new Set<string>();
    for (const entry of designs) {
      if (!isRecentDesign(entry, platform)) continue;
      const key = locationKey(entry.location, platform);
      if (seen.has(key)) continue;
      seen.add(key);
      store.designs.push({ fileName: entry.fileName, location: entry.location, usedAt: entry.usedAt });
    }
    store.designs = store.designs.slice(0, store.limit);
    return store;
  }

  /** Newest first. */
  list(): RecentDesign[] {
    return this.designs.map((design) => ({ ...design }));
  }

  /** Whether `location` is on the list. */
  has(location: string): boolean {
    const key = locationKey(location, this.platform);
    return this.designs.some((design) => locationKey(design.location, this.platform) === key);
  }

  /** Puts `location` first (opened or saved just now) and writes the list. */
  add(location: string): Promise<void> {
    const paths = pathsOf(this.platform);
    const key = locationKey(location, this.platform);
    const entry: RecentDesign = {
      fileName: paths.basename(location),
      location: paths.normalize(location),
      usedAt: this.now().toISOString(),
    };
    this.designs = [
      entry,
      ...this.designs.filter((design) => locationKey(design.location, this.platform) !== key),
    ].slice(0, this.limit);
    return this.changed();
  }

  /** Takes `location` off the list (its file is gone). */
  remove(location: string): Promise<void> {
    const key = locationKey(location, this.platform);
    this.designs = this.designs.filter((design) => locationKey(design.location, this.platform) !== key);
    return this.changed();
  }

  /** Empties the list. */
  clear(): Promise<void> {
    this.designs = [];
    return this.changed();
  }

  /** Calls `listener` after every change (the native Open Recent menu is rebuilt from it). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private changed(): Promise<void> {
    for (const listener of this.listeners) listener();
    const snapshot: StoredList = { format: 1, designs: this.list() };
    return this.queue.run(async () => {
      await this.fileSystem.makeFolder(dirname(this.file));
      await this.fileSystem.writeText(this.file, `${JSON.stringify(snapshot, null, 2)}\n`);
    });
  }
}
