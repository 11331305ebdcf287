/**
 * End to end, issue 18 items 4 to 9 as a person sees them in Chromium: a canvas that reads at a
 * thousand services, what-if explanations read once, findings that help a sketch, the keyboard
 * and axe-core, and pictures people can use. Every step leaves a screenshot in test-results/e2e/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticDesign } from '../../bench/synthetic';
import { requireTool } from '../lab/tools';
import { colourDistance, decodePng, inkIn, meanColour, renderSvg, rgb } from '../renderer/pictures';
import { Designer, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 180_000;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The screen boxes of every container header on the page. */
async function headerBoxes(page: Page): Promise<(Box & { id: string })[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.react-flow__node .container-header')].map((header) => {
      const rect = header.getBoundingClientRect();
      const id = header.closest<HTMLElement>('.react-flow__node')!.dataset.id!;
      return { id, x: rect.x, y: rect.y, width: rect.width, height: rect.height };
    }),
  );
}

/** Points every 2 pixels along every drawn edge line, on the screen. */
async function edgePoints(page: Page): Promise<{ edge: string; x: number; y: number }[]> {
  return page.evaluate(() => {
    const points: { edge: string; x: number; y: number }[] = [];
    for (const path of document.querySelectorAll<SVGPathElement>(
      '.react-flow__edge .react-flow__edge-path',
    )) {
      const edge = path.closest<SVGGElement>('.react-flow__edge')!.dataset.id!;
      const matrix = path.getScreenCTM()!;
      const length = path.getTotalLength();
      for (let at = 0; at <= length; at += 2) {
        const p = path.getPointAtLength(at).matrixTransform(matrix);
        points.push({ edge, x: p.x, y: p.y });
      }
    }
    return points;
  });
}

function inside(point: { x: number; y: number }, box: Box, inset = 1.5): boolean {
  return (
    point.x > box.x + inset &&
    point.x < box.x + box.width - inset &&
    point.y > box.y + inset &&
    point.y < box.y + box.height - inset
  );
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && a.x + a.width > b.x && a.y < b.y + b.height && a.y + a.height > b.y;
}

/** The app's store state, through the handle the tests use. */
async function state<T>(page: Page, pick: string): Promise<T> {
  return page.evaluate((expression) => {
    const store = (window as unknown as { topoforge: { store: { getState(): Record<string, unknown> } } })
      .topoforge.store;
    // A path of plain properties, e.g. "analysis.findings".
    return expression
      .split('.')
      .reduce<unknown>((value, key) => (value as Record<string, unknown>)?.[key], store.getState());
  }, pick) as Promise<T>;
}

