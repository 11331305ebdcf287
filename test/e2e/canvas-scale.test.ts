/**
 * End to end, a committed edit of a large design touches what it changed: after a service of a
 * 1,000-service design moves, every card on the screen is the element it was
 * (React kept it, nothing was rebuilt), the links of the moved service follow it, and links
 * elsewhere keep their drawn paths. The built designer (dist/web) in Debian's Chromium.
 */
import { describe, expect, it } from 'vitest';
import { syntheticDesign } from '../../bench/synthetic';
import type { Design } from '../../core/model';
import { Analyzer } from '../../renderer/workers/analyze';
import { itemValue } from '../../renderer/workers/item-table';
import { Designer, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 180_000;

describe.skipIf(!availability.run)('a large design in a browser', () => {
  const lab = useLab();

  it(
    'keeps every other card and link as it was when one service moves',
    async () => {
      const app = await Designer.open(lab(), 'canvas-scale');
      try {
        const design = syntheticDesign({ services: 1000 });
        // Laid out as opening lays out a design without positions: grids in the pane's shape.
        delete design.layout;
        let state = await app.openDesign('synthetic-1000.topo.json', design);
        // A service with links, in a host, looked at at actual size.
        const linked = new Set(state.design.links!.flatMap((l) => [l.from, l.to]));
        const pools = new Set(
          state.design.groups!.filter((g) => g.kind === 'pool').map((g) => g.id as string),
        );
        const candidates = state.design.services.filter(
          (s) => s.host !== undefined && linked.has(s.id) && (s.group === undefined || !pools.has(s.group)),
        );
        const service = candidates[Math.floor(candidates.length / 2)]!;
        await app.page.waitForTimeout(1500);
        const pane = await app.canvasBox();
        const layoutBefore = state.design.layout![service.id]!;
        // The service in the middle of the pane, at a zoom where routes and labels are drawn.
        await app.fitView([service.id]);
        await app.page.waitForTimeout(800);
        await app.page.evaluate(
          ({ width, height }) => {
            const transform = (document.querySelector('.react-flow__viewport') as HTMLElement).style
              .transform;
            const [x, y, zoom] = /translate\(([-\d.]+)px, ([-\d.]+)px\) scale\(([-\d.]+)\)/
              .exec(transform)!
              .slice(1)
              .map(Number) as [number, number, number];
            const centre = { x: (width / 2 - x) / zoom, y: (height / 2 - y) / zoom };
            (
              window as unknown as { topoforge: { services: { canvas?: { setViewport(v: object): void } } } }
            ).topoforge.services.canvas?.setViewport({
              x: width / 2 - centre.x * 0.6,
              y: height / 2 - centre.y * 0.6,
              zoom: 0.6,
            });
          },
          { width: pane.width, height: pane.height },
        );
        await app.page.waitForTimeout(800);
        const card = app.node(service.id);
        await expect.poll(() => card.count()).toBe(1);

        // Mark every card and link on the screen, and note each link's drawn path.
        const marked = await app.page.evaluate(() => {
          const nodes = [...document.querySelectorAll('.react-flow__node')];
          for (const element of nodes) (element as unknown as { probe: boolean }).probe = true;
          const edges = [...document.querySelectorAll('.react-flow__edge')].map((element) => {
            (element as unknown as { probe: boolean }).probe = true;
            return {
              id: element.getAttribute('data-id') ?? '',
              source: element.getAttribute('data-source') ?? '',
              target: element.getAttribute('data-target') ?? '',
              path: element.querySelector('path.react-flow__edge-path')?.getAttribute('d') ?? '',
            };
          });
          return { nodes: nodes.length, edges };
        });
        expect(marked.nodes).toBeGreaterThan(10);
        const ownLinks = marked.edges.filter((e) => e.source === service.id || e.target === service.id);
        expect(ownLinks.length).toBeGreaterThan(0);

        // Selected with a click, moved with the keyboard's nudge: one committed move.
        await card.click({ position: { x: 30, y: 20 } });
        state = await app.settled();
        for (let n = 0; n < 3; n++) await app.page.keyboard.press('ArrowRight');
        state = await app.editedAfter(state.revision);
        expect(state.design.layout![service.id]).not.toEqual(layoutBefore);
        await app.page.waitForTimeout(500);

        const after = await app.page.evaluate(() => {
          const fresh = (selector: string) =>
            [...document.querySelectorAll(selector)]
              .filter((element) => !(element as unknown as { probe?: boolean }).probe)
              .map((element) => element.getAttribute('data-id'));
          const paths = Object.fromEntries(
            [...document.querySelectorAll('.react-flow__edge')].map((element) => [
              element.getAttribute('data-id') ?? '',
              element.querySelector('path.react-flow__edge-path')?.getAttribute('d') ?? '',
            ]),
          );
          return { freshNodes: fresh('.react-flow__node'), freshEdges: fresh('.react-flow__edge'), paths };
        });
        // Nothing new appeared for what was already on the screen.
        expect(after.freshNodes).toEqual([]);
        expect(after.freshEdges).toEqual([]);
        // The moved service's links follow it.
        for (const link of ownLinks) expect(after.paths[link.id], link.id).not.toBe(link.path);
        // Links of other services whose route nothing crossed are drawn as they were.
        const unchanged = marked.edges.filter((e) => !ownLinks.includes(e) && after.paths[e.id] === e.path);
        expect(unchanged.length).toBeGreaterThan((marked.edges.length - ownLinks.length) / 2);
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'renames a service and fails its host: names, colours and counts follow, nothing else is rebuilt',
    async () => {
      const app = await Designer.open(lab(), 'canvas-scale-edit');
      try {
        const design = syntheticDesign({ services: 1000, seed: 11 });
        delete design.layout;
        let state = await app.openDesign('synthetic-1000.topo.json', design);
        const linked = new Set(state.design.links!.flatMap((l) => [l.from, l.to]));
        const service = state.design.services.filter((s) => s.host !== undefined && linked.has(s.id))[40]!;
        await app.fitView([service.id]);
        await app.page.waitForTimeout(1200);
        const card = app.node(service.id);
        await expect.poll(() => card.count()).toBe(1);
        const marked = await app.page.evaluate(() => {
          for (const element of document.querySelectorAll('.react-flow__node, .react-flow__edge'))
            (element as unknown as { probe: boolean }).probe = true;
          return [...document.querySelectorAll('.react-flow__edge')].map((element) => ({
            id: element.getAttribute('data-id') ?? '',
            ends: [element.getAttribute('data-source'), element.getAttribute('data-target')],
            name: element.getAttribute('aria-label') ?? '',
          }));
        });
        const own = marked.filter((e) => e.ends.includes(service.id));
        expect(own.length).toBeGreaterThan(0);
        expect(marked.every((e) => e.name.length > 0 && !e.name.startsWith('Edge from'))).toBe(true);

        // Renamed in the inspector: one committed edit.
        await card.click({ position: { x: 30, y: 20 } });
        await app.page.getByTestId('tab-inspector').click();
        await app.page.getByTestId('field-label').fill('Checkout API');
        await app.page.getByTestId('field-label').press('Enter');
        state = await app.editedAfter(state.revision);
        expect((state.design.services.find((s) => s.id === service.id) as { label?: string }).label).toBe(
          'Checkout API',
        );
        const wrapper = app.page.locator(`.react-flow__node[data-id="${service.id}"]`);
        await expect
          .poll(async () => (await wrapper.getAttribute('aria-label')) ?? '')
          .toMatch(/^Checkout API, /);
        const names = () =>
          app.page.evaluate(() =>
            Object.fromEntries(
              [...document.querySelectorAll('.react-flow__edge')].map((element) => [
                element.getAttribute('data-id') ?? '',
                element.getAttribute('aria-label') ?? '',
              ]),
            ),
          );
        // The service's links say the new name; every other link keeps its own.
        await expect
          .poll(async () => {
            const now = await names();
            return own.every((e) => now[e.id]?.includes('Checkout API'));
          })
          .toBe(true);
        const now = await names();
        for (const edge of marked) if (!own.includes(edge)) expect(now[edge.id], edge.id).toBe(edge.name);
        const fresh = await app.page.evaluate(
          () =>
            [...document.querySelectorAll('.react-flow__node, .react-flow__edge')].filter(
              (element) => !(element as unknown as { probe?: boolean }).probe,
            ).length,
        );
        expect(fresh).toBe(0);

        // Its host failed in what-if: every item on the screen shows the state the engine gives.
        const host = service.host!;
        await app.page.keyboard.press('Escape');
        await app.page.evaluate((id) => {
          const store = (
            window as unknown as {
              topoforge: {
                store: { getState(): { setWhatIf(on: boolean): void; toggleFailure(id: string): void } };
              };
            }
          ).topoforge.store;
          store.getState().setWhatIf(true);
          store.getState().toggleFailure(id);
        }, host);
        await app.page.waitForFunction(
          () => {
            const state = (
              window as unknown as {
                topoforge: { store: { getState(): { analysis?: { failed: string[]; detail: boolean } } } };
              }
            ).topoforge.store.getState();
            return state.analysis?.detail === true && state.analysis.failed.length === 1;
          },
          undefined,
          // The first answer with detail sweeps every single failure of 1,000 services.
          { timeout: 90_000 },
        );
        await app.page.waitForTimeout(500);
        const expected = new Analyzer().analyze({
          revision: 1,
          design: state.design as unknown as Design,
          failed: [host],
          detail: true,
        });
        const shown = await app.page.evaluate(() =>
          [...document.querySelectorAll('.react-flow__node[data-id]')].flatMap((element) => {
            const node = element.querySelector('.node');
            if (!node || node.classList.contains('split-brain')) return [];
            const state = [...node.classList].find((c) => c.startsWith('state-'))?.slice('state-'.length);
            return [[element.getAttribute('data-id')!, state ?? 'none']];
          }),
        );
        expect(shown.length).toBeGreaterThan(10);
        const wrong = shown.filter(
          ([id, state]) => state !== (id === host ? 'failed' : (itemValue(expected.states, id!) ?? 'none')),
        );
        expect(wrong).toEqual([]);
        expect(shown.filter(([, state]) => state !== 'up').length).toBeGreaterThan(1);
        // The findings panel counts what the checks find, rule by rule.
        await expect
          .poll(() => app.page.getByTestId('status-findings').textContent())
          .toBe(
            `${expected.counts.error} errors${expected.counts.warning} warnings${expected.counts.info} notes`,
          );
        await app.page.getByTestId('tab-findings').click();
        const byRule = new Map<string, number>();
        for (const finding of expected.findings)
          byRule.set(finding.rule, (byRule.get(finding.rule) ?? 0) + 1);
        let rules = 0;
        for (const [rule, count] of byRule) {
          const shownCount = app.page.getByTestId(`rule-count-${rule}`);
          if ((await shownCount.count()) === 0) continue;
          expect(await shownCount.textContent(), rule).toBe(String(count));
          rules++;
        }
        expect(rules).toBeGreaterThan(0);

        // The what-if panel folds a long single-failure table, its count on the fold; opened, it
        // shows the worst rows, and the rest on asking.
        await app.page.getByTestId('tab-what-if').click();
        const all = expected.singleFailures.length;
        expect(all).toBeGreaterThan(100);
        const fold = app.page.locator('#what-if-single');
        await expect.poll(() => fold.textContent()).toBe(`Every single failure: ${all}`);
        expect(await app.page.getByTestId('single-failures').count()).toBe(0);
        await fold.click();
        const rows = app.page.getByTestId('single-failures').locator('tbody tr');
        await expect.poll(() => rows.count()).toBe(60);
        await app.page.getByRole('button', { name: `Show all ${all} failures` }).click();
        await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(all);
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );
});
