/**
 * `topoforge availability`, the `recovery` of `simulate --json`, and the two objective rules, as a
 * user runs them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryFolderSync } from '../lab/temporary';
import { runCli } from './run-cli';

const root = join(import.meta.dirname, '../..');
const example = (name: string) => join(root, 'examples', name);

function designFile(design: Record<string, unknown>): string {
  const path = join(temporaryFolderSync('topoforge-availability-'), 'design.topo.json');
  writeFileSync(path, JSON.stringify(design, null, 2));
  return path;
}

/** Two apps on two hosts behind one HAProxy on a third, with a cold-standby reporting pair. */
function design(objectives: Record<string, unknown> = {}, portalObjectives?: Record<string, unknown>) {
  return {
    format: 1,
    name: 'Objectives',
    hosts: [
      { id: 'lb-1', address: '10.0.0.1' },
      { id: 'app-1', address: '10.0.0.2' },
      { id: 'app-2', address: '10.0.0.3' },
    ],
    services: [
      { id: 'lb', kind: 'haproxy', host: 'lb-1' },
      { id: 'web-a', kind: 'app', host: 'app-1', healthCheck: { path: '/' } },
      { id: 'web-b', kind: 'app', host: 'app-2', healthCheck: { path: '/' } },
      { id: 'rep-a', kind: 'reporting', host: 'app-1' },
      { id: 'rep-b', kind: 'reporting', host: 'app-2', mode: 'cold-standby', manualRecoveryMinutes: 10 },
      { id: 'cloud-db', kind: 'database', engine: 'postgresql' },
    ],
    links: [
      { from: 'lb', to: 'web-a' },
      { from: 'lb', to: 'web-b' },
      { from: 'web-a', to: 'cloud-db' },
      { from: 'web-b', to: 'cloud-db' },
    ],
    entrypoints: [
      { id: 'site', port: 80, targets: ['lb'], via: 'direct' },
      {
        id: 'portal',
        port: 443,
        targets: ['rep-a', 'rep-b'],
        via: 'direct',
        ...(portalObjectives ? { objectives: portalObjectives } : {}),
      },
    ],
    objectives,
  };
}

