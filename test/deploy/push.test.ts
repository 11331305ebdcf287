/**
 * `topoforge push` against real OpenSSH servers: three lab hosts (test/lab/sshd.ts), each with
 * its own host key and a root folder used as `ssh.root`. Checks and reloads are real shell
 * commands run on the lab host.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect as connectTcp } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runPush } from '../../cli/push';
import type { CliIo } from '../../cli/main';
import { buildManifest } from '../../core/generate/bundle';
import type { BundleFile, FilePolicy } from '../../core/generate/bundle';
import type { Design } from '../../core/model';
import { SshConnection } from '../../deploy/push/connection';
import { loadPushBundle as loadBundle, pushBundle } from '../../deploy/push/index';
import type { PushEvent, PushReport, SerialGroup } from '../../deploy/push/index';
import { writeBundle } from '../../deploy/write-bundle';
import { digestOf, runPushCapturing } from './push-lab';
import { sleep, startProcess, waitForPort } from '../lab/processes';
import { generateKey, requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab, SshLabHost } from '../lab/sshd';

const scratch = mkdtempSync(join(tmpdir(), 'topoforge-push-test-'));
/** HOME for the CLI: nothing of the machine's own ~/.ssh may leak into a test. */
const home = join(scratch, 'home');
let lab: SshLab;
let knownHosts: string;
let hosts: Record<string, SshLabHost>;

interface TestFile {
  path: string;
  content: string | Buffer;
  mode?: string;
  owner?: string;
  check?: string;
  reload?: string;
  policy?: FilePolicy;
}

interface BundleOptions {
  /** The manifest's roll-out order; `null` leaves the field out. */
  serial?: SerialGroup[] | null;
  pins?: Record<string, string>;
  sudo?: boolean;
  /** Where to connect instead of the lab host's own port (a proxy). */
  ports?: Record<string, number>;
  /** Extra design content (services, groups, …), for designs push derives the order from. */
  design?: Partial<Design>;
}

let bundleCount = 0;

/** The design of the lab hosts, as generate would see it. */
function labDesign(ids: string[], options: BundleOptions): Design {
  return {
    format: 1,
    name: 'push lab',
    hosts: ids.map((id) => ({
      id,
      address: '127.0.0.1',
      ssh: {
        user: 'root',
        port: options.ports?.[id] ?? hosts[id]!.port,
        root: hosts[id]!.root,
        sudo: options.sudo ?? false,
        ...(options.pins?.[id] ? { hostKey: options.pins[id] } : {}),
      },
    })),
    services: [],
    ...options.design,
  } as unknown as Design;
}

/** Writes a bundle with `files` per lab host, through the real writeBundle; returns its folder. */
function omitSerial(manifest: object): object {
  const { serial: _serial, ...rest } = manifest as { serial?: unknown };
  return rest;
}

async function writeLabBundle(
  files: Record<string, TestFile[]>,
  options: BundleOptions = {},
): Promise<string> {
  const ids = Object.keys(files);
  const design = labDesign(ids, options);
  const bundleFiles: BundleFile[] = ids.flatMap((host) =>
    files[host]!.map((file) => ({
      host,
      path: file.path,
      content: typeof file.content === 'string' ? file.content : file.content.toString('latin1'),
      mode: file.mode ?? '0644',
      ...(file.owner ? { owner: file.owner } : {}),
      ...(file.check ? { check: file.check } : {}),
      ...(file.reload ? { reload: file.reload } : {}),
      policy: file.policy ?? 'replace',
    })),
  );
  // Hand-made: no prerequisites, as a hand-made manifest has none (the units' programs are made up).
  const manifest = { ...buildManifest(design, bundleFiles), prerequisites: [] };
  bundleCount += 1;
  const directory = join(scratch, `bundle-${bundleCount}`);
  const serial = options.serial === undefined ? [] : options.serial;
  await writeBundle(
    {
      files: bundleFiles,
      // serial: null stands for a hand-made bundle whose manifest has no roll-out order.
      manifest: serial === null ? (omitSerial(manifest) as typeof manifest) : { ...manifest, serial },
    },
    directory,
  );
  return directory;
}

/**
 * The digest of a bundle's manifest. The bundles here are hand-made, with checks and reloads of
 * their own (shell commands that log on the lab host) at paths no generator writes; push runs
 * such a manifest only when the person vouches for it by its digest, as these tests do.
 */
/** Loads a hand-made lab bundle, vouched for by its digest. */
function loadPushBundle(directory: string): ReturnType<typeof loadBundle> {
  return loadBundle(directory, { manifestDigest: digestOf(directory) });
}

/** A file and its mode under a host's root, by path relative to it (hidden files included). */
function snapshot(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      const mode = (statSync(path).mode & 0o7777).toString(8);
      if (entry.isDirectory()) {
        result[`${relative(root, path)}/`] = mode;
        walk(path);
      } else {
        result[relative(root, path)] = `${mode} ${readFileSync(path, 'utf8')}`;
      }
    }
  };
  if (existsSync(root)) walk(root);
  return result;
}

function readRemote(host: string, path: string): string {
  return readFileSync(join(hosts[host]!.root, path), 'utf8');
}

function modeOf(host: string, path: string): string {
  return (statSync(join(hosts[host]!.root, path)).mode & 0o7777).toString(8).padStart(4, '0');
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  report: () => PushReport;
}

