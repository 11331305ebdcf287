/**
 * End to end: the Rehearse view in the web build, in Debian's Chromium. A browser page cannot
 * create network namespaces, so the view opens from the toolbar, the View menu and its tab and
 * explains how to rehearse from the CLI instead of offering to run it; axe-core finds nothing to
 * fix in either theme. Screenshots in test-results/e2e/.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Designer, e2eAvailability, startLab } from './driver';
import type { Lab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 90_000;

describe.skipIf(!availability.run)('the Rehearse view in a browser', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab();
  }, 30_000);

  afterAll(async () => {
    await lab?.close();
  });

  it(
    'opens from the toolbar, the menu and its tab, and explains the CLI route instead of running',
    async () => {
      const app = await Designer.open(lab, 'rehearse');
      try {
        await app.openExample('tessera-ha');
        await app.page.getByTestId('rehearse-button').click();
        const route = app.page.getByTestId('rehearse-cli-route');
        await route.waitFor();
        expect(await app.page.getByTestId('rehearse-button').getAttribute('aria-pressed')).toBe('true');
        expect(await app.page.getByTestId('tab-rehearse').getAttribute('aria-selected')).toBe('true');
        expect(await app.page.getByTestId('rehearse-command').textContent()).toBe(
          'topoforge rehearse design.json --report report.html',
        );
        expect(await route.textContent()).toContain('a browser page cannot');
        // Nothing to start here: the page cannot run a lab.
        expect(await app.page.getByTestId('rehearse-start').count()).toBe(0);
        await app.shot('cli-route');

        // The toolbar's button closes it again; the View menu and the tab open it.
        await app.page.getByTestId('rehearse-button').click();
        await app.page.getByTestId('rehearse-view').waitFor({ state: 'detached' });
        await app.page.getByTestId('menu-view').click();
        await app.page.getByTestId('menu-rehearse').click();
        await route.waitFor();
        await app.page.getByTestId('tab-inspector').click();
        await app.page.getByTestId('tab-rehearse').click();
        await route.waitFor();
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'passes axe-core (WCAG 2.1 AA) in both themes',
    async () => {
      for (const theme of ['light', 'dark'] as const) {
        const app = await Designer.open(lab, `rehearse-accessible-${theme}`, { theme });
        try {
          await app.openExample('expertflow-two-sites');
          await app.page.getByTestId('tab-rehearse').click();
          await app.page.getByTestId('rehearse-cli-route').waitFor();
          const result = await new AxeBuilder({ page: app.page })
            .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
            .analyze();
          expect(
            result.violations.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
          ).toEqual([]);
        } finally {
          await app.shot('last');
          await app.close();
        }
      }
    },
    2 * TIMEOUT,
  );
});
