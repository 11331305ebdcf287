/**
 * Looking at pictures in tests: SVG drawn by librsvg (`rsvg-convert`, as most viewers draw it),
 * PNG decoded to pixels, and the measures a person would notice: is there something drawn inside
 * a box, what colour is a region.
 */
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';

/** A decoded picture: RGBA, row by row. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG file's bytes. */
export function decodePng(bytes: Uint8Array): Pixels {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: png.data };
}

/** Draws an SVG with librsvg at `zoom`; throws with librsvg's own words when it cannot. */
export function renderSvg(svg: string, zoom = 1): Pixels {
  const result = spawnSync('rsvg-convert', ['--format', 'png', '--zoom', String(zoom)], {
    input: svg,
    maxBuffer: 512 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`rsvg-convert failed: ${result.stderr.toString()}`);
  return decodePng(result.stdout);
}

/** The colour at a pixel. */
export function pixelAt(picture: Pixels, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * picture.width + Math.round(x)) * 4;
  return [picture.data[i]!, picture.data[i + 1]!, picture.data[i + 2]!];
}

/** The mean colour of a rectangle. */
export function meanColour(
  picture: Pixels,
  box: { x: number; y: number; width: number; height: number },
): [number, number, number] {
  const sum = [0, 0, 0];
  let count = 0;
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(picture.height, box.y + box.height); y++) {
    for (let x = Math.max(0, Math.floor(box.x)); x < Math.min(picture.width, box.x + box.width); x++) {
      const [r, g, b] = pixelAt(picture, x, y);
      sum[0]! += r;
      sum[1]! += g;
      sum[2]! += b;
      count++;
    }
  }
  return sum.map((v) => v / Math.max(1, count)) as [number, number, number];
}

/** How many pixels of a rectangle differ from `background` by more than `threshold` (0..765). */
export function inkIn(
  picture: Pixels,
  box: { x: number; y: number; width: number; height: number },
  background: [number, number, number],
  threshold = 120,
): number {
  let ink = 0;
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(picture.height, box.y + box.height); y++) {
    for (let x = Math.max(0, Math.floor(box.x)); x < Math.min(picture.width, box.x + box.width); x++) {
      const [r, g, b] = pixelAt(picture, x, y);
      if (Math.abs(r - background[0]) + Math.abs(g - background[1]) + Math.abs(b - background[2]) > threshold)
        ink++;
    }
  }
  return ink;
}

/** A colour written `#rrggbb`, as numbers. */
export function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** The distance between two colours, 0..765. */
export function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.abs(a[0]! - b[0]!) + Math.abs(a[1]! - b[1]!) + Math.abs(a[2]! - b[2]!);
}
