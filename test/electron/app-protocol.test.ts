import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentTypeOf, resolveAppPath, serveAppRequest } from '../../electron/main/app-protocol';
import { contentSecurityPolicy } from '../../electron/main/security';
import { temporaryFolder } from '../lab/temporary';

let root: string;

beforeAll(async () => {
  const folder = await temporaryFolder('topoforge-app-');
  root = join(folder, 'web');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Topoforge</title>');
  await writeFile(join(root, 'assets', 'index-1.js'), 'console.log(1)');
  await writeFile(join(folder, 'secret.txt'), 'outside the app');
});

describe('serving the app files', () => {
  it('serves index.html for the root, with the CSP', async () => {
    const response = await serveAppRequest({ url: 'app://topoforge/', method: 'GET' }, root);
    expect(response.status).toBe(200);
    expect(response.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(response.headers['Content-Security-Policy']).toBe(contentSecurityPolicy());
    expect(Buffer.from(response.body!).toString()).toContain('<title>Topoforge</title>');
  });

  it('serves scripts as JavaScript, with the CSP (workers take theirs from it)', async () => {
    const response = await serveAppRequest({ url: 'app://topoforge/assets/index-1.js', method: 'GET' }, root);
    expect(response.status).toBe(200);
    expect(response.headers['Content-Type']).toMatch(/^text\/javascript/);
    expect(response.headers['Content-Security-Policy']).toBe(contentSecurityPolicy());
  });

  it('answers HEAD without a body, and refuses other methods', async () => {
    expect(
      (await serveAppRequest({ url: 'app://topoforge/index.html', method: 'HEAD' }, root)).body,
    ).toBeUndefined();
    expect((await serveAppRequest({ url: 'app://topoforge/index.html', method: 'POST' }, root)).status).toBe(
      405,
    );
  });

  it('never leaves the app folder', async () => {
    for (const url of [
      'app://topoforge/../secret.txt',
      'app://topoforge/%2e%2e/secret.txt',
      'app://topoforge/assets/%2e%2e%2f..%2fsecret.txt',
      'app://topoforge/..%5csecret.txt',
      'app://topoforge/assets%2f..%2f..%2fsecret.txt',
      'app://topoforge/index.html%00.js',
      'app://topoforge/C:%5cWindows%5cwin.ini',
      'app://topoforge/%E0%A4%A',
    ]) {
      const response = await serveAppRequest({ url, method: 'GET' }, root);
      expect(response.status, url).toBe(404);
      expect(Buffer.from(response.body ?? []).toString(), url).not.toContain('outside the app');
    }
  });

  it('serves nothing for another host or scheme, or a missing file', async () => {
    expect(resolveAppPath('app://elsewhere/index.html', root)).toBeUndefined();
    expect(resolveAppPath('file:///index.html', root)).toBeUndefined();
    expect((await serveAppRequest({ url: 'app://topoforge/missing.js', method: 'GET' }, root)).status).toBe(
      404,
    );
    expect((await serveAppRequest({ url: 'app://topoforge/assets', method: 'GET' }, root)).status).toBe(404);
  });

  it('names content types by extension', () => {
    expect(contentTypeOf('a.css')).toMatch(/^text\/css/);
    expect(contentTypeOf('a.woff2')).toBe('font/woff2');
    expect(contentTypeOf('a.unknown')).toBe('application/octet-stream');
  });
});
