/**
 * `npm run bench:rehearse` (part of `npm run bench`): `topoforge rehearse` of every single-failure
 * scenario of the Tessera and Helix TeamHub seeds, each from an empty machine to a removed lab
 * (lab built, bundle pushed, stand-ins started, every scenario injected, watched and restored).
 *
 * Target (issue 15): both together in under 3 minutes on the 2-core machine. Needs root, nginx,
 * HAProxy and keepalived. Prints the time of each, its scenarios and verdicts; exits 1 when the
 * target is missed, 2 when a rehearsal could not run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDesign } from '../core/load';
import { validateDesign } from '../core/rules';
import { labUnsupportedReason } from '../deploy/lab/index';
import { rehearse } from '../deploy/lab/rehearse';
import { readFileSync } from 'node:fs';

const TARGET_SECONDS = 180;
const SEEDS = ['tessera-ha', 'helix-teamhub'];

const unsupported = labUnsupportedReason();
if (unsupported !== undefined) {
  console.error(`bench:rehearse cannot run here: ${unsupported}`);
  process.exit(2);
}

let total = 0;
for (const seed of SEEDS) {
  const file = join(import.meta.dirname, '..', 'examples', `${seed}.topo.json`);
  const loaded = parseDesign(readFileSync(file, 'utf8'));
  if (!loaded.ok) throw new Error(`${file} is not a design`);
  const folder = mkdtempSync(join(tmpdir(), 'topoforge-bench-rehearse-'));
  try {
    const started = performance.now();
    const result = await rehearse({
      design: loaded.design,
      model: validateDesign(loaded.design).model,
      designFile: file,
      directory: join(folder, 'lab'),
    });
    const seconds = (performance.now() - started) / 1000;
    total += seconds;
    const verdicts = result.scenarios.flatMap((scenario) => scenario.entrypoints);
    const matches = verdicts.filter((entrypoint) => entrypoint.verdict === 'match').length;
    console.log(
      `${seed.padEnd(14)} ${seconds.toFixed(1)} s: ${result.scenarios.length} scenarios, deploy ${result.lab.deploySeconds.toFixed(1)} s, ${matches}/${verdicts.length} verdicts match`,
    );
    // A mismatch is a finding: say which, so that it can be explained or fixed.
    for (const scenario of result.scenarios)
      for (const entrypoint of scenario.entrypoints)
        if (entrypoint.verdict === 'mismatch')
          console.log(`  mismatch: ${scenario.label} ${entrypoint.id}: ${entrypoint.differences.join('; ')}`);
  } catch (error) {
    console.error(`${seed}: the rehearsal could not run: ${(error as Error).message}`);
    process.exitCode = 2;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
const met = total < TARGET_SECONDS;
console.log(`together ${total.toFixed(1)} s (target < ${TARGET_SECONDS} s): ${met ? 'met' : 'MISSED'}`);
if (process.exitCode === undefined && !met) process.exitCode = 1;
