/**
 * "Save as PNG" of the Resilience view: one picture with each entrypoint's figures written out and
 * its two charts copied from the canvases Chart.js drew on screen, on the theme's background, so
 * that what the picture shows is what the view shows.
 */
import { formatAvailability } from '../../core/objectives';
import { fileNameOf } from '../app/commands';
import type { AppServices } from '../app/services';
import type { ResilienceReport } from '../workers/resilience';
import { drawChartNow, formatSeconds } from './resilience-charts';

const WIDTH = 900;
const MARGIN = 24;
/** Drawn at twice its size, as the diagram's PNG is, so text stays sharp when zoomed. */
const SCALE = 2;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** One thing the picture stacks: a line of text, or a chart's canvas. */
type Block =
  | { kind: 'text'; text: string; size: number; bold?: boolean; colour?: 'missed' }
  | { kind: 'chart'; canvas: HTMLCanvasElement };

function blocksOf(designName: string, report: ResilienceReport, root: HTMLElement): Block[] {
  const blocks: Block[] = [{ kind: 'text', text: `${designName}: resilience`, size: 20, bold: true }];
  for (const entry of report.entrypoints) {
    const section = root.querySelector(`[data-testid="resilience-entrypoint-${CSS.escape(entry.id)}"]`);
    const nines = entry.nines === null ? '∞' : entry.nines.toFixed(2);
    blocks.push({ kind: 'text', text: entry.label ?? entry.id, size: 16, bold: true });
    blocks.push({
      kind: 'text',
      text: `${formatAvailability(entry.availability)} · ${nines} nines · ${entry.downtimeMinutesPerYear.toFixed(1)} min down a year`,
      size: 13,
      ...(entry.availabilityMissed ? { colour: 'missed' as const } : {}),
    });
    const objectives = [
      entry.objectives.availability !== undefined
        ? `availability ${formatAvailability(entry.objectives.availability)}${entry.availabilityMissed ? ' (missed)' : ''}`
        : undefined,
      entry.objectives.rtoSeconds !== undefined
        ? `RTO ${formatSeconds(entry.objectives.rtoSeconds)}${entry.rtoMissed ? ' (missed)' : ''}`
        : undefined,
    ].filter((text) => text !== undefined);
    if (objectives.length > 0)
      blocks.push({
        kind: 'text',
        text: `Objectives: ${objectives.join(', ')}`,
        size: 13,
        ...(entry.availabilityMissed || entry.rtoMissed ? { colour: 'missed' as const } : {}),
      });
    for (const canvas of section?.querySelectorAll('canvas') ?? []) {
      drawChartNow(canvas);
      const title = canvas.dataset.testid?.startsWith('resilience-contributors')
        ? 'Largest contributors to its downtime'
        : 'Recovery after each single failure';
      blocks.push({ kind: 'text', text: title, size: 12, bold: true }, { kind: 'chart', canvas });
    }
  }
  return blocks;
}

function heightOf(block: Block): number {
  if (block.kind === 'text') return block.size * 1.6;
  const width = WIDTH - 2 * MARGIN;
  return Math.round((block.canvas.height / Math.max(1, block.canvas.width)) * width) + 12;
}

/** Draws the view's picture; returns a `data:image/png` URL. */
export function drawResiliencePicture(
  designName: string,
  report: ResilienceReport,
  root: HTMLElement,
): string {
  const blocks = blocksOf(designName, report, root);
  const height = MARGIN * 2 + blocks.reduce((sum, block) => sum + heightOf(block), 0);
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH * SCALE;
  canvas.height = height * SCALE;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this page cannot draw on a canvas');
  const styles = getComputedStyle(document.documentElement);
  const colour = (name: string, fallback: string) => styles.getPropertyValue(name).trim() || fallback;
  context.scale(SCALE, SCALE);
  context.fillStyle = colour('--panel', '#ffffff');
  context.fillRect(0, 0, WIDTH, height);
  let y = MARGIN;
  for (const block of blocks) {
    if (block.kind === 'text') {
      context.font = `${block.bold ? '600 ' : ''}${block.size}px ${FONT}`;
      context.fillStyle =
        block.colour === 'missed' ? colour('--down', '#cf222e') : colour('--text', '#1c2128');
      context.textBaseline = 'top';
      context.fillText(block.text, MARGIN, y + block.size * 0.25, WIDTH - 2 * MARGIN);
    } else {
      const width = WIDTH - 2 * MARGIN;
      context.drawImage(block.canvas, MARGIN, y, width, heightOf(block) - 12);
    }
    y += heightOf(block);
  }
  return canvas.toDataURL('image/png');
}

/** Saves the view's picture through the host (a download in a browser tab, a dialog on the desktop). */
export async function saveResiliencePicture(
  services: AppServices,
  designName: string,
  report: ResilienceReport,
  root: HTMLElement | null,
): Promise<void> {
  if (!root) return;
  try {
    const dataUrl = drawResiliencePicture(designName, report, root);
    const fileName = fileNameOf(services.store.getState().design).replace(/\.topo\.json$/, '-resilience.png');
    const result = await services.host.exportImage({ fileName, format: 'png', dataUrl });
    if (result) services.store.getState().notify(`Exported ${result.location}`, 'success');
  } catch (error) {
    services.store.getState().notify(`Could not save the picture: ${String(error)}`, 'error');
  }
}