/** Runs `topoforge push DIR ARGS…` in-process, with the lab's key and known_hosts unless overridden. */
async function push(
  directory: string,
  args: string[] = [],
  environment: { agentSocket?: string } = {},
): Promise<CliRun> {
  const withDefaults = [
    directory,
    ...(args.includes('--identity') || environment.agentSocket ? [] : ['--identity', lab.identityFile]),
    ...(args.includes('--known-hosts') ? [] : ['--known-hosts', knownHosts]),
    ...(existsSync(join(directory, 'manifest.json')) ? ['--manifest-digest', digestOf(directory)] : []),
    ...args,
  ];
  const run = await runPushCapturing(withDefaults, { home, ...environment });
  return { ...run, report: () => JSON.parse(run.stdout) as PushReport };
}

function reloadLog(host: string): string[] {
  const path = join(hosts[host]!.directory, 'reloads.log');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : [];
}

/** A reload that logs its run on the lab host, then succeeds only if `condition` holds there. */
function loggedReload(host: string, name: string, condition = 'true'): string {
  return `sh -c 'echo ${name} >> ${hosts[host]!.directory}/reloads.log; ${condition}'`;
}

/** Version 1 of the usual three files of a host. */
function version1(host: string): TestFile[] {
  return [
    {
      path: '/etc/app/app.conf',
      content: `# app on ${host}\nlisten 8080\nstatus ok good\n`,
      mode: '0640',
      check: `sh -c 'grep -q ok "$1" || { echo "no ok in $1" >&2; exit 3; }' check {}`,
      reload: loggedReload(host, 'app', `grep -q good ${hosts[host]!.root}/etc/app/app.conf`),
    },
    { path: '/etc/app/conf.d/extra.conf', content: 'extra 1\n', check: 'test -s {}' },
    {
      path: '/etc/systemd/system/app.service',
      content: '[Service]\nExecStart=/usr/bin/app\n',
      reload: 'systemctl restart app.service',
    },
  ];
}

const ALL = ['host-1', 'host-2', 'host-3'];

function bundleFor(ids: string[], files: (host: string) => TestFile[]): Record<string, TestFile[]> {
  return Object.fromEntries(ids.map((id) => [id, files(id)]));
}

beforeAll(async () => {
  if (!requireSshd()) return;
  lab = await startSshLab({ hosts: ALL });
  hosts = Object.fromEntries(lab.hosts.map((host) => [host.id, host]));
});

afterAll(async () => {
  await lab?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  if (!lab) return;
  lab.reset();
  for (const host of lab.hosts) rmSync(join(host.directory, 'reloads.log'), { force: true });
  knownHosts = join(mkdtempSync(join(scratch, 'known-')), 'known_hosts');
  writeFileSync(knownHosts, lab.knownHosts());
});

