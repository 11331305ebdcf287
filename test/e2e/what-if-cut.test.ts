/**
 * End to end: what-if's network cut in the built designer in Debian's Chromium. A person cuts the
 * primary's site off with the toolbar's list and sees the cut drawn (the site in a dashed band,
 * the links across it severed), the Sentinel group marked split brain (not down), the findings
 * panel's explanation, and each entrypoint's recovery on its badge; then cuts hosts off from the
 * context menu with the keyboard, and heals the cut. The page passes axe-core throughout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli';
import { Designer, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 120_000;
const FIXTURE = join(import.meta.dirname, '../fixtures/designs/sentinel-three-sites.topo.json');

describe.skipIf(!availability.run)('what-if: cutting the network in the designer', () => {
  const lab = useLab();

  it(
    "cuts the primary's site off from the toolbar, draws the cut, marks split brain and shows the CLI's recovery",
    async () => {
      const app = await Designer.open(lab(), 'what-if-cut');
      try {
        await app.openText('sentinel-three-sites.topo.json', readFileSync(FIXTURE, 'utf8'));
        const audit = async (view: string) => expect(await app.accessibilityViolations(view)).toEqual([]);

        await app.page.getByTestId('what-if-button').click();
        // No cut yet: nothing drawn, no recovery badge while nothing failed.
        await expect.poll(() => app.page.locator('[data-testid^="whatif-cut-off-"]').count()).toBe(0);
        expect(await app.page.getByTestId('whatif-recovery-badge-shop').count()).toBe(0);

        await app.page.getByTestId('whatif-cut-site').selectOption('dc-1');
        await app.settled();
        // The cut-off site and its host carry the "cut off" tag and the dashed band; the others do not.
        await app.page.getByTestId('whatif-cut-off-dc-1').waitFor();
        await app.page.getByTestId('whatif-cut-off-box-1').waitFor();
        expect(await app.page.getByTestId('whatif-cut-off-box-2').count()).toBe(0);
        expect(await app.page.getByTestId('whatif-cut-off-dc-2').count()).toBe(0);
        expect(await app.node('dc-1').getAttribute('class')).toMatch(/\bcut-off\b/);
        expect(await app.node('dc-1').evaluate((e) => getComputedStyle(e).outlineStyle)).toBe('dashed');
        // Both gateways' links to app-1 cross the cut: drawn severed, labelled so; none other is.
        const severed = app.page.locator('.react-flow__edge.severed');
        await expect.poll(() => severed.count()).toBe(2);
        expect(await severed.first().getAttribute('aria-label')).toMatch(/severed by the network cut$/);
        expect(
          await app.page.locator('.react-flow__edge.severed .react-flow__edge-text').first().textContent(),
        ).toMatch(/^✂ cut/);

        // Split brain: its own mark, in words, and not the mark of `down` or `up`.
        const mark = app.page.getByTestId('split-brain-mark-cache');
        await mark.waitFor();
        expect(await mark.textContent()).toMatch(/split brain/i);
        expect(await app.node('cache').getAttribute('class')).toMatch(/\bsplit-brain\b/);
        expect(await app.node('cache').getAttribute('class')).not.toMatch(/state-down|state-up/);

        // The same states, split brain and recovery as the CLI's simulate --partition dc-1.
        const cli = JSON.parse(
          (await runCli(['simulate', FIXTURE, '--partition', 'dc-1', '--json'])).stdout,
        ) as {
          entrypoints: {
            id: string;
            state: string;
            degraded: boolean;
            recovery: { seconds: number; by: string };
          }[];
          splitBrain: string[];
        };
        expect(cli.splitBrain).toEqual(['cache']);
        for (const entry of cli.entrypoints) {
          const shown = entry.state === 'up' && entry.degraded ? 'degraded' : entry.state;
          expect(await app.node(entry.id).locator('.state-tag').getAttribute('data-state')).toBe(shown);
          const badge = app.page.getByTestId(`whatif-recovery-badge-${entry.id}`);
          if (entry.recovery.seconds === 0) {
            // Clients served throughout: no "≈ 0 s" badge.
            expect(await badge.count()).toBe(0);
            continue;
          }
          expect(await badge.getAttribute('data-seconds')).toBe(String(entry.recovery.seconds));
          expect(await badge.getAttribute('data-by')).toBe(entry.recovery.by);
        }
        // The cut interrupts some entrypoints and not others: both cases are on screen.
        expect(cli.entrypoints.some((entry) => entry.recovery.seconds === 0)).toBe(true);
        expect(cli.entrypoints.some((entry) => entry.recovery.seconds !== 0)).toBe(true);
        // Weakened but never interrupted: its bubble says so in words instead.
        expect(await app.page.getByTestId('whatif-recovery-bubble-sessions').textContent()).toBe(
          'No interruption: its clients are served throughout.',
        );
        expect(await app.page.getByTestId('whatif-recovery-figure-sessions').textContent()).toBe(
          'no interruption',
        );
        await app.shot('site-cut-off');
        await audit('cut');

        // The table of every single failure names the cut that splits the group's brain.
        expect(await app.page.getByTestId('split-brain-row-dc-1').textContent()).toContain(
          'split brain: Redis with Sentinel',
        );
        expect(await app.page.locator('[data-testid^="split-brain-row-"]').count()).toBe(1);
        // The what-if panel says what was cut and explains the split brain.
        expect(await app.page.getByTestId('whatif-cut-chip').textContent()).toContain('Site 1');
        expect(await app.page.getByTestId('split-brain-what-if').textContent()).toContain(
          'minReplicasToWrite',
        );
        // The findings panel explains it once, in words, with the rule id.
        await app.page.getByTestId('tab-findings').click();
        const explanation = app.page.getByTestId('split-brain-now');
        await explanation.waitFor();
        const words = (await explanation.textContent()) ?? '';
        expect(words).toContain('What happened');
        expect(words).toContain('What data is at risk');
        expect(words).toContain('minReplicasToWrite');
        expect(words).toContain('redis.split-brain');
        await app.shot('findings-split-brain');
        await audit('findings');

        // Fail box-2 as well: the badge shows the Sentinel failover's seconds and says so.
        await app.page.getByTestId('tab-what-if').click();
        await app.page.getByTestId('whatif-cut-heal').click();
        await app.settled();
        expect(await app.page.locator('.cut-tag').count()).toBe(0);
        expect(await app.page.locator('.react-flow__edge.severed').count()).toBe(0);
        expect(await app.page.getByTestId('split-brain-mark-cache').count()).toBe(0);
        await app.node('box-1').locator('.container-title').click();
        await app.settled();
        const failed = JSON.parse(
          (await runCli(['simulate', FIXTURE, '--fail', 'box-1', '--json'])).stdout,
        ) as {
          entrypoints: { id: string; recovery: { seconds: number; by: string } }[];
        };
        const sessions = failed.entrypoints.find((e) => e.id === 'sessions')!;
        expect(sessions.recovery.by).toBe('sentinel');
        const badge = app.page.getByTestId('whatif-recovery-badge-sessions');
        expect(await badge.textContent()).toContain(`≈ ${sessions.recovery.seconds} s`);
        expect(await badge.getAttribute('title')).toMatch(/by Sentinel failover: Sentinel promotes r2/);
        await app.shot('recovery-badges');

        // Hosts against the rest, by keyboard: a click restores box-1 and selects it, a Shift-click
        // adds box-2 to the selection without failing it; Shift+F10 opens their menu.
        await app.node('box-1').locator('.container-title').click();
        await app
          .node('box-2')
          .locator('.container-title')
          .click({ modifiers: ['Shift'] });
        await app.settled();
        expect(
          await app.page.evaluate(() => {
            const state = (
              window as unknown as {
                topoforge: { store: { getState(): { failed: string[]; selection: string[] } } };
              }
            ).topoforge.store.getState();
            return { failed: state.failed, selection: [...state.selection].sort() };
          }),
        ).toEqual({ failed: [], selection: ['box-1', 'box-2'] });
        await app.page.locator('.react-flow__node[data-id="box-1"]').focus();
        await app.page.keyboard.press('Shift+F10');
        const entry = app.page.locator('[data-command="what-if.cut-off"]');
        await entry.waitFor();
        expect(await entry.textContent()).toContain('Cut these off');
        await entry.focus();
        await app.page.keyboard.press('Enter');
        await app.settled();
        await app.page.getByTestId('whatif-cut-off-box-1').waitFor();
        await app.page.getByTestId('whatif-cut-off-box-2').waitFor();
        expect(await app.page.getByTestId('whatif-cut-off-box-3').count()).toBe(0);
        // Two boxes hold a majority of Sentinels and the primary: only one side serves, no split brain.
        expect(await app.page.getByTestId('split-brain-mark-cache').count()).toBe(0);
        await app.shot('hosts-cut-off');
        // Leaving what-if heals the cut.
        await app.page.getByTestId('what-if-button').click();
        expect(await app.page.locator('.cut-tag').count()).toBe(0);
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'cuts a site off by keyboard alone, and keeps the cut and split brain clean for axe-core in the dark theme',
    async () => {
      const app = await Designer.open(lab(), 'what-if-cut-dark', { theme: 'dark' });
      try {
        await app.openText('sentinel-three-sites.topo.json', readFileSync(FIXTURE, 'utf8'));
        await app.page.getByTestId('what-if-button').click();
        // By keyboard alone: focus the site, Shift+Enter selects it (Enter would fail it), Shift+F10
        // opens its menu, whose first entry cuts it off.
        await app.page.locator('.react-flow__node[data-id="dc-1"]').focus();
        await app.page.keyboard.press('Shift+Enter');
        await app.page.keyboard.press('Shift+F10');
        const entry = app.page.locator('[data-command="what-if.cut-off"]');
        await entry.waitFor();
        expect(await entry.textContent()).toContain('Cut site Site 1 off from the network');
        expect(await entry.evaluate((e) => e === document.activeElement)).toBe(true);
        await app.page.keyboard.press('Enter');
        await app.page.getByTestId('split-brain-mark-cache').waitFor();
        expect(await app.page.getByTestId('whatif-cut-site').inputValue()).toBe('dc-1');
        expect((await app.snapshot()).design.hosts).toHaveLength(3);
        const failed = await app.page.evaluate(
          () =>
            (
              window as unknown as { topoforge: { store: { getState(): { failed: string[] } } } }
            ).topoforge.store.getState().failed,
        );
        expect(failed).toEqual([]);
        await app.page.getByTestId('tab-findings').click();
        await app.page.getByTestId('split-brain-now').waitFor();
        expect(await app.accessibilityViolations('dark cut')).toEqual([]);
        await app.shot('dark-cut');
        expect(app.errors).toEqual([]);
      } finally {
        await app.close();
      }
    },
    TIMEOUT,
  );
});