describe('topoforge availability', () => {
  it('prints each entrypoint in nines with its contributors and the services taken as always up', async () => {
    const { code, stdout } = await runCli(['availability', designFile(design())]);
    expect(code).toBe(0);
    // lb-1 alone takes the site down: about 4/8764 of a year, 240 minutes.
    expect(stdout).toContain('site  99.954%  3.34 nines  240.0 min/year down');
    expect(stdout).toContain('100%  239.89 min  lb-1');
    expect(stdout).toContain('failover after app-1');
    expect(stdout).toContain('taken as always up (no availability set): cloud-db');
  });

  it('--json has the documented fields, and the figures add up', async () => {
    const { code, stdout } = await runCli(['availability', designFile(design()), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.assumed).toEqual(['cloud-db']);
    const portal = report.entrypoints.find((e: { id: string }) => e.id === 'portal');
    expect(Object.keys(portal)).toEqual(
      expect.arrayContaining([
        'id',
        'availability',
        'nines',
        'downtimeMinutesPerYear',
        'static',
        'failover',
        'bound',
        'contributors',
      ]),
    );
    expect(portal.bound).toBeLessThan(1e-9);
    expect(portal.availability).toBeCloseTo(1 - portal.static - portal.failover, 15);
    expect(portal.nines).toBeCloseTo(-Math.log10(1 - portal.availability), 9);
    // app-1 fails once a year and a person needs 10 minutes to start rep-b.
    expect(portal.contributors[0]).toMatchObject({ failed: ['app-1'], kind: 'failover' });
    expect(portal.contributors[0].downtimeMinutesPerYear).toBeCloseTo(10, 6);
    const shares = portal.contributors.reduce((sum: number, c: { share: number }) => sum + c.share, 0);
    expect(shares).toBeCloseTo(1, 9);
  });

  it('exits 1 when an availability objective is missed, and validate reports objective.availability', async () => {
    const file = designFile(design({ availability: 0.9999 }, { availability: 0.99 }));
    const { code, stdout } = await runCli(['availability', file]);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ objective 99.990%');
    expect(stdout).toContain('✓ objective 99.0%');
    const validate = JSON.parse((await runCli(['validate', file, '--json'])).stdout);
    const finding = validate.findings.find((f: { rule: string }) => f.rule === 'objective.availability');
    expect(finding).toMatchObject({ severity: 'error', subjects: ['site', 'lb-1'] });
    expect(finding.message).toContain('below its objective 99.990%, mostly from failures of lb-1');
    expect(
      validate.findings.filter((f: { rule: string }) => f.rule === 'objective.availability'),
    ).toHaveLength(1);
  });

  it('exits 2 when the file is not a design', async () => {
    const file = designFile({
      format: 1,
      name: 'x',
      hosts: [],
      services: [],
      objectives: { availability: 2 },
    });
    const { code, stdout } = await runCli(['availability', file, '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout).error.path).toBe('objectives.availability');
  });

  it('a seed example: its figures equal what simulate and validate say', async () => {
    const { code, stdout } = await runCli(['availability', example('tealeaf-resilient.topo.json'), '--json']);
    expect(code).toBe(0);
    const portal = JSON.parse(stdout).entrypoints.find((e: { id: string }) => e.id === 'portal');
    const simulated = JSON.parse(
      (await runCli(['simulate', example('tealeaf-resilient.topo.json'), '--fail', 'rep-1', '--json']))
        .stdout,
    );
    const recovery = simulated.entrypoints.find((e: { id: string }) => e.id === 'portal').recovery;
    expect(recovery).toMatchObject({ by: 'manual', seconds: 1800 });
    expect(portal.contributors[0]).toMatchObject({ failed: ['rep-1'], kind: 'failover' });
    expect(portal.contributors[0].downtimeMinutesPerYear).toBeCloseTo(30, 6);
  });
});

describe('simulate --json: recovery', () => {
  it('gives every entrypoint that is not down {seconds, by, detail}, and null for a down one', async () => {
    const { stdout } = await runCli(['simulate', designFile(design()), '--fail', 'app-1', '--json']);
    const report = JSON.parse(stdout);
    expect(report.entrypoints.find((e: { id: string }) => e.id === 'site').recovery).toMatchObject({
      seconds: 1,
      by: 'haproxy',
      detail: expect.stringContaining('timeout connect 1 s'),
    });
    const down = JSON.parse(
      (await runCli(['simulate', designFile(design()), '--fail', 'lb-1', '--json'])).stdout,
    );
    expect(down.entrypoints.find((e: { id: string }) => e.id === 'site')).toMatchObject({
      state: 'down',
      recovery: null,
    });
  });

  it('gives recovery in every scenario of the single-failure sweep', async () => {
    const report = JSON.parse((await runCli(['simulate', designFile(design()), '--json'])).stdout);
    const app2 = report.scenarios.find((s: { failed: string[] }) => s.failed[0] === 'app-2');
    expect(app2.entrypoints.find((e: { id: string }) => e.id === 'site').recovery.by).toBe('haproxy');
    expect(app2.entrypoints.find((e: { id: string }) => e.id === 'portal').recovery).toMatchObject({
      seconds: 0,
      by: 'none',
    });
  });

  it('prints the recovery under the entrypoint for people', async () => {
    const { stdout } = await runCli(['simulate', designFile(design()), '--fail', 'app-1']);
    expect(stdout).toContain('recovers in 600 s: a person starts the cold standby rep-b');
  });
});

describe('objective.rto', () => {
  it('fires for each single host failure that interrupts an entrypoint beyond its rtoSeconds', async () => {
    const file = designFile(design({ rtoSeconds: 5 }, { rtoSeconds: 900 }));
    const { code, stdout } = await runCli(['validate', file, '--json']);
    expect(code).toBe(1);
    const findings = JSON.parse(stdout).findings.filter((f: { rule: string }) => f.rule === 'objective.rto');
    expect(findings.map((f: { subjects: string[] }) => f.subjects)).toEqual([['lb-1', 'site']]);
    expect(findings[0].message).toContain('leaves site down');
  });

  it('names the mechanism and its figure when a failover is too slow', async () => {
    const file = designFile(design({}, { rtoSeconds: 60 }));
    const findings = JSON.parse((await runCli(['validate', file, '--json'])).stdout).findings.filter(
      (f: { rule: string }) => f.rule === 'objective.rto',
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', subjects: ['app-1', 'portal'] });
    expect(findings[0].message).toContain('interrupts portal for 10 min, beyond its rtoSeconds 60');
    expect(findings[0].message).toContain('make the standby hot');
  });
});

describe('examples/README.md', () => {
  const readme = readFileSync(join(root, 'examples', 'README.md'), 'utf8');
  const rows = [
    ...readme.matchAll(
      /^\| `([a-z-]+\.topo\.json)` +\| ([^|]+?) +\| ([\d.]+) s, `([a-z-]+)` \(host ([a-z0-9-]+), ([a-z0-9-]+)\) +\|$/gm,
    ),
  ];

  it('has a resilience row for each of the five seed examples', () => {
    expect(rows.map((row) => row[1])).toEqual([
      'teramind-ha.topo.json',
      'tealeaf-resilient.topo.json',
      'tessera-ha.topo.json',
      'expertflow-two-sites.topo.json',
      'helix-teamhub.topo.json',
    ]);
  });

  it.each(rows.map((row) => [row[1]!, row] as const))(
    '%s: the nines and the worst recovery are what the CLI says',
    async (file, row) => {
      const yearly = JSON.parse((await runCli(['availability', example(file), '--json'])).stdout);
      const nines = yearly.entrypoints
        .map((e: { id: string; nines: number }) => `${e.id} ${e.nines.toFixed(2)}`)
        .join(', ');
      expect(row[2]).toBe(nines);
      const sweep = JSON.parse((await runCli(['simulate', example(file), '--json'])).stdout);
      let worst = { seconds: -1, by: '', failed: '', entrypoint: '' };
      for (const scenario of sweep.scenarios)
        for (const entrypoint of scenario.entrypoints) {
          const seconds = entrypoint.recovery?.seconds;
          if (typeof seconds === 'number' && seconds > worst.seconds)
            worst = {
              seconds,
              by: entrypoint.recovery.by,
              failed: scenario.failed[0],
              entrypoint: entrypoint.id,
            };
        }
      expect([Number(row[3]), row[4], row[5], row[6]]).toEqual([
        worst.seconds,
        worst.by,
        worst.failed,
        worst.entrypoint,
      ]);
    },
  );
});
