/**
 * The browser implementation of core/host.ts: files come from a file picker and leave as
 * downloads, recent designs live in localStorage, bundles become zip archives. It lets the
 * designer run and be tested in a plain browser (`npm run web`), without the desktop shell.
 */
import type { Bundle } from '../../core/generate/index';
import type { Design } from '../../core/model';
import type {
  ExportResult,
  OpenedDesign,
  RecentDesign,
  SaveDesignRequest,
  SavedDesign,
  TopoforgeHost,
} from '../../core/host';

/** What the browser host needs from its page; tests pass their own. */
export interface BrowserHostOptions {
  /** Zips a bundle (the app runs this in the generate worker). */
  archive: (bundle: Bundle, folder: string) => Promise<Uint8Array>;
  /** Zips the Ansible export of a bundle generated from `design` (also in the generate worker). */
  ansibleArchive?: (
    bundle: Bundle,
    design: Design,
    folder: string,
  ) => Promise<{ bytes: Uint8Array; fileCount: number }>;
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
  document?: Document;
  now?: () => Date;
}

const RECENT_KEY = 'topoforge.recent.v1';
const RECENT_LIMIT = 8;
/** Larger designs are not kept among the recent ones: localStorage holds about 5 MB in all. */
const RECENT_MAX_CHARS = 1_000_000;

interface StoredRecent extends RecentDesign {
  text: string;
}

/** Creates the browser host. */
export function createBrowserHost(options: BrowserHostOptions): TopoforgeHost {
  const page = options.document ?? document;
  const storage = options.storage ?? localStorage;
  const now = options.now ?? (() => new Date());

  const readRecent = (): StoredRecent[] => {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(RECENT_KEY) ?? '[]');
      return Array.isArray(parsed) ? (parsed as StoredRecent[]) : [];
    } catch {
      return [];
    }
  };
  const remember = (fileName: string, text: string) => {
    if (text.length > RECENT_MAX_CHARS) return;
    const location = `recent:${fileName}`;
    const kept = readRecent().filter((r) => r.location !== location);
    const next = [{ fileName, location, usedAt: now().toISOString(), text }, ...kept].slice(0, RECENT_LIMIT);
    try {
      storage.setItem(RECENT_KEY, JSON.stringify(next));
    } catch {
      // A full localStorage only costs the recent list; the file itself was saved.
    }
  };

  const download = (blob: Blob, fileName: string) => {
    const url = URL.createObjectURL(blob);
    const anchor = page.createElement('a');
    anchor.href = url;
    anchor.download = fileName;
    anchor.style.display = 'none';
    page.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  const saveAs = async (request: SaveDesignRequest): Promise<SavedDesign> => {
    download(new Blob([request.text], { type: 'application/json' }), request.fileName);
    remember(request.fileName, request.text);
    return { fileName: request.fileName };
  };

  return {
    platform: 'browser',

    openDesign: () =>
      new Promise<OpenedDesign | undefined>((resolve, reject) => {
        const input = page.createElement('input');
        input.type = 'file';
        input.accept = '.json,application/json';
        input.style.display = 'none';
        input.addEventListener('change', () => {
          const file = input.files?.[0];
          input.remove();
          if (!file) return resolve(undefined);
          file.text().then((text) => {
            remember(file.name, text);
            resolve({ fileName: file.name, text });
          }, reject);
        });
        input.addEventListener('cancel', () => {
          input.remove();
          resolve(undefined);
        });
        page.body.append(input);
        input.click();
      }),

    openRecentDesign: async (recent) => {
      const found = readRecent().find((r) => r.location === recent.location);
      if (!found) return undefined;
      remember(found.fileName, found.text);
      return { fileName: found.fileName, text: found.text };
    },

    recentDesigns: async () =>
      readRecent().map(({ fileName, location, usedAt }) => ({ fileName, location, usedAt })),

    // A page cannot write back to the file it read: Save downloads, as Save As does.
    saveDesign: saveAs,
    saveDesignAs: saveAs,

    exportBundle: async (request): Promise<ExportResult> => {
      if (request.format === 'ansible') {
        if (!options.ansibleArchive || request.design === undefined)
          throw new Error('this page cannot make the Ansible export');
        const { bytes, fileCount } = await options.ansibleArchive(
          request.bundle,
          request.design,
          request.name,
        );
        download(
          new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }),
          `${request.name}.zip`,
        );
        return { location: `${request.name}.zip`, fileCount };
      }
      const bytes = await options.archive(request.bundle, request.name);
      download(
        new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }),
        `${request.name}.zip`,
      );
      return { location: `${request.name}.zip`, fileCount: request.bundle.files.length + 1 };
    },

    exportImage: async (request): Promise<ExportResult> => {
      download(dataUrlToBlob(request.dataUrl), request.fileName);
      return { location: request.fileName, fileCount: 1 };
    },
  };
}

/** Decodes a `data:` URL; `fetch` cannot, as the page's CSP allows no `data:` connections. */
export function dataUrlToBlob(dataUrl: string): Blob {
  const comma = dataUrl.indexOf(',');
  const header = dataUrl.slice(5, comma);
  const body = dataUrl.slice(comma + 1);
  const type = header.split(';')[0] || 'application/octet-stream';
  if (header.endsWith(';base64')) {
    const binary = atob(body);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type });
  }
  return new Blob([decodeURIComponent(body)], { type });
}
