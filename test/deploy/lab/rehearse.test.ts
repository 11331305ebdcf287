/**
 * `topoforge rehearse` on the Tessera seed, as root: the bundle deployed into a lab with stand-ins
 * for the Tessera nodes, every scenario of `simulate`'s sweep injected for real, probes from the
 * client namespace, verdicts in the JSON of SPEC section 7, and a report page that draws one
 * Chart.js timeline per scenario in Chromium. Nothing of the lab is left afterwards.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseDesign } from '../../../core/load';
import { validateDesign } from '../../../core/rules';
import { execCommandOf, readState } from '../../../deploy/lab/index';
import { rehearse } from '../../../deploy/lab/rehearse';
import { runCli } from '../../cli/run-cli';
import { requireSshd } from '../../lab/sshd';
import { requireTool } from '../../lab/tools';
import { labFolder } from './lab-folder';
import type { RehearsalJson } from './lab-folder';

/** Debian's Chromium, as the end-to-end tests use it. */
const CHROMIUM = '/usr/bin/chromium';

const available = requireSshd() && requireTool('nginx') && requireTool('keepalived');

describe.skipIf(!available)('topoforge rehearse', () => {
  it(
    'rehearses every single failure of Tessera, measures the VIP move and writes a report Chromium draws',
    { timeout: 300_000 },
    async () => {
      const { folder, directory, designFile: design } = await labFolder('topoforge-rehearse-', 'tessera-ha');
      const report = join(folder, 'report.html');
      const simulated = JSON.parse((await runCli(['simulate', design, '--json'])).stdout) as {
        scenarios: { failed: string[] }[];
      };

      const run = await runCli(['rehearse', design, '--json', '--report', report, '--dir', directory]);
      const result = JSON.parse(run.stdout) as RehearsalJson;

      // The same scenarios as the simulator's sweep, each with every entrypoint.
      expect(result.scenarios.map((scenario) => scenario.failed)).toEqual(
        simulated.scenarios.map((scenario) => scenario.failed),
      );
      expect(result.standIns.map((standIn) => [standIn.service, standIn.host])).toEqual([
        ['tessera-a', 'tessera-1'],
        ['tessera-b', 'tessera-2'],
      ]);
      const byScenario = new Map(result.scenarios.map((scenario) => [scenario.failed[0], scenario]));
      for (const scenario of result.scenarios) {
        expect(scenario.entrypoints.map((entrypoint) => entrypoint.id)).toEqual([
          'third-party',
          'q2t',
          'p2p',
        ]);
        // Every entrypoint survives a single failure in the lab, as the model says.
        for (const entrypoint of scenario.entrypoints) expect(entrypoint.measured.state).toBe('up');
      }
      // lb-1 holds the floating address: its loss interrupts clients while keepalived moves it
      // to lb-2, within max(1 s, 50 %) of the estimate; the loss of lb-2 interrupts nobody.
      for (const entrypoint of byScenario.get('lb-1')!.entrypoints) {
        expect(entrypoint.predicted.recovery?.by).toBe('keepalived');
        expect(entrypoint.measured.failedRequests).toBeGreaterThan(20);
        expect(entrypoint.verdict, entrypoint.differences.join('; ')).toBe('match');
      }
      for (const entrypoint of byScenario.get('lb-2')!.entrypoints) {
        expect(entrypoint.measured.failedRequests).toBe(0);
        expect(entrypoint.verdict).toBe('match');
      }
      // A Tessera node lost: nginx waits its connect timeout for the node, and the workers share
      // max_fails (zone), so every worker leaves the node out at once. Without the zone a worker
      // kept sending to it: 3.8 s measured against the 2 s estimate.
      for (const node of ['tessera-1', 'tessera-2'])
        for (const entrypoint of byScenario.get(node)!.entrypoints) {
          expect(entrypoint.predicted.recovery?.by).toBe('nginx');
          expect(entrypoint.verdict, `${node} ${entrypoint.id}: ${entrypoint.differences.join('; ')}`).toBe(
            'match',
          );
        }
      // The exit code follows the verdicts.
      const mismatches = result.scenarios
        .flatMap((s) => s.entrypoints)
        .filter((e) => e.verdict === 'mismatch');
      expect(run.code).toBe(mismatches.length === 0 ? 0 : 1);

      // The lab is gone: namespaces, processes, the lab directory.
      expect(existsSync(directory)).toBe(false);
      expect(readdirSync('/run/netns').filter((name) => name.startsWith(`tf${result.lab.id}-`))).toEqual([]);

      // The report is one page that loads nothing from outside and draws a chart per scenario.
      const html = readFileSync(report, 'utf8');
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/u);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        const requests: string[] = [];
        page.on('request', (request) => requests.push(request.url()));
        await page.goto(`file://${report}`);
        // How many pixels each canvas painted (the page runs in the browser, not in this test's types).
        const drawn = await page.evaluate<number[]>(`
          [...document.querySelectorAll('canvas')].map((canvas) => {
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let index = 3; index < pixels.length; index += 4) if (pixels[index] > 0) painted += 1;
            return painted;
          })
        `);
        expect(errors).toEqual([]);
        expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
        expect(drawn).toHaveLength(result.scenarios.length);
        for (const painted of drawn) expect(painted).toBeGreaterThan(5_000);
        expect(await page.locator('table tbody tr').count()).toBe(result.scenarios.length * 3);
      } finally {
        await browser.close();
      }
    },
  );

  it(
    'cuts a keepalived pair apart inside one segment: the backup hears no adverts and takes the address',
    { timeout: 180_000 },
    async () => {
      const { directory, designFile: design } = await labFolder('topoforge-rehearse-', 'tessera-ha');
      const run = await runCli(['rehearse', design, '--partition', 'lb-1', '--json', '--dir', directory]);
      const result = JSON.parse(run.stdout) as RehearsalJson;
      expect(result.scenarios.map((scenario) => scenario.partition)).toEqual([[['lb-1']]]);
      // lb-1 is cut off from lb-2 and the Tessera nodes, the clients reach both: lb-2 hears no
      // adverts, takes the address and announces it, and the clients' router sends them to lb-2.
      console.log(
        `lb-1 cut off: ${result.scenarios[0]!.entrypoints.map((entrypoint) => `${entrypoint.id} ${entrypoint.measured.interruptionSeconds ?? '-'} s (estimate ${entrypoint.predicted.recovery?.seconds ?? '-'} s, ${entrypoint.measured.failedRequests} failed)`).join(', ')}`,
      );
      for (const entrypoint of result.scenarios[0]!.entrypoints) {
        expect(entrypoint.predicted.recovery?.by).toBe('keepalived');
        expect(entrypoint.measured.state).toBe('up');
        expect(entrypoint.verdict, `${entrypoint.id}: ${entrypoint.differences.join('; ')}`).toBe('match');
      }
      expect(run.code).toBe(0);
      expect(existsSync(directory)).toBe(false);
      expect(readdirSync('/run/netns').filter((name) => name.startsWith(`tf${result.lab.id}-`))).toEqual([]);
    },
  );

  it(
    'starts a scenario only once the floating address has settled on its holder: keepalived restarted just before the cut',
    { timeout: 180_000 },
    async () => {
      const { directory, designFile: file } = await labFolder('topoforge-rehearse-', 'tessera-ha');
      const loaded = parseDesign(readFileSync(file, 'utf8'));
      if (!loaded.ok) throw new Error('the Tessera example is not a design');
      const { model } = validateDesign(loaded.design);
      const result = await rehearse({
        design: loaded.design,
        model,
        designFile: file,
        directory,
        scenarios: [{ failed: [], partition: [['lb-1']], kind: 'partition' }],
        onEvent: (event) => {
          if (event.type !== 'scenario') return;
          // As in a fresh lab whose keepalived has just started: lb-2 holds the address while
          // lb-1 comes back (it preempts about 3.4 s later, and announces itself again 5 s after
          // that). Synchronous, so the engine goes on only once the restart is done. A cut made
          // then let lb-1, beyond it, take the address and announce itself last: every entrypoint
          // measured down, with about 140 failed requests.
          const exec = execCommandOf(readState(directory)!, 'lb-1', [
            'systemctl',
            'restart',
            'keepalived.service',
          ]);
          if (!exec.ok) throw new Error(exec.message);
          execFileSync(exec.command, exec.args, { stdio: 'ignore', timeout: 30_000 });
        },
      });
      for (const entrypoint of result.scenarios[0]!.entrypoints) {
        expect(entrypoint.measured.state, entrypoint.id).toBe('up');
        expect(entrypoint.verdict, `${entrypoint.id}: ${entrypoint.differences.join('; ')}`).toBe('match');
      }
      expect(existsSync(directory)).toBe(false);
    },
  );

  it.skipIf(!requireTool('haproxy') || !requireTool('redis-server') || !requireTool('redis-sentinel'))(
    "loses a Teramind node behind HAProxy's least connections: one slow request, within the connect timeout's tolerance",
    { timeout: 300_000 },
    async () => {
      const { directory, designFile: design } = await labFolder('topoforge-rehearse-', 'teramind-ha');
      const run = await runCli(['rehearse', design, '--fail', 'tm-3', '--json', '--dir', directory]);
      const result = JSON.parse(run.stdout) as RehearsalJson;
      // SPEC section 2.2 counts timeout connect when the config redispatches: the unluckiest
      // client waits it. Under leastconn only the one connection already sent to tm-3 does, so
      // the clients see well under a second and one failed request; the generated timeout
      // connect is 1 s so that this lies within max(1 s, 50 %) of the estimate (with 2 s it
      // did not: docs/rehearse.md).
      for (const entrypoint of result.scenarios[0]!.entrypoints) {
        expect(entrypoint.predicted.recovery).toMatchObject({ seconds: 1, by: 'haproxy' });
        expect(entrypoint.measured.state).toBe('up');
        expect(entrypoint.measured.failedRequests).toBeLessThanOrEqual(3);
        expect(entrypoint.measured.interruptionSeconds ?? 0).toBeLessThan(1);
        expect(entrypoint.verdict, entrypoint.differences.join('; ')).toBe('match');
      }
      expect(run.code).toBe(0);
      expect(existsSync(directory)).toBe(false);
    },
  );
});
