/**
 * Serves the built designer (dist/web) on `app://topoforge/`, each file with the CSP and the other
 * headers of security.ts. Only GET and HEAD, only that host, only files inside the folder: a path
 * that would climb out of it (`..`, encoded slashes, NUL) is refused before any disk access.
 */
import * as nodeFs from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { APP_HOST, APP_SCHEME, responseHeaders } from './security';

/** What the handler needs of the file system. */
export interface AppFileReader {
  /** Rejects with `code: 'ENOENT'` (or `EISDIR`) when there is no such file. */
  readFile(path: string): Promise<Uint8Array>;
}

/** The machine's file system (Electron reads inside `app.asar` through it too). */
export const nodeAppFileReader: AppFileReader = { readFile: (path) => nodeFs.readFile(path) };

/** A response, turned into a `Response` by the Electron glue. */
export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The MIME type served for a file name. */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file inside `root` that `url` names, or undefined when the URL is not one of the app's
 * files or tries to leave `root`.
 */
export function resolveAppPath(url: string, root: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  const segments: string[] = [];
  for (const raw of parsed.pathname.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '.' || segment === '..' || /[/\\\0:]/.test(segment)) return undefined;
    segments.push(segment);
  }
  if (segments.length === 0) segments.push('index.html');
  const base = resolve(root);
  const target = resolve(base, join(...segments));
  const inside = relative(base, target);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
    return undefined;
  return target;
}

const plain = (status: number, text: string): AppResponse => ({
  status,
  headers: responseHeaders('text/plain; charset=utf-8'),
  body: Buffer.from(text, 'utf8'),
});

/** Answers one request for an app file. */
export async function serveAppRequest(
  request: { url: string; method: string },
  root: string,
  reader: AppFileReader = nodeAppFileReader,
): Promise<AppResponse> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed');
  const path = resolveAppPath(request.url, root);
  if (path === undefined) return plain(404, 'Not found');
  let body: Uint8Array;
  try {
    body = await reader.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return plain(404, 'Not found');
    return plain(500, 'Cannot read the file');
  }
  const headers = responseHeaders(contentTypeOf(path));
  return request.method === 'HEAD' ? { status: 200, headers } : { status: 200, headers, body };
}
