/**
 * The README's pictures of the real app: `npx tsx test/e2e/screenshots.ts` (after
 * `npm run build:web`) writes docs/screenshots/*.png, some in the light theme, some in the dark.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticDesign } from '../../bench/synthetic';
import { Designer, startLab } from './driver';

const out = join(import.meta.dirname, '../../docs/screenshots');
mkdirSync(out, { recursive: true });
const lab = await startLab();
try {
  const light = await Designer.open(lab, 'docs-light', { theme: 'light' });
  await light.openExample('tealeaf-resilient');
  await light.page.getByTestId('what-if-button').click();
  await light.node('rep-1').locator('.container-title').click();
  // Close enough to read: the reporting side, where the failure lands.
  await light.page.evaluate(() => {
    const app = (
      window as unknown as { topoforge: { services: { canvas?: { fitView(ids: string[]): void } } } }
    ).topoforge;
    app.services.canvas?.fitView(['portal', 'rep-1', 'rep-2', 'processing', 'reporting-db', 'proc-3']);
  });
  await light.page.waitForTimeout(800);
  await light.page.screenshot({ path: join(out, 'what-if-tealeaf.png') });

  await light.page.getByTestId('what-if-button').click();
  await light.openExample('helix-teamhub');
  await light.page.waitForTimeout(800);
  await light.page.screenshot({ path: join(out, 'canvas-helix.png') });

  // 300 services, laid out by the designer itself, findings grouped by rule beside them.
  const design = syntheticDesign({ services: 300 });
  delete design.layout;
  await light.openText('synthetic-300.topo.json', JSON.stringify(design));
  await light.page.getByTestId('tab-findings').click();
  await light.page.waitForTimeout(1200);
  await light.page.screenshot({ path: join(out, 'canvas-300-services.png') });

  await light.openExample('teramind-ha-broken');
  await light.page.getByTestId('tab-findings').click();
  await light.page.locator('[data-rule="quorum.even"]').last().click();
  await light.page.waitForTimeout(800);
  await light.page.screenshot({ path: join(out, 'findings-quorum-even.png') });

  // What-if's network cut: Teramind's nodes 1 and 2 cut off from the rest, by the context menu.
  await light.openExample('teramind-ha');
  await light.page.getByTestId('what-if-button').click();
  await light
    .node('tm-1')
    .locator('.container-title')
    .click({ modifiers: ['Shift'] });
  await light
    .node('tm-2')
    .locator('.container-title')
    .click({ modifiers: ['Shift'] });
  await light.node('tm-1').locator('.container-title').click({ button: 'right' });
  await light.page.locator('[data-command="what-if.cut-off"]').click();
  await light.page.getByTestId('split-brain-mark-redis-ha').waitFor();
  await light.page.evaluate(() => {
    const app = (
      window as unknown as {
        topoforge: {
          store: { getState(): { changeSelection(s: { id: string; selected: boolean }[]): void } };
        };
      }
    ).topoforge;
    app.store.getState().changeSelection([
      { id: 'tm-1', selected: false },
      { id: 'tm-2', selected: false },
    ]);
  });
  await light.page.waitForTimeout(800);
  await light.page.screenshot({ path: join(out, 'what-if-split-brain.png') });
  await light.page.getByTestId('what-if-button').click();
  // The Rehearse view as the web build shows it: how to rehearse from the CLI, beside an unedited
  // example fitted to the pane the view leaves.
  await light.openExample('helix-teamhub');
  await light.page.getByTestId('rehearse-button').click();
  await light.page.getByTestId('rehearse-cli-route').waitFor();
  await light.page.keyboard.press('f');
  await light.page.waitForTimeout(400);
  await light.page.screenshot({ path: join(out, 'rehearse-web.png') });
  // The Resilience view with an RTO the VIP's move after lb-1 cannot meet (last: it edits the design).
  await light.openExample('tessera-ha');
  await light.page.getByTestId('resilience-button').click();
  await light.page.getByTestId('resilience-objective-rto').fill('3');
  await light.page.getByTestId('resilience-objective-rto').press('Enter');
  await light.page.getByTestId('resilience-rto-missed-q2t').waitFor();
  await light.page.waitForTimeout(800);
  await light.page.screenshot({ path: join(out, 'resilience-tessera.png') });
  await light.close();

  const dark = await Designer.open(lab, 'docs-dark', { theme: 'dark' });
  await dark.openExample('expertflow-two-sites');
  await dark.page.waitForTimeout(400);
  await dark.page.screenshot({ path: join(out, 'canvas-sites-dark.png') });

  await dark.openExample('tessera-ha');
  await dark.node('lb-1').locator('.container-title').click();
  const address = dark.page.getByTestId('field-address');
  await address.fill('10.40.0.300');
  await address.press('Enter');
  await dark.page.waitForTimeout(400);
  await dark.page.screenshot({ path: join(out, 'inspector-refuses.png') });
  await address.press('Escape');

  await dark.openExample('teramind-ha');
  await dark.page.getByTestId('tab-preview').click();
  await dark.page.waitForTimeout(1200);
  await dark.page.screenshot({ path: join(out, 'config-preview.png') });
  await dark.close();
} finally {
  await lab.close();
}
console.log(`Screenshots written to ${out}`);
