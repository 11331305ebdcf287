/**
 * The large design the canvas benchmark and the canvas tests open: the synthetic design of
 * bench/synthetic.ts, laid out in the shape of the designer's pane, with the canvas the designer
 * derives from it (where every card is, and the cards in their Tab order), and the service the
 * benchmark drags. One definition, so that the benchmark (bench/canvas.ts), its trace
 * (bench/canvas-profile.ts) and the tests measure and check the same picture. The page opens it
 * with `Designer.openDesign`, or as its JSON text.
 */
import { produce } from 'immer';
import { syntheticDesign } from '../../bench/synthetic';
import type { Design } from '../../core/model';
import { CanvasProjection } from '../../renderer/canvas/derive';
import type { CanvasNode } from '../../renderer/canvas/derive';
import { computeGeometry } from '../../renderer/canvas/geometry';
import type { Geometry, ItemBox } from '../../renderer/canvas/geometry';
import { autoLayout } from '../../renderer/layout/auto-layout';

/** A laid-out design and the canvas derived from it, nothing selected. */
export interface LargeDesign {
  design: Design;
  geometry: Geometry;
  projected: CanvasNode[];
}

/**
 * The synthetic design of `services` services, laid out in the shape of the designer's pane
 * (about 1020 × 935 pixels of the 1600 × 1000 window) and frozen as the store freezes it.
 */
export async function largeDesign(services: number): Promise<LargeDesign> {
  const raw = syntheticDesign({ services });
  raw.layout = await autoLayout(raw, { aspect: 1020 / 935 });
  const design = produce(raw, () => {});
  const geometry = computeGeometry(design);
  const projected = new CanvasProjection().nodes(design, geometry, new Set());
  return { design, geometry, projected };
}

/** What the benchmark edits: the service it drags and the host it fails. */
export interface BenchSubject {
  dragged: ItemBox;
  host: string;
}

/** The service nearest the middle of the design, which the benchmark drags, and its host. */
export function benchSubject(geometry: Geometry): BenchSubject {
  let right = 0;
  let bottom = 0;
  for (const box of geometry.boxes.values()) {
    right = Math.max(right, box.absoluteX + box.width);
    bottom = Math.max(bottom, box.absoluteY + box.height);
  }
  const distance = (b: ItemBox) => Math.hypot(b.absoluteX - right / 2, b.absoluteY - bottom / 2);
  const dragged = [...geometry.boxes.values()]
    .filter((b) => b.kind === 'service')
    .reduce((best, b) => (distance(b) < distance(best) ? b : best));
  // A service's box sits in its host's.
  if (dragged.parent === undefined) throw new Error(`service ${dragged.id} has no host`);
  return { dragged, host: dragged.parent };
}
