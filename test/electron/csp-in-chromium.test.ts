/**
 * The built designer under the desktop's headers, in Debian's Chromium: dist/web is served through
 * the same handler as `app://topoforge/` (serveAppRequest, so the same Content Security Policy
 * and other headers), the page starts, its analysis worker answers, and it draws PNG and SVG
 * pictures of the canvas, and the Resilience view draws its charts. Not one CSP violation may occur. Electron's Chromium enforces the same policy; only
 * the origin differs (http://127.0.0.1 here, app://topoforge there).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveAppRequest } from '../../electron/main/app-protocol';

const CHROMIUM = '/usr/bin/chromium';
const WEB_ROOT = join(import.meta.dirname, '..', '..', 'dist', 'web');
const missing = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing`
  : !existsSync(join(WEB_ROOT, 'index.html'))
    ? 'dist/web is missing (npm run build:web)'
    : undefined;
if (missing && process.env.CI === 'true') throw new Error(`the CSP check cannot run in CI: ${missing}`);

let server: Server;
let base: string;

beforeAll(async () => {
  if (missing) return;
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'app://topoforge');
    void serveAppRequest({ url: url.href, method: request.method ?? 'GET' }, WEB_ROOT).then((answer) => {
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body ? Buffer.from(answer.body) : undefined);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
});

afterAll(async () => {
  if (server) await new Promise((done) => server.close(done));
});

describe.skipIf(missing !== undefined)('the designer under the desktop CSP', () => {
  it('starts, analyses and draws pictures without a single violation', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const violations: string[] = [];
      const errors: string[] = [];
      await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
      // Page code is passed as text: it runs in the browser, where this file's Node types do not apply.
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (event) =>
          window.reportViolation(event.effectiveDirective + ' blocked ' + event.blockedURI));`,
      });
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));

      await page.goto(base);
      await page.waitForFunction('Boolean(window.topoforge)');
      const pictures = (await page.evaluate(`(async () => {
        const handle = window.topoforge;
        for (let tries = 0; tries < 100 && (!handle.services.canvas || !handle.store.getState().analysis); tries++)
          await new Promise((resolve) => setTimeout(resolve, 100));
        const canvas = handle.services.canvas;
        return {
          analysed: Boolean(handle.store.getState().analysis),
          png: canvas ? (await canvas.capture('png')).slice(0, 22) : 'no canvas',
          svg: canvas ? (await canvas.capture('svg')).slice(0, 18) : 'no canvas',
        };
      })()`)) as { analysed: boolean; png: string; svg: string };
      expect(pictures).toEqual({ analysed: true, png: 'data:image/png;base64,', svg: 'data:image/svg+xml' });

      // The Resilience view draws its charts with Chart.js: on a page that is not blank.
      await page.getByTestId('menu-file').click();
      await page.getByTestId('example-tessera-ha').click();
      await page.getByTestId('tab-resilience').click();
      await page.getByTestId('resilience-recovery-chart-q2t').scrollIntoViewIfNeeded();
      // Drawn once scrolled into sight (an IntersectionObserver), a frame or two after it appears.
      const painted = () =>
        page.evaluate(`(() => {
        const canvas = document.querySelector('[data-testid="resilience-recovery-chart-q2t"]');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
        return painted;
      })()`);
      await expect.poll(painted, { timeout: 10_000 }).toBeGreaterThan(1000);
      expect(violations).toEqual([]);
      expect(errors.filter((text) => /Content Security Policy|Refused to/.test(text))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
