/**
 * What the main process does for the host members (core/host.ts): file dialogs, reading designs,
 * atomic saves, the recent list, bundle and picture exports. Dialogs and file access are injected,
 * so tests run it in plain Node.
 *
 * The page never names a file main will touch unless the person chose it: main reads and writes
 * only locations that came from a dialog, the operating system (a double-clicked file, the command
 * line) or the recent list, and a location the page makes up is answered with a Save As dialog.
 */
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type {
  ExportResult,
  ImageExportRequest,
  OpenedDesign,
  RecentDesign,
  SaveDesignRequest,
  SavedDesign,
} from '../../core/host';
import { describeFileError } from '../../core/file-errors';
import { generateBundle } from '../../core/generate/index';
import { UnsafeValueError } from '../../core/generate/quote';
import { describeProblem, parseDesign } from '../../core/load';
import { validateDesign } from '../../core/rules';
import { indexDesign } from '../../core/design-index';
import type { Finding } from '../../core/rules/catalogue';
import { nodeSha256 } from '../../deploy/hash';
import { BundleWriteError, writeBundle as writeBundleToDisk } from '../../deploy/write-bundle';
import { ExportWriteError, writeExportFolder } from '../../deploy/write-export';
import { exportBundleToAnsible } from '../../core/ansible/export';
import type { Bundle } from '../../core/generate/index';
import type { BundleExportMessage } from '../preload/protocol';
import { AtomicWriteError, nodeAtomicFileSystem, writeFileAtomically } from './atomic-file';
import type { AtomicFileSystem } from './atomic-file';
import { HostError } from './ipc';
import { locationKey } from './recent-designs';
import type { RecentDesignsStore } from './recent-designs';

/** The largest design file opened, in bytes (see MAX_DESIGN_TEXT). */
export const MAX_DESIGN_BYTES = 64 * 1024 * 1024;

/** The native dialogs the service opens, each parented to the asking window. */
export interface DesignDialogs<Window> {
  /** An existing design file, or undefined when cancelled. */
  chooseDesignToOpen(window: Window, defaultFolder: string): Promise<string | undefined>;
  /** Where to save a design (Save As). */
  chooseDesignLocation(window: Window, defaultPath: string): Promise<string | undefined>;
  /** The folder to write a bundle into. */
  chooseBundleFolder(window: Window, defaultPath: string): Promise<string | undefined>;
  /** Where to write a picture. */
  chooseImageLocation(
    window: Window,
    defaultPath: string,
    format: 'png' | 'svg',
  ): Promise<string | undefined>;
  /** The refusal rule of `topoforge generate`: error findings stop an export unless the person confirms. */
  confirmExportWithErrors(window: Window, errors: Finding[]): Promise<boolean>;
}

/** How designs are read. */
export interface DesignFileReader {
  size(path: string): Promise<number>;
  readText(path: string): Promise<string>;
}

const nodeDesignFileReader: DesignFileReader = {
  size: async (path) => (await nodeFs.stat(path)).size,
  readText: (path) => nodeFs.readFile(path, 'utf8'),
};

/** Options of {@link DesignService}. */
export interface DesignServiceOptions<Window> {
  dialogs: DesignDialogs<Window>;
  recent: RecentDesignsStore;
  /** Where dialogs start when nothing is open, e.g. the Documents folder. */
  documentsFolder: string;
  reader?: DesignFileReader;
  atomicFileSystem?: AtomicFileSystem;
  writeBundle?: (bundle: Bundle, folder: string) => Promise<unknown>;
  platform?: NodeJS.Platform;
  /** Receives problems that do not fail the request (the recent list could not be written). */
  warn?: (message: string) => void;
}

/** `name.topo.json` stays; anything else gets `.topo.json` appended. */
export function withDesignExtension(path: string): string {
  return /\.json$/i.test(path) ? path : `${path}.topo.json`;
}

