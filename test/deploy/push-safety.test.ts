/**
 * Issue 9, items 1 and 3, against real OpenSSH servers (test/lab/sshd.ts): one push per host at a
 * time (the host's push lock, a stale lock and --break-lock), commands that hang (killed after the
 * command timeout, on the host too), a handshake that never comes, a cancel at every step that
 * matters, a cut upload and a full disk.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SshConnection } from '../../deploy/push/connection';
import type { PushEvent, PushReport } from '../../deploy/push/index';
import { sleep } from '../lab/processes';
import { requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab, SshLabHost } from '../lab/sshd';
import { digestOf as digest, pushCli, pushLab, readHostFile, snapshot, writeLabBundle } from './push-lab';
import type { LabFile } from './push-lab';

const scratch = mkdtempSync(join(tmpdir(), 'topoforge-push-safety-'));
let lab: SshLab;
let one: SshLabHost;
let two: SshLabHost;
let knownHosts: string;
let bundles = 0;

beforeAll(async () => {
  if (!requireSshd()) return;
  lab = await startSshLab({ hosts: ['lb-1', 'lb-2'] });
  [one, two] = lab.hosts as [SshLabHost, SshLabHost];
}, 60_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  if (!lab) return;
  lab.reset();
  knownHosts = join(mkdtempSync(join(scratch, 'known-')), 'known_hosts');
  writeFileSync(knownHosts, lab.knownHosts());
});

/** A new bundle folder in the scratch folder. */
function bundleDirectory(): string {
  bundles += 1;
  return join(scratch, `bundle-${bundles}`);
}

/** Processes on this machine whose command line contains `text` (the lab hosts share its pids). */
function processesWith(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', '-a', text], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.includes('pgrep'));
  } catch {
    return [];
  }
}

/** Waits until `condition` holds, for at most `limitMs`. */
async function waitUntil(condition: () => boolean, limitMs = 10_000): Promise<void> {
  for (let waited = 0; !condition() && waited < limitMs; waited += 25) await sleep(25);
}

/** The lock file of a lab host. */
function lockOf(host: SshLabHost): string {
  return join(host.root, 'var/lib/topoforge/push.lock');
}

/**
 * A host's two files in `version`: a balancer config and its unit, each checked (slowly, so two
 * pushes overlap) and reloaded; the issue's report was of a new config with an old unit.
 */
function versioned(version: string, options: { check?: string; reload?: string } = {}): LabFile[] {
  return [
    {
      path: '/etc/balancer/balancer.cfg',
      content: `version ${version}\n`,
      check: options.check ?? `sh -c 'sleep 0.2; grep -q "^version" "$1"' check {}`,
      ...(options.reload ? { reload: options.reload } : {}),
    },
    {
      path: '/etc/systemd/system/balancer.service',
      content: `[Service]\nExecStart=/usr/bin/balancer --version ${version}\n`,
      check: `sh -c 'sleep 0.1; test -s "$1"' check {}`,
    },
  ];
}

/** The version a host holds, or `mixed` when its two files disagree. */
function versionOn(host: SshLabHost): string {
  const config = /^version (\S+)$/mu.exec(readHostFile(host, 'etc/balancer/balancer.cfg') ?? '')?.[1];
  const unit = /--version (\S+)$/mu.exec(
    readHostFile(host, 'etc/systemd/system/balancer.service') ?? '',
  )?.[1];
  return config === unit ? (config ?? 'none') : `mixed (config ${config}, unit ${unit})`;
}

/** Writes `version` straight onto a host, as if pushed before, with no lock or leftover. */
function lay(host: SshLabHost, version: string): void {
  rmSync(host.root, { recursive: true, force: true });
  for (const file of versioned(version)) {
    const path = join(host.root, file.path);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, file.content);
  }
}

