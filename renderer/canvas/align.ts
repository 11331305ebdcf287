/**
 * Nudge, align and distribute the selected items, as drawing tools do. Each works on the items'
 * boxes on the canvas, whatever containers they are in, and writes back positions relative to
 * each item's container (core/edit/); an item stays inside its container (it grows instead),
 * and a container that grows pushes its neighbours aside (placement.ts). Edges and the contents
 * of a selected container are not moved on their own: they go with what holds them.
 */
import type { Point } from '../../core/edit/ids';
import type { Design } from '../../core/model';
import { boxSelection } from './box-select';
import { SIZES } from './geometry';
import type { Geometry, ItemBox } from './geometry';
import { makeRoom } from './placement';

/** The edges items can be lined up on. */
export type Alignment = 'left' | 'center' | 'right' | 'top' | 'middle' | 'bottom';

/** The axes items can be spread along. */
export type Axis = 'horizontal' | 'vertical';

/** The selected items that move on their own: no edges, no contents of a selected container. */
export function movableItems(selection: readonly string[], geometry: Geometry): ItemBox[] {
  return boxSelection(selection, geometry)
    .map((id) => geometry.boxes.get(id))
    .filter((box): box is ItemBox => box !== undefined);
}

/** Where a container's content may start: below its header, inside its padding. */
function minimumOf(geometry: Geometry, box: ItemBox): Point | undefined {
  const parent = box.parent === undefined ? undefined : geometry.boxes.get(box.parent);
  if (!parent) return undefined;
  return parent.kind === 'host'
    ? { x: SIZES.hostPadding, y: SIZES.hostHeader + SIZES.hostPadding }
    : { x: SIZES.sitePadding, y: SIZES.siteHeader + SIZES.sitePadding };
}

/** Puts items at absolute places, each kept inside its container; then makes room. */
function placeAbsolute(design: Design, geometry: Geometry, places: Map<ItemBox, Point>): void {
  design.layout ??= {};
  for (const [box, at] of places) {
    const parent = box.parent === undefined ? undefined : geometry.boxes.get(box.parent);
    const minimum = minimumOf(geometry, box);
    let x = at.x - (parent?.absoluteX ?? 0);
    let y = at.y - (parent?.absoluteY ?? 0);
    if (minimum) {
      x = Math.max(minimum.x, x);
      y = Math.max(minimum.y, y);
    }
    design.layout[box.id] = { ...design.layout[box.id], x: Math.round(x), y: Math.round(y) };
  }
  makeRoom(
    design,
    geometry,
    [...places.keys()].map((box) => box.id),
  );
}

/** Moves items by a distance. */
export function nudgeItems(design: Design, geometry: Geometry, items: readonly ItemBox[], by: Point): void {
  placeAbsolute(
    design,
    geometry,
    new Map(items.map((box) => [box, { x: box.absoluteX + by.x, y: box.absoluteY + by.y }])),
  );
}

/** Lines items up on the edge or middle of the box around them all. */
export function alignItems(
  design: Design,
  geometry: Geometry,
  items: readonly ItemBox[],
  on: Alignment,
): void {
  const left = Math.min(...items.map((b) => b.absoluteX));
  const right = Math.max(...items.map((b) => b.absoluteX + b.width));
  const top = Math.min(...items.map((b) => b.absoluteY));
  const bottom = Math.max(...items.map((b) => b.absoluteY + b.height));
  const places = new Map<ItemBox, Point>();
  for (const box of items) {
    const x =
      on === 'left'
        ? left
        : on === 'right'
          ? right - box.width
          : on === 'center'
            ? (left + right) / 2 - box.width / 2
            : box.absoluteX;
    const y =
      on === 'top'
        ? top
        : on === 'bottom'
          ? bottom - box.height
          : on === 'middle'
            ? (top + bottom) / 2 - box.height / 2
            : box.absoluteY;
    places.set(box, { x, y });
  }
  placeAbsolute(design, geometry, places);
}

/**
 * Spreads items so that the gaps between them are equal, the first and last staying where they
 * are; items that overlap along the axis are spread at least a small gap apart.
 */
export function distributeItems(
  design: Design,
  geometry: Geometry,
  items: readonly ItemBox[],
  axis: Axis,
): void {
  const horizontal = axis === 'horizontal';
  const start = (b: ItemBox) => (horizontal ? b.absoluteX : b.absoluteY);
  const size = (b: ItemBox) => (horizontal ? b.width : b.height);
  const sorted = [...items].sort((a, b) => start(a) - start(b) || a.id.localeCompare(b.id));
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  const span = start(last) + size(last) - start(first);
  const filled = sorted.reduce((sum, b) => sum + size(b), 0);
  const gap = Math.max(SIZES.serviceGap, (span - filled) / (sorted.length - 1));
  const places = new Map<ItemBox, Point>();
  let cursor = start(first);
  for (const box of sorted) {
    places.set(box, horizontal ? { x: cursor, y: box.absoluteY } : { x: box.absoluteX, y: cursor });
    cursor += size(box) + gap;
  }
  placeAbsolute(design, geometry, places);
}
