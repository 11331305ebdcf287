/**
 * `npm run bench:availability` (part of `npm run bench`): the yearly availability of every
 * entrypoint (`topoforge availability`) of synthetic designs of 100, 1,000 and 2,000 services,
 * median of 3 runs after a first one.
 *
 * Target (issue 14, on a 2-core machine): 1,000 services in under 1 s, every entrypoint's error
 * bound below 1e-9, and growth close to linear in the number of entrypoints (each entrypoint
 * enumerates the failure combinations of its own hosts and sites).
 */
import { performance } from 'node:perf_hooks';
import { compileAvailability } from '../core/availability';
import { computeYearlyAvailability, ERROR_TARGET } from '../core/reliability/yearly';
import { syntheticDesign } from './synthetic';

const TARGET_MS = 1000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const rows = [100, 1_000, 2_000].map((size) => {
  const design = syntheticDesign({ services: size, seed: 1 });
  const samples: number[] = [];
  let bound = 0;
  let entrypoints = 0;
  for (let run = 0; run < 4; run++) {
    const started = performance.now();
    const yearly = computeYearlyAvailability(compileAvailability(design));
    if (run > 0) samples.push(performance.now() - started);
    bound = Math.max(...yearly.entrypoints.map((e) => e.bound));
    entrypoints = yearly.entrypoints.length;
  }
  return {
    services: design.services.length,
    hosts: design.hosts.length,
    entrypoints,
    ms: median(samples),
    bound,
  };
});

console.log('Topoforge yearly availability benchmark (median of 3 after a first run)\n');
console.log(
  ['services', 'hosts', 'entrypoints', 'ms', 'ms/entrypoint', 'worst bound']
    .map((h) => h.padStart(12))
    .join(''),
);
for (const r of rows) {
  console.log(
    [
      r.services,
      r.hosts,
      r.entrypoints,
      r.ms.toFixed(0),
      (r.ms / r.entrypoints).toFixed(2),
      r.bound.toExponential(1),
    ]
      .map((v) => String(v).padStart(12))
      .join(''),
  );
}
const thousand = rows[1]!;
const missed: string[] = [];
if (thousand.ms > TARGET_MS)
  missed.push(`1,000 services took ${thousand.ms.toFixed(0)} ms (target ${TARGET_MS} ms)`);
if (rows.some((r) => r.bound >= ERROR_TARGET)) missed.push('an error bound reached 1e-9');
console.log(missed.length === 0 ? '\ntargets met' : `\nMISSED: ${missed.join('; ')}`);
process.exitCode = missed.length === 0 ? 0 : 1;