describe.skipIf(!requireSshd())('one push per host at a time', () => {
  it('refuses a second push at once, naming the first, while the first changes the host', async () => {
    lay(one, 'old');
    const slow = await writeLabBundle(lab, bundleDirectory(), 'Shop A', {
      [one.id]: versioned('a', { check: `sh -c 'sleep 2; test -s "$1"' check {}` }),
    });
    const second = await writeLabBundle(lab, bundleDirectory(), 'Shop B', { [one.id]: versioned('b') });

    let checking: () => void = () => undefined;
    const inCheck = new Promise<void>((resolve) => (checking = resolve));
    const first = pushLab(lab, slow, knownHosts, {
      onEvent: (event) => {
        if (event.type === 'step' && event.step === 'checking') checking();
      },
    });
    await inCheck;

    // A dry run takes no lock: it plans, and says who holds the host.
    const planned = await pushLab(lab, second, knownHosts, { dryRun: true });
    expect(planned.hosts[0]).toMatchObject({ status: 'changed' });
    expect(planned.hosts[0]!.warnings.join('\n')).toContain(
      'another push holds the host now (design "Shop A"',
    );

    const started = performance.now();
    const refused = await pushLab(lab, second, knownHosts);
    const refusedAfter = performance.now() - started;
    const host = refused.hosts[0]!;
    expect(host.status).toBe('failed');
    expect(host.failure).toMatchObject({
      step: 'locking',
      lock: { state: 'held', design: 'Shop A', pid: process.pid },
    });
    expect(host.failure?.message).toContain(`${one.id} is locked by another push (design "Shop A"`);
    expect(host.failure?.message).toContain(`pid ${process.pid}`);
    expect(host.failure?.message).toContain('nothing was changed');
    // At once: it does not wait for the first push's 2-second check.
    expect(refusedAfter).toBeLessThan(1500);

    const done = await first;
    expect(done.hosts[0]!.status).toBe('changed');
    expect(versionOn(one)).toBe('a');
    // Released: the next push takes the host.
    expect(existsSync(lockOf(one))).toBe(false);
    expect((await pushLab(lab, second, knownHosts)).hosts[0]!.status).toBe('changed');
    expect(versionOn(one)).toBe('b');
  }, 60_000);

  it('20 trials of two simultaneous pushes: every host all old or all new, and each report true', async () => {
    const a = await writeLabBundle(lab, bundleDirectory(), 'trial A', {
      [one.id]: versioned('a'),
      [two.id]: versioned('a'),
    });
    const b = await writeLabBundle(lab, bundleDirectory(), 'trial B', {
      [one.id]: versioned('b'),
      [two.id]: versioned('b'),
    });
    const outcomes: string[] = [];
    let refusals = 0;
    for (let trial = 0; trial < 20; trial += 1) {
      lay(one, 'old');
      lay(two, 'old');
      /** When each push finished each host it changed: the later one's files must be there. */
      const changedAt = new Map<string, number>();
      const record = (name: string) => (event: PushEvent) => {
        if (event.type === 'done' && event.report.status === 'changed')
          changedAt.set(`${name} ${event.host}`, performance.now());
      };
      const [reportA, reportB] = await Promise.all([
        pushLab(lab, a, knownHosts, { onEvent: record('a') }),
        pushLab(lab, b, knownHosts, { onEvent: record('b') }),
      ]);
      for (const host of [one, two]) {
        const on = versionOn(host);
        const changers = (['a', 'b'] as const).filter((name) => changedAt.has(`${name} ${host.id}`));
        const expected =
          changers.length === 0
            ? 'old'
            : changers.reduce((last, name) =>
                changedAt.get(`${name} ${host.id}`)! > changedAt.get(`${last} ${host.id}`)! ? name : last,
              );
        expect(on, `trial ${trial}, ${host.id}`).toBe(expected);
        for (const [name, report, other] of [
          ['a', reportA, 'trial B'],
          ['b', reportB, 'trial A'],
        ] as [string, PushReport, string][]) {
          const hostReport = report.hosts.find((entry) => entry.host === host.id)!;
          if (hostReport.status === 'changed') {
            expect(hostReport.files.map((file) => file.action)).toEqual(['update', 'update']);
            expect(changers).toContain(name);
          } else {
            refusals += 1;
            // The only way to lose the race is the lock: refused at once, naming the other push.
            expect(hostReport.failure, `trial ${trial}, push ${name} on ${host.id}`).toMatchObject({
              step: 'locking',
              lock: { state: 'held', design: other },
            });
          }
        }
        outcomes.push(`${host.id}:${on}`);
      }
      expect(existsSync(lockOf(one)) || existsSync(lockOf(two))).toBe(false);
      for (const host of [one, two])
        expect(
          readdirSync(join(host.root, 'etc/balancer')).filter((name) => name.includes('topoforge-new')),
        ).toEqual([]);
    }
    // The pushes did overlap: in some trials one found the other holding a host.
    expect(refusals).toBeGreaterThan(0);
    console.log(
      `two simultaneous pushes, 20 trials: ${JSON.stringify(count(outcomes))}, ${refusals} host pushes refused by the lock`,
    );
  }, 240_000);

  it('reports a stale lock, whose push is gone, and takes it over only with --break-lock', async () => {
    lay(one, 'old');
    const bundle = await writeLabBundle(lab, bundleDirectory(), 'Shop', { [one.id]: versioned('new') });
    // A push that died (power cut, kill -9) left its lock: its keeper's process no longer runs.
    const lock = lockOf(one);
    mkdirSync(join(lock, '..'), { recursive: true });
    const dead = execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim();
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const holder = {
      design: 'Shop yesterday',
      by: 'bob@ops-laptop',
      pid: 4242,
      started: '2025-01-02T03:04:05.000Z',
    };
    writeFileSync(lock, `gone\n${dead} 1 ${boot}\n${JSON.stringify(holder)}\n`);

    const refused = await pushCli(lab, bundle, knownHosts, ['--json', '--manifest-digest', digest(bundle)]);
    expect(refused.code).toBe(1);
    const host = (JSON.parse(refused.stdout) as PushReport).hosts[0]!;
    expect(host.failure).toMatchObject({
      step: 'locking',
      lock: { state: 'stale', design: 'Shop yesterday', by: 'bob@ops-laptop', pid: 4242 },
    });
    expect(host.failure?.message).toContain('stale push lock');
    expect(host.failure?.message).toContain('--break-lock');
    expect(versionOn(one)).toBe('old');
    expect(readFileSync(lock, 'utf8')).toContain('Shop yesterday');

    const broken = await pushCli(lab, bundle, knownHosts, [
      '--break-lock',
      '--manifest-digest',
      digest(bundle),
    ]);
    expect(broken.code, broken.stdout).toBe(0);
    expect(broken.stdout).toContain(
      'took over a stale push lock on the host (design "Shop yesterday", bob@ops-laptop',
    );
    expect(versionOn(one)).toBe('new');
    expect(existsSync(lock)).toBe(false);
  });

  it('--break-lock never takes a live lock', async () => {
    lay(one, 'old');
    const slow = await writeLabBundle(lab, bundleDirectory(), 'Shop A', {
      [one.id]: versioned('a', { check: `sh -c 'sleep 1.5; test -s "$1"' check {}` }),
    });
    const other = await writeLabBundle(lab, bundleDirectory(), 'Shop B', { [one.id]: versioned('b') });
    let checking: () => void = () => undefined;
    const inCheck = new Promise<void>((resolve) => (checking = resolve));
    const first = pushLab(lab, slow, knownHosts, {
      onEvent: (event) => event.type === 'step' && event.step === 'checking' && checking(),
    });
    await inCheck;
    const refused = await pushLab(lab, other, knownHosts, { breakLock: true });
    expect(refused.hosts[0]!.failure).toMatchObject({ step: 'locking', lock: { state: 'held' } });
    expect((await first).hosts[0]!.status).toBe('changed');
    expect(versionOn(one)).toBe('a');
  });
});

