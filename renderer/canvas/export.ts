/**
 * Export Diagram as SVG or PNG, in the page: the vector SVG of export-svg.ts with the theme's
 * colours, text measured in the page's fonts and lucide's icons; the PNG is that SVG drawn at
 * twice its size, so it shows exactly what the SVG shows (and nothing of the editor around it).
 */
import { createElement } from 'react';
import type { ComponentType } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import type { Design } from '../../core/model';
import { diagramSvg, FONT, ICON_COMPONENTS, MONO } from './export-svg';
import type { DiagramOptions, DiagramPalette, DiagramState } from './export-svg';

const VARIABLES: Record<keyof DiagramPalette, string> = {
  background: '--canvas-background',
  text: '--text',
  text2: '--text-2',
  text3: '--text-3',
  panel: '--panel',
  node: '--node-bg',
  border: '--border',
  borderStrong: '--border-strong',
  host: '--host-bg',
  hostBorder: '--host-border',
  site: '--site-bg',
  siteBorder: '--site-border',
  edge: '--edge',
  edgeUses: '--edge-uses',
  up: '--up',
  upSoft: '--up-soft',
  degraded: '--degraded',
  degradedSoft: '--degraded-soft',
  manual: '--manual',
  manualSoft: '--manual-soft',
  down: '--down',
  downSoft: '--down-soft',
  cut: '--cut',
  split: '--split',
  splitSoft: '--split-soft',
};

/** The current theme's colours. */
function pagePalette(): DiagramPalette {
  const styles = getComputedStyle(document.documentElement);
  return Object.fromEntries(
    Object.entries(VARIABLES).map(([key, variable]) => [key, styles.getPropertyValue(variable).trim()]),
  ) as unknown as DiagramPalette;
}

let measuring: CanvasRenderingContext2D | null | undefined;

/** Text width in the page's own fonts. */
function measure(text: string, font: string): number {
  measuring ??= document.createElement('canvas').getContext('2d');
  if (!measuring) return text.length * 7;
  const family = font.includes('mono') ? MONO : FONT;
  measuring.font = `${font.replace(' mono', '')} ${family}`;
  return measuring.measureText(text).width;
}

const icons = new Map<string, string>();

/** The inner markup of an icon, drawn once by React off the page. */
function iconMarkup(key: string): string {
  const known = icons.get(key);
  if (known !== undefined) return known;
  const Icon = (ICON_COMPONENTS as Record<string, ComponentType<{ size?: number }> | undefined>)[key];
  let markup = '';
  if (Icon) {
    const host = document.createElement('div');
    const root = createRoot(host);
    flushSync(() => root.render(createElement(Icon, { size: 24 })));
    markup = host.querySelector('svg')?.innerHTML ?? '';
    root.unmount();
  }
  icons.set(key, markup);
  return markup;
}

/** The SVG text of the diagram as the page shows it now. */
export function pageDiagramSvg(
  design: Design,
  states?: Record<string, DiagramState>,
  cut?: DiagramOptions['cut'],
): string {
  return diagramSvg(design, {
    palette: pagePalette(),
    measure,
    icon: iconMarkup,
    ...(states ? { states } : {}),
    ...(cut ? { cut } : {}),
  });
}

/** Chromium's largest canvas side. */
const MAX_SIDE = 16_000;

/** A `data:` URL of the diagram: the SVG, or the PNG drawn from it at twice its size. */
export async function diagramDataUrl(
  format: 'png' | 'svg',
  design: Design,
  states?: Record<string, DiagramState>,
  cut?: DiagramOptions['cut'],
): Promise<string> {
  const svg = pageDiagramSvg(design, states, cut);
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  if (format === 'svg') return url;
  const image = new Image();
  image.src = url;
  await image.decode();
  const scale = Math.min(2, MAX_SIDE / image.naturalWidth, MAX_SIDE / image.naturalHeight);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(image.naturalWidth * scale);
  canvas.height = Math.round(image.naturalHeight * scale);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser cannot draw a picture');
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/png');
}
