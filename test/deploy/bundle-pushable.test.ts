/**
 * Issue 9, item 6: a design without errors never gives a bundle that push refuses. Generate and
 * push share one definition of a bundle path (core/bundle-path.ts); push names the file it
 * refuses; and, as a property, every random valid design's bundle passes push's own checks:
 * read from disk as `topoforge push` reads it, and in a `--dry-run` against real OpenSSH lab
 * hosts, before and after the files are on the host.
 *
 * `FUZZ_SCALE` scales the number of random designs (default 1; CI runs the default).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPush } from '../../cli/push';
import type { CliIo } from '../../cli/main';
import { buildManifest } from '../../core/generate/bundle';
import { generateBundle } from '../../core/generate/index';
import type { PushReport } from '../../core/push';
import { nodeSha256 } from '../../deploy/hash';
import { loadPushBundle, pushBundleOf } from '../../deploy/push/bundle';
import { writeBundle } from '../../deploy/write-bundle';
import { runCli } from '../cli/run-cli';
import { makeDesign } from '../core/builders';
import { validDesign } from '../fixtures/random-design';
import { labInterface, requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab } from '../lab/sshd';

const FUZZ_SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (base: number) => Math.max(1, Math.round(base * FUZZ_SCALE));

const scratch = mkdtempSync(join(tmpdir(), 'topoforge-pushable-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshFolder = () => join(scratch, `bundle-${++folders}`);

/** A design whose NFS storage id has a dash: its mount unit is `mnt-shared\x2dnfs.mount`. */
const dashedStorage = makeDesign({
  services: [
    { id: 'web', kind: 'app', host: 'web-1', command: '/usr/bin/web' },
    { id: 'shared-nfs', kind: 'storage', type: 'nfs', endpoint: 'nas.example.com:/export/web' },
  ],
  links: [{ from: 'web', to: 'shared-nfs', kind: 'uses' }],
});

describe('push and generate agree on what a bundle path is', () => {
  it('push takes the mount unit systemd names for a storage id with a dash', async () => {
    const bundle = generateBundle(dashedStorage, { sha256: nodeSha256 });
    const unit = bundle.files.find((file) => file.path.endsWith('.mount'));
    expect(unit?.path).toBe('/etc/systemd/system/mnt-shared\\x2dnfs.mount');
    const out = freshFolder();
    await writeBundle(bundle, out);
    const loaded = await loadPushBundle(out);
    expect(loaded.ok ? 'ok' : loaded.problem.message).toBe('ok');
  });

  it('push refuses a path no bundle holds, naming the file, its host and where the manifest lists it', async () => {
    const design = makeDesign({ services: [{ id: 'web', kind: 'app', host: 'web-1' }] });
    const files = [
      { host: 'web-1', path: '/etc/web/ok.conf', content: 'ok\n', mode: '0644', policy: 'replace' as const },
      {
        host: 'web-1',
        path: '/etc/web/bad name.conf',
        content: 'x\n',
        mode: '0644',
        policy: 'replace' as const,
      },
    ];
    const result = await pushBundleOf(
      { files, manifest: buildManifest(design, files, nodeSha256) },
      'hand-made',
    );
    expect(result.ok ? undefined : result.problem).toEqual({
      path: '$.files[1].path',
      message: `"/etc/web/bad name.conf" for host web-1 ($.files[1].path) cannot be pushed: it holds " ": a bundle path holds only letters, digits, . _ @ + - and systemd's \\xNN escapes`,
    });
  });

  it('push refuses an ssh.root it could not use as written, naming the host', async () => {
    const design = makeDesign({ services: [{ id: 'web', kind: 'app', host: 'web-1' }] });
    const files = [
      { host: 'web-1', path: '/etc/web.conf', content: 'ok\n', mode: '0644', policy: 'replace' as const },
    ];
    const manifest = buildManifest(design, files, nodeSha256);
    manifest.hosts[0]!.ssh.root = '/srv//adv-root/';
    const result = await pushBundleOf({ files, manifest }, 'hand-made');
    expect(result.ok ? undefined : result.problem).toEqual({
      path: '$.hosts[0].ssh.root',
      message: 'host web-1: ssh.root "/srv//adv-root/" cannot be used: it ends with "/"',
    });
  });

  it('every random valid design gives a bundle that push accepts, from memory and from disk', async () => {
    await fc.assert(
      fc.asyncProperty(validDesign({ maxHosts: 4 }), fc.boolean(), async (design, toDisk) => {
        const bundle = generateBundle(design, { sha256: nodeSha256 });
        const inMemory = await pushBundleOf(bundle, 'generated');
        expect(inMemory.ok ? 'ok' : inMemory.problem.message).toBe('ok');
        if (!toDisk) return;
        const out = freshFolder();
        await writeBundle(bundle, out);
        const fromDisk = await loadPushBundle(out);
        expect(fromDisk.ok ? 'ok' : fromDisk.problem.message).toBe('ok');
        rmSync(out, { recursive: true });
      }),
      { numRuns: runs(150) },
    );
  });
});

