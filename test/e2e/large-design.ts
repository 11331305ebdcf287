/**
 * The large design the canvas tests open: the benchmark's synthetic design, laid out as the
 * benchmark lays it out, with the canvas the designer derives from it (where every card is, and
 * the cards in their Tab order). The page opens it with `Designer.openDesign`.
 */
import { produce } from 'immer';
import { syntheticDesign } from '../../bench/synthetic';
import type { Design } from '../../core/model';
import { CanvasProjection } from '../../renderer/canvas/derive';
import type { CanvasNode } from '../../renderer/canvas/derive';
import { computeGeometry } from '../../renderer/canvas/geometry';
import type { Geometry } from '../../renderer/canvas/geometry';
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
