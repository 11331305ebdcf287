/**
 * End to end, a 5,000-service design zoomed far out (renderer/canvas/detail.ts): opening shows the
 * whole design with every card drawn while React Flow holds almost nothing; a click on a drawn
 * card selects it, Shift-click adds, a selection box takes what it covers, what-if fails a host
 * by a click and colours it; zooming in shows the real cards. The built designer (dist/web) in
 * Debian's Chromium.
 */
import { describe, expect, it } from 'vitest';
import { FAR_ZOOM } from '../../renderer/canvas/detail';
import { Designer, e2eAvailability, useLab } from './driver';
import { largeDesign } from './large-design';

const availability = e2eAvailability();
const TIMEOUT = 300_000;
/** Opening 5,000 services on a machine shared with other work outlasts Playwright's 30 s. */
const WAIT = { timeout: 180_000 };

type Handle = {
  topoforge: {
    store: {
      getState(): {
        selection: string[];
        failed: string[];
        revision: number;
        analysis?: { revision: number; failed: string[] };
        setWhatIf(on: boolean): void;
      };
    };
    services: {
      canvas?: {
        held(): { nodes: number; edges: number };
        setViewport(v: { x: number; y: number; zoom: number }): void;
      };
    };
  };
};

describe.skipIf(!availability.run)('a large design zoomed far out in a browser', () => {
  const lab = useLab();

  it(
    'opens with every card drawn, React Flow holding almost nothing, and clicks, boxes, what-if and zooming in working',
    async () => {
      const app = await Designer.open(lab(), 'canvas-far');
      try {
        const { design, geometry, projected } = await largeDesign(5000);
        const cards = projected.filter(
          (n) => n.type === 'service' || n.type === 'group' || n.type === 'entrypoint',
        );
        const services = [...geometry.boxes.values()].filter((b) => b.kind === 'service');
        expect(services.length).toBe(5000);

        await app.openDesign('synthetic-5000.topo.json', design, WAIT);
        // The fit has settled: the view's transform stays the same for a while.
        const transform = () =>
          app.page.evaluate(() => {
            const style = (document.querySelector('.react-flow__viewport') as HTMLElement).style.transform;
            const [x, y, zoom] = style.match(/-?[\d.]+/g)!.map(Number);
            return { x: x!, y: y!, zoom: zoom! };
          });
        let view = await transform();
        for (let i = 0; i < 20; i++) {
          await app.page.waitForTimeout(500);
          const next = await transform();
          if (next.x === view.x && next.y === view.y && next.zoom === view.zoom) break;
          view = next;
        }
        const pane = await app.page.evaluate(() => {
          const box = document.querySelector('.react-flow')!.getBoundingClientRect();
          return { x: box.x, y: box.y, width: box.width, height: box.height };
        });
        const onScreen = (point: { x: number; y: number }) => ({
          x: pane.x + view.x + point.x * view.zoom,
          y: pane.y + view.y + point.y * view.zoom,
        });
        const centre = (id: string) => {
          const box = geometry.boxes.get(id)!;
          return onScreen({ x: box.absoluteX + box.width / 2, y: box.absoluteY + box.height / 2 });
        };

        // The whole design in view, far out; every card drawn where it is, and on the screen.
        expect(view.zoom).toBeLessThan(FAR_ZOOM);
        for (const service of services) {
          const point = centre(service.id);
          expect(point.x > pane.x && point.x < pane.x + pane.width, service.id).toBe(true);
          expect(point.y > pane.y && point.y < pane.y + pane.height, service.id).toBe(true);
        }
        expect(await app.page.getByTestId('far-layer').getAttribute('data-cards')).toBe(String(cards.length));
        const undrawn = await app.page.evaluate(
          (points) => {
            const paths = [...document.querySelectorAll<SVGPathElement>('.far-layer path.far-card')];
            return points.filter(({ x, y }) => !paths.some((path) => path.isPointInFill(new DOMPoint(x, y))))
              .length;
          },
          services.map((s) => ({ x: s.absoluteX + s.width / 2, y: s.absoluteY + s.height / 2 })),
        );
        expect(undrawn).toBe(0);
        const held = await app.page.evaluate(() =>
          (window as unknown as Handle).topoforge.services.canvas!.held(),
        );
        expect(projected.length).toBeGreaterThan(7000);
        expect(held.nodes).toBeLessThan(10);
        expect(await app.page.locator('.react-flow__node').count()).toBeLessThan(10);
        await app.shot('opened-far');

        const selection = () =>
          app.page.evaluate(() => (window as unknown as Handle).topoforge.store.getState().selection);
        // A click on a drawn card selects it, and the card is mounted, selected.
        const picked = services[2500]!;
        const at = centre(picked.id);
        await app.page.mouse.click(at.x, at.y);
        await expect.poll(selection).toEqual([picked.id]);
        await expect
          .poll(() => app.page.locator(`.react-flow__node[data-id="${picked.id}"]`).count())
          .toBe(1);
        // Shift-click adds another.
        const other = services[100]!;
        const otherAt = centre(other.id);
        await app.page.keyboard.down('Shift');
        await app.page.mouse.click(otherAt.x, otherAt.y);
        await app.page.keyboard.up('Shift');
        await expect.poll(selection).toEqual([picked.id, other.id]);
        await app.shot('far-selected');

        // A right-click on a drawn card opens that card's menu, with it selected.
        const menuFor = services[3300]!;
        const menuAt = centre(menuFor.id);
        await app.page.mouse.click(menuAt.x, menuAt.y, { button: 'right' });
        await expect.poll(() => app.page.getByTestId('context-menu').count()).toBe(1);
        expect(await selection()).toEqual([menuFor.id]);
        await app.page.keyboard.press('Escape');
        await expect.poll(() => app.page.getByTestId('context-menu').count()).toBe(0);

        // A selection box over a host takes the host (its cards go with it).
        const host = geometry.boxes.get(services[4000]!.parent!)!;
        const corner = onScreen({ x: host.absoluteX, y: host.absoluteY });
        const end = onScreen({ x: host.absoluteX + host.width, y: host.absoluteY + host.height });
        await app.page.mouse.move(corner.x - 3, corner.y - 3);
        await app.page.mouse.down();
        await app.page.mouse.move(end.x + 3, end.y + 3, { steps: 8 });
        await app.page.mouse.up();
        await expect.poll(selection).toEqual([host.id]);

        // What-if, still far out but nearer (zoom 0.3): a click on a drawn host's header fails it;
        // it is selected, so mounted and painted failed, and its cards are drawn down.
        await app.page.evaluate(() =>
          (window as unknown as Handle).topoforge.store.getState().setWhatIf(true),
        );
        await app.page.keyboard.press('Escape');
        const failedHost = geometry.boxes.get(services[1200]!.parent!)!;
        const near = { zoom: 0.3, x: 0, y: 0 };
        near.x = pane.width / 2 - (failedHost.absoluteX + failedHost.width / 2) * near.zoom;
        near.y = pane.height / 2 - (failedHost.absoluteY + failedHost.height / 2) * near.zoom;
        await app.page.evaluate(
          (v) => (window as unknown as Handle).topoforge.services.canvas?.setViewport(v),
          near,
        );
        await expect.poll(async () => (await transform()).zoom).toBe(near.zoom);
        view = near;
        expect(await app.page.getByTestId('far-layer').count()).toBe(1);
        const headerAt = onScreen({
          x: failedHost.absoluteX + failedHost.width / 2,
          y: failedHost.absoluteY + 12,
        });
        await app.page.mouse.click(headerAt.x, headerAt.y);
        await expect
          .poll(() =>
            app.page.evaluate(() => (window as unknown as Handle).topoforge.store.getState().failed),
          )
          .toEqual([failedHost.id]);
        await app.page.waitForFunction(
          () => {
            const state = (window as unknown as Handle).topoforge.store.getState();
            return state.analysis?.failed.length === 1;
          },
          undefined,
          WAIT,
        );
        await expect
          .poll(() =>
            app.page.locator(`.react-flow__node[data-id="${failedHost.id}"] .host-node.state-failed`).count(),
          )
          .toBe(1);
        await expect
          .poll(() => app.page.locator('.far-layer path.far-card.far-state-down').count())
          .toBeGreaterThan(0);
        await app.shot('far-what-if');
        await app.page.evaluate(() =>
          (window as unknown as Handle).topoforge.store.getState().setWhatIf(false),
        );

        // Zoomed in past the line: real cards around the view, no drawn picture.
        const target = services[3000]!;
        await app.page.evaluate(
          (v) => (window as unknown as Handle).topoforge.services.canvas?.setViewport(v),
          {
            x: pane.width / 2 - (target.absoluteX + target.width / 2) * 0.5,
            y: pane.height / 2 - (target.absoluteY + target.height / 2) * 0.5,
            zoom: 0.5,
          },
        );
        await expect
          .poll(() => app.page.locator(`.react-flow__node[data-id="${target.id}"]`).count(), WAIT)
          .toBe(1);
        expect(await app.page.getByTestId('far-layer').count()).toBe(0);
        expect(await app.page.locator('.react-flow__node').count()).toBeGreaterThan(20);
        await app.shot('zoomed-in');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last').catch(() => undefined);
        await app.close();
      }
    },
    TIMEOUT,
  );
});
