/**
 * `npm run bench:core` (part of `npm run bench`): load, validate and single-failure simulation of synthetic designs of 100,
 * 1,000 and 10,000 services. Times are medians of several runs, each reported beside a baseline
 * measured in the same run on the same machine (JSON.parse of the same file: the floor any
 * loader pays), so results compare across machines as ratios.
 *
 * Targets (issues 2 and 3, on a 2-core machine): 1,000 services validated with every single host
 * and site failure simulated in under 50 ms; 10,000 in under 2 s; growth close to linear in
 * scenarios × graph size, not worse; the bundle of 1,000 services generated in under 1 s.
 *
 * Then 20,000 services on one host (issue 9: 188 to 317 s and 672 MB before), as
 * `topoforge generate` runs: load, validate, generate and write the bundle to a new folder, then
 * again over it (nothing changed); generate is the median of 3 runs after a first one. Beside it
 * in the same run: the same for 2,000 services on one host (growth must stay near-linear: at most
 * 15× for 10× the services) and a plain `writeFileSync` of the same files into a new folder (the
 * floor any writer pays). Target: the whole generate of 20,000 services under 10 s.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundlePathOf } from '../core/bundle-path';
import { compileAvailability } from '../core/availability';
import { generateBundle } from '../core/generate/index';
import { nodeSha256 } from '../deploy/hash';
import { parseDesign } from '../core/load';
import type { Design } from '../core/model';
import { validateDesign } from '../core/rules';
import { writeBundle } from '../deploy/write-bundle';
import { singleHostDesign, syntheticDesign } from './synthetic';

interface Measurement {
  services: number;
  hosts: number;
  scenarios: number;
  findings: number;
  parseMs: number;
  loadMs: number;
  validateMs: number;
  sweepMs: number;
  generateMs: number;
  bundleFiles: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function time(runs: number, body: () => void): number {
  // Warm-up, not counted: until the JIT has settled (at least 3 runs and 250 ms).
  const warmUntil = performance.now() + 250;
  for (let i = 0; i < 3 || performance.now() < warmUntil; i++) body();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    body();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function measure(size: number): Measurement {
  const design = syntheticDesign({ services: size, seed: 1 });
  const text = JSON.stringify(design, null, 2);
  const runs = size >= 10_000 ? 5 : 11;
  let loaded: Design | undefined;
  const loadMs = time(runs, () => {
    const result = parseDesign(text);
    if (!result.ok)
      throw new Error(`synthetic design of ${size} does not load: ${result.problems[0]?.message}`);
    loaded = result.design;
  });
  const parseMs = time(runs, () => JSON.parse(text));
  let findings = 0;
  const validateMs = time(runs, () => {
    findings = validateDesign(loaded!).findings.length;
  });
  let scenarios = 0;
  const sweepMs = time(runs, () => {
    scenarios = compileAvailability(loaded!).singleFailures().length;
  });
  let bundleFiles = 0;
  const generateMs = time(size >= 10_000 ? 3 : runs, () => {
    bundleFiles = generateBundle(loaded!, { sha256: nodeSha256 }).files.length;
  });
  return {
    generateMs,
    bundleFiles,
    services: loaded!.services.length,
    hosts: loaded!.hosts.length,
    scenarios,
    findings,
    parseMs,
    loadMs,
    validateMs,
    sweepMs,
  };
}

const format = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));

const results = [100, 1_000, 10_000].map(measure);

console.log('Topoforge core benchmark (medians; baseline = JSON.parse of the same file, same run)\n');
console.log(
  [
    'services'.padStart(8),
    'hosts'.padStart(6),
    'scenarios'.padStart(9),
    'findings'.padStart(8),
    'JSON.parse ms'.padStart(13),
    'load ms'.padStart(9),
    '(×parse)'.padStart(8),
    'validate ms'.padStart(11),
    '(×parse)'.padStart(8),
    'sweep ms'.padStart(9),
    'generate ms'.padStart(11),
    'files'.padStart(6),
  ].join('  '),
);
for (const r of results) {
  console.log(
    [
      String(r.services).padStart(8),
      String(r.hosts).padStart(6),
      String(r.scenarios).padStart(9),
      String(r.findings).padStart(8),
      format(r.parseMs).padStart(13),
      format(r.loadMs).padStart(9),
      `${(r.loadMs / r.parseMs).toFixed(1)}×`.padStart(8),
      format(r.validateMs).padStart(11),
      `${(r.validateMs / r.parseMs).toFixed(1)}×`.padStart(8),
      format(r.sweepMs).padStart(9),
      format(r.generateMs).padStart(11),
      String(r.bundleFiles).padStart(6),
    ].join('  '),
  );
}

console.log('\nGrowth (each step is 10× the services):');
for (let i = 1; i < results.length; i++) {
  const before = results[i - 1]!;
  const after = results[i]!;
  const work = (after.scenarios * after.services) / (before.scenarios * before.services);
  console.log(
    `  ${before.services} → ${after.services}: validate ×${(after.validateMs / before.validateMs).toFixed(1)}, ` +
      `sweep ×${(after.sweepMs / before.sweepMs).toFixed(1)}; graph ×${(after.services / before.services).toFixed(1)}, ` +
      `scenarios × graph ×${work.toFixed(0)}`,
  );
}

const thousand = results.find((r) => r.services >= 900 && r.services <= 1100);
const tenThousand = results.find((r) => r.services >= 9000);
const verdict = (ok: boolean) => {
  if (!ok) process.exitCode = 1;
  return ok ? 'met' : 'MISSED';
};
console.log('\nTargets:');
if (thousand) {
  console.log(
    `  1,000 services validated with every single failure simulated < 50 ms: ${format(thousand.validateMs)} ms, ${verdict(thousand.validateMs < 50)}`,
  );
}
if (thousand) {
  console.log(
    `  bundle of 1,000 services < 1 s: ${format(thousand.generateMs)} ms, ${verdict(thousand.generateMs < 1000)}`,
  );
}
if (tenThousand) {
  console.log(
    `  10,000 services < 2 s: ${format(tenThousand.validateMs)} ms, ${verdict(tenThousand.validateMs < 2000)}`,
  );
}

interface OneHostRun {
  services: number;
  files: number;
  loadMs: number;
  validateMs: number;
  generateMs: number;
  writeMs: number;
  rewriteMs: number;
  plainWriteMs: number;
  totalMs: number;
  heapMb: number;
}

/** `topoforge generate` of every service on one host, phase by phase, into a new folder and again. */
async function measureOneHost(size: number, scratch: string): Promise<OneHostRun> {
  const text = JSON.stringify(singleHostDesign({ services: size }));
  const lap = (() => {
    let last = performance.now();
    return () => {
      const now = performance.now();
      const elapsed = now - last;
      last = now;
      return elapsed;
    };
  })();
  const loaded = parseDesign(text);
  if (!loaded.ok) throw new Error(`the design of ${size} services on one host does not load`);
  const loadMs = lap();
  validateDesign(loaded.design);
  const validateMs = lap();
  let bundle = generateBundle(loaded.design, { sha256: nodeSha256 });
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  lap();
  // The median of 3 after that first (cold) run: one run on a shared machine is mostly noise.
  const samples: number[] = [];
  for (let run = 0; run < 3; run++) {
    bundle = generateBundle(loaded.design, { sha256: nodeSha256 });
    samples.push(lap());
  }
  const generateMs = median(samples);
  const out = join(scratch, `bundle-${size}`);
  await writeBundle(bundle, out);
  const writeMs = lap();
  await writeBundle(bundle, out);
  const rewriteMs = lap();
  const plain = join(scratch, `plain-${size}`);
  for (const file of [
    ...bundle.files,
    { path: 'manifest.json', content: JSON.stringify(bundle.manifest, null, 2) },
  ]) {
    const path = join(plain, bundlePathOf(file));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
  const plainWriteMs = lap();
  rmSync(out, { recursive: true });
  rmSync(plain, { recursive: true });
  return {
    services: loaded.design.services.length,
    files: bundle.files.length + 1,
    loadMs,
    validateMs,
    generateMs,
    writeMs,
    rewriteMs,
    plainWriteMs,
    totalMs: loadMs + validateMs + generateMs + writeMs,
    heapMb,
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'topoforge-bench-'));
try {
  const small = await measureOneHost(2_000, scratch);
  const large = await measureOneHost(20_000, scratch);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    '\nEvery service on one host, as topoforge generate runs (one run each, new folder, then again):\n',
  );
  console.log(
    ['services', 'files', 'load', 'validate', 'generate', 'write', 'plain write', 'again', 'total', 'heap']
      .map((title, i) => title.padStart(i < 2 ? 8 : 11))
      .join('  '),
  );
  for (const r of [small, large]) {
    console.log(
      [
        String(r.services).padStart(8),
        String(r.files).padStart(8),
        ...[r.loadMs, r.validateMs, r.generateMs, r.writeMs, r.plainWriteMs, r.rewriteMs, r.totalMs].map(
          (ms) => seconds(ms).padStart(11),
        ),
        `${r.heapMb.toFixed(0)} MB`.padStart(11),
      ].join('  '),
    );
  }
  const growth = large.generateMs / small.generateMs;
  console.log(
    `\n  2,000 → 20,000 on one host: generate ×${growth.toFixed(1)}, write ×${(large.writeMs / small.writeMs).toFixed(1)} ` +
      `(services ×${(large.services / small.services).toFixed(1)}); write is ${(large.writeMs / large.plainWriteMs).toFixed(1)}× a plain writeFileSync of the same files`,
  );
  console.log(
    `  20,000 services on one host generated and written < 10 s: ${seconds(large.totalMs)}, ${verdict(large.totalMs < 10_000)}`,
  );
  console.log(
    `  growth from 2,000 near-linear (generate ≤ 15×): ×${growth.toFixed(1)}, ${verdict(growth <= 15)}`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
