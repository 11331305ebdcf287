/**
 * `topoforge rehearse` through a Sentinel failover, as root: Teramind's Redis primary (redis-1)
 * runs on tm-1 beside a node of the cluster, and every node uses the Sentinel group. Losing tm-1
 * interrupts both entrypoints until the Sentinels promote a replica; the node stand-ins find the
 * primary as a client library does (docs/rehearse.md, "Stand-ins and Sentinel"), so the measured
 * interruption is the failover's, within max(1 s, 50 %) of SPEC's Sentinel estimate.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli';
import { requireSshd } from '../../lab/sshd';
import { requireTool } from '../../lab/tools';
import { labFolder } from './lab-folder';
import type { RehearsalJson } from './lab-folder';

const available =
  requireSshd() && requireTool('haproxy') && requireTool('redis-server') && requireTool('redis-sentinel');

describe.skipIf(!available)('rehearsing a Sentinel failover', () => {
  it(
    "loses Teramind's Redis primary with its host: clients wait for Sentinel's promotion, as estimated",
    { timeout: 300_000 },
    async () => {
      const { directory, designFile: design } = await labFolder('topoforge-rehearse-', 'teramind-ha');
      const run = await runCli(['rehearse', design, '--fail', 'tm-1', '--json', '--dir', directory]);
      const result = JSON.parse(run.stdout) as RehearsalJson;
      expect(result.scenarios.map((scenario) => scenario.failed)).toEqual([['tm-1']]);
      const entrypoints = result.scenarios[0]!.entrypoints;
      expect(entrypoints.map((entrypoint) => entrypoint.id)).toEqual(['dashboard', 'agents']);
      for (const entrypoint of entrypoints) {
        // down-after-milliseconds 5 s + agreement 1 s + announcing 1 s.
        expect(entrypoint.predicted.recovery).toMatchObject({ seconds: 7, by: 'sentinel' });
        expect(entrypoint.measured.state).toBe('up');
        // Clients were cut off for the failover itself, not only for the one lost node.
        expect(entrypoint.measured.failedRequests).toBeGreaterThan(100);
        expect(Math.abs(entrypoint.measured.interruptionSeconds! - 7)).toBeLessThanOrEqual(3.5);
        expect(entrypoint.verdict, entrypoint.differences.join('; ')).toBe('match');
      }
      expect(run.code).toBe(0);
      expect(existsSync(directory)).toBe(false);
    },
  );
});