/** A file name from the page, reduced to a plain name that cannot name another folder. */
export function plainFileName(name: string, fallback: string): string {
  const cleaned = name
    .replace(/[\p{Cc}/\\:*?"<>|]/gu, '-')
    .replace(/^[.\s]+/, '')
    .trim();
  return cleaned === '' ? fallback : cleaned;
}

/** The sentence for a file that cannot be read. */
function readFailure(error: unknown, path: string): HostError {
  const code = (error as NodeJS.ErrnoException).code;
  const name = basename(path);
  if (code === 'ENOENT') return new HostError(`${name} no longer exists at ${dirname(path)}`);
  if (code === 'EACCES' || code === 'EPERM') return new HostError(`permission denied: cannot read ${name}`);
  if (code === 'EISDIR') return new HostError(`${name} is a folder, not a design file`);
  return new HostError(`cannot read ${name}: ${describeFileError(error)}`);
}

/** Decodes the picture the page drew; refuses one that is not the format it claims. */
export function decodeImage(request: ImageExportRequest): Uint8Array {
  const comma = request.dataUrl.indexOf(',');
  const header = request.dataUrl.slice('data:'.length, comma);
  const body = request.dataUrl.slice(comma + 1);
  const type = header.split(';')[0];
  const expected = request.format === 'png' ? 'image/png' : 'image/svg+xml';
  if (comma < 0 || type !== expected)
    throw new HostError(`the picture is not ${request.format.toUpperCase()}`);
  const bytes = header.endsWith(';base64')
    ? Buffer.from(body, 'base64')
    : Buffer.from(decodeURIComponent(body), 'utf8');
  const isPng =
    bytes.length > 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  if (request.format === 'png' && !isPng) throw new HostError('the picture is not PNG');
  return bytes;
}

/** The main-process side of the host interface. */
export class DesignService<Window> {
  private readonly granted = new Set<string>();
  private readonly reader: DesignFileReader;
  private readonly atomicFileSystem: AtomicFileSystem;
  private readonly writeBundle: (bundle: Bundle, folder: string) => Promise<unknown>;
  private readonly platform: NodeJS.Platform;
  private readonly warn: (message: string) => void;

  constructor(private readonly options: DesignServiceOptions<Window>) {
    this.reader = options.reader ?? nodeDesignFileReader;
    this.atomicFileSystem = options.atomicFileSystem ?? nodeAtomicFileSystem;
    this.writeBundle = options.writeBundle ?? writeBundleToDisk;
    this.platform = options.platform ?? process.platform;
    this.warn = options.warn ?? (() => undefined);
  }

  /** Lets main read and write `location`: the person chose it. */
  grant(location: string): void {
    this.granted.add(locationKey(location, this.platform));
  }

  /** Whether the person chose `location` in this session. */
  isGranted(location: string): boolean {
    return this.granted.has(locationKey(location, this.platform));
  }

  private remember(location: string): void {
    this.grant(location);
    this.options.recent.add(location).catch((error: unknown) => {
      this.warn(`the recent designs list could not be written: ${(error as Error).message}`);
    });
  }

  private folderNear(location: string | undefined): string {
    return location !== undefined && this.isGranted(location)
      ? dirname(location)
      : this.options.documentsFolder;
  }

  /**
   * Reads a design the person or the operating system named. Throws a {@link HostError} that
   * says why it cannot; `code` `ENOENT` when the file is gone.
   */
  async openPath(path: string): Promise<OpenedDesign> {
    let text: string;
    try {
      const size = await this.reader.size(path);
      if (size > MAX_DESIGN_BYTES)
        throw new HostError(
          `${basename(path)} is ${Math.round(size / 1024 / 1024)} MB; Topoforge opens designs up to ${MAX_DESIGN_BYTES / 1024 / 1024} MB`,
        );
      text = await this.reader.readText(path);
    } catch (error) {
      if (error instanceof HostError) throw error;
      throw Object.assign(readFailure(error, path), { code: (error as NodeJS.ErrnoException).code });
    }
    this.remember(path);
    return { fileName: basename(path), text, location: path };
  }

  /** File › Open. */
  async openDesign(window: Window, current?: string): Promise<OpenedDesign | undefined> {
    const path = await this.options.dialogs.chooseDesignToOpen(window, this.folderNear(current));
    return path === undefined ? undefined : this.openPath(path);
  }

  /** Opens an entry of the recent list; undefined (and off the list) when its file is gone. */
  async openRecentDesign(recent: RecentDesign): Promise<OpenedDesign | undefined> {
    if (!this.options.recent.has(recent.location))
      throw new HostError('that design is not on the recent list; open it with File › Open');
    try {
      return await this.openPath(recent.location);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await this.options.recent.remove(recent.location).catch(() => undefined);
      return undefined;
    }
  }

  /** The recent list, newest first. */
  recentDesigns(): RecentDesign[] {
    return this.options.recent.list();
  }

  /**
   * Save (`alwaysAsk` false) writes back to the request's location when the person chose it;
   * Save As, or a location main never handed out, asks where. The write is atomic.
   */
  async saveDesign(
    window: Window,
    request: SaveDesignRequest,
    alwaysAsk: boolean,
  ): Promise<SavedDesign | undefined> {
    const known =
      request.location !== undefined && this.isGranted(request.location) ? request.location : undefined;
    let target = alwaysAsk ? undefined : known;
    if (target === undefined) {
      const name = withDesignExtension(plainFileName(basename(request.fileName), 'untitled.topo.json'));
      const chosen = await this.options.dialogs.chooseDesignLocation(
        window,
        join(this.folderNear(known), name),
      );
      if (chosen === undefined) return undefined;
      target = withDesignExtension(chosen);
    }
    try {
      await writeFileAtomically(target, request.text, this.atomicFileSystem);
    } catch (error) {
      if (error instanceof AtomicWriteError) throw new HostError(error.message);
      throw error;
    }
    this.remember(target);
    return { fileName: basename(target), location: target };
  }

  /**
   * Generates the bundle from the design and writes it into a folder the person picks, refusing
   * while error findings remain unless they confirm (as `topoforge generate --force`); with
   * `format: 'ansible'`, its Ansible inventory and playbook instead (docs/ansible.md), into a new
   * or empty folder.
   */
  async exportBundle(
    window: Window,
    message: BundleExportMessage,
    current?: string,
  ): Promise<ExportResult | undefined> {
    const loaded = parseDesign(message.designText);
    if (!loaded.ok) throw new HostError(`the design does not load: ${describeProblem(loaded.problems[0]!)}`);
    const index = indexDesign(loaded.design);
    const errors = validateDesign(index).findings.filter((finding) => finding.severity === 'error');
    if (errors.length > 0 && !(await this.options.dialogs.confirmExportWithErrors(window, errors)))
      return undefined;
    const ansible = message.format === 'ansible';
    const name = plainFileName(
      ansible ? message.name.replace(/-bundle$/, '-ansible') : message.name,
      'bundle',
    );
    const folder = await this.options.dialogs.chooseBundleFolder(
      window,
      join(this.folderNear(current), name),
    );
    if (folder === undefined) return undefined;
    let bundle: Bundle;
    try {
      bundle = generateBundle(index, { sha256: nodeSha256 });
    } catch (error) {
      if (error instanceof UnsafeValueError) throw new HostError(error.message);
      throw error;
    }
    if (ansible) {
      const files = exportBundleToAnsible(bundle, loaded.design);
      try {
        await writeExportFolder(files, folder);
      } catch (error) {
        if (error instanceof ExportWriteError) throw new HostError(error.message);
        throw error;
      }
      return { location: folder, fileCount: files.length };
    }
    try {
      await this.writeBundle(bundle, folder);
    } catch (error) {
      // It says what failed and that the folder still holds the previous bundle, whole.
      if (error instanceof BundleWriteError) throw new HostError(error.message);
      throw error;
    }
    return { location: folder, fileCount: bundle.files.length + 1 };
  }

  /** Writes a picture of the diagram where the person picks. */
  async exportImage(
    window: Window,
    request: ImageExportRequest,
    current?: string,
  ): Promise<ExportResult | undefined> {
    const bytes = decodeImage(request);
    const extension = `.${request.format}`;
    let name = plainFileName(basename(request.fileName), `topology${extension}`);
    if (!name.toLowerCase().endsWith(extension)) name += extension;
    const chosen = await this.options.dialogs.chooseImageLocation(
      window,
      join(this.folderNear(current), name),
      request.format,
    );
    if (chosen === undefined) return undefined;
    try {
      await writeFileAtomically(chosen, bytes, this.atomicFileSystem);
    } catch (error) {
      if (error instanceof AtomicWriteError) throw new HostError(error.message);
      throw error;
    }
    return { location: chosen, fileCount: 1 };
  }
}
