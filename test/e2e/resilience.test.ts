/**
 * End to end: the Resilience view in the built designer, in Debian's Chromium. It opens from the
 * View menu, the toolbar and its key; Chart.js draws both charts of every entrypoint; an RTO
 * objective the VIP's move cannot meet turns its bar red; "Save as PNG" saves a picture with the
 * charts' pixels in it; axe-core finds nothing to fix. Screenshots in test-results/e2e/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../renderer/pictures';
import type { Pixels } from '../renderer/pictures';
import { Designer, SHOT_DIR, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 90_000;
/** Two themes, each opened, edited and audited: twice the time of one. */
const AUDIT_TIMEOUT = 2 * TIMEOUT;

/** A colour written `#rrggbb` or `rgb(r, g, b)`, as numbers. */
function rgbOf(colour: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour.trim());
  if (hex) return [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16), parseInt(hex[3]!, 16)];
  const [r, g, b] = colour.match(/\d+/g)!.map(Number);
  return [r!, g!, b!];
}

/** How many pixels of a picture are within a small distance of a colour. */
function countColour(picture: Pixels, colour: [number, number, number]): number {
  let count = 0;
  for (let i = 0; i < picture.data.length; i += 4) {
    const distance =
      Math.abs(picture.data[i]! - colour[0]) +
      Math.abs(picture.data[i + 1]! - colour[1]) +
      Math.abs(picture.data[i + 2]! - colour[2]);
    if (distance < 24 && picture.data[i + 3]! > 200) count++;
  }
  return count;
}

/** How many pixels of a chart's canvas are within a small distance of a colour, counted in the page. */
async function chartColourCount(
  app: Designer,
  testId: string,
  colour: [number, number, number],
): Promise<number> {
  return app.page.evaluate(
    ({ id, rgb }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"]`)!;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        const distance =
          Math.abs(data[i]! - rgb[0]) + Math.abs(data[i + 1]! - rgb[1]) + Math.abs(data[i + 2]! - rgb[2]);
        if (distance < 24 && data[i + 3]! > 200) count++;
      }
      return count;
    },
    { id: testId, rgb: colour },
  );
}

/** The page's value of a CSS colour variable. */
async function themeColour(app: Designer, variable: string): Promise<[number, number, number]> {
  return rgbOf(
    await app.page.evaluate(
      (name) => getComputedStyle(document.documentElement).getPropertyValue(name),
      variable,
    ),
  );
}

describe.skipIf(!availability.run)('the Resilience view in a browser', () => {
  const lab = useLab();

  it(
    'opens from the menu, the toolbar and its key, draws the charts, reddens a missed RTO and saves them as a PNG',
    async () => {
      const app = await Designer.open(lab(), 'resilience');
      try {
        await app.openExample('tessera-ha');
        await app.page.getByTestId('menu-view').click();
        await app.page.getByTestId('menu-resilience').click();
        const view = app.page.getByTestId('resilience-view');
        await app.page.getByTestId('resilience-entrypoint-q2t').waitFor();
        expect(await app.page.getByTestId('resilience-nines-q2t').textContent()).toBe('6.19');
        expect(await app.page.getByTestId('resilience-downtime-q2t').textContent()).toBe('0.3 min');

        const accent = await themeColour(app, '--accent');
        const down = await themeColour(app, '--down');
        for (const entrypoint of ['third-party', 'q2t', 'p2p']) {
          const contributors = `resilience-contributors-chart-${entrypoint}`;
          const recovery = `resilience-recovery-chart-${entrypoint}`;
          // Each chart is drawn when it comes into sight.
          await app.page.getByTestId(recovery).scrollIntoViewIfNeeded();
          await expect.poll(() => chartColourCount(app, recovery, accent)).toBeGreaterThan(500);
          // Bars in the accent colour: the chart was drawn, not a blank canvas.
          expect(await chartColourCount(app, contributors, accent)).toBeGreaterThan(500);
          expect(await chartColourCount(app, recovery, accent)).toBeGreaterThan(500);
          expect(await chartColourCount(app, recovery, down)).toBe(0);
        }
        await app.shot('view');

        // The VIP takes 3.45 s to move when lb-1 fails: an RTO of 3 s is missed, its bar turns red.
        const rto = app.page.getByTestId('resilience-objective-rto');
        await rto.scrollIntoViewIfNeeded();
        await rto.fill('3');
        await rto.press('Enter');
        await app.page.getByTestId('resilience-recovery-chart-q2t').scrollIntoViewIfNeeded();
        await expect
          .poll(() => chartColourCount(app, 'resilience-recovery-chart-q2t', down))
          .toBeGreaterThan(200);
        expect(await rto.getAttribute('data-missed')).toBe('true');
        expect(await app.page.getByTestId('resilience-rto-missed-q2t').textContent()).toBe(
          'Interrupted beyond its RTO objective of 3 s when host lb-1 fails.',
        );
        await app.shot('rto-missed');

        // The PNG carries the charts: accent bars, the red one, and the figures written above them.
        const download = app.page.waitForEvent('download');
        await app.page.getByTestId('resilience-save-png').click();
        const file = await download;
        expect(file.suggestedFilename()).toBe('tessera-ha-resilience.png');
        // Beside the screenshots, for a person to look at.
        const path = join(SHOT_DIR, `resilience-saved-${file.suggestedFilename()}`);
        await file.saveAs(path);
        const picture = decodePng(readFileSync(path));
        expect(picture.width).toBe(1800);
        expect(countColour(picture, accent)).toBeGreaterThan(5000);
        expect(countColour(picture, down)).toBeGreaterThan(500);

        // Its key closes and opens it; so does the toolbar's button.
        await app.page.locator('.react-flow__pane').click();
        await app.page.keyboard.press('r');
        await expect.poll(() => view.count()).toBe(0);
        await app.page.keyboard.press('r');
        await view.waitFor();
        await app.page.getByTestId('resilience-button').click();
        await expect.poll(() => view.count()).toBe(0);
        await app.page.getByTestId('resilience-button').click();
        await view.waitFor();
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'passes axe-core (WCAG 2.1 AA) in both themes, with its tables open',
    async () => {
      for (const theme of ['light', 'dark'] as const) {
        const app = await Designer.open(lab(), `resilience-accessible-${theme}`, { theme });
        try {
          await app.openExample('expertflow-two-sites');
          await app.page.getByTestId('tab-resilience').click();
          await app.page.getByTestId('resilience-entrypoint-chat').waitFor();
          await app.page.getByTestId('resilience-objective-availability').fill('99.995');
          await app.page.getByTestId('resilience-objective-availability').press('Enter');
          await app.page.getByTestId('resilience-missed-chat').waitFor();
          for (const summary of await app.page.locator('.resilience-table summary').all())
            await summary.click();
          expect(await app.accessibilityViolations(`resilience ${theme}`)).toEqual([]);
          await app.shot('audited');
        } finally {
          await app.shot('last');
          await app.close();
        }
      }
    },
    AUDIT_TIMEOUT,
  );
});
