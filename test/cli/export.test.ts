/**
 * `topoforge export ansible` (issue 17, item 1): what a person sees when it works and when the
 * input is wrong, each refusal naming what and where, with nothing written.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { nodeSha256 } from '../../deploy/hash';
import { writeBundle } from '../../deploy/write-bundle';
import { EXAMPLES_DIRECTORY, loadExample } from '../fixtures/examples';
import { temporaryFolder } from '../lab/temporary';
import { runCli } from './run-cli';

async function teramindBundle(): Promise<string> {
  const folder = await temporaryFolder('topoforge-export-cli-');
  await writeBundle(
    generateBundle(loadExample('teramind-ha.topo.json'), { sha256: nodeSha256 }),
    join(folder, 'bundle'),
  );
  return folder;
}

/** `topoforge export ansible` of the folder's bundle into `out`, checked against `design`, as JSON. */
function exportAnsible(folder: string, out: string, design: string) {
  return runCli(['export', 'ansible', join(folder, 'bundle'), '--out', out, '--design', design, '--json']);
}

describe('topoforge export ansible', () => {
  it('writes the inventory, playbook, host_vars and files, and names the Vault variables', async () => {
    const folder = await teramindBundle();
    const out = join(folder, 'ansible');
    const run = await exportAnsible(folder, out, join(EXAMPLES_DIRECTORY, 'teramind-ha.topo.json'));
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { ok: boolean; hosts: number; vaultVariables: string[] };
    expect(report).toMatchObject({ ok: true, hosts: 7 });
    expect(report.vaultVariables).toContain('vault_redis_ha_sentinel_auth');
    for (const path of [
      'inventory.yml',
      'site.yml',
      'host_vars/tm-1.yml',
      'files/lb-1/etc/haproxy/haproxy.cfg',
    ])
      expect(existsSync(join(out, path)), path).toBe(true);
    expect(readFileSync(join(out, 'files/lb-1/etc/haproxy/haproxy.cfg'), 'utf8')).toBe(
      readFileSync(join(folder, 'bundle/hosts/lb-1/etc/haproxy/haproxy.cfg'), 'utf8'),
    );
    expect(readFileSync(join(out, 'inventory.yml'), 'utf8')).toContain('role_haproxy:');
  });

  it('refuses a design that is not the bundle’s, naming --design, and writes nothing', async () => {
    const folder = await teramindBundle();
    const other = join(folder, 'other.topo.json');
    const design = JSON.parse(readFileSync(join(EXAMPLES_DIRECTORY, 'teramind-ha.topo.json'), 'utf8')) as {
      name: string;
    };
    writeFileSync(other, JSON.stringify({ ...design, name: `${design.name} (edited)` }));
    const out = join(folder, 'ansible');
    const run = await exportAnsible(folder, out, other);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { path: '--design' } });
    expect(run.stdout).toContain('is not the design of');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a folder that is not a bundle, and a file changed since generate, naming it', async () => {
    const folder = await teramindBundle();
    const notBundle = await runCli(['export', 'ansible', folder, '--out', join(folder, 'a')]);
    expect(notBundle.code).toBe(2);
    expect(notBundle.stderr).toContain('has no manifest.json');

    writeFileSync(join(folder, 'bundle/hosts/lb-1/etc/haproxy/haproxy.cfg'), 'edited\n');
    const edited = await runCli(['export', 'ansible', join(folder, 'bundle'), '--out', join(folder, 'a')]);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toContain('haproxy.cfg');
    expect(existsSync(join(folder, 'a'))).toBe(false);
  });

  it('names the formats it knows and asks for --out', async () => {
    const unknown = await runCli(['export', 'ansibel', 'bundle']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown export format 'ansibel'");
    expect(unknown.stderr).toContain('ansible');
    const noOut = await runCli(['export', 'ansible', 'bundle']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('needs --out DIR');
  });

  it('replaces its own files in an earlier export but never writes through a symbolic link', async () => {
    const folder = await teramindBundle();
    const out = join(folder, 'ansible');
    const args = ['export', 'ansible', join(folder, 'bundle'), '--out', out];
    expect((await runCli(args)).code).toBe(0);
    // Someone's own file beside the export stays; a second export replaces the export's files.
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    writeFileSync(join(out, 'site.yml'), 'stale\n');

    // A link where the export writes a file: the link is replaced, the file it points to is not.
    const outside = join(folder, 'outside.yml');
    writeFileSync(outside, 'not the export\n');
    rmSync(join(out, 'inventory.yml'));
    symlinkSync(outside, join(out, 'inventory.yml'));
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(outside, 'utf8')).toBe('not the export\n');
    expect(lstatSync(join(out, 'inventory.yml')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(out, 'inventory.yml'), 'utf8')).toContain('ansible_host');
    expect(readFileSync(join(out, 'site.yml'), 'utf8')).not.toBe('stale\n');
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine\n');

    // A link where the export needs a folder: refused, naming it, and nothing lands where it points.
    const elsewhere = join(folder, 'elsewhere');
    mkdirSync(elsewhere);
    rmSync(join(out, 'host_vars'), { recursive: true });
    symlinkSync(elsewhere, join(out, 'host_vars'));
    const linked = await runCli([...args, '--json']);
    expect(linked.code).toBe(2);
    const report = JSON.parse(linked.stdout) as { ok: boolean; error: { message: string; path: string } };
    expect(report).toMatchObject({ ok: false, error: { path: '--out' } });
    expect(report.error.message).toContain(`${join(out, 'host_vars')} is a symbolic link`);
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
