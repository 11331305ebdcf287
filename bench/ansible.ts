/**
 * `npm run bench -- ansible`: the Ansible export (core/ansible, docs/ansible.md) of a design with
 * 1,000 hosts, beside generating that design's bundle, and `topoforge export ansible` end to end
 * (reading and checking the bundle from disk, writing the export) in a fresh process.
 *
 * Target: the export of the 1,000-host design under 2 s (issue 17), the median of 5 runs. Exit 1
 * when it is missed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exportAnsible } from '../core/ansible/export';
import { generateBundle } from '../core/generate/index';
import { nodeSha256 } from '../deploy/hash';
import { writeBundle } from '../deploy/write-bundle';
import { syntheticDesign } from './synthetic';

const TARGET_MS = 2000;
const RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function timed<T>(body: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = body();
  return { value, ms: performance.now() - start };
}

// About 2.9 services a host in the synthetic designs: this gives a little over 1,000 hosts.
const design = syntheticDesign({ services: 3000 });
const generateRuns: number[] = [];
let bundle = generateBundle(design, { sha256: nodeSha256 });
for (let run = 0; run < RUNS; run++) {
  const generated = timed(() => generateBundle(design, { sha256: nodeSha256 }));
  bundle = generated.value;
  generateRuns.push(generated.ms);
}
const contents = new Map(bundle.files.map((file) => [`${file.host}\n${file.path}`, file.content]));
const exportOnce = () =>
  exportAnsible({
    manifest: bundle.manifest,
    contentOf: (file) => contents.get(`${file.host}\n${file.path}`)!,
    design,
  });
const exportRuns: number[] = [];
let files = 0;
for (let run = 0; run < RUNS; run++) {
  const exported = timed(exportOnce);
  files = exported.value.length;
  exportRuns.push(exported.ms);
}

const scratch = mkdtempSync(join(tmpdir(), 'topoforge-bench-ansible-export-'));
let cliMs: number | undefined;
try {
  await writeBundle(bundle, join(scratch, 'bundle'));
  const cli = join(import.meta.dirname, '../bin/topoforge.js');
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [cli, 'export', 'ansible', join(scratch, 'bundle'), '--out', join(scratch, 'ansible'), '--json'],
    { encoding: 'utf8' },
  );
  cliMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`topoforge export ansible failed:\n${run.stdout}${run.stderr}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const hosts = bundle.manifest.hosts.length;
console.log(
  `${design.services.length} services on ${hosts} hosts: ${bundle.manifest.files.length} files, ${bundle.manifest.serial.length} serial groups\n`,
);
const rows: [string, string][] = [
  ['generate the bundle (median of 5)', `${median(generateRuns).toFixed(0)} ms`],
  ['export ansible, in process: first run (cold)', `${exportRuns[0]!.toFixed(0)} ms`],
  ['export ansible, in process (median of 5)', `${median(exportRuns).toFixed(0)} ms (${files} files)`],
  ['topoforge export ansible, fresh process, from disk to disk', `${cliMs!.toFixed(0)} ms`],
];
const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
const typical = median(exportRuns);
const met = typical < TARGET_MS;
console.log(
  `\ntarget: the export of ${hosts} hosts under ${TARGET_MS} ms (median ${typical.toFixed(0)} ms): ${met ? 'met' : 'MISSED'}`,
);
process.exitCode = met ? 0 : 1;
