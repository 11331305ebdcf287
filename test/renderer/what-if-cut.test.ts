/**
 * What-if's network cut (issue 13 item 5) and recovery badges (issue 14 item 5): the designer's
 * analysis of a cut agrees with `topoforge simulate --partition … --json` on every entrypoint's
 * state, the groups in split brain and each entrypoint's recovery; the canvas marks the cut-off
 * side and the links across it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDesign } from '../../core/load';
import type { Design } from '../../core/model';
import { crossesCut, cutPicture, recoveryFigure, recoverySentence } from '../../renderer/canvas/cut';
import { splitBrainWords } from '../../renderer/panels/SplitBrain';
import { createAppStore } from '../../renderer/state/store';
import { Analyzer } from '../../renderer/workers/analyze';
import { runCli } from '../cli/run-cli';
import { example } from './fixtures';

const root = join(import.meta.dirname, '../..');
const THREE_SITES = join(root, 'test/fixtures/designs/sentinel-three-sites.topo.json');

function load(path: string): Design {
  const result = parseDesign(readFileSync(path, 'utf8'));
  if (!result.ok) throw new Error(`${path} does not load`);
  return result.design;
}

interface CliScenario {
  entrypoints: {
    id: string;
    state: string;
    degraded: boolean;
    recovery: { seconds: number | null; by: string; detail: string } | null;
  }[];
  splitBrain: string[];
}

async function simulate(path: string, args: string[]): Promise<CliScenario> {
  const { code, stdout, stderr } = await runCli(['simulate', path, ...args, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as CliScenario;
}

/** The CLI's entrypoint states in the designer's words: `up` that lost redundancy is `degraded`. */
function displayOf(entry: CliScenario['entrypoints'][number]): string {
  return entry.state === 'up' && entry.degraded ? 'degraded' : entry.state;
}

