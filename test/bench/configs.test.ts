/**
 * `npm run bench:configs` in its tiniest form: one round of one second per scenario. It proves
 * that the harness starts every generated config and every hand-tuned reference, measures both
 * with wrk, reports them, and leaves nothing behind: no process in its network namespace, no file
 * in its temporary folder. It asserts no timing: the figures of a one-second run on a busy machine
 * mean nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { requireTool } from '../lab/tools';

const ROOT = join(import.meta.dirname, '..', '..');

interface Figures {
  requestsPerSecond: number;
  p99Ms: number;
  balancerCpuUs: number;
}

interface Report {
  network: string;
  rounds: number;
  scenarios: {
    id: string;
    generated: Figures;
    reference: Figures;
    throughputRatio: number;
    p99Ratio: number;
    met: boolean;
    rounds: unknown[];
  }[];
}

/** Runs the benchmark as a user would, and collects its exit status and output. */
function runBenchmark(
  args: string[],
  temporary: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'configs.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: temporary },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Processes whose network namespace is `network` (`net:[inode]`). */
function processesIn(network: string): string[] {
  return readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/u.test(entry)) return false;
    try {
      return readlinkSync(`/proc/${entry}/ns/net`) === network;
    } catch {
      return false; // gone meanwhile, or a kernel thread
    }
  });
}

/** What Topoforge left in `directory` (tsx keeps its compile cache there too, which is not ours). */
function leftovers(directory: string): string[] {
  return readdirSync(directory).filter((name) => name.startsWith('topoforge-'));
}

const canRun = requireTool('nginx') && requireTool('haproxy') && requireTool('wrk') && requireTool('openssl');

describe.skipIf(!canRun)('npm run bench:configs', () => {
  test('one short round measures every scenario, generated and reference, and cleans up', async () => {
    const temporary = mkdtempSync(join(tmpdir(), 'topoforge-bench-test-'));
    try {
      const run = await runBenchmark(
        ['--rounds', '1', '--seconds', '1', '--warmup', '0', '--json'],
        temporary,
      );
      // 0: targets met, 1: a target missed (timing is not this test's business), 2: it broke.
      expect([0, 1], run.stderr).toContain(run.status);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.scenarios.map((scenario) => scenario.id)).toEqual([
        'nginx-http',
        'nginx-https',
        'nginx-tcp',
        'nginx-tcp-tls',
        'haproxy-http',
        'haproxy-https',
        'haproxy-tcp',
        'haproxy-tcp-tls',
      ]);
      for (const scenario of report.scenarios) {
        expect(scenario.rounds, scenario.id).toHaveLength(1);
        for (const figures of [scenario.generated, scenario.reference]) {
          expect(figures.requestsPerSecond, scenario.id).toBeGreaterThan(0);
          expect(figures.p99Ms, scenario.id).toBeGreaterThan(0);
          expect(figures.balancerCpuUs, scenario.id).toBeGreaterThan(0);
        }
        expect(scenario.met).toBe(scenario.throughputRatio >= 0.95 && scenario.p99Ratio <= 1.05);
      }
      // It ran in a network namespace of its own, and left no process in it.
      expect(report.network).toMatch(/^net:\[\d+\]$/u);
      expect(report.network).not.toBe(readlinkSync('/proc/self/ns/net'));
      expect(processesIn(report.network)).toEqual([]);
      expect(leftovers(temporary)).toEqual([]);
    } finally {
      rmSync(temporary, { recursive: true, force: true });
    }
  }, 180_000);

  test('a mistyped scenario is refused with the list of scenarios, before anything starts', async () => {
    const temporary = mkdtempSync(join(tmpdir(), 'topoforge-bench-test-'));
    try {
      const run = await runBenchmark(['--only', 'nginx-htp'], temporary);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('unknown: nginx-htp');
      expect(run.stderr).toContain('nginx-http, nginx-https, nginx-tcp, nginx-tcp-tls, haproxy-http');
      expect(leftovers(temporary)).toEqual([]);
    } finally {
      rmSync(temporary, { recursive: true, force: true });
    }
  });
});
