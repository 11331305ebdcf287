/**
 * `npm run bench`: every benchmark, one after the other, each in its own process so that none
 * warms the JIT or fills the heap for the next:
 *
 * - core (`bench/core.ts`): load, validate, single-failure sweep and bundle generation of 100,
 *   1,000 and 10,000 services, beside JSON.parse of the same file;
 * - push (`bench/push.ts`): 10 files to 20 loopback sshd hosts, beside a bare ssh2 upload and
 *   Ansible (when `ansible-core` is installed);
 * - canvas (`bench/canvas.ts`): the designer with 1,000 and 5,000 services beside plain React Flow in
 *   headless Chromium;
 * - ansible (`bench/ansible.ts`): the Ansible export of 1,000 hosts beside generating their bundle;
 * - configs (`bench/configs.ts`): the generated nginx and HAProxy configs under wrk beside
 *   hand-tuned references of the same topology (needs root, nginx, HAProxy and wrk).
 *
 * - availability (`bench/availability.ts`): the yearly availability of 100, 1,000 and 2,000 services.
 * - rehearse (`bench/rehearse.ts`): `topoforge rehearse` of the Tessera and Helix TeamHub seeds
 *   (needs root, nginx, HAProxy and keepalived).
 *
 * Each prints its own table and targets. This ends with one line per benchmark and exits 1 when
 * any missed a target or failed. `npm run bench -- core canvas` runs only those named.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const BENCHMARKS = {
  core: 'core.ts',
  push: 'push.ts',
  canvas: 'canvas.ts',
  ansible: 'ansible.ts',
  configs: 'configs.ts',
  availability: 'availability.ts',
  rehearse: 'rehearse.ts',
} as const;
type Name = keyof typeof BENCHMARKS;

const isName = (name: string): name is Name => Object.hasOwn(BENCHMARKS, name);
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !isName(name));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.map((n) => `'${n}'`).join(', ')}: choose from ${Object.keys(BENCHMARKS).join(', ')}`,
  );
  process.exit(2);
}
const names = asked.length > 0 ? asked.filter(isName) : (Object.keys(BENCHMARKS) as Name[]);

const outcomes: { name: Name; status: number | null; seconds: number }[] = [];
for (const name of names) {
  console.log(`\n=== ${name} ===\n`);
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, BENCHMARKS[name])], {
    stdio: 'inherit',
  });
  outcomes.push({ name, status: run.status, seconds: (performance.now() - started) / 1000 });
}

console.log('\n=== summary ===');
for (const { name, status, seconds } of outcomes) {
  const verdict =
    status === 0 ? 'targets met' : status === 1 ? 'a target was MISSED' : `failed (exit ${status})`;
  console.log(`  ${name.padEnd(7)} ${verdict} (${seconds.toFixed(0)} s)`);
}
process.exitCode = outcomes.every((o) => o.status === 0) ? 0 : 1;
