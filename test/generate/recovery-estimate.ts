/**
 * The recovery estimate of docs/availability.md for a live failover test's own design, and the
 * tolerance every live test holds a measured interruption to: max(1 s, 50 %) of the estimate.
 */
import { expect } from 'vitest';
import { compileAvailability } from '../../core/availability';
import type { Design } from '../../core/model';
import { estimateRecovery } from '../../core/recovery/estimate';
import type { Recovery } from '../../core/recovery/mechanisms';

/** The estimated recovery of `entrypoint` when `failed` fail. */
export function estimatedRecovery(design: Design, failed: string[], entrypoint: string): Recovery {
  const model = compileAvailability(design);
  const recovery = estimateRecovery(model, model.evaluate(failed)).find((e) => e.id === entrypoint)?.recovery;
  if (recovery === undefined || recovery === null || recovery.seconds === null)
    throw new Error(`no recovery estimate for ${entrypoint} after ${failed.join(', ')}`);
  return recovery;
}

/** Asserts that a measured interruption lies within max(1 s, 50 %) of the estimate. */
export function expectNearEstimate(measuredSeconds: number, estimate: Recovery): void {
  const tolerance = Math.max(1, 0.5 * estimate.seconds!);
  expect(
    Math.abs(measuredSeconds - estimate.seconds!),
    `measured ${measuredSeconds.toFixed(2)} s, estimated ${estimate.seconds} s (${estimate.detail})`,
  ).toBeLessThanOrEqual(tolerance);
}
