import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { temporaryFolderSync } from '../lab/temporary';

const root = join(import.meta.dirname, '../..');
const example = (name: string) => join(root, 'examples', name);

const run = runCli;

function tempFile(name: string, content: string): string {
  const path = join(temporaryFolderSync('topoforge-cli-'), name);
  writeFileSync(path, content);
  return path;
}

describe('topoforge validate', () => {
  it('exits 0 and says so for a design without error findings', async () => {
    const { code, stdout } = await run(['validate', example('teramind-ha.topo.json')]);
    expect(code).toBe(0);
    expect(stdout).toContain('Teramind');
    expect(stdout).toContain('✓ 0 errors, 0 warnings, 0 info');
  });

  it('exits 1 with each finding, its rule and its subjects for a design with errors', async () => {
    const { code, stdout } = await run(['validate', example('teramind-ha-broken.topo.json')]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/error\s+quorum\.even\s+teramind-cluster has 4 voters/);
    expect(stdout).toContain('subjects: teramind-cluster');
    expect(stdout).toContain('✗ 1 error, 1 warning');
    expect(stdout).toMatch(/warning\s+redis\.sentinel-even\s+redis-ha has 4 sentinels/);
  });

  it('prints {ok, findings} with --json', async () => {
    const { code, stdout } = await run(['validate', example('tealeaf-resilient.topo.json'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(true);
    expect(report.findings).toEqual([
      expect.objectContaining({
        rule: 'failover.manual',
        severity: 'warning',
        subjects: ['rep-1', 'portal'],
      }),
    ]);
  });

  it('exits 2 and names path, line and what was expected when the file is not a design', async () => {
    const file = tempFile(
      'bad.topo.json',
      '{\n  "format": 1,\n  "name": "x",\n  "hosts": [{ "id": "h1", "address": "10.0.0.300" }],\n  "services": []\n}\n',
    );
    const human = await run(['validate', file]);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain(
      "hosts[0].address: '10.0.0.300' is not an IPv4 or IPv6 address or a DNS name (line 4",
    );
    const json = await run(['validate', file, '--json']);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({ path: 'hosts[0].address', line: 4 });
    expect(report.error.message).toContain('10.0.0.300');
  });

  it('exits 2 for a file that does not exist, without a stack trace', async () => {
    const { code, stderr } = await run(['validate', '/nonexistent/design.topo.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('cannot read /nonexistent/design.topo.json: no such file');
    expect(stderr).not.toMatch(/\bat \S+ \(/);
  });

  it('says a folder is a folder, in words and without an errno code', async () => {
    const folder = temporaryFolderSync('topoforge-cli-');
    for (const command of ['validate', 'simulate']) {
      const { code, stderr } = await run([command, folder]);
      expect(code).toBe(2);
      expect(stderr).toContain(`cannot read ${folder}: it is a folder, not a file`);
      expect(stderr).not.toMatch(/EISDIR|ENOENT|illegal operation/);
    }
  });

  it('says a missing --design file of push is missing, without an errno code', async () => {
    const bundle = temporaryFolderSync('topoforge-cli-');
    expect((await run(['generate', example('tessera-ha.topo.json'), '--out', bundle])).code).toBe(0);
    const { code, stderr } = await run([
      'push',
      bundle,
      '--dry-run',
      '--design',
      join(bundle, 'gone.topo.json'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(`topoforge push: cannot read ${join(bundle, 'gone.topo.json')}: no such file\n`);
  });

  it('says --out is a file when generate is given one', async () => {
    const file = tempFile('not-a-folder', 'x');
    const { code, stderr } = await run(['generate', example('tessera-ha.topo.json'), '--out', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file} is a file, not a folder`);
    expect(stderr).not.toMatch(/ENOTDIR|scandir/);
  });

  it('colours its output only when asked to', async () => {
    const plain = await run(['validate', example('teramind-ha-broken.topo.json')]);
    const coloured = await run(['validate', example('teramind-ha-broken.topo.json')], { color: true });
    expect(plain.stdout).not.toContain('\u001b[');
    expect(coloured.stdout).toContain('\u001b[31m');
  });
});

describe('topoforge simulate', () => {
  it('gives the state and reason of every entrypoint for --fail', async () => {
    const { code, stdout } = await run([
      'simulate',
      example('tealeaf-resilient.topo.json'),
      '--fail',
      'rep-1',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.failed).toEqual(['rep-1']);
    expect(report.entrypoints).toContainEqual(
      expect.objectContaining({ id: 'portal', state: 'manual', degraded: false }),
    );
    const human = await run(['simulate', example('tealeaf-resilient.topo.json'), '--fail', 'rep-1']);
    expect(human.stdout).toMatch(
      /portal\s+manual\s+portal is manual: rep-a is down with host rep-1; rep-b is a cold standby/,
    );
  });

  it('takes several --fail ids, sites included', async () => {
    const { stdout } = await run([
      'simulate',
      example('expertflow-two-sites.topo.json'),
      '--fail',
      'site-a',
      '--fail',
      'ef-b',
      '--json',
    ]);
    const report = JSON.parse(stdout);
    expect(report.failed).toEqual(['site-a', 'ef-b']);
    expect(report.entrypoints).toContainEqual(expect.objectContaining({ id: 'chat', state: 'down' }));
  });

  it('sweeps every single host and site failure without --fail', async () => {
    const { code, stdout } = await run(['simulate', example('expertflow-two-sites.topo.json'), '--json']);
    expect(code).toBe(0);
    const { scenarios } = JSON.parse(stdout);
    const failed = scenarios.map((s: { failed: string[] }) => s.failed[0]);
    expect(failed).toEqual(expect.arrayContaining(['ef-a', 'ef-b', 'site-a', 'site-b', 'neutral']));
    const failures = scenarios.filter((s: { kind: string }) => s.kind !== 'partition');
    expect(failures.every((s: { failed: string[] }) => s.failed.length === 1)).toBe(true);
    const siteA = scenarios.find((s: { failed: string[] }) => s.failed[0] === 'site-a');
    expect(siteA.entrypoints).toEqual([
      {
        id: 'chat',
        state: 'manual',
        degraded: false,
        recovery: {
          seconds: 1800,
          by: 'manual',
          detail: 'a person starts the cold standby mysql-b by the runbook in manualRecoveryMinutes 30 min',
        },
      },
    ]);
    // Two or more sites: every site is also cut off from the others, with every host running.
    const cuts = scenarios.filter((s: { kind: string }) => s.kind === 'partition');
    expect(cuts.map((s: { partition: string[][] }) => s.partition)).toEqual([
      [['site-a']],
      [['site-b']],
      [['neutral']],
    ]);
    expect(cuts.every((s: { failed: string[]; splitBrain: string[] }) => s.failed.length === 0)).toBe(true);
    expect(cuts[1].entrypoints).toMatchObject([{ id: 'chat', state: 'up', degraded: true }]);
  });

  it('cuts the network with --partition and reports a group with two primaries as split brain', async () => {
    // Teramind keeps its Redis primary on tm-1; cut tm-1 and lb-1 off from the rest.
    const design = example('teramind-ha.topo.json');
    const { code, stdout } = await run(['simulate', design, '--partition', 'tm-1,lb-1', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.failed).toEqual([]);
    expect(result.partition).toEqual([['tm-1', 'lb-1']]);
    expect(result.entrypoints.map((e: { id: string; state: string }) => [e.id, e.state])).toEqual([
      ['dashboard', 'up'],
      ['agents', 'up'],
    ]);
    // minReplicasToWrite 1 in the example: the isolated primary refuses writes, so no split brain.
    expect(result.splitBrain).toEqual([]);
    // The broken variant leaves it at 0: the primary keeps writing while the other side promotes.
    const broken = await run([
      'simulate',
      example('teramind-ha-broken.topo.json'),
      '--partition',
      'tm-1',
      '--json',
    ]);
    expect(JSON.parse(broken.stdout).splitBrain).toEqual(['redis-ha']);
    const text = await run(['simulate', design, '--partition', 'tm-1,lb-1']);
    expect(text.stdout).toContain('Partition: tm-1, lb-1 | the other hosts');
    expect(text.stdout).toMatch(/on the other side of the cut/);
  });

  it('exits 2 for a side that names no site or host, or a host on two sides', async () => {
    const design = example('teramind-ha.topo.json');
    const unknown = await run(['simulate', design, '--partition', 'tm-9', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error).toEqual({
      message: "--partition: there is no site or host 'tm-9'",
      path: '--partition',
    });
    const twice = await run(['simulate', design, '--partition', 'tm-1', '--partition', 'tm-2,tm-1']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('host tm-1 is on two sides (1 and 2)');
  });

  it('shows the sweep as a table a person can read', async () => {
    const { stdout } = await run(['simulate', example('tealeaf-resilient.topo.json')]);
    expect(stdout).toMatch(/host rep-1\s+portal manual/);
    expect(stdout).toMatch(/host hbr-1\s+.*degraded/);
  });

  it('exits 2 for an unknown id, suggesting the one meant', async () => {
    const { code, stderr } = await run([
      'simulate',
      example('tealeaf-resilient.topo.json'),
      '--fail',
      'rep-l',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("there is no host, site or service 'rep-l' (did you mean 'rep-1'?)");
    const group = await run([
      'simulate',
      example('tealeaf-resilient.topo.json'),
      '--fail',
      'processing',
      '--json',
    ]);
    expect(group.code).toBe(2);
    expect(JSON.parse(group.stdout).error.message).toContain("'processing' is a group");
  });
});

describe('topoforge usage', () => {
  it('prints help and the version', async () => {
    expect((await run(['--help'])).stdout).toContain('topoforge simulate examples/');
    expect((await run(['validate', '--help'])).code).toBe(0);
    expect((await run(['--version'])).stdout).toMatch(/^topoforge \d+\.\d+\.\d+\n$/);
  });

  it('exits 2 on an unknown command or option, and on a missing design', async () => {
    const command = await run(['valdate', 'x']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'valdate' (did you mean 'validate'?)");
    const option = await run(['validate', example('tealeaf-resilient.topo.json'), '--jsn']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("Unknown option '--jsn'");
    expect((await run(['simulate'])).stderr).toContain('simulate needs a design file');
    const nothing = await run([]);
    expect(nothing).toMatchObject({ code: 2, stdout: '' });
    expect(nothing.stderr).toContain('Usage: topoforge <command>');
  });
});

describe('the installed command', () => {
  const exec = promisify(execFile);
  const topoforge = (args: string[]) =>
    exec(process.execPath, [join(root, 'bin/topoforge.js'), ...args], {
      env: { ...process.env, NO_COLOR: '1' },
    }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );

  it('runs from bin/ with the exit codes of docs/cli.md', async () => {
    expect((await topoforge(['validate', example('helix-teamhub.topo.json')])).code).toBe(0);
    expect((await topoforge(['validate', example('helix-teamhub-broken.topo.json')])).code).toBe(1);
    const broken = await topoforge(['validate', join(root, 'package.json'), '--json']);
    expect(broken.code).toBe(2);
    expect(JSON.parse(broken.stdout).error.message).toContain("missing required key 'format'");
  });

  it('stops quietly when its reader closes the pipe early, as `| head -1` does', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [join(root, 'bin/topoforge.js'), 'simulate', example('teramind-ha.topo.json')],
      {
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Read one chunk, then close the pipe like `head` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
  });
});
