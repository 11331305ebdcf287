import { createElement } from 'react';
import type { ComponentType } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Design } from '../../core/model';
import { computeGeometry } from '../../renderer/canvas/geometry';
import { diagramSvg, ICON_COMPONENTS, LIGHT_PALETTE } from '../../renderer/canvas/export-svg';
import { autoLayout } from '../../renderer/layout/auto-layout';
import { requireTool } from '../lab/tools';
import { example } from './fixtures';
import { colourDistance, inkIn, meanColour, renderSvg, rgb } from './pictures';

async function laidOut(file: string): Promise<Design> {
  const design = example(file);
  return { ...design, layout: await autoLayout(design) };
}

/** lucide's icon, as the page draws it. */
function icon(key: string): string {
  const Icon = (ICON_COMPONENTS as Record<string, ComponentType<{ size?: number }>>)[key]!;
  return renderToStaticMarkup(createElement(Icon, { size: 24 })).replace(/^<svg[^>]*>|<\/svg>$/g, '');
}

const MARGIN = 40;

/** Where an item lands in the picture: its box moved by the picture's margin. */
function pictureBox(design: Design, id: string) {
  const geometry = computeGeometry(design);
  let left = Infinity;
  let top = Infinity;
  for (const box of geometry.boxes.values()) {
    left = Math.min(left, box.absoluteX);
    top = Math.min(top, box.absoluteY);
  }
  const box = geometry.boxes.get(id)!;
  return {
    x: box.absoluteX - left + MARGIN,
    y: box.absoluteY - top + MARGIN,
    width: box.width,
    height: box.height,
  };
}

describe('the diagram as SVG', () => {
  it('is real vector shapes and text, small, with every label and icon', async () => {
    const design = await laidOut('helix-teamhub.topo.json');
    const svg = diagramSvg(design, { icon });
    expect(svg).not.toContain('foreignObject');
    const elements = new Set([...svg.matchAll(/<([a-z]+)[\s>/]/g)].map((m) => m[1]));
    // SVG's own shapes and text only; no HTML, no foreignObject, no script.
    const shapes = [
      'circle',
      'defs',
      'ellipse',
      'g',
      'line',
      'marker',
      'path',
      'polygon',
      'polyline',
      'rect',
    ];
    const allowed = new Set([...shapes, 'svg', 'symbol', 'text', 'title', 'use']);
    expect([...elements].filter((name) => !allowed.has(name!))).toEqual([]);
    for (const name of ['rect', 'text', 'path', 'use', 'symbol']) expect(elements).toContain(name);
    expect(svg.length).toBeLessThan(300_000);
    for (const service of design.services) expect(svg).toContain(`id="${service.kind}-${service.id}"`);
    expect(svg).toContain('>lb-1</text>');
    expect(svg).toContain('>10.60.0.11</text>');
    // One symbol per icon used, drawn by reference on each card.
    expect(svg.match(/<symbol /g)!.length).toBeLessThan(design.services.length + 4);
  });

  it('escapes what the design says, so a hostile label cannot break the file', () => {
    const design = example('helix-teamhub.topo.json');
    const hostile = {
      ...design,
      services: design.services.map((s, i) =>
        i === 0 ? { ...s, label: '</text><script>alert(1)</script>&"' } : s,
      ),
    };
    const svg = diagramSvg(hostile);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;');
  });

  describe.skipIf(!requireTool('rsvg-convert'))('drawn by librsvg', () => {
    it('shows every card with its text and icon, every host with its header', async () => {
      const design = await laidOut('helix-teamhub.topo.json');
      const picture = renderSvg(diagramSvg(design, { icon }));
      for (const service of design.services) {
        const box = pictureBox(design, service.id);
        // The card is white, bordered; inside it, the tile, the icon and the text.
        expect(
          colourDistance(
            meanColour(picture, { ...box, x: box.x + 2, y: box.y + 2, width: 4, height: 4 }),
            rgb(LIGHT_PALETTE.node),
          ),
        ).toBeLessThan(30);
        expect(
          inkIn(
            picture,
            { x: box.x + 44, y: box.y + 8, width: box.width - 52, height: box.height - 16 },
            rgb(LIGHT_PALETTE.node),
          ),
          service.id,
        ).toBeGreaterThan(80);
        expect(
          inkIn(
            picture,
            { x: box.x + 8, y: box.y + box.height / 2 - 14, width: 28, height: 28 },
            rgb(LIGHT_PALETTE.node),
          ),
          service.id,
        ).toBeGreaterThan(400);
      }
      for (const host of design.hosts) {
        const box = pictureBox(design, host.id);
        expect(
          inkIn(
            picture,
            { x: box.x + 8, y: box.y + 4, width: box.width - 16, height: 22 },
            rgb(LIGHT_PALETTE.host),
          ),
          host.id,
        ).toBeGreaterThan(60);
      }
    });

    it('carries the what-if states: a failed host, a stopped entrypoint', async () => {
      const design = await laidOut('tealeaf-resilient.topo.json');
      const svg = diagramSvg(design, {
        icon,
        states: { 'rep-1': 'failed', 'rep-a': 'down', portal: 'manual', 'rep-b': 'manual' },
      });
      expect(svg).toContain('>FAILED</text>');
      const picture = renderSvg(svg);
      const host = pictureBox(design, 'rep-1');
      expect(
        colourDistance(
          meanColour(picture, { x: host.x + 4, y: host.y + 34, width: 4, height: 4 }),
          rgb(LIGHT_PALETTE.downSoft),
        ),
      ).toBeLessThan(30);
      const portal = pictureBox(design, 'portal');
      expect(
        colourDistance(
          meanColour(picture, { x: portal.x + 60, y: portal.y + 4, width: 4, height: 3 }),
          rgb(LIGHT_PALETTE.manualSoft),
        ),
      ).toBeLessThan(30);
    });

    it('carries the what-if cut: the cut-off hosts in a dashed band, the group in split brain tagged', async () => {
      const design = await laidOut('teramind-ha.topo.json');
      const states = { 'redis-ha': 'up' } as const;
      const plain = renderSvg(diagramSvg(design, { icon, states }));
      const svg = diagramSvg(design, {
        icon,
        states,
        cut: { cutOff: new Set(['tm-1', 'tm-2']), splitBrain: ['redis-ha'] },
      });
      expect(svg).toContain('id="cut-band-tm-1"');
      expect(svg).toContain('id="cut-band-tm-2"');
      expect(svg).not.toContain('id="cut-band-tm-3"');
      expect(svg.match(/>CUT OFF<\/text>/g)).toHaveLength(2);
      expect(svg).toContain('>SPLIT BRAIN</text>');
      const picture = renderSvg(svg);
      const background = rgb(LIGHT_PALETTE.background);
      for (const id of ['tm-1', 'tm-2']) {
        const host = pictureBox(design, id);
        // Along the left edge, just outside the host: the band's dashes, absent without the cut.
        const strip = { x: host.x - 7, y: host.y + 20, width: 4, height: host.height - 40 };
        expect(inkIn(picture, strip, background), id).toBeGreaterThan(inkIn(plain, strip, background) + 20);
      }
      // The group's purple ring, just outside its card, left edge: there with the cut, not without.
      const group = pictureBox(design, 'redis-ha');
      const ring = { x: group.x - 4, y: group.y + 12, width: 2, height: group.height - 24 };
      expect(colourDistance(meanColour(picture, ring), rgb(LIGHT_PALETTE.split))).toBeLessThan(40);
      expect(colourDistance(meanColour(plain, ring), rgb(LIGHT_PALETTE.split))).toBeGreaterThan(100);
    });
  });
});