describe.skipIf(!requireSshd())('every random valid design passes push --dry-run on real lab hosts', () => {
  const addresses = ['127.0.0.21', '127.0.0.22', '127.0.0.23'];
  let lab: SshLab;
  const home = join(scratch, 'home');

  beforeAll(async () => {
    mkdirSync(home);
    lab = await startSshLab({ hosts: ['lab-1', 'lab-2', 'lab-3'], addresses });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  async function dryRun(out: string): Promise<{ code: number; report: PushReport; text: string }> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      readText: async () => '',
      color: false,
    };
    const code = await runPush(
      [
        out,
        '--dry-run',
        // The lab hosts have no certificates: push would make them (issue 19), so the plan passes.
        '--lab-certs',
        '--json',
        '--identity',
        lab.identityFile,
        '--known-hosts',
        join(home, 'known_hosts'),
      ],
      io,
      { home },
    );
    return { code, report: JSON.parse(stdout || '{}') as PushReport, text: stdout + stderr };
  }

  /** Copies each host's files of the bundle to where push puts them on that lab host. */
  function placeOnHosts(out: string): void {
    // A design whose services need no file on any host (an app without a command) has no hosts/.
    if (!existsSync(join(out, 'hosts'))) return;
    for (const host of readdirSync(join(out, 'hosts'))) {
      const labHost = lab.hosts[Number(host.slice('host-'.length)) - 1]!;
      cpSync(join(out, 'hosts', host), labHost.root, { recursive: true });
    }
  }

  /** The lab hosts as a design's hosts: pinned keys, their roots, and sudo (the lab's stub). */
  const labHosts = () =>
    lab.hosts.map((host) => ({
      address: host.address,
      ssh: { user: 'root', port: host.port, root: host.root, hostKey: host.hostKeyFingerprint, sudo: true },
      interface: labInterface(),
    }));

  /**
   * Generates `design` as a person would, dry-runs it against the empty lab hosts (every file
   * to create), puts the files in place and dry-runs again (no content to change). With sudo,
   * push surveys the host by script (stat and sha256sum, which escapes a name holding a
   * backslash), so an escaped unit name must still be read back right.
   */
  async function expectPushable(design: unknown): Promise<string[]> {
    lab.reset();
    const out = freshFolder();
    const designFile = `${out}.topo.json`;
    writeFileSync(designFile, JSON.stringify(design));
    const generated = await runCli(['generate', designFile, '--out', out, '--force', '--json']);
    expect(generated.code, generated.stdout + generated.stderr).toBe(0);

    const first = await dryRun(out);
    expect(first.code, first.text).toBe(0);
    expect(first.report.summary.failed, first.text).toBe(0);
    for (const host of first.report.hosts)
      for (const file of host.files) expect(file.action, `${host.host}:${file.path}`).toBe('create');

    placeOnHosts(out);
    const second = await dryRun(out);
    expect(second.code, second.text).toBe(0);
    const paths: string[] = [];
    for (const host of second.report.hosts) {
      for (const file of host.files) {
        paths.push(file.path);
        expect(file.reasons ?? [], `${host.host}:${file.path}`).not.toContain('content');
      }
    }
    return paths;
  }

  it('a storage id with a dash: its escaped mount unit is planned, and read back once in place', async () => {
    const design = {
      format: 1,
      name: 'Dashed storage',
      hosts: [{ id: 'host-1', ...labHosts()[0] }],
      services: [
        { id: 'web', kind: 'app', host: 'host-1', command: '/usr/bin/web' },
        { id: 'shared-nfs', kind: 'storage', type: 'nfs', endpoint: 'nas.example.com:/export/web' },
      ],
      links: [{ from: 'web', to: 'shared-nfs', kind: 'uses' }],
    };
    expect(await expectPushable(design)).toContain('/etc/systemd/system/mnt-shared\\x2dnfs.mount');
  });

  it('any random valid design', async () => {
    await fc.assert(
      fc.asyncProperty(validDesign({ maxHosts: 3, hosts: labHosts() }), async (design) => {
        await expectPushable(design);
      }),
      { numRuns: runs(8) },
    );
  }, 240_000);
});