describe('cutting the design in two in what-if', () => {
  it.each(['site-a', 'site-b', 'neutral'])(
    'Expertflow with site %s cut off shows what simulate --partition reports',
    async (site) => {
      const path = join(root, 'examples/expertflow-two-sites.topo.json');
      const cli = await simulate(path, ['--partition', site]);
      const analysis = new Analyzer().analyze({
        revision: 1,
        design: load(path),
        failed: [],
        partition: [[site]],
        detail: true,
      });
      expect(analysis.partition).toEqual([[site]]);
      expect(analysis.entrypoints.map((e) => [e.id, e.state])).toEqual(
        cli.entrypoints.map((e) => [e.id, displayOf(e)]),
      );
      expect(analysis.entrypoints.map((e) => e.recovery)).toEqual(cli.entrypoints.map((e) => e.recovery));
      expect(analysis.splitBrain).toEqual(cli.splitBrain);
      // The named side is the site's hosts, the other side every other host.
      expect(analysis.sides[0]).toEqual({
        ids: [site],
        hosts: load(path)
          .hosts.filter((h) => h.site === site)
          .map((h) => h.id),
      });
      expect(analysis.sides).toHaveLength(2);
    },
  );

  it('Teramind with tm-1 and tm-2 cut off: redis-ha in split brain and a Sentinel recovery, as the CLI says', async () => {
    const path = join(root, 'examples/teramind-ha.topo.json');
    const cli = await simulate(path, ['--partition', 'tm-1,tm-2']);
    expect(cli.splitBrain).toEqual(['redis-ha']);
    const analysis = new Analyzer().analyze({
      revision: 1,
      design: example('teramind-ha.topo.json'),
      failed: [],
      partition: [['tm-1', 'tm-2']],
      detail: true,
    });
    expect(analysis.splitBrain).toEqual(['redis-ha']);
    expect(analysis.entrypoints.map((e) => [e.id, e.state])).toEqual(
      cli.entrypoints.map((e) => [e.id, displayOf(e)]),
    );
    expect(analysis.entrypoints.map((e) => e.recovery)).toEqual(cli.entrypoints.map((e) => e.recovery));
    const dashboard = analysis.entrypoints.find((e) => e.id === 'dashboard')!;
    expect(dashboard.recovery).toMatchObject({ seconds: 7, by: 'sentinel' });
    expect(recoveryFigure(dashboard.recovery!)).toBe('≈ 7 s');
    expect(recoverySentence(dashboard.recovery!)).toMatch(
      /^Recovers in ≈ 7 s \(7 s\) by Sentinel failover: /,
    );
    // Told from the side that serves it, what lies beyond the cut is cut off, not failed.
    expect(dashboard.headline).not.toMatch(/failed/);
    expect(analysis.byCause.map((c) => c.title)).toEqual(['The network is cut']);
  });

  it("the Sentinel guide's three boxes on three sites: cutting the primary's site off is a split brain, as the CLI says", async () => {
    const cli = await simulate(THREE_SITES, ['--partition', 'dc-1']);
    const analysis = new Analyzer().analyze({
      revision: 1,
      design: load(THREE_SITES),
      failed: [],
      partition: [['dc-1']],
      detail: true,
    });
    expect(cli.splitBrain).toEqual(['cache']);
    expect(analysis.splitBrain).toEqual(['cache']);
    expect(analysis.entrypoints.map((e) => [e.id, e.state])).toEqual(
      cli.entrypoints.map((e) => [e.id, displayOf(e)]),
    );
    // Cutting a replica's site off is no split brain: only one side holds a primary.
    const other = new Analyzer().analyze({
      revision: 1,
      design: load(THREE_SITES),
      failed: [],
      partition: [['dc-2']],
      detail: true,
    });
    expect(other.splitBrain).toEqual((await simulate(THREE_SITES, ['--partition', 'dc-2'])).splitBrain);
    expect(other.splitBrain).toEqual([]);
  });

  it('with failures only, the badge carries the recovery simulate --fail reports', async () => {
    const path = join(root, 'examples/tealeaf-resilient.topo.json');
    const cli = await simulate(path, ['--fail', 'rep-1']);
    const analysis = new Analyzer().analyze({
      revision: 1,
      design: example('tealeaf-resilient.topo.json'),
      failed: ['rep-1'],
      detail: true,
    });
    expect(analysis.sides).toEqual([]);
    expect(analysis.entrypoints.map((e) => e.recovery)).toEqual(cli.entrypoints.map((e) => e.recovery));
    const portal = analysis.entrypoints.find((e) => e.id === 'portal')!;
    expect(portal.recovery).toMatchObject({ seconds: 1800, by: 'manual' });
    expect(recoveryFigure(portal.recovery!)).toBe('≈ 30 min');
    expect(recoverySentence(portal.recovery!)).toMatch(
      /by a person starting the cold standby: a person starts the cold standby rep-b/,
    );
  });

  it('ignores sites and hosts an edit removed, and a cut that names no host', () => {
    const analysis = new Analyzer().analyze({
      revision: 1,
      design: example('expertflow-two-sites.topo.json'),
      failed: [],
      partition: [['gone-site'], []],
      detail: true,
    });
    expect(analysis.partition).toEqual([]);
    expect(analysis.sides).toEqual([]);
    expect(analysis.entrypoints.every((e) => e.state === 'up')).toBe(true);
  });

  it('draws the cut-off site and its hosts inside the band, and links between the sides severed', () => {
    const design = load(THREE_SITES);
    const analysis = new Analyzer().analyze({
      revision: 1,
      design,
      failed: [],
      partition: [['dc-1']],
      detail: true,
    });
    const picture = cutPicture(design, analysis.sides)!;
    expect([...picture.cutOff].sort()).toEqual(['box-1', 'dc-1']);
    const hostOf = new Map(design.services.flatMap((s) => (s.host ? [[s.id, s.host] as const] : [])));
    expect(crossesCut(picture, hostOf, 's1', 's2')).toBe(true);
    expect(crossesCut(picture, hostOf, 's2', 's3')).toBe(false);
    expect(crossesCut(picture, hostOf, 'sessions', 'm1')).toBe(false);
    expect(cutPicture(design, [])).toBeUndefined();
  });

  it('the store cuts off, keeps what-if on, and heals with Restore all or leaving what-if', () => {
    const store = createAppStore();
    store.getState().cutOff(['site-a', 'site-a']);
    expect(store.getState()).toMatchObject({ cut: ['site-a'], whatIf: true, panel: 'what-if' });
    store.getState().clearFailures();
    expect(store.getState().cut).toEqual([]);
    store.getState().cutOff(['ef-a']);
    store.getState().setWhatIf(false);
    expect(store.getState().cut).toEqual([]);
  });

  it('explains split brain once: what happened, what is at risk, and the setting that prevents it', () => {
    const words = splitBrainWords(load(THREE_SITES), 'cache');
    expect(words.title).toBe('Split brain in Redis with Sentinel');
    expect(words.happened).toMatch(/m1 keeps accepting writes on its side/);
    expect(words.atRisk).toMatch(/discards what it accepted during the cut/);
    expect(words.prevents).toMatch(/^minReplicasToWrite \(Redis min-replicas-to-write/);
    expect(words.prevents).toMatch(/It is not set \(0\) now/);
    expect(words.prevents).toMatch(/fewer than that many of its 2 replicas are up/);
    expect(words.prevents).toMatch(/write concern "majority"/);
    // Teramind sets minReplicasToWrite 1: the words say what it is and why it is not enough.
    expect(splitBrainWords(example('teramind-ha.topo.json'), 'redis-ha').prevents).toMatch(
      /It is 1 now, which the primary's side still meets/,
    );
  });

  it("lists every site cut off beside the single failures, with the split brain simulate's sweep reports", async () => {
    const { stdout } = await runCli(['simulate', THREE_SITES, '--json']);
    const sweep = JSON.parse(stdout) as {
      scenarios: { kind: string; partition: string[][]; splitBrain: string[] }[];
    };
    const cuts = sweep.scenarios.filter((s) => s.kind === 'partition');
    const analysis = new Analyzer().analyze({
      revision: 1,
      design: load(THREE_SITES),
      failed: [],
      detail: true,
    });
    const rows = analysis.singleFailures.filter((row) => row.kind === 'partition');
    expect(rows.map((row) => [[row.failed], row.splitBrain])).toEqual(
      cuts.map((s) => [s.partition[0], s.splitBrain]),
    );
    expect(rows.find((row) => row.failed === 'dc-1')?.splitBrain).toEqual(['cache']);
    // Host and site failures are still there, one row each.
    expect(analysis.singleFailures.filter((row) => row.kind !== 'partition')).toHaveLength(6);
  });
});