describe.skipIf(!requireSshd())('push to real OpenSSH servers', () => {
  it('writes every file with its mode on the first push, and changes nothing on the second', async () => {
    const bundle = await writeLabBundle(bundleFor(ALL, version1));
    const first = await push(bundle, ['--json']);
    expect(first.code, first.stdout).toBe(0);
    const report = first.report();
    expect(report.summary).toEqual({ changed: 3, unchanged: 0, failed: 0 });
    for (const id of ALL) {
      expect(readRemote(id, 'etc/app/app.conf')).toBe(`# app on ${id}\nlisten 8080\nstatus ok good\n`);
      expect(modeOf(id, 'etc/app/app.conf')).toBe('0640');
      expect(readRemote(id, 'etc/app/conf.d/extra.conf')).toBe('extra 1\n');
      expect(modeOf(id, 'etc/systemd/system/app.service')).toBe('0644');
      expect(reloadLog(id)).toEqual(['app']);
      // Units changed: daemon-reload before the unit's own reload.
      expect(hosts[id]!.systemctlCalls()).toEqual(['daemon-reload', 'restart app.service']);
      // No temporary file is left, and the lock is released: only its empty folder stays.
      expect(Object.keys(snapshot(hosts[id]!.root)).filter((path) => path.includes('topoforge'))).toEqual([
        'var/lib/topoforge/',
      ]);
    }
    const before = ALL.map((id) => snapshot(hosts[id]!.root));

    const second = await push(bundle, ['--json']);
    expect(second.code).toBe(0);
    expect(second.report().summary).toEqual({ changed: 0, unchanged: 3, failed: 0 });
    expect(second.report().hosts.every((host) => host.reloads.length === 0)).toBe(true);
    expect(ALL.map((id) => snapshot(hosts[id]!.root))).toEqual(before);
    for (const id of ALL) {
      expect(reloadLog(id)).toEqual(['app']);
      expect(hosts[id]!.systemctlCalls()).toHaveLength(2);
    }
  });

  it('keeps the previous version as a backup beside each replaced file', async () => {
    await push(await writeLabBundle(bundleFor(['host-1'], version1)));
    const changed = version1('host-1').map((file) =>
      file.path.endsWith('extra.conf') ? { ...file, content: 'extra 2\n' } : file,
    );
    const result = await push(await writeLabBundle({ 'host-1': changed }), ['--json']);
    expect(result.code).toBe(0);
    const extra = result.report().hosts[0]!.files.find((file) => file.path.endsWith('extra.conf'))!;
    expect(extra).toMatchObject({ action: 'update', reasons: ['content'] });
    expect(extra.backup).toMatch(
      new RegExp(
        `^${join(hosts['host-1']!.root, 'etc/app/conf.d/')}\\.extra\\.conf\\.topoforge-backup-[0-9a-f]{12}$`,
        'u',
      ),
    );
    expect(readFileSync(extra.backup!, 'utf8')).toBe('extra 1\n');
    expect(readRemote('host-1', 'etc/app/conf.d/extra.conf')).toBe('extra 2\n');
    // Only the reload of the changed file ran; the unit did not change, so no daemon-reload.
    expect(result.report().hosts[0]!.reloads).toEqual([]);
    expect(hosts['host-1']!.systemctlCalls()).toHaveLength(2);
  });

  it('replaces nothing on a host whose check fails, while the other hosts change', async () => {
    await push(await writeLabBundle(bundleFor(ALL, version1)));
    const before = snapshot(hosts['host-2']!.root);
    const version2 = bundleFor(ALL, (id) =>
      version1(id).map((file) => {
        if (file.path.endsWith('extra.conf')) return { ...file, content: 'extra 2\n' };
        if (id === 'host-2' && file.path.endsWith('app.conf')) return { ...file, content: 'invalid\n' };
        return file;
      }),
    );
    const result = await push(await writeLabBundle(version2), ['--json']);
    expect(result.code).toBe(1);
    const report = result.report();
    expect(report.hosts.map((host) => host.status)).toEqual(['changed', 'failed', 'changed']);
    const failed = report.hosts[1]!;
    expect(failed.failure).toMatchObject({ step: 'checking', path: '/etc/app/app.conf' });
    expect(failed.failure?.message).toContain('nothing was replaced');
    expect(failed.failure?.stderr).toMatch(/no ok in .*\.app\.conf\.topoforge-new/u);
    expect(snapshot(hosts['host-2']!.root)).toEqual(before);
    expect(reloadLog('host-2')).toEqual(['app']);
    for (const id of ['host-1', 'host-3'])
      expect(readRemote(id, 'etc/app/conf.d/extra.conf')).toBe('extra 2\n');
  });

  it('restores the previous files and reloads again when a reload fails', async () => {
    await push(await writeLabBundle(bundleFor(['host-1'], version1)));
    const before = snapshot(hosts['host-1']!.root);
    const version2 = version1('host-1').map((file) => {
      if (file.path.endsWith('app.conf')) return { ...file, content: 'status ok but bad\n' };
      if (file.path.endsWith('app.service'))
        return { ...file, content: '[Service]\nExecStart=/usr/bin/app2\n' };
      return file;
    });
    version2.push({ path: '/etc/app/new.d/added.conf', content: 'added\n' });
    const result = await push(await writeLabBundle({ 'host-1': version2 }), ['--json']);
    expect(result.code).toBe(1);
    const host = result.report().hosts[0]!;
    expect(host.failure).toMatchObject({ step: 'reloading', restored: true });
    expect(host.failure?.message).toContain('restored and reloaded');
    expect(
      host.reloads.map((reload) => [reload.command.split(' ')[0], reload.ok, reload.afterRestore ?? false]),
    ).toEqual([
      ['systemctl', true, false],
      ['sh', false, false],
      ['systemctl', true, true],
      ['sh', true, true],
    ]);
    // Every file is back as it was, the created file and folder are gone, no backup or temp is left.
    expect(snapshot(hosts['host-1']!.root)).toEqual(before);
    expect(reloadLog('host-1')).toEqual(['app', 'app', 'app']);
    expect(hosts['host-1']!.systemctlCalls()).toEqual([
      'daemon-reload',
      'restart app.service',
      'daemon-reload',
      'daemon-reload',
    ]);
  });

  it('never overwrites a create-only file, and keeps what the host wrote into it', async () => {
    const state = (content: string): TestFile => ({
      path: '/etc/app/state.conf',
      content,
      mode: '0600',
      policy: 'create-only',
    });
    const first = await push(await writeLabBundle({ 'host-1': [state('initial\n')] }), ['--json']);
    expect(first.report().hosts[0]!.files[0]!.action).toBe('create');
    expect(readRemote('host-1', 'etc/app/state.conf')).toBe('initial\n');
    expect(modeOf('host-1', 'etc/app/state.conf')).toBe('0600');

    writeFileSync(join(hosts['host-1']!.root, 'etc/app/state.conf'), 'learned by the cluster\n');
    chmodSync(join(hosts['host-1']!.root, 'etc/app/state.conf'), 0o644);
    const second = await push(
      await writeLabBundle({
        'host-1': [state('generated again\n'), { path: '/etc/app/other.conf', content: 'x\n' }],
      }),
      ['--json'],
    );
    expect(second.code).toBe(0);
    expect(second.report().hosts[0]!.files.map((file) => file.action)).toEqual(['kept', 'create']);
    expect(readRemote('host-1', 'etc/app/state.conf')).toBe('learned by the cluster\n');
    expect(modeOf('host-1', 'etc/app/state.conf')).toBe('0644');
  });

  it('--dry-run prints a unified diff per changed file and changes nothing', async () => {
    await push(await writeLabBundle(bundleFor(ALL, version1)));
    const before = ALL.map((id) => snapshot(hosts[id]!.root));
    const version2 = bundleFor(ALL, (id) =>
      id === 'host-3'
        ? version1(id)
        : [
            ...version1(id).map((file) =>
              file.path.endsWith('app.conf')
                ? { ...file, content: `# app on ${id}\nlisten 9090\nstatus ok good\n`, mode: '0600' }
                : file,
            ),
            { path: '/etc/app/fresh.conf', content: 'fresh\n' },
          ],
    );
    const bundle = await writeLabBundle(version2);
    const result = await push(bundle, ['--dry-run']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(
      [
        'host-1:/etc/app/app.conf: mode 0640 -> 0600',
        '--- host-1:/etc/app/app.conf (on the host)',
        '+++ host-1:/etc/app/app.conf (bundle)',
        '@@ -1,3 +1,3 @@',
        ' # app on host-1',
        '-listen 8080',
        '+listen 9090',
        ' status ok good',
      ].join('\n'),
    );
    expect(result.stdout).toContain(
      '--- /dev/null\n+++ host-2:/etc/app/fresh.conf (bundle)\n@@ -0,0 +1,1 @@\n+fresh\n',
    );
    expect(result.stdout).not.toContain('host-3:/etc');
    expect(result.stdout).toMatch(/2 would change, 1 unchanged, 0 failed/u);
    expect(ALL.map((id) => snapshot(hosts[id]!.root))).toEqual(before);
    for (const id of ALL) expect(reloadLog(id)).toEqual(['app']);

    const json = await push(bundle, ['--dry-run', '--json']);
    const files = json.report().hosts[0]!.files;
    expect(json.report().dryRun).toBe(true);
    expect(files.find((file) => file.path === '/etc/app/app.conf')).toMatchObject({
      action: 'update',
      reasons: ['content', 'mode'],
    });
    expect(files.find((file) => file.path === '/etc/app/fresh.conf')?.diff).toContain('+fresh');
  });

  it('--json prints the whole report', async () => {
    const result = await push(await writeLabBundle(bundleFor(['host-1', 'host-2'], version1)), ['--json']);
    const report = result.report();
    expect(Object.keys(report).sort()).toEqual([
      'dryRun',
      'durationMs',
      'hosts',
      'ok',
      'summary',
      'warnings',
    ]);
    expect(report).toMatchObject({
      ok: true,
      dryRun: false,
      summary: { changed: 2, unchanged: 0, failed: 0 },
    });
    const host = report.hosts[0]!;
    expect(host).toMatchObject({
      host: 'host-1',
      address: '127.0.0.1',
      port: hosts['host-1']!.port,
      status: 'changed',
      hostKey: { type: 'ssh-ed25519', fingerprint: hosts['host-1']!.hostKeyFingerprint, trust: 'known' },
      warnings: [],
    });
    expect(host.files).toEqual([
      { path: '/etc/app/app.conf', action: 'create' },
      { path: '/etc/app/conf.d/extra.conf', action: 'create' },
      { path: '/etc/systemd/system/app.service', action: 'create' },
    ]);
    expect(host.reloads.map((reload) => reload.command)).toEqual([
      'systemctl daemon-reload',
      loggedReload('host-1', 'app', `grep -q good ${hosts['host-1']!.root}/etc/app/app.conf`),
      'systemctl restart app.service',
    ]);
    expect(typeof host.durationMs).toBe('number');
  });

  it('refuses an unknown host key without --accept-new, and records it with', async () => {
    rmSync(knownHosts);
    const bundle = await writeLabBundle(bundleFor(ALL, version1));
    const refused = await push(bundle, ['--json']);
    expect(refused.code).toBe(1);
    for (const [index, host] of refused.report().hosts.entries()) {
      expect(host.failure?.step).toBe('verifying');
      expect(host.failure?.message).toContain(lab.hosts[index]!.hostKeyFingerprint);
      expect(host.failure?.message).toContain('--accept-new');
      // The report says which key and why, for the app to show without reading the message.
      expect(host.failure?.hostKey).toEqual({
        type: 'ssh-ed25519',
        fingerprint: lab.hosts[index]!.hostKeyFingerprint,
        state: 'unknown',
      });
    }
    expect(existsSync(knownHosts)).toBe(false);
    for (const id of ALL) expect(snapshot(hosts[id]!.root)).toEqual({});

    const accepted = await push(bundle, ['--json', '--accept-new']);
    expect(accepted.code).toBe(0);
    expect(accepted.report().hosts.map((host) => host.hostKey?.trust)).toEqual([
      'accepted',
      'accepted',
      'accepted',
    ]);
    // Recorded hashed, and OpenSSH's own tools find them.
    expect(readFileSync(knownHosts, 'utf8')).not.toContain('127.0.0.1');
    for (const host of lab.hosts) {
      const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${host.port}`, '-f', knownHosts], {
        encoding: 'utf8',
      });
      expect(found).toContain(host.hostPublicKey.split(' ')[1]);
    }
    const again = await push(bundle, ['--json']);
    expect(again.report().hosts.map((host) => host.hostKey?.trust)).toEqual(['known', 'known', 'known']);
  });

  it('asks the app about an unknown key, one question at a time, with no connection waiting on the answer', async () => {
    rmSync(knownHosts);
    const loaded = await loadPushBundle(await writeLabBundle(bundleFor(ALL, version1)));
    if (!loaded.ok) throw new Error(loaded.problem.message);
    const questions: string[] = [];
    let open = 0;
    let mostOpen = 0;
    /** Handshakes in progress, by port: none of the asked host's may wait on the answer. */
    const handshakes = new Map<number, number>();
    const handshakesWhileAsking: number[] = [];
    const outcome = await pushBundle({
      bundle: loaded.bundle,
      authentication: { identityFile: lab.identityFile },
      connect: async (options) => {
        handshakes.set(options.port, (handshakes.get(options.port) ?? 0) + 1);
        try {
          return await SshConnection.open(options);
        } finally {
          handshakes.set(options.port, handshakes.get(options.port)! - 1);
        }
      },
      hostKeys: {
        knownHosts: { read: [knownHosts], write: knownHosts },
        confirm: async (question) => {
          open += 1;
          mostOpen = Math.max(mostOpen, open);
          handshakesWhileAsking.push(handshakes.get(question.port) ?? 0);
          questions.push(`${question.host} ${question.fingerprint}`);
          // The answer comes after a pause; host-3's key is declined.
          await new Promise((resolve) => setTimeout(resolve, 50));
          open -= 1;
          return question.host !== 'host-3';
        },
      },
    });
    if (!outcome.ok) throw new Error(outcome.problem.message);
    expect(mostOpen).toBe(1);
    expect(handshakesWhileAsking).toEqual([0, 0, 0]);
    expect(questions.sort()).toEqual(lab.hosts.map((host) => `${host.id} ${host.hostKeyFingerprint}`).sort());
    expect(
      outcome.report.hosts.map((host) => [host.status, host.hostKey?.trust ?? host.failure?.step]),
    ).toEqual([
      ['changed', 'confirmed'],
      ['changed', 'confirmed'],
      ['failed', 'verifying'],
    ]);
    expect(readFileSync(knownHosts, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(snapshot(hosts['host-3']!.root)).toEqual({});

    // A confirmed key is trusted for the push even when known_hosts cannot record it.
    lab.reset();
    const unwritable = join(scratch, 'not-a-folder');
    writeFileSync(unwritable, '');
    const warned = await pushBundle({
      bundle: loaded.bundle,
      hosts: ['host-1'],
      authentication: { identityFile: lab.identityFile },
      hostKeys: {
        knownHosts: { read: [], write: join(unwritable, 'known_hosts') },
        confirm: async () => true,
      },
    });
    if (!warned.ok) throw new Error(warned.problem.message);
    expect(warned.report.hosts[0]).toMatchObject({ status: 'changed', hostKey: { trust: 'confirmed' } });
    expect(warned.report.hosts[0]!.warnings[0]).toContain('could not be recorded');
  });

  it('always refuses a changed key, even with --accept-new', async () => {
    const [one, two] = [hosts['host-1']!, hosts['host-2']!];
    writeFileSync(
      knownHosts,
      `[127.0.0.1]:${one.port} ${two.hostPublicKey}\n${two.knownHostsLine}\n${hosts['host-3']!.knownHostsLine}\n`,
    );
    const listed = readFileSync(knownHosts, 'utf8');
    const result = await push(await writeLabBundle(bundleFor(ALL, version1)), ['--json', '--accept-new']);
    expect(result.code).toBe(1);
    const [first, second] = result.report().hosts;
    expect(first!.failure?.step).toBe('verifying');
    expect(first!.failure?.message).toContain('HOST KEY CHANGED');
    expect(first!.failure?.message).toContain(one.hostKeyFingerprint);
    expect(first!.failure?.hostKey).toEqual({
      type: 'ssh-ed25519',
      fingerprint: one.hostKeyFingerprint,
      state: 'changed',
    });
    expect(second!.status).toBe('changed');
    expect(snapshot(one.root)).toEqual({});
    expect(readFileSync(knownHosts, 'utf8')).toBe(listed);
  });

  it('trusts a pinned fingerprint alone, and refuses any other key even with --accept-new', async () => {
    rmSync(knownHosts);
    const pinned = await push(
      await writeLabBundle(bundleFor(['host-1'], version1), {
        pins: { 'host-1': hosts['host-1']!.hostKeyFingerprint },
      }),
      ['--json'],
    );
    expect(pinned.code).toBe(0);
    expect(pinned.report().hosts[0]!.hostKey?.trust).toBe('pinned');
    expect(existsSync(knownHosts)).toBe(false);

    writeFileSync(knownHosts, lab.knownHosts());
    const wrongPin = await push(
      await writeLabBundle(bundleFor(['host-2'], version1), {
        pins: { 'host-2': hosts['host-3']!.hostKeyFingerprint },
      }),
      ['--json', '--accept-new'],
    );
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.report().hosts[0]!.failure?.message).toContain('HOST KEY MISMATCH');
    expect(wrongPin.report().hosts[0]!.failure?.hostKey?.state).toBe('mismatch');
    expect(snapshot(hosts['host-2']!.root)).toEqual({});
  });

  it('leaves the host unchanged when the connection drops mid-upload', async () => {
    await push(await writeLabBundle(bundleFor(['host-1'], version1)));
    const before = snapshot(hosts['host-1']!.root);
    const big = Buffer.alloc(3 * 1024 * 1024, 'topoforge ');
    const version2 = [
      ...version1('host-1').map((file) =>
        file.path.endsWith('extra.conf') ? { ...file, content: 'extra 2\n' } : file,
      ),
      { path: '/var/lib/app/big.data', content: big },
    ];
    const proxy = await startCuttingProxy(hosts['host-1']!.port, 1024 * 1024);
    try {
      const events: PushEvent[] = [];
      const loaded = await loadPushBundle(
        await writeLabBundle(
          { 'host-1': version2 },
          { ports: { 'host-1': proxy.port }, pins: { 'host-1': hosts['host-1']!.hostKeyFingerprint } },
        ),
      );
      if (!loaded.ok) throw new Error(loaded.problem.message);
      const outcome = await pushBundle({
        bundle: loaded.bundle,
        authentication: { identityFile: lab.identityFile },
        hostKeys: { knownHosts: { read: [knownHosts], write: knownHosts } },
        onEvent: (event) => events.push(event),
      });
      if (!outcome.ok) throw new Error(outcome.problem.message);
      expect(proxy.cuts).toBe(1);
      const host = outcome.report.hosts[0]!;
      expect(host.status).toBe('failed');
      expect(host.failure?.step).toBe('uploading');
      expect(
        events.filter((event) => event.type === 'step').map((event) => event.type === 'step' && event.step),
      ).toEqual(['connecting', 'verifying', 'locking', 'planning', 'uploading']);
      // The report says plainly that temporary files may be left, and which.
      expect(host.failure?.message).toMatch(
        /nothing was replaced.*temporary files? of this push may be left/u,
      );
      expect(host.failure?.message).toContain('the next push');
      expect(host.failure?.leftovers?.some((path) => path.includes('.big.data.topoforge-new-'))).toBe(true);
    } finally {
      await proxy.close();
    }
    // The host releases the lock on its own once the connection is gone.
    const lockDirectory = join(hosts['host-1']!.root, 'var/lib/topoforge/push.lock');
    for (let waited = 0; existsSync(lockDirectory) && waited < 5000; waited += 50) await sleep(50);
    expect(existsSync(lockDirectory)).toBe(false);
    // Every destination is as it was; at most the partial upload sits under its hidden temporary name.
    const after = snapshot(hosts['host-1']!.root);
    const leftovers = Object.keys(after).filter((path) => path.includes('.topoforge-new-'));
    expect(leftovers.length).toBeGreaterThan(0);
    const withoutTemporaries = Object.fromEntries(
      Object.entries(after).filter(([path]) => !leftovers.includes(path)),
    );
    expect(Object.keys(withoutTemporaries).filter((path) => !(path in before))).toEqual(['var/lib/app/']);
    for (const [path, value] of Object.entries(before)) expect(after[path]).toBe(value);
    expect(reloadLog('host-1')).toEqual(['app']);

    // The next push over a sound connection removes them and says so, completes, and leaves no
    // temporary file behind.
    const retry = await push(await writeLabBundle({ 'host-1': version2 }), ['--json']);
    expect(retry.code, retry.stdout).toBe(0);
    const warning = retry.report().hosts[0]!.warnings.join('\n');
    expect(warning).toContain('an earlier push left when it was cut off');
    for (const path of leftovers) expect(warning).toContain(join(hosts['host-1']!.root, path));
    expect(readFileSync(join(hosts['host-1']!.root, 'var/lib/app/big.data')).equals(big)).toBe(true);
    expect(
      Object.keys(snapshot(hosts['host-1']!.root)).filter((path) => path.includes('.topoforge-new')),
    ).toEqual([]);
  });

  it.each([
    ['finishes the change', 'new'],
    ['restores the previous files', 'old'],
  ])('on a connection lost while reloading, the host %s on its own', async (_, expected) => {
    const log = join(hosts['host-1']!.directory, 'reloads.log');
    // The reload accepts the new file in the first case, and only the old one in the second.
    const accepts = expected === 'new' ? 'true' : `grep -q old ${hosts['host-1']!.root}/etc/app/app.conf`;
    const file = (content: string): TestFile[] => [
      { path: '/etc/app/app.conf', content, reload: `sleep 0.4; echo reload >> ${log}; ${accepts}` },
    ];
    expect((await push(await writeLabBundle({ 'host-1': file('old\n') }))).code).toBe(0);
    const proxy = await startCuttingProxy(hosts['host-1']!.port, Number.MAX_SAFE_INTEGER);
    try {
      const loaded = await loadPushBundle(
        await writeLabBundle(
          { 'host-1': file('new\n') },
          { ports: { 'host-1': proxy.port }, pins: { 'host-1': hosts['host-1']!.hostKeyFingerprint } },
        ),
      );
      if (!loaded.ok) throw new Error(loaded.problem.message);
      const result = await pushBundle({
        bundle: loaded.bundle,
        authentication: { identityFile: lab.identityFile },
        hostKeys: { knownHosts: { read: [knownHosts], write: knownHosts } },
        onEvent: (event) => {
          if (event.type === 'step' && event.step === 'reloading') proxy.cut();
        },
      });
      if (!result.ok) throw new Error(result.problem.message);
      expect(result.report.hosts[0]!.failure).toMatchObject({ step: 'reloading' });
      expect(result.report.hosts[0]!.failure?.message).toContain('on its own');
    } finally {
      await proxy.close();
    }
    const runs = expected === 'new' ? 2 : 3;
    for (let waited = 0; reloadLog('host-1').length < runs && waited < 5000; waited += 50) await sleep(50);
    await sleep(100);
    expect(reloadLog('host-1')).toHaveLength(runs);
    expect(readRemote('host-1', 'etc/app/app.conf')).toBe(`${expected}\n`);
    expect(
      Object.keys(snapshot(hosts['host-1']!.root)).filter((path) => path.includes('.topoforge-new')),
    ).toEqual([]);
  });

  it('pushes the members of a voting group one at a time, the primary last, and stops the group on a failure', async () => {
    const design: Partial<Design> = {
      services: [
        { id: 'db-1', kind: 'mongodb', host: 'host-1', group: 'rs0', priority: 2 },
        { id: 'db-2', kind: 'mongodb', host: 'host-2', group: 'rs0', priority: 1 },
        { id: 'arb', kind: 'arbiter', host: 'host-3', group: 'rs0' },
      ],
      groups: [{ id: 'rs0', kind: 'mongodb-replica-set' }],
    } as unknown as Partial<Design>;
    const run = async (
      files: Record<string, TestFile[]>,
    ): Promise<{ report: PushReport; events: PushEvent[] }> => {
      const directory = await writeLabBundle(files, { serial: null, design });
      const loaded = await loadPushBundle(directory);
      if (!loaded.ok) throw new Error(loaded.problem.message);
      const events: PushEvent[] = [];
      const outcome = await pushBundle({
        bundle: loaded.bundle,
        design: labDesign(ALL, { design }),
        authentication: { identityFile: lab.identityFile },
        hostKeys: { knownHosts: { read: [knownHosts], write: knownHosts } },
        onEvent: (event) => events.push(event),
      });
      if (!outcome.ok) throw new Error(outcome.problem.message);
      return { report: outcome.report, events };
    };

    const { report, events } = await run(bundleFor(ALL, version1));
    expect(report.summary.changed).toBe(3);
    const spans = ALL.map((id) => ({
      id,
      start: events.findIndex((event) => event.host === id && event.type === 'step'),
      end: events.findIndex((event) => event.host === id && event.type === 'done'),
    })).sort((left, right) => left.start - right.start);
    expect(spans.map((span) => span.id)).toEqual(['host-2', 'host-3', 'host-1']);
    for (let index = 1; index < spans.length; index += 1)
      expect(spans[index]!.start).toBeGreaterThan(spans[index - 1]!.end);
    expect(events).toContainEqual({ type: 'waiting', host: 'host-1', after: ['host-2', 'host-3'] });

    const broken = bundleFor(ALL, (id) =>
      version1(id).map((file) => {
        if (file.path.endsWith('extra.conf')) return { ...file, content: 'extra 2\n' };
        if (id === 'host-3' && file.path.endsWith('app.conf')) return { ...file, content: 'invalid\n' };
        return file;
      }),
    );
    const stopped = await run(broken);
    expect(stopped.report.hosts.map((host) => [host.host, host.status, host.failure?.step])).toEqual([
      ['host-1', 'failed', 'order'],
      ['host-2', 'changed', undefined],
      ['host-3', 'failed', 'checking'],
    ]);
    expect(stopped.report.hosts[0]!.failure?.message).toContain('host-3');
    expect(readRemote('host-1', 'etc/app/conf.d/extra.conf')).toBe('extra 1\n');
  });

  it('pushes one host at a time when neither the manifest nor a design gives the order', async () => {
    const result = await push(await writeLabBundle(bundleFor(ALL, version1), { serial: null }), ['--json']);
    expect(result.code).toBe(0);
    expect(result.report().warnings.join('\n')).toContain('one at a time');
  });

  it('--host pushes only the named hosts', async () => {
    const result = await push(await writeLabBundle(bundleFor(ALL, version1)), ['--host', 'host-2', '--json']);
    expect(result.code).toBe(0);
    expect(result.report().hosts.map((host) => host.host)).toEqual(['host-2']);
    expect(snapshot(hosts['host-1']!.root)).toEqual({});
    expect(readRemote('host-2', 'etc/app/app.conf')).toContain('host-2');
  });

  it('runs every remote command through sudo -n when the host asks for it', async () => {
    const stagingBefore = readdirSync('/tmp').filter((name) => name.startsWith('.topoforge-'));
    const files = version1('host-1').map((file) => ({ ...file, owner: 'root:root' }));
    const result = await push(await writeLabBundle({ 'host-1': files }, { sudo: true }), ['--json']);
    expect(result.code, result.stdout).toBe(0);
    // The sudo prerequisite (`sudo -n true`, issue 19), the lock's keeper (which runs the commit
    // too) and the plan.
    expect(hosts['host-1']!.sudoCalls()).toEqual(['true', 'sh -s', 'sh -s']);
    expect(readRemote('host-1', 'etc/app/app.conf')).toContain('status ok');
    expect(modeOf('host-1', 'etc/app/app.conf')).toBe('0640');
    expect(readdirSync('/tmp').filter((name) => name.startsWith('.topoforge-'))).toEqual(stagingBefore);
    const again = await push(await writeLabBundle({ 'host-1': files }, { sudo: true }), ['--json']);
    expect(again.report().summary.unchanged).toBe(1);
  });

  it('sets a file owner, and replaces the file when its owner or mode drifted', async () => {
    const files: TestFile[] = [
      { path: '/etc/app/owned.conf', content: 'owned\n', mode: '0640', owner: 'nobody:nogroup' },
    ];
    const bundle = await writeLabBundle({ 'host-1': files });
    expect((await push(bundle)).code).toBe(0);
    const path = join(hosts['host-1']!.root, 'etc/app/owned.conf');
    expect([statSync(path).uid, statSync(path).gid, modeOf('host-1', 'etc/app/owned.conf')]).toEqual([
      65534,
      65534,
      '0640',
    ]);
    expect((await push(bundle, ['--json'])).report().summary.unchanged).toBe(1);

    chownSync(path, 0, 0);
    chmodSync(path, 0o666);
    const drifted = await push(bundle, ['--json']);
    expect(drifted.report().hosts[0]!.files[0]).toMatchObject({
      action: 'update',
      reasons: ['mode', 'owner'],
    });
    expect([statSync(path).uid, modeOf('host-1', 'etc/app/owned.conf')]).toEqual([65534, '0640']);
  });

  it('logs in through ssh-agent when no key file is given', async () => {
    const socket = join(scratch, `agent-${Date.now()}.sock`);
    const agent = startProcess('ssh-agent', ['-D', '-a', socket], { name: 'ssh-agent' });
    await agent.waitForOutput(/SSH_AUTH_SOCK/u);
    execFileSync('ssh-add', [lab.identityFile], {
      env: { ...process.env, SSH_AUTH_SOCK: socket },
      stdio: 'pipe',
    });
    const result = await push(await writeLabBundle(bundleFor(['host-1'], version1)), [], {
      agentSocket: socket,
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readRemote('host-1', 'etc/app/conf.d/extra.conf')).toBe('extra 1\n');
  });

  it('never writes a passphrase or key material to output, reports, events or disk', async () => {
    const passphrase = 'correct horse battery staple 7f3e';
    const keyFile = join(scratch, `encrypted-${Date.now()}`);
    lab.authorize(generateKey(keyFile, { passphrase }));
    const privateKeyLines = readFileSync(keyFile, 'utf8')
      .split('\n')
      .filter((line) => line.length >= 16 && !line.startsWith('-----'));
    expect(privateKeyLines.length).toBeGreaterThan(2);

    const bundle = await writeLabBundle(bundleFor(ALL, version1));
    const loaded = await loadPushBundle(bundle);
    if (!loaded.ok) throw new Error(loaded.problem.message);
    const events: PushEvent[] = [];
    let asked = 0;
    rmSync(knownHosts);
    const outcome = await pushBundle({
      bundle: loaded.bundle,
      authentication: {
        identityFile: keyFile,
        passphrase: async () => {
          asked += 1;
          return passphrase;
        },
      },
      hostKeys: { knownHosts: { read: [knownHosts], write: knownHosts }, acceptNew: true },
      onEvent: (event) => events.push(event),
    });
    expect(asked).toBe(1);
    expect(outcome.ok && outcome.report.ok).toBe(true);

    let cliOutput = '';
    const io: CliIo = {
      stdout: (text) => void (cliOutput += text),
      stderr: (text) => void (cliOutput += text),
      readText: async (path) => readFileSync(path, 'utf8'),
      color: false,
    };
    const vouched = ['--manifest-digest', digestOf(bundle)];
    const wrong = await runPush(
      [bundle, '--identity', keyFile, '--known-hosts', knownHosts, ...vouched],
      io,
      {
        home,
        passphrase: async () => `${passphrase} but wrong`,
      },
    );
    expect(wrong).toBe(2);
    expect(cliOutput).toContain('wrong passphrase');
    await runPush([bundle, '--identity', keyFile, '--known-hosts', knownHosts, '--json', ...vouched], io, {
      home,
      passphrase: async () => passphrase,
    });

    const written = [
      JSON.stringify(outcome),
      JSON.stringify(events),
      cliOutput,
      readFileSync(knownHosts, 'utf8'),
      ...[bundle, ...lab.hosts.map((host) => host.root), home]
        .filter((directory) => existsSync(directory))
        .flatMap((directory) => Object.values(snapshot(directory))),
    ].join('\n');
    expect(written).not.toContain(passphrase);
    for (const line of privateKeyLines) expect(written).not.toContain(line);
  });

  it('exits 2 on bad input, with JSON when asked', async () => {
    const bundle = await writeLabBundle(bundleFor(['host-1'], version1));
    const notBundle = await push(scratch, ['--json']);
    expect(notBundle.code).toBe(2);
    expect(JSON.parse(notBundle.stdout)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('not a bundle') },
    });

    const unknownHost = await push(bundle, ['--host', 'host-9']);
    expect(unknownHost.code).toBe(2);
    expect(unknownHost.stderr).toContain('no such host');

    expect((await push(bundle, ['--concurrency', '0'])).code).toBe(2);
    expect((await push(bundle, ['--identity', join(scratch, 'missing-key')])).code).toBe(2);
    expect((await push(bundle, ['--design', join(scratch, 'missing-design')])).code).toBe(2);

    appendFileSync(join(bundle, 'hosts/host-1/etc/app/app.conf'), 'edited by hand\n');
    const edited = await push(bundle, ['--json']);
    expect(edited.code).toBe(2);
    expect(edited.report()).toMatchObject({ ok: false, error: { path: 'hosts/host-1/etc/app/app.conf' } });
    expect(snapshot(hosts['host-1']!.root)).toEqual({});
  });
});

/**
 * A TCP proxy in front of `targetPort` that cuts a connection once the client has sent `cutAfter`
 * bytes, or when told to.
 */
async function startCuttingProxy(
  targetPort: number,
  cutAfter: number,
): Promise<{ port: number; readonly cuts: number; cut: () => void; close: () => Promise<void> }> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connectTcp(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > cutAfter) {
        cuts += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await waitForPort(port);
  return {
    port,
    get cuts() {
      return cuts;
    },
    cut: () => {
      cuts += 1;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
