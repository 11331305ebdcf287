/**
 * End to end, React Flow sees only what is near the view of a 5,000-service design
 * (renderer/canvas/window.ts), and nothing a person does notices: the far corner shows its cards
 * once panned to, a link from a card on the screen to one far off it is drawn, and search, fit and
 * Tab reach cards React Flow did not hold. The built designer (dist/web) in Debian's Chromium.
 */
import { describe, expect, it } from 'vitest';
import { Designer, e2eAvailability, useLab } from './driver';
import { largeDesign } from './large-design';

const availability = e2eAvailability();
const TIMEOUT = 300_000;
/** Opening 5,000 services on a machine shared with other work outlasts Playwright's 30 s. */
const WAIT = { timeout: 180_000 };

interface Held {
  nodes: number;
  edges: number;
}

type Handle = {
  topoforge: {
    store: { getState(): { selection: string[] } };
    services: {
      canvas?: {
        held(): Held;
        setViewport(v: { x: number; y: number; zoom: number }): void;
        fitView(ids?: string[]): void;
      };
    };
  };
};

describe.skipIf(!availability.run)('the window over a large design in a browser', () => {
  const lab = useLab();

  it(
    'holds what is near the view, and the far corner, off-window links, search, fit and Tab still work',
    async () => {
      const app = await Designer.open(lab(), 'canvas-window');
      try {
        // Laid out as the benchmark does, with the canvas as the designer derives it: where every
        // card is, and the Tab order.
        const { design, geometry, projected } = await largeDesign(5000);
        const total = projected.length;
        const order = projected.filter((n) => n.focusable !== false).map((n) => n.id);
        const services = [...geometry.boxes.values()].filter(
          (b) => b.kind === 'service' && projected.some((n) => n.id === b.id),
        );
        const centre = (id: string) => {
          const box = geometry.boxes.get(id)!;
          return { x: box.absoluteX + box.width / 2, y: box.absoluteY + box.height / 2 };
        };

        // Opened, fitted (every card drawn: a long task on a loaded machine) and checked.
        await app.openDesign('synthetic-5000.topo.json', design, WAIT);
        // The fit of the opened design has run: the view stays the same for a second. (Drawn far
        // out, the fit can come after the checks: it no longer waits for 8,000 cards to mount.)
        const transform = () =>
          app.page.evaluate(
            () => (document.querySelector('.react-flow__viewport') as HTMLElement).style.transform,
          );
        let settled = '';
        for (let i = 0; i < 30 && settled !== (await transform()); i++) {
          settled = await transform();
          await app.page.waitForTimeout(1000);
        }
        const pane = await app.page.evaluate(() => {
          const box = document.querySelector('.react-flow')!.getBoundingClientRect();
          return { x: box.x, y: box.y, width: box.width, height: box.height };
        });
        /** Looks at a flow point at actual size, in the middle of the pane; waits for the window. */
        const lookAt = async (point: { x: number; y: number }) => {
          await app.page.evaluate(
            (v) => (window as unknown as Handle).topoforge.services.canvas?.setViewport(v),
            { x: pane.width / 2 - point.x, y: pane.height / 2 - point.y, zoom: 1 },
          );
          await app.page.waitForTimeout(1500);
        };
        const held = () =>
          app.page.evaluate(() => (window as unknown as Handle).topoforge.services.canvas!.held());
        const rendered = () =>
          app.page.evaluate(() =>
            [...document.querySelectorAll<HTMLElement>('.react-flow__node')].map((n) => n.dataset.id!),
          );

        // A service in the middle of the design, at actual size: React Flow holds a few hundred
        // nodes of the 8,000, not the design.
        const middle = services[Math.floor(services.length / 2)]!;
        await lookAt(centre(middle.id));
        await app.page.waitForTimeout(1500);
        const near = await held();
        expect(total).toBeGreaterThan(7000);
        expect(near.nodes).toBeGreaterThan(20);
        expect(near.nodes).toBeLessThan(total / 8);
        expect(near.edges).toBeLessThan(1000);
        const shown = await rendered();
        expect(shown).toContain(middle.id);
        await app.shot('middle');

        // A link from a card on the screen to one beyond the window is drawn: its path runs from
        // inside the pane to well past the window's margin (half a pane) while its far end's card
        // is not on the page.
        const reaching = await app.page.evaluate(
          ({ width, height, left, top }) => {
            const onPage = new Set(
              [...document.querySelectorAll<HTMLElement>('.react-flow__node')].map((n) => n.dataset.id),
            );
            for (const edge of document.querySelectorAll<SVGGElement>('.react-flow__edge[data-source]')) {
              const source = edge.getAttribute('data-source')!;
              const target = edge.getAttribute('data-target')!;
              if (onPage.has(source) === onPage.has(target)) continue;
              const box = edge.querySelector('path.react-flow__edge-path')!.getBoundingClientRect();
              const beyond =
                box.left < left - width ||
                box.right > left + 2 * width ||
                box.top < top - height ||
                box.bottom > top + 2 * height;
              if (beyond)
                return { id: edge.getAttribute('data-id')!, far: onPage.has(source) ? target : source };
            }
            return undefined;
          },
          { width: pane.width, height: pane.height, left: pane.x, top: pane.y },
        );
        expect(reaching, 'a drawn link to a card beyond the window').toBeDefined();
        expect(shown).not.toContain(reaching!.far);

        // The far corner: its cards are drawn once the view gets there, and the window moved with it.
        const corner = services.reduce((best, b) =>
          b.absoluteX + b.absoluteY > best.absoluteX + best.absoluteY ? b : best,
        );
        expect(shown).not.toContain(corner.id);
        await lookAt(centre(corner.id));
        await expect.poll(rendered, WAIT).toContain(corner.id);
        const there = await held();
        expect(there.nodes).toBeLessThan(total / 8);
        await app.shot('far-corner');

        // Search jumps to a card far from the view: selected, and drawn.
        await lookAt(centre(middle.id));
        const far = services[5]!;
        expect(await rendered()).not.toContain(far.id);
        await app.page
          .locator(`.react-flow__node[data-id="${middle.id}"]`)
          .click({ position: { x: 30, y: 12 } });
        await app.page.keyboard.press('Control+f');
        await app.page.getByTestId('search-field').fill(far.id);
        await app.page.getByTestId('search-field').press('Enter');
        await expect
          .poll(() =>
            app.page.evaluate(() => (window as unknown as Handle).topoforge.store.getState().selection),
          )
          .toEqual([far.id]);
        await expect.poll(rendered, WAIT).toContain(far.id);
        await app.page.keyboard.press('Escape');

        // Tab from the last card drawn goes on to the next one in reading order, off the page.
        await lookAt(centre(middle.id));
        const stop = await app.page.evaluate((ids) => {
          const onPage = new Set(
            [...document.querySelectorAll<HTMLElement>('.react-flow__node')].map((n) => n.dataset.id),
          );
          for (let i = 0; i < ids.length - 1; i++)
            if (onPage.has(ids[i]) && !onPage.has(ids[i + 1])) return { from: ids[i]!, to: ids[i + 1]! };
          return undefined;
        }, order);
        expect(stop, 'a drawn card whose next in reading order is not drawn').toBeDefined();
        await app.page.locator(`.react-flow__node[data-id="${stop!.from}"]`).focus();
        await app.page.keyboard.press('Tab');
        await expect
          .poll(
            () => app.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id),
            WAIT,
          )
          .toBe(stop!.to);
        const focusedBox = await app.page.locator(`.react-flow__node[data-id="${stop!.to}"]`).boundingBox();
        expect(focusedBox!.x + focusedBox!.width).toBeGreaterThan(pane.x);
        expect(focusedBox!.x).toBeLessThan(pane.x + pane.width);
        expect(focusedBox!.y).toBeLessThan(pane.y + pane.height);
        await app.shot('tab-off-page');

        // Fit shows the whole design, not the window: both far corners are drawn, zoomed that far
        // out as the drawn picture (renderer/canvas/detail.ts), not as cards.
        const first = services.reduce((best, b) =>
          b.absoluteX + b.absoluteY < best.absoluteX + best.absoluteY ? b : best,
        );
        await app.page.keyboard.press('Escape');
        await app.page.evaluate(() => (window as unknown as Handle).topoforge.services.canvas?.fitView());
        const drawn = (ids: string[]) =>
          app.page.evaluate((points) => {
            const paths = [...document.querySelectorAll<SVGPathElement>('.far-layer path.far-card')];
            return points.map(({ x, y }) => paths.some((path) => path.isPointInFill(new DOMPoint(x, y))));
          }, ids.map(centre));
        await expect.poll(() => drawn([corner.id, first.id]), WAIT).toEqual([true, true]);
        expect((await held()).nodes).toBeLessThan(10);
        await app.shot('fitted');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last').catch(() => undefined);
        await app.close();
      }
    },
    TIMEOUT,
  );
});
