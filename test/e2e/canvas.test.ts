/**
 * End to end, the canvas as an architect who knows draw.io, Figma or Excalidraw uses it: new
 * things land in free space, designs open readable, and the usual gestures and keys work. The
 * built designer (dist/web) in Debian's Chromium; screenshots of each step in test-results/e2e/.
 */
import { describe, expect, it } from 'vitest';
import { syntheticDesign } from '../../bench/synthetic';
import { Designer, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 120_000;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width - 0.5 &&
  b.x < a.x + a.width - 0.5 &&
  a.y < b.y + b.height - 0.5 &&
  b.y < a.y + a.height - 0.5;
const inside = (a: Box, b: Box) =>
  a.x >= b.x - 0.5 &&
  a.y >= b.y - 0.5 &&
  a.x + a.width <= b.x + b.width + 0.5 &&
  a.y + a.height <= b.y + b.height + 0.5;

/** The selection, the zoom and what the canvas shows, read from the page. */
async function selection(app: Designer): Promise<string[]> {
  return app.page.evaluate(() =>
    (window as unknown as { topoforge: { store: { getState(): { selection: string[] } } } }).topoforge.store
      .getState()
      .selection.slice(),
  );
}

async function viewport(app: Designer): Promise<{ x: number; y: number; zoom: number }> {
  const transform = await app.page
    .locator('.react-flow__viewport')
    .evaluate((element) => (element as HTMLElement).style.transform);
  const match = /translate\(([-\d.]+)px, ([-\d.]+)px\) scale\(([-\d.]+)\)/.exec(transform)!;
  return { x: Number(match[1]), y: Number(match[2]), zoom: Number(match[3]) };
}

async function boxes(app: Designer, ids: string[]): Promise<Box[]> {
  return Promise.all(ids.map(async (id) => (await app.node(id).boundingBox())!));
}

function pairwiseApart(list: Box[]): boolean {
  return list.every((a, i) => list.every((b, j) => i >= j || !overlap(a, b)));
}

/** Waits for the view's animation to end and returns the settled viewport. */
async function settledViewport(app: Designer): Promise<{ x: number; y: number; zoom: number }> {
  await app.page.waitForTimeout(450);
  return viewport(app);
}

/** A point of the empty pane, in screen coordinates, near a wanted point. */
async function emptyPoint(app: Designer, near: { x: number; y: number }): Promise<{ x: number; y: number }> {
  const point = await app.page.evaluate((wanted) => {
    for (let r = 0; r < 400; r += 6)
      for (const [dx, dy] of [
        [r, 0],
        [-r, 0],
        [0, r],
        [0, -r],
        [r, r],
        [-r, -r],
      ] as const) {
        const element = document.elementFromPoint(wanted.x + dx, wanted.y + dy);
        if (element?.classList.contains('react-flow__pane')) return { x: wanted.x + dx, y: wanted.y + dy };
      }
    return undefined;
  }, near);
  if (!point) throw new Error('no empty canvas near the point');
  return point;
}

describe.skipIf(!availability.run)('the canvas in a browser', () => {
  const lab = useLab();

  it(
    'lands nothing on anything: drops on one host, palette clicks, paste, and drags follow the pointer',
    async () => {
      const app = await Designer.open(lab(), 'canvas-placement');
      try {
        await app.dragFromPalette('app', { x: 420, y: 300 });
        for (let n = 0; n < 3; n++) await app.dragFromPaletteOnto('redis', 'app-1');
        let state = await app.settled();
        expect(state.design.hosts.map((h) => h.id)).toEqual(['host-1']);
        const inHost = ['app-1', 'redis-1', 'redis-2', 'redis-3'];
        const services = await boxes(app, inHost);
        const host = (await app.node('host-1').boundingBox())!;
        expect(pairwiseApart(services)).toBe(true);
        for (const box of services) expect(inside(box, host)).toBe(true);
        await app.shot('four-services-one-host');

        // Palette clicks with nothing selected: a new host in free space; the next clicks add to
        // the selected service's host, side by side, and the host grows.
        await app.page.keyboard.press('Escape');
        for (let n = 0; n < 3; n++) await app.page.getByTestId('palette-nginx').click();
        state = await app.settled();
        expect(state.design.hosts).toHaveLength(2);
        const clicked = state.design.services.filter((s) => s.kind === 'nginx');
        expect(new Set(clicked.map((s) => s.host)).size).toBe(1);
        const nginxHost = (await app.node(clicked[0]!.host!).boundingBox())!;
        const nginx = await boxes(
          app,
          clicked.map((s) => s.id),
        );
        expect(pairwiseApart(nginx)).toBe(true);
        for (const box of nginx) expect(inside(box, nginxHost)).toBe(true);
        expect(
          pairwiseApart(
            await boxes(
              app,
              state.design.hosts.map((h) => h.id),
            ),
          ),
        ).toBe(true);

        // Paste keeps the copy on the source's host, in free space.
        await app.node('app-1').click();
        await app.page.keyboard.press('Control+c');
        await app.page.keyboard.press('Control+v');
        state = await app.settled();
        const copy = state.design.services.find((s) => s.id === 'app-2')!;
        expect(copy.host).toBe('host-1');
        expect(pairwiseApart(await boxes(app, [...inHost, 'app-2']))).toBe(true);
        await app.shot('paste-in-place');

        // Dragging a service: the host under the pointer lights up and takes it, as one step.
        const target = state.design.services.find((s) => s.id === 'nginx-1')!.host!;
        const from = (await app.node('redis-1').boundingBox())!;
        const to = (await app.node(target).locator('.container-header').boundingBox())!;
        const before = state.revision;
        await app.page.mouse.move(from.x + 30, from.y + 20);
        await app.page.mouse.down();
        await app.page.mouse.move(to.x + 60, to.y + 40, { steps: 12 });
        await app.page.mouse.move(to.x + 62, to.y + 42, { steps: 2 });
        await expect.poll(() => app.node(target).getAttribute('class')).toMatch(/drop-target/);
        await expect.poll(() => app.page.getByTestId('drop-hint').textContent()).toBe(`Move into ${target}`);
        await app.shot('drop-target-lit');
        await app.page.mouse.up();
        state = await app.editedAfter(before);
        expect(state.design.services.find((s) => s.id === 'redis-1')?.host).toBe(target);
        expect(await app.page.getByTestId('drop-hint').count()).toBe(0);
        const after = await app.page.evaluate(
          () =>
            (
              window as unknown as { topoforge: { store: { getState(): { past: { label: string }[] } } } }
            ).topoforge.store
              .getState()
              .past.at(-1)?.label,
        );
        expect(after).toBe('Move redis-1');

        // Dropped on empty canvas: a new host, visible and selected.
        const lone = (await app.node('redis-2').boundingBox())!;
        const canvas = await app.canvasBox();
        const empty = await emptyPoint(app, { x: canvas.x + 160, y: canvas.y + canvas.height - 160 });
        await app.page.mouse.move(lone.x + 30, lone.y + 20);
        await app.page.mouse.down();
        await app.page.mouse.move(empty.x, empty.y, { steps: 12 });
        await expect.poll(() => app.page.getByTestId('drop-hint').textContent()).toBe('New host');
        await app.page.mouse.up();
        // The drop is committed when React Flow ends the drag: on a busy machine a frame later.
        const hostOfRedis2 = async () =>
          (await app.settled()).design.services.find((s) => s.id === 'redis-2')!.host!;
        await expect.poll(hostOfRedis2).not.toBe('host-1');
        state = await app.settled();
        const newHost = await hostOfRedis2();
        await expect.poll(() => selection(app)).toEqual([newHost]);
        await expect.poll(() => app.node(newHost).isVisible()).toBe(true);
        expect(
          pairwiseApart(
            await boxes(
              app,
              state.design.hosts.map((h) => h.id),
            ),
          ),
        ).toBe(true);
        await app.shot('new-host-selected');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'opens every example centred at a readable zoom; F, the Fit button and opening agree',
    async () => {
      const app = await Designer.open(lab(), 'canvas-open-readable');
      try {
        for (const base of [
          'tessera-ha',
          'teramind-ha',
          'expertflow-two-sites',
          'tealeaf-resilient',
          'helix-teamhub',
        ]) {
          await app.openExample(base);
          const opened = await settledViewport(app);
          expect(opened.zoom, base).toBeGreaterThanOrEqual(0.6);
          expect(opened.zoom, base).toBeLessThanOrEqual(1);
          // Centred: as much room on the left as on the right, or above as below.
          const pane = await app.canvasBox();
          const nodes = await app.page.$$eval('.react-flow__node', (elements) =>
            elements
              // A group's frame is drawn 4 px around its members' hosts: a mark, not part of the bounds.
              .filter((e) => !e.classList.contains('react-flow__node-frame'))
              .map((e) => e.getBoundingClientRect())
              .map((r) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom })),
          );
          const left = Math.min(...nodes.map((n) => n.left)) - pane.x;
          const right = pane.x + pane.width - Math.max(...nodes.map((n) => n.right));
          const top = Math.min(...nodes.map((n) => n.top)) - pane.y;
          const bottom = pane.y + pane.height - Math.max(...nodes.map((n) => n.bottom));
          expect(Math.abs(left - right), `${base} left ${left} right ${right}`).toBeLessThan(3);
          expect(Math.abs(top - bottom), `${base} top ${top} bottom ${bottom}`).toBeLessThan(3);
          // Somewhere else, then F; somewhere else, then the Fit button: the same view.
          const zoomedIn = async (delta: number) => {
            await app.page.mouse.move(pane.x + pane.width / 2, pane.y + pane.height / 2);
            await app.page.mouse.wheel(0, delta);
            await expect.poll(async () => (await viewport(app)).zoom).not.toBe(opened.zoom);
            await app.page.waitForTimeout(200);
          };
          await zoomedIn(-400);
          await app.page.keyboard.press('f');
          await expect.poll(() => viewport(app), { timeout: 5000 }).toEqual(opened);
          await zoomedIn(500);
          await app.page.getByTestId('fit-button').click();
          await expect.poll(() => viewport(app), { timeout: 5000 }).toEqual(opened);
          await app.shot(`opened-${base}`);
        }
        expect(app.errors).toEqual([]);
      } finally {
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'lays out 300 services in the shape of the pane, and a large pool collapses into a count',
    async () => {
      const app = await Designer.open(lab(), 'canvas-large');
      try {
        const design = syntheticDesign({ services: 300 });
        delete design.layout;
        // One pool beyond the threshold: its members show as one node with a count.
        const pool = design.groups!.find((g) => g.kind === 'pool')!;
        const members = design.services.filter((s) => s.kind === 'processing').slice(0, 12);
        for (const member of members) member.group = pool.id;
        await app.openDesign('synthetic-300.topo.json', design);
        const view = await settledViewport(app);
        // The issue measured 0.10 with the layered layout.
        expect(view.zoom).toBeGreaterThanOrEqual(0.15);
        await app.shot('synthetic-300');
        const toggle = app.page.getByTestId(`pool-toggle-${pool.id}`);
        await expect.poll(() => toggle.textContent()).toMatch(/^×1[2-9] ▸$/);
        expect(await app.node(members[0]!.id).count()).toBe(0);
        await toggle.click();
        await expect.poll(() => app.node(members[0]!.id).count()).toBe(1);
        const state = await app.settled();
        expect(state.design.layout?.[pool.id]).toMatchObject({ collapsed: false });
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'selects, pans, nudges, edits labels, offers a context menu, aligns, finds and deletes as drawing tools do',
    async () => {
      const app = await Designer.open(lab(), 'canvas-conventions');
      try {
        await app.openExample('tessera-ha');
        // Shift-click and Ctrl-click toggle.
        await app.node('lb-a').click();
        await app.node('tessera-a').click({ modifiers: ['Shift'] });
        expect(await selection(app)).toEqual(['lb-a', 'tessera-a']);
        await app.node('lb-a').click({ modifiers: ['Shift'] });
        expect(await selection(app)).toEqual(['tessera-a']);
        await app.node('lb-b').click({ modifiers: ['Control'] });
        expect(await selection(app)).toEqual(['tessera-a', 'lb-b']);
        await app.shot('shift-click-toggles');

        // A drag on empty canvas selects the hosts inside the box: nodes only, no contents.
        const lb1 = (await app.node('lb-1').boundingBox())!;
        const lb2 = (await app.node('lb-2').boundingBox())!;
        const start = await emptyPoint(app, { x: lb1.x - 12, y: lb1.y - 12 });
        await app.page.mouse.move(start.x, start.y);
        await app.page.mouse.down();
        await app.page.mouse.move(lb2.x + lb2.width + 8, lb2.y + lb2.height + 8, { steps: 10 });
        await app.page.mouse.up();
        expect((await selection(app)).sort()).toEqual(['lb-1', 'lb-2']);
        await app.shot('box-select');

        // Space-drag and middle-drag pan, and leave the selection alone.
        const before = await viewport(app);
        const pan = await emptyPoint(app, { x: lb1.x - 40, y: lb1.y + lb1.height + 40 });
        await app.page.mouse.move(pan.x, pan.y);
        await app.page.keyboard.down('Space');
        await app.page.mouse.down();
        await app.page.mouse.move(pan.x + 120, pan.y + 60, { steps: 6 });
        await app.page.mouse.up();
        await app.page.keyboard.up('Space');
        const panned = await viewport(app);
        expect(panned.x - before.x).toBeCloseTo(120, 0);
        expect(panned.y - before.y).toBeCloseTo(60, 0);
        await app.page.mouse.move(pan.x + 120, pan.y + 60);
        await app.page.mouse.down({ button: 'middle' });
        await app.page.mouse.move(pan.x, pan.y, { steps: 6 });
        await app.page.mouse.up({ button: 'middle' });
        expect((await viewport(app)).x).toBeCloseTo(before.x, 0);
        expect((await selection(app)).sort()).toEqual(['lb-1', 'lb-2']);

        // Arrow keys nudge, Shift 10 px; held, it is one step to undo.
        let state = await app.settled();
        const at = state.design.layout!['lb-1']!;
        for (let n = 0; n < 3; n++) await app.page.keyboard.press('ArrowRight');
        await app.page.keyboard.press('Shift+ArrowDown');
        state = await app.settled();
        expect(state.design.layout!['lb-1']).toMatchObject({ x: at.x + 3, y: at.y + 10 });
        await app.page.keyboard.press('Control+z');
        state = await app.settled();
        expect(state.design.layout!['lb-1']).toMatchObject({ x: at.x, y: at.y });

        // Double-click edits the label in place.
        await app.node('lb-a').dblclick();
        const editor = app.page.getByTestId('label-editor');
        await editor.fill('Front balancer A');
        await app.shot('label-in-place');
        await editor.press('Enter');
        await expect
          .poll(() => app.node('lb-a').locator('.node-title').textContent())
          .toBe('Front balancer A');

        // Right-click: the context menu for what is under the pointer.
        await app.node('tessera-a').click({ button: 'right' });
        const menu = app.page.getByTestId('context-menu');
        const commands = () =>
          menu.locator('[data-command]').evaluateAll((e) => e.map((b) => b.getAttribute('data-command')));
        expect(await selection(app)).toEqual(['tessera-a']);
        expect(await commands()).toEqual(
          expect.arrayContaining(['edit.label', 'edit.cut', 'edit.copy', 'edit.duplicate', 'edit.delete']),
        );
        await app.shot('context-menu-node');
        await app.page.keyboard.press('Escape');
        await expect.poll(() => menu.count()).toBe(0);
        const empty = await emptyPoint(app, { x: lb1.x - 60, y: lb1.y + 200 });
        await app.page.mouse.click(empty.x, empty.y, { button: 'right' });
        expect(await commands()).toEqual(
          expect.arrayContaining(['edit.select-all', 'view.fit', 'arrange.auto']),
        );
        await app.page.keyboard.press('Escape');

        // Align from the context menu: the entrypoint above and the database below line up.
        await app.node('p2p').click();
        await app.node('tessera-db').click({ modifiers: ['Shift'] });
        await app.node('tessera-db').click({ button: 'right' });
        await menu.locator('[data-command="arrange.align-left"]').click();
        await expect
          .poll(async () => {
            const [a, b] = await boxes(app, ['p2p', 'tessera-db']);
            return Math.round(a!.x - b!.x);
          })
          .toBe(0);
        await app.shot('aligned-left');

        // Ctrl+F finds an address and jumps to it.
        await app.page.keyboard.press('Control+f');
        const field = app.page.getByTestId('search-field');
        await field.fill('10.40.1.12');
        await expect.poll(() => app.page.getByTestId('search-count').textContent()).toBe('1 found');
        await field.press('Enter');
        await expect.poll(() => selection(app)).toEqual(['tessera-2']);
        await expect.poll(() => app.page.getByTestId('search-count').textContent()).toBe('1 of 1');
        await app.shot('search-found');
        await field.press('Escape');

        // Delete (the search left tessera-2 selected) says what else went; Undo brings it back.
        await app.page.keyboard.press('Delete');
        const notice = app.page.getByTestId('notice').last();
        await expect
          .poll(() => notice.textContent())
          .toMatch(/^Deleted tessera-2, and with it service tessera-b and \d+ links$/);
        await app.shot('delete-toast');
        await app.page.getByTestId('notice-action').last().click();
        state = await app.settled();
        expect(state.design.hosts.map((h) => h.id)).toContain('tessera-2');

        // One history: Ctrl+Z in an inspector field takes back the design's change.
        await app.node('lb-1').locator('.container-title').click();
        const address = app.page.getByTestId('field-address');
        const original = await address.inputValue();
        await address.fill('10.40.0.99');
        await address.press('Enter');
        state = await app.settled();
        expect(state.design.hosts.find((h) => h.id === 'lb-1')?.address).toBe('10.40.0.99');
        await address.press('Control+z');
        state = await app.settled();
        expect(state.design.hosts.find((h) => h.id === 'lb-1')?.address).toBe(original);
        await expect.poll(() => address.inputValue()).toBe(original);

        // The help lists what the registry registered.
        await app.page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
        await app.page.keyboard.press('?');
        const help = app.page.getByTestId('help-overlay');
        await expect
          .poll(() => help.locator('[data-command="arrange.nudge-left"] kbd').allTextContents())
          .toEqual(['←', 'Shift+←']);
        await app.shot('help');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );
});
