/**
 * The one way the designer fits items in view, whatever asked (opening a design, arranging it,
 * the `F` key, the Fit button, a finding or a search result): the items' box, centred in the
 * pane, at the largest zoom that shows all of it with a margin, never above actual size for a
 * whole design. When an item would lie under the minimap in the bottom-right corner, the corner is
 * kept clear either above and below or left and right, whichever leaves the larger zoom, so that
 * the view stays centred.
 */
import { derivationOf } from './geometry';
import type { Geometry } from './geometry';
import type { Rect } from './placement';

/** A React Flow viewport: screen offset and zoom. */
export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** Zoom limits and margins of a fit. */
export interface FitOptions {
  /** The largest zoom: 1 (actual size) for the whole design, a little more for a few items. */
  maxZoom: number;
  minZoom: number;
  /** Room kept around the items, in screen pixels. */
  margin: number;
  /** A corner to keep clear (the minimap), if shown. */
  clear?: { width: number; height: number };
}

/** Whole designs: never larger than actual size. */
export const FIT_DESIGN: FitOptions = { maxZoom: 1, minZoom: 0.05, margin: 48 };
/** A few items (a finding's subjects, a search result): up to a little larger than actual size. */
export const FIT_ITEMS: FitOptions = { maxZoom: 1.2, minZoom: 0.05, margin: 64 };
/** The minimap's corner with its margin (React Flow draws it 200 × 150 px, 15 px from the edges). */
export const MINIMAP_CLEARANCE = { width: 230, height: 180 };

/**
 * The viewport that shows `bounds` centred in a pane of `pane` size. With a corner to keep clear,
 * the plain fit is kept when none of `boxes` (the items, in flow coordinates) would lie under it.
 */
export function fitViewport(
  bounds: Rect,
  pane: { width: number; height: number },
  options: FitOptions,
  boxes: readonly Rect[] = [bounds],
): Viewport {
  const width = Math.max(bounds.width, 1);
  const height = Math.max(bounds.height, 1);
  const at = (padX: number, padY: number): Viewport => {
    const zoom = Math.min(
      options.maxZoom,
      Math.max(options.minZoom, Math.min((pane.width - 2 * padX) / width, (pane.height - 2 * padY) / height)),
    );
    return {
      x: pane.width / 2 - (bounds.x + width / 2) * zoom,
      y: pane.height / 2 - (bounds.y + height / 2) * zoom,
      zoom,
    };
  };
  const { margin, clear } = options;
  const plain = at(margin, margin);
  if (!clear) return plain;
  const corner = { x: pane.width - clear.width, y: pane.height - clear.height };
  const covered = boxes.some(
    (box) =>
      (box.x + box.width) * plain.zoom + plain.x > corner.x &&
      (box.y + box.height) * plain.zoom + plain.y > corner.y,
  );
  if (!covered) return plain;
  const above = at(margin, Math.max(margin, clear.height));
  const beside = at(Math.max(margin, clear.width), margin);
  return above.zoom >= beside.zoom ? above : beside;
}

/** The boxes of items (all top-level ones without ids), in flow coordinates. */
export function boxesOf(geometry: Geometry, ids?: readonly string[]): Rect[] {
  const boxes: Rect[] = [];
  const add = (id: string) => {
    const box = geometry.boxes.get(geometry.collapse.standIn.get(id) ?? id);
    if (box) boxes.push({ x: box.absoluteX, y: box.absoluteY, width: box.width, height: box.height });
  };
  if (ids) ids.forEach(add);
  else for (const [id, box] of geometry.boxes) if (box.parent === undefined) add(id);
  return boxes;
}

/** The box around every shown item of a geometry, worked out once per geometry. */
const designBounds = new WeakMap<Geometry, { bounds: Rect | undefined }>();

/** The box around items (all shown items without ids), in flow coordinates; undefined for none. */
export function boundsOf(geometry: Geometry, ids?: readonly string[]): Rect | undefined {
  if (ids) return boundsAround(geometry, ids);
  let known = designBounds.get(geometry);
  if (!known) {
    // Derived from a geometry whose bounds are known, and no top-level box changed (a card moved
    // in its host, a host in its site): the same bounds, without a walk over 8,000 boxes.
    const derivation = derivationOf(geometry);
    const base = derivation && designBounds.get(derivation.base);
    const same =
      base !== undefined &&
      [...derivation!.changed].every((id) => geometry.boxes.get(id)?.parent !== undefined);
    known = same ? base : { bounds: boundsAround(geometry) };
    designBounds.set(geometry, known);
  }
  return known.bounds;
}

function boundsAround(geometry: Geometry, ids?: readonly string[]): Rect | undefined {
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  const visit = (id: string) => {
    const box = geometry.boxes.get(geometry.collapse.standIn.get(id) ?? id);
    if (!box) return;
    left = Math.min(left, box.absoluteX);
    top = Math.min(top, box.absoluteY);
    right = Math.max(right, box.absoluteX + box.width);
    bottom = Math.max(bottom, box.absoluteY + box.height);
  };
  if (ids) ids.forEach(visit);
  else for (const [id, box] of geometry.boxes) if (box.parent === undefined) visit(id);
  return left === Infinity ? undefined : { x: left, y: top, width: right - left, height: bottom - top };
}
