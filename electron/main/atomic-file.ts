/**
 * Atomic file replacement for designs, recent files and recovery copies: the new content goes to
 * a temporary file in the same folder, is flushed to the disk (fsync), and is renamed over the
 * target; then the folder itself is flushed, so the rename survives a power cut. Until the rename
 * the old file is untouched, so a crash or a full disk mid-save never damages it.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** An open file, as the writer uses it. */
export interface WritableFile {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file operations of an atomic write; tests inject failures (a full disk) through it. */
export interface AtomicFileSystem {
  /** Resolves symbolic links, so a linked design is replaced where it really lives. */
  realpath(path: string): Promise<string>;
  /** Permission bits of an existing file. */
  mode(path: string): Promise<number>;
  /** Creates a file that must not exist yet. */
  create(path: string, mode: number): Promise<WritableFile>;
  chmod(path: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Flushes a folder's entries (the rename) to the disk; platforms that cannot may throw. */
  syncFolder(path: string): Promise<void>;
}

const isWindows = process.platform === 'win32';
const delay = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The machine's file system. */
export const nodeAtomicFileSystem: AtomicFileSystem = {
  realpath: (path) => nodeFs.realpath(path),
  mode: async (path) => (await nodeFs.stat(path)).mode & 0o7777,
  async create(path, mode) {
    const handle = await nodeFs.open(path, 'wx', mode);
    return {
      write: (buffer, offset, length) => handle.write(buffer, offset, length),
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  chmod: (path, mode) => nodeFs.chmod(path, mode),
  async rename(from, to) {
    // On Windows a virus scanner or indexer briefly holding the target makes rename fail; retry.
    for (let attempt = 0; ; attempt++) {
      try {
        return await nodeFs.rename(from, to);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (!isWindows || attempt >= 8 || !['EPERM', 'EACCES', 'EBUSY'].includes(code ?? '')) throw error;
        await delay(25 * 2 ** attempt);
      }
    }
  },
  unlink: (path) => nodeFs.unlink(path),
  async syncFolder(path) {
    const handle = await nodeFs.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Why a file could not be written; the file on disk is as it was before. */
export class AtomicWriteError extends Error {
  override name = 'AtomicWriteError';
  constructor(
    message: string,
    /** The errno code, e.g. `ENOSPC`. */
    readonly code: string | undefined,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** A sentence for the person: what failed, and that the old file is intact. */
function describeFailure(error: unknown, target: string): AtomicWriteError {
  const code = (error as NodeJS.ErrnoException).code;
  const name = basename(target);
  const folder = dirname(target);
  const unchanged = `${name} was not changed`;
  const messages: Record<string, string> = {
    ENOSPC: `the disk is full: ${unchanged}; free some space and save again`,
    EDQUOT: `the disk quota is used up: ${unchanged}`,
    EACCES: `permission denied: cannot write in ${folder}; ${unchanged}`,
    EPERM: `permission denied: cannot write in ${folder}; ${unchanged}`,
    EROFS: `${folder} is on a read-only file system: ${unchanged}`,
    ENOENT: `the folder ${folder} does not exist`,
    ENOTDIR: `${folder} is not a folder`,
    EISDIR: `${target} is a folder`,
  };
  const known = code === undefined ? undefined : messages[code];
  const message = known ?? `cannot write ${name}: ${(error as Error).message}; ${unchanged}`;
  return new AtomicWriteError(message, code, { cause: error });
}

async function resolveTarget(target: string, fileSystem: AtomicFileSystem): Promise<string> {
  try {
    return await fileSystem.realpath(target);
  } catch {
    return target;
  }
}

async function existingMode(target: string, fileSystem: AtomicFileSystem): Promise<number | undefined> {
  try {
    return await fileSystem.mode(target);
  } catch {
    return undefined;
  }
}

async function writeAll(file: WritableFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await file.write(bytes, offset, bytes.length - offset);
    if (bytesWritten <= 0)
      throw Object.assign(new Error('the disk accepted no more bytes'), { code: 'ENOSPC' });
    offset += bytesWritten;
  }
}

/**
 * Replaces `target` with `content` atomically. A new file gets mode 0666 less the umask, an
 * existing one keeps its mode. Throws {@link AtomicWriteError}; the temporary file is removed.
 */
export async function writeFileAtomically(
  target: string,
  content: string | Uint8Array,
  fileSystem: AtomicFileSystem = nodeAtomicFileSystem,
): Promise<void> {
  const destination = await resolveTarget(target, fileSystem);
  const folder = dirname(destination);
  const mode = await existingMode(destination, fileSystem);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const temporary = join(folder, `.${basename(destination)}.${randomBytes(6).toString('hex')}.tmp`);

  let created = false;
  try {
    const file = await fileSystem.create(temporary, mode ?? 0o666);
    created = true;
    let failure: unknown;
    try {
      await writeAll(file, bytes);
      await file.sync();
    } catch (error) {
      failure = error;
    }
    try {
      await file.close();
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw failure;
    if (mode !== undefined) await fileSystem.chmod(temporary, mode);
    await fileSystem.rename(temporary, destination);
    created = false;
  } catch (error) {
    if (created) await fileSystem.unlink(temporary).catch(() => undefined);
    throw describeFailure(error, destination);
  }
  try {
    await fileSystem.syncFolder(folder);
  } catch {
    // Windows cannot open a folder to flush it, and some file systems refuse; the rename is done.
  }
}
