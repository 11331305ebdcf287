/**
 * End to end, the overview (renderer/canvas/Overview.tsx) in the theme the person chose: switching
 * the theme from the View menu repaints the overview in the new theme's colours at once, not at
 * the next edit. The built designer (dist/web) in Debian's Chromium.
 */
import { describe, expect, it } from 'vitest';
import { Designer, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 120_000;

/** How many of the overview's pixels are the site colour of the page's current theme. */
async function siteColoured(app: Designer): Promise<number> {
  return app.page.evaluate(() => {
    const canvas = document.querySelector('.overview-map canvas') as HTMLCanvasElement;
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = getComputedStyle(canvas).getPropertyValue('--site-bg').trim();
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4)
      if (pixels[i] === r && pixels[i + 1] === g && pixels[i + 2] === b) count++;
    return count;
  });
}

describe.skipIf(!availability.run)('the overview in a browser', () => {
  const lab = useLab();

  it(
    'takes the colours of the theme chosen from the View menu as soon as it is chosen',
    async () => {
      const app = await Designer.open(lab(), 'canvas-overview');
      try {
        await app.openExample('expertflow-two-sites');
        await app.page.getByTestId('overview').waitFor();
        await expect.poll(() => siteColoured(app)).toBeGreaterThan(100);
        for (const theme of ['dark', 'light']) {
          await app.page.getByTestId('menu-view').click();
          await app.page.getByTestId('menu-theme').click();
          await expect
            .poll(() => app.page.evaluate(() => document.documentElement.dataset.theme))
            .toBe(theme);
          // No edit since: the overview repainted for the theme alone.
          await expect.poll(() => siteColoured(app)).toBeGreaterThan(100);
          await app.shot(theme);
        }
        expect(app.errors).toEqual([]);
      } finally {
        await app.close();
      }
    },
    TIMEOUT,
  );
});