describe.skipIf(!availability.run)('the canvas, presented', () => {
  const lab = useLab();
  const downloads = mkdtempSync(join(tmpdir(), 'topoforge-e2e-present-'));

  afterAll(() => {
    rmSync(downloads, { recursive: true, force: true });
  });

  it(
    'reads at scale: edges under headers, parallel links apart, group marks, an overview beside the canvas, findings by rule',
    async () => {
      const app = await Designer.open(lab(), 'legible');
      try {
        await app.openExample('helix-teamhub');
        await app.page.evaluate(() => {
          const handle = (
            window as unknown as { topoforge: { services: { canvas?: { setViewport(v: object): void } } } }
          ).topoforge;
          handle.services.canvas?.setViewport({ x: 40, y: 40, zoom: 1 });
        });
        await app.page.waitForTimeout(400);
        await app.shot('helix-actual-size');
        // No drawn line runs through a host's or a site's header.
        const headers = await headerBoxes(app.page);
        const points = await edgePoints(app.page);
        expect(points.length).toBeGreaterThan(500);
        const through = points.filter((p) => headers.some((h) => inside(p, h)));
        expect(through).toEqual([]);
        // lb-a reaches web-a and web-b on 80 and on 22: four :22 labels, each readable on its own.
        const labels = await app.page
          .locator('.react-flow__edge-text', { hasText: ':22' })
          .evaluateAll((elements) =>
            elements.map((e) => {
              const r = e.getBoundingClientRect();
              return { x: r.x, y: r.y, width: r.width, height: r.height };
            }),
          );
        expect(labels).toHaveLength(4);
        for (const [i, a] of labels.entries())
          for (const b of labels.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
        // Zoomed out until a label would be a few pixels tall, no label is drawn (nor measured).
        await app.page.evaluate(() => {
          const handle = (
            window as unknown as { topoforge: { services: { canvas?: { setViewport(v: object): void } } } }
          ).topoforge;
          handle.services.canvas?.setViewport({ x: 40, y: 40, zoom: 0.4 });
        });
        await expect.poll(() => app.page.locator('.react-flow__edge-text').count()).toBe(0);
        await app.page.evaluate(() => {
          const handle = (
            window as unknown as { topoforge: { services: { canvas?: { setViewport(v: object): void } } } }
          ).topoforge;
          handle.services.canvas?.setViewport({ x: 40, y: 40, zoom: 1 });
        });
        await expect
          .poll(() => app.page.locator('.react-flow__edge-text', { hasText: ':22' }).count())
          .toBe(4);
        // A label cut by the card's width is whole on hover.
        const lbA = await state<{ label: string }[]>(app.page, 'design.services');
        const label = lbA.find((s) => (s as unknown as { id: string }).id === 'lb-a')!.label;
        expect(await app.node('lb-a').getAttribute('title')).toBe(label);

        const design = syntheticDesign({ services: 1000 });
        delete design.layout;
        await app.openDesign('synthetic-1000.topo.json', design, { timeout: 60_000 });
        await app.shot('synthetic-1000-opened');
        // Membership as marks, not a mesh of edges.
        expect(await app.page.locator('.react-flow__edge[data-id^="member:"]').count()).toBe(0);
        // The overview is beside the canvas, never over it.
        const canvas = await app.canvasBox();
        const overview = (await app.page.getByTestId('overview').boundingBox())!;
        expect(overlaps(canvas, overview)).toBe(false);
        const frame = (await app.page.getByTestId('overview-frame').boundingBox())!;
        expect(frame.width).toBeGreaterThan(4);

        // A group selected shows its members' edges; its members carry its mark.
        const group = design.groups!.find((g) => g.kind === 'mongodb-replica-set')!;
        const members = design.services.filter((s) => s.group === group.id).map((s) => s.id as string);
        await app.page.evaluate(
          (ids) => {
            const handle = (
              window as unknown as {
                topoforge: {
                  store: { getState(): { select(ids: string[]): void } };
                  services: { canvas?: { fitView(ids: string[]): void } };
                };
              }
            ).topoforge;
            handle.store.getState().select([ids[0]!]);
            handle.services.canvas?.fitView(ids);
          },
          [group.id, ...members],
        );
        await app.page.waitForTimeout(800);
        await expect
          .poll(() => app.page.locator('.react-flow__edge[data-id^="member:"]').count())
          .toBe(members.length);
        for (const member of members)
          expect(await app.page.getByTestId(`group-mark-${member}`).getAttribute('data-group')).toBe(
            group.id,
          );
        await app.shot('replica-set-selected');

        // Findings: one line per rule with its count; a click selects what a finding names.
        await app.page.getByTestId('tab-findings').click();
        const findings = await state<{ rule: string; subjects: string[] }[]>(app.page, 'analysis.findings');
        const perRule = new Map<string, number>();
        for (const f of findings) perRule.set(f.rule, (perRule.get(f.rule) ?? 0) + 1);
        expect(findings.length).toBeGreaterThan(40);
        await expect.poll(() => app.page.locator('[data-testid^="rule-group-"]').count()).toBe(perRule.size);
        for (const [rule, count] of perRule)
          expect(await app.page.getByTestId(`rule-count-${rule}`).textContent()).toBe(String(count));
        expect(await app.page.locator('.finding:visible').count()).toBeLessThan(findings.length);
        await app.page.getByTestId('rule-group-spof.site').locator('summary').click();
        const first = findings.find((f) => f.rule === 'spof.site')!;
        await app.page.getByTestId('rule-group-spof.site').locator('.finding').first().click();
        await expect.poll(() => state<string[]>(app.page, 'selection')).toEqual(first.subjects);
        await app.shot('findings-by-rule');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'tells a what-if failure cause first, once per cause, in a bubble inside the pane; headers take the click',
    async () => {
      const app = await Designer.open(lab(), 'what-if-told');
      try {
        await app.openExample('tealeaf-resilient');
        await app.page.getByTestId('what-if-button').click();
        await app.node('rep-1').locator('.container-title').click();
        const bubble = app.page.getByTestId('reason-portal');
        await expect
          .poll(() => bubble.textContent())
          .toBe(
            'Tealeaf Portal and RealiTea Viewer is waiting for a person: rep-a failed with host rep-1; rep-b is a cold standby that a person must start' +
              // The cause, then its recovery on a line of its own.
              'Recovers in ≈ 30 min by a person starting the cold standby.',
          );
        const pane = await app.canvasBox();
        const within = async () => {
          const box = (await bubble.boundingBox())!;
          return (
            box.x >= pane.x &&
            box.y >= pane.y &&
            box.x + box.width <= pane.x + pane.width &&
            box.y + box.height <= pane.y + pane.height
          );
        };
        expect(await within()).toBe(true);
        await app.shot('bubble');
        // The portal at the right edge of the pane: the bubble moves to stay inside.
        const portal = (await app.node('portal').boundingBox())!;
        await app.page.evaluate(
          (dx) => {
            const handle = (
              window as unknown as {
                topoforge: { services: { canvas?: { setViewport(v: object): void } } };
              }
            ).topoforge;
            const viewport = document.querySelector<HTMLElement>('.react-flow__viewport')!.style.transform;
            const [, x, y, zoom] = /translate\(([-\d.]+)px, ([-\d.]+)px\) scale\(([\d.]+)\)/.exec(viewport)!;
            handle.services.canvas?.setViewport({ x: Number(x) + dx, y: Number(y), zoom: Number(zoom) });
          },
          pane.x + pane.width - (portal.x + portal.width) - 4,
        );
        await app.page.waitForTimeout(500);
        expect(await within()).toBe(true);
        await app.shot('bubble-at-the-edge');

        // The panel: the cause once, what it did, the chain folded under the entrypoint.
        const causes = app.page.getByTestId('cause');
        await expect.poll(() => causes.count()).toBe(1);
        expect(await causes.locator('.cause-title').textContent()).toBe('Host rep-1 failed');
        const entry = app.page.getByTestId('entrypoint-status-portal');
        await entry.locator('summary').click();
        expect(await entry.locator('.outcome-chain').textContent()).toMatch(
          /rep-a.*down failed with host rep-1/,
        );

        await app.page.getByTestId('what-if-button').click();
        await app.openExample('helix-teamhub');
        await app.page.getByTestId('what-if-button').click();
        await app.node('lb-1').locator('.container-title').click();
        await app.node('lb-2').locator('.container-title').click();
        // One cause either way: wait for the answer that counts both failures, not the first one's.
        await expect
          .poll(() => causes.locator('.cause-title').allTextContents())
          .toEqual(['Hosts lb-1 and lb-2 failed']);
        expect(await causes.count()).toBe(1);
        expect(await causes.locator('.outcome-name').allTextContents()).toEqual([
          'Helix TeamHub web and Git over HTTPS',
          'Version control over SSH',
        ]);
        await app.shot('one-cause-two-entrypoints');

        // Where an edge passes a site's header, a click there fails the site, not the edge.
        await app.page.getByTestId('what-if-button').click();
        await app.openExample('expertflow-two-sites');
        await app.page.getByTestId('what-if-button').click();
        const header = (await headerBoxes(app.page)).find((h) => h.id === 'site-a')!;
        const points = await edgePoints(app.page);
        const crossing = points.find(
          (p) =>
            p.x > header.x + 4 && p.x < header.x + header.width - 4 && p.y < header.y && p.y > header.y - 6,
        );
        expect(crossing, 'an edge runs down into site A').toBeDefined();
        const at = { x: crossing!.x, y: header.y + header.height / 2 };
        expect(
          await app.page.evaluate(
            ({ x, y }) => document.elementFromPoint(x, y)?.closest('.container-header') !== null,
            at,
          ),
        ).toBe(true);
        await app.page.mouse.click(at.x, at.y);
        await expect.poll(() => state<string[]>(app.page, 'failed')).toEqual(['site-a']);
        await app.shot('site-header-clicked');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'helps a sketch: implied entrypoints said once with their findings folded; one added, unreached services warned',
    async () => {
      const app = await Designer.open(lab(), 'sketch');
      try {
        const sketch = JSON.parse(
          readFileSync(join(import.meta.dirname, '../../examples/tealeaf-resilient.topo.json'), 'utf8'),
        ) as Record<string, unknown>;
        delete sketch.entrypoints;
        delete sketch.layout;
        await app.openDesign('sketch.topo.json', sketch, { timeout: 60_000 });
        await app.page.getByTestId('tab-findings').click();
        const note = app.page.getByTestId('sketch-note');
        await note.waitFor();
        expect(await note.textContent()).toMatch(
          /every service that nothing links to counts as an entrypoint \(6:/,
        );
        const findings = await state<{ rule: string; subjects: string[] }[]>(app.page, 'analysis.findings');
        const implied = await state<string[]>(app.page, 'analysis.implicitEntrypoints');
        const following = findings.filter(
          (f) => f.rule.startsWith('spof.') && f.subjects.some((s) => implied.includes(s)),
        );
        expect(following.length).toBeGreaterThan(0);
        expect(await app.page.getByTestId('sketch-findings').locator('summary').textContent()).toBe(
          `${following.length} findings that follow from this`,
        );
        // Folded: not a wall of cards.
        expect(await app.page.locator('.finding:visible').count()).toBeLessThan(following.length);
        expect(await app.page.getByTestId('rule-group-spof.host').count()).toBe(0);
        await app.shot('sketch-note');

        const before = await app.settled();
        await app.page.getByTestId('sketch-add-entrypoint').click();
        const after = await app.editedAfter(before.revision);
        expect(after.design.entrypoints).toHaveLength(1);
        expect(after.design.entrypoints![0]!.targets).toEqual(['pca-1a']);
        await app.page.getByTestId('tab-findings').click();
        await expect.poll(() => note.count()).toBe(0);
        // Now the design has an entrypoint: what it does not reach is said so.
        const unreachable = after.findings
          .filter((f) => f.rule === 'service.unreachable')
          .map((f) => f.subjects[0]);
        expect(unreachable).toContain('pca-2a');
        expect(unreachable).not.toContain('pca-1a');
        expect(await app.page.getByTestId('rule-count-service.unreachable').textContent()).toBe(
          String(unreachable.length),
        );
        await app.shot('entrypoint-added');
        // One undo takes it back, note and all.
        await app.page.getByTestId('undo').click();
        await app.page.getByTestId('tab-findings').click();
        await note.waitFor();
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'passes axe-core (WCAG 2.1 AA) on every view, and Tab reads the canvas in order with a focus ring',
    async () => {
      for (const theme of ['light', 'dark'] as const) {
        const app = await Designer.open(lab(), `accessible-${theme}`, { theme });
        try {
          await app.openExample('expertflow-two-sites');
          const audit = async (view: string) => expect(await app.accessibilityViolations(view)).toEqual([]);
          await audit('editor');
          await app.node('gw-a').click();
          await audit('inspector');
          await app.page.getByTestId('tab-findings').click();
          await app.page.locator('.rule-group summary').first().click();
          await audit('findings');
          await app.page.getByTestId('what-if-button').click();
          await app.node('ef-a').locator('.container-title').click();
          await app.page.locator('.outcome summary').first().click();
          await audit('what-if');
          await app.shot('what-if-audited');
          await app.page.getByTestId('what-if-button').click();
          await app.page.getByTestId('tab-preview').click();
          await expect.poll(() => app.page.locator('.cm-content').textContent()).toMatch(/\S/);
          await audit('code');
          expect(await app.page.locator('.cm-content').getAttribute('aria-label')).toMatch(
            /^Generated file \//,
          );

          // Tab through the canvas: sites, hosts and services in reading order; never an edge.
          const order = await app.page.evaluate(() =>
            [...document.querySelectorAll<HTMLElement>('.react-flow__node[tabindex="0"]')].map(
              (n) => n.dataset.id!,
            ),
          );
          expect(order.indexOf('site-a')).toBeLessThan(order.indexOf('ef-a'));
          expect(order.indexOf('ef-a')).toBeLessThan(order.indexOf('gw-a'));
          expect(order.indexOf('gw-a')).toBeLessThan(order.indexOf('chat-a'));
          expect(order.indexOf('mysql-a')).toBeLessThan(order.indexOf('site-b'));
          await app.page.locator(`.react-flow__node[data-id="${order[0]}"]`).focus();
          const visited: string[] = [order[0]!];
          for (let i = 1; i < order.length; i++) {
            // In the dark theme one Tab is enough to see the ring drawn by keyboard focus.
            if (theme === 'dark' && i > 1) break;
            await app.page.keyboard.press('Tab');
            // A control inside a node (a pool's collapse toggle) is a stop of its own: step past it.
            const inNode = await app.page.evaluate(() => {
              const active = document.activeElement as HTMLElement;
              return (
                !active.classList.contains('react-flow__node') && active.closest('.react-flow__node') !== null
              );
            });
            if (inNode) await app.page.keyboard.press('Tab');
            visited.push(
              await app.page.evaluate(() => (document.activeElement as HTMLElement).dataset.id ?? '?'),
            );
          }
          expect(visited).toEqual(theme === 'dark' ? order.slice(0, 2) : order);
          const focused = app.page.locator('.react-flow__node:focus');
          expect(await focused.evaluate((e) => getComputedStyle(e).outlineStyle)).toBe('solid');
          await app.page.locator('.react-flow__node[data-id="gw-a"]').focus();
          expect(await app.page.locator('.react-flow__node:focus').getAttribute('aria-label')).toBe(
            'Application Gateway (NGINX), site A, nginx on host ef-a',
          );
          // E walks the node's edges; each has a name; Escape comes back.
          await app.page.keyboard.press('e');
          const edgeName = () => app.page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
          expect(await edgeName()).toMatch(/^traffic link from Application Gateway/);
          const firstEdge = await edgeName();
          await app.page.keyboard.press('ArrowRight');
          expect(await edgeName()).not.toBe(firstEdge);
          await app.shot('edge-focused');
          await app.page.keyboard.press('Escape');
          expect(await app.page.evaluate(() => (document.activeElement as HTMLElement).dataset.id)).toBe(
            'gw-a',
          );
          expect(app.errors).toEqual([]);
        } finally {
          await app.shot('last');
          await app.close();
        }
      }
    },
    TIMEOUT,
  );

  it(
    'builds a design, connects two services, fails a host and reads the result with the keyboard alone',
    async () => {
      const app = await Designer.open(lab(), 'keyboard-alone');
      const keys = app.page.keyboard;
      const active = () =>
        app.page.evaluate(() => {
          const e = document.activeElement as HTMLElement | null;
          return {
            testId: e?.dataset.testid,
            id: e?.dataset.id,
            text: e?.textContent ?? '',
            tag: e?.tagName,
          };
        });
      /** Presses Tab until `match` holds for the focused element. */
      const tabTo = async (match: (e: Awaited<ReturnType<typeof active>>) => boolean, limit = 80) => {
        for (let i = 0; i < limit; i++) {
          await keys.press('Tab');
          if (match(await active())) return;
        }
        throw new Error('Tab never reached it');
      };
      try {
        await tabTo((e) => e.testId === 'palette-database');
        await keys.press('Enter');
        await tabTo((e) => e.testId === 'palette-app');
        await keys.press('Enter');
        let snapshot = await app.settled();
        expect(snapshot.design.services.map((s) => s.kind)).toEqual(['database', 'app']);
        // The new app server is selected: in the inspector, link it to the database it uses.
        const [database, app1] = snapshot.design.services;
        await tabTo((e) => e.testId === 'link-target');
        await keys.press('ArrowDown');
        await tabTo((e) => e.testId === 'add-link');
        await keys.press('Enter');
        snapshot = await app.editedAfter(snapshot.revision);
        expect(snapshot.design.links).toEqual([{ from: app1!.id, to: database!.id }]);
        await app.shot('linked');

        // What-if with W, then fail the database's host from the canvas with Enter.
        await tabTo((e) => e.id !== undefined);
        await keys.press('w');
        await tabTo((e) => e.id === database!.host);
        await keys.press('Enter');
        await expect.poll(() => state<string[]>(app.page, 'failed')).toEqual([database!.host]);
        // Read the result: the first outcome in the panel, reached by Tab.
        await tabTo((e) => e.tag === 'SUMMARY');
        const read = await active();
        expect(read.text).toMatch(new RegExp(`^${app1!.id} down.*failed with host ${database!.host}$`));
        await keys.press('Enter');
        await tabTo((e) => e.text === 'Show on the canvas');
        await app.shot('read-by-keyboard');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  describe.skipIf(!requireTool('rsvg-convert'))('export', () => {
    /** Exports the diagram through File › Export and returns the file's bytes. */
    async function exported(app: Designer, format: 'png' | 'svg'): Promise<Buffer> {
      const download = app.page.waitForEvent('download');
      await app.fileMenu(`export-${format}`);
      const file = await download;
      const path = join(downloads, `${Date.now()}-${file.suggestedFilename()}`);
      await file.saveAs(path);
      return readFileSync(path);
    }

    /** The boxes of the design's items in the picture: flow boxes moved by its margin. */
    async function pictureBoxes(app: Designer, scale: number): Promise<Map<string, Box & { kind: string }>> {
      const boxes = await app.page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('.react-flow__node')].map((node) => {
          const [, x, y] = /translate\(([-\d.]+)px, ?([-\d.]+)px\)/.exec(node.style.transform) ?? [];
          return {
            id: node.dataset.id!,
            kind: [...node.classList].find((c) => c.startsWith('react-flow__node-'))!.slice(17),
            x: Number(x),
            y: Number(y),
            width: node.offsetWidth,
            height: node.offsetHeight,
          };
        }),
      );
      // React Flow positions every node absolutely in the viewport, so these are flow coordinates;
      // the picture's margin is counted from the items, not from group frames around them.
      const items = boxes.filter((b) => b.kind !== 'frame');
      const left = Math.min(...items.map((b) => b.x));
      const top = Math.min(...items.map((b) => b.y));
      return new Map(
        boxes.map((b) => [
          b.id,
          {
            kind: b.kind,
            x: (b.x - left + 40) * scale,
            y: (b.y - top + 40) * scale,
            width: b.width * scale,
            height: b.height * scale,
          },
        ]),
      );
    }

    it(
      'writes the SVG as vector shapes that librsvg draws like the canvas, under 300 KB for Helix',
      async () => {
        const app = await Designer.open(lab(), 'export-svg');
        try {
          await app.openExample('helix-teamhub');
          const svg = (await exported(app, 'svg')).toString('utf8');
          expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
          expect(svg).not.toContain('foreignObject');
          expect(Buffer.byteLength(svg)).toBeLessThan(300_000);
          const names = new Set([...svg.matchAll(/<([a-zA-Z]+)[\s>/]/g)].map((m) => m[1]));
          for (const name of ['rect', 'text', 'path', 'use', 'symbol']) expect(names).toContain(name);
          const drawn = renderSvg(svg);
          const [width, height] = /width="(\d+)" height="(\d+)"/.exec(svg)!.slice(1).map(Number);
          expect([drawn.width, drawn.height]).toEqual([width, height]);

          // The canvas at actual size, its top-left where the picture's is.
          const boxes = await pictureBoxes(app, 1);
          await app.page.evaluate(() => {
            const handle = (
              window as unknown as {
                topoforge: {
                  store: { getState(): { select(ids: string[]): void } };
                  services: { canvas?: { setViewport(v: object): void } };
                };
              }
            ).topoforge;
            handle.store.getState().select([]);
          });
          const flowLeft = await app.page.evaluate(() => {
            const nodes = [
              ...document.querySelectorAll<HTMLElement>('.react-flow__node:not(.react-flow__node-frame)'),
            ].map((n) =>
              /translate\(([-\d.]+)px, ?([-\d.]+)px\)/.exec(n.style.transform)!.slice(1).map(Number),
            );
            return [Math.min(...nodes.map((p) => p[0]!)), Math.min(...nodes.map((p) => p[1]!))];
          });
          await app.page.evaluate(([x, y]) => {
            (
              window as unknown as { topoforge: { services: { canvas?: { setViewport(v: object): void } } } }
            ).topoforge.services.canvas?.setViewport({ x: 40 - x!, y: 40 - y!, zoom: 1 });
          }, flowLeft);
          await app.page.waitForTimeout(500);
          const pane = await app.canvasBox();
          const shot = decodePng(
            await app.page.screenshot({ clip: { x: pane.x, y: pane.y, width: width!, height: height! } }),
          );
          // Item by item, the picture has what the canvas has: the same fills, text and icons drawn.
          let compared = 0;
          for (const [id, box] of boxes) {
            if (box.kind === 'frame') continue;
            const corner = {
              x: box.x + 3,
              y: box.y + (box.kind === 'host' || box.kind === 'site' ? 36 : 3),
              width: 3,
              height: 3,
            };
            expect(
              colourDistance(meanColour(drawn, corner), meanColour(shot, corner)),
              `${id} fill`,
            ).toBeLessThan(24);
            const text =
              box.kind === 'host' || box.kind === 'site'
                ? { x: box.x + 8, y: box.y + 4, width: box.width - 16, height: 22 }
                : { x: box.x + 44, y: box.y + 8, width: box.width - 52, height: box.height - 16 };
            const fill = meanColour(shot, corner);
            const inkSvg = inkIn(drawn, text, fill);
            const inkCanvas = inkIn(shot, text, fill);
            expect(inkSvg, `${id} text`).toBeGreaterThan(40);
            // Different text engines, the same words: within a factor of two of the canvas's ink.
            expect(inkSvg / inkCanvas, `${id} text`).toBeGreaterThan(0.5);
            expect(inkSvg / inkCanvas, `${id} text`).toBeLessThan(2);
            compared++;
          }
          expect(compared).toBe(4 + 6 + 2);
          expect(app.errors).toEqual([]);
        } finally {
          await app.shot('last');
          await app.close();
        }
      },
      TIMEOUT,
    );

    it(
      'writes the PNG at twice the size, without selection, handles or badges, in what-if colours from what-if mode',
      async () => {
        const app = await Designer.open(lab(), 'export-png');
        try {
          await app.openExample('helix-teamhub-broken');
          // Something selected and badged on the canvas, which the picture must leave out.
          await app.node('lb-a').click();
          await expect.poll(() => app.page.locator('.finding-badge').count()).toBeGreaterThan(0);
          const badged = await app.page
            .locator(
              '.service-node .finding-badge, .group-node .finding-badge, .entrypoint-node .finding-badge',
            )
            .first()
            .evaluate((e) => e.closest<HTMLElement>('.react-flow__node')!.dataset.id!);
          await app.shot('selected-and-badged');
          const svg = (await exported(app, 'svg')).toString('utf8');
          const [width, height] = /width="(\d+)" height="(\d+)"/.exec(svg)!.slice(1).map(Number);
          const png = decodePng(await exported(app, 'png'));
          expect([png.width, png.height]).toEqual([width! * 2, height! * 2]);
          const boxes = await pictureBoxes(app, 2);
          const accent = rgb('#2563eb');
          const selected = boxes.get('lb-a')!;
          // Just outside the card, where the selection outline is drawn on the canvas.
          const ring = meanColour(png, {
            x: selected.x - 5,
            y: selected.y + selected.height / 2,
            width: 3,
            height: 10,
          });
          expect(colourDistance(ring, accent)).toBeGreaterThan(150);
          // Where the out handle sits on the canvas, below the database (which links to nothing).
          const storage = boxes.get('hth-db')!;
          const handle = meanColour(png, {
            x: storage.x + storage.width / 2 - 4,
            y: storage.y + storage.height + 4,
            width: 8,
            height: 8,
          });
          expect(colourDistance(handle, rgb('#fbfbfc'))).toBeLessThan(20);
          // The badge's corner carries no red dot.
          const badge = boxes.get(badged)!;
          const corner = meanColour(png, {
            x: badge.x + badge.width - 12,
            y: badge.y - 12,
            width: 16,
            height: 16,
          });
          expect(colourDistance(corner, rgb('#d1242f'))).toBeGreaterThan(200);

          // From what-if mode, the picture shows the failure.
          await app.page.getByTestId('what-if-button').click();
          await app.node('lb-1').locator('.container-title').click();
          await app.settled();
          const failed = decodePng(await exported(app, 'png'));
          const host = boxes.get('lb-1')!;
          const body = meanColour(failed, {
            x: host.x + 8,
            y: host.y + host.height - 12,
            width: 6,
            height: 4,
          });
          expect(colourDistance(body, rgb('#ffebe9'))).toBeLessThan(30);
          expect(app.errors).toEqual([]);
        } finally {
          await app.shot('last');
          await app.close();
        }
      },
      TIMEOUT,
    );
  });
});