describe.skipIf(!requireSshd())('commands that hang, and handshakes that never come', () => {
  it('kills a check that hangs after --command-timeout; the host fails at checking with nothing replaced', async () => {
    lay(one, 'old');
    const before = snapshot(one);
    const marker = 'sleep 1000.25';
    const bundle = await writeLabBundle(lab, bundleDirectory(), 'Hang', {
      [one.id]: versioned('new', { check: `sh -c '${marker}; true' check {}` }),
    });
    const started = performance.now();
    const run = await pushCli(lab, bundle, knownHosts, [
      '--json',
      '--command-timeout',
      '2',
      '--manifest-digest',
      digest(bundle),
    ]);
    const took = performance.now() - started;
    expect(run.code).toBe(1);
    const host = (JSON.parse(run.stdout) as PushReport).hosts[0]!;
    expect(host.status).toBe('failed');
    expect(host.failure).toMatchObject({
      step: 'checking',
      timedOutAfterSeconds: 2,
      path: '/etc/balancer/balancer.cfg',
    });
    expect(host.failure?.message).toContain('timed out after 2 s');
    expect(host.failure?.message).toContain('nothing was replaced');
    expect(took).toBeLessThan(10_000);
    // The remote process is gone, and the host is exactly as it was (lock released, no temporary).
    await waitUntil(() => processesWith(marker).length === 0, 3000);
    expect(processesWith(marker)).toEqual([]);
    await waitUntil(() => !existsSync(lockOf(one)), 3000);
    expect(snapshot(one)).toEqual(before);
  }, 30_000);

  it('kills a reload that hangs, and puts the previous files back', async () => {
    lay(one, 'old');
    const marker = 'sleep 1000.5';
    const log = join(one.directory, 'hang-reloads.log');
    const reload = `sh -c 'echo run >> ${log}; grep -q "version old" ${join(one.root, 'etc/balancer/balancer.cfg')} || ${marker}'`;
    const bundle = await writeLabBundle(lab, bundleDirectory(), 'Hang', {
      [one.id]: versioned('new', { reload }),
    });
    const report = await pushLab(lab, bundle, knownHosts, { commandTimeoutMs: 1000 });
    const host = report.hosts[0]!;
    expect(host.failure).toMatchObject({ step: 'reloading', restored: true, timedOutAfterSeconds: 1 });
    expect(host.failure?.message).toContain('timed out after 1 s and was killed');
    expect(host.failure?.message).toContain('the previous files were restored and reloaded');
    expect(host.reloads.find((entry) => !entry.ok)).toMatchObject({ timedOutAfterSeconds: 1 });
    expect(versionOn(one)).toBe('old');
    expect(processesWith(marker)).toEqual([]);
  }, 30_000);

  it('gives up connecting after the connect timeout when the server never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const bundle = await writeLabBundle(lab, bundleDirectory(), 'Silent', { [one.id]: versioned('new') });
      const started = performance.now();
      const report = await pushLab(lab, bundle, knownHosts, {
        connectTimeoutMs: 700,
        connect: (options) => SshConnection.open({ ...options, port }),
      });
      const took = performance.now() - started;
      expect(report.hosts[0]!.failure).toMatchObject({ step: 'connecting', timedOutAfterSeconds: 0.7 });
      expect(report.hosts[0]!.failure?.message).toContain(
        'did not connect and finish the SSH handshake in 0.7 s',
      );
      expect(took).toBeGreaterThan(650);
      expect(took).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe.skipIf(!requireSshd())('cancelling a push', () => {
  it('stops a running check on the host; the host keeps its old files', async () => {
    lay(one, 'old');
    const before = snapshot(one);
    const marker = 'sleep 1000.75';
    const bundle = await writeLabBundle(lab, bundleDirectory(), 'Cancel', {
      [one.id]: versioned('new', { check: `sh -c '${marker}; true' check {}` }),
    });
    const controller = new AbortController();
    let cancelledAt = 0;
    const report = await pushLab(lab, bundle, knownHosts, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step' && event.step === 'checking')
          setTimeout(() => {
            cancelledAt = performance.now();
            controller.abort();
          }, 300);
      },
    });
    const took = performance.now() - cancelledAt;
    expect(report.hosts[0]!.failure).toMatchObject({ step: 'checking', cancelled: true });
    expect(report.hosts[0]!.failure?.message).toBe('cancelled while checking; nothing was replaced');
    expect(took).toBeLessThan(3000);
    expect(processesWith(marker)).toEqual([]);
    await waitUntil(() => !existsSync(lockOf(one)), 3000);
    expect(snapshot(one)).toEqual(before);
  }, 30_000);

  it('while reloading, puts the previous files back and reloads them', async () => {
    lay(one, 'old');
    const log = join(one.directory, 'cancel-reloads.log');
    const reload = `sh -c 'cat ${join(one.root, 'etc/balancer/balancer.cfg')} >> ${log}; grep -q "version old" ${join(one.root, 'etc/balancer/balancer.cfg')} || sleep 1000.9'`;
    const bundle = await writeLabBundle(lab, bundleDirectory(), 'Cancel', {
      [one.id]: versioned('new', { reload }),
    });
    const controller = new AbortController();
    const report = await pushLab(lab, bundle, knownHosts, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step' && event.step === 'reloading') setTimeout(() => controller.abort(), 300);
      },
    });
    const host = report.hosts[0]!;
    expect(host.failure).toMatchObject({ step: 'reloading', cancelled: true, restored: true });
    expect(host.failure?.message).toBe(
      'cancelled while reloading; the previous files were restored and reloaded',
    );
    expect(versionOn(one)).toBe('old');
    // The reload ran on the new files, then again on the restored old ones.
    expect(execFileSync('cat', [log], { encoding: 'utf8' })).toBe('version new\nversion old\n');
    expect(processesWith('sleep 1000.9')).toEqual([]);
  }, 30_000);

  it('starts no host after the cancel, and Ctrl-C does the same for topoforge push', async () => {
    lay(one, 'old');
    lay(two, 'old');
    const bundle = await writeLabBundle(lab, bundleDirectory(), 'Cancel', {
      [one.id]: versioned('new', { check: `sh -c 'sleep 1000.8; true' check {}` }),
      [two.id]: versioned('new'),
    });
    let interrupt: () => void = () => undefined;
    let stopped = false;
    const run = pushCli(
      lab,
      bundle,
      knownHosts,
      ['--concurrency', '1', '--manifest-digest', digest(bundle)],
      {
        onInterrupt: (cancel) => {
          interrupt = cancel;
          return () => void (stopped = true);
        },
      },
    );
    await waitUntil(() => processesWith('sleep 1000.8').length > 0);
    interrupt();
    const result = await run;
    expect(result.code).toBe(1);
    expect(stopped).toBe(true);
    expect(result.stdout).toContain(`${one.id}`);
    expect(result.stdout).toMatch(/failed while checking: cancelled while checking; nothing was replaced/u);
    expect(result.stdout).toMatch(/lb-2 +not started: not pushed: the push was cancelled before it started/u);
    expect(versionOn(one)).toBe('old');
    expect(versionOn(two)).toBe('old');
  }, 30_000);
});

describe.skipIf(!requireSshd())('a full disk on the host', () => {
  it('says the disk is full, and replaces nothing', async () => {
    lay(one, 'old');
    const full = join(one.root, 'var/spool/full');
    mkdirSync(full, { recursive: true });
    // A 64 KiB tmpfs over the folder, in the lab host's own mount namespace only.
    const inHost = (...command: string[]) =>
      execFileSync('nsenter', ['--target', String(one.process.pid), '--mount', ...command], {
        encoding: 'utf8',
      });
    inHost('mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full);
    try {
      const bundle = await writeLabBundle(lab, bundleDirectory(), 'Full', {
        [one.id]: [
          ...versioned('new'),
          { path: '/var/spool/full/big.data', content: 'x'.repeat(256 * 1024) },
        ],
      });
      const report = await pushLab(lab, bundle, knownHosts);
      const host = report.hosts[0]!;
      expect(host.failure).toMatchObject({ step: 'uploading', path: '/var/spool/full/big.data' });
      expect(host.failure?.message).toMatch(
        /^the host's disk is full: .*\/var\/spool\/full has [\d.]+ (?:bytes|KiB) free and .*big\.data\.topoforge-new-[0-9a-f]{12} needs 256\.0 KiB; nothing was replaced/u,
      );
      expect(versionOn(one)).toBe('old');
      // The temporary files were removed again, on the full disk and beside the other files.
      expect(inHost('ls', '-A', full).trim()).toBe('');
      expect(readdirSync(join(one.root, 'etc/balancer'))).toEqual(['balancer.cfg']);
    } finally {
      inHost('umount', full);
    }
  });
});

/** How often each value occurs. */
function count(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
