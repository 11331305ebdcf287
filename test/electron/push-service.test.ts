/**
 * The app's push, main-process side, against real OpenSSH servers (test/lab/sshd.ts): the push
 * service that the IPC channels reach, through the preload and main's gate where the test is about
 * the boundary. Host-key confirmation crosses IPC as data only: the fingerprints the person
 * trusted, checked against what each server really presents.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PushEvent } from '../../core/push';
import { DesignService } from '../../electron/main/design-service';
import { MAX_DESIGN_TEXT } from '../../electron/main/host-schemas';
import type * as PushServiceModule from '../../electron/main/push-service';
import type { PushService } from '../../electron/main/push-service';
import { RecentDesignsStore } from '../../electron/main/recent-designs';
import { RecoveryStore } from '../../electron/main/recovery';
import { INVOKE_CHANNELS, PUSH_EVENT_CHANNEL } from '../../electron/preload/protocol';
import { desktopBundles } from '../../scripts/start-desktop';
import { requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab } from '../lab/sshd';
import { eventFrom, scriptedDialogs, temporaryFolder } from './fakes';
import { desktopHostOver, hostGate, quietWindow } from './gate';
import { freshKnownHosts, knownHostsEntry, labAddress, labDesignText, labPushService } from './lab-design';

const ROOT = join(import.meta.dirname, '..', '..');
let lab: SshLab;

beforeAll(async () => {
  if (!requireSshd()) return;
  lab = await startSshLab({ hosts: ['web-1', 'web-2', 'web-3'] });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

beforeEach(() => {
  lab?.reset();
});

/** Every file under a lab host's root, by path relative to it. */
function filesOf(index: number): string[] {
  const root = lab.hosts[index]!.root;
  const found: string[] = [];
  const walk = (directory: string, prefix: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(directory, entry.name), `${prefix}${entry.name}/`);
      else found.push(`${prefix}${entry.name}`);
    }
  };
  walk(root, '');
  return found;
}

const confirmedAll = () => lab.hosts.map((host) => ({ host: host.id, fingerprint: host.hostKeyFingerprint }));

/** The events of one host, as `type` or `step:NAME`. */
function eventsOf(events: { event: PushEvent }[], host: string): string[] {
  return events
    .map(({ event }) => event)
    .filter((event) => event.host === host)
    .map((event) => (event.type === 'step' ? `step:${event.step}` : event.type));
}

describe.skipIf(!requireSshd())('the app’s push against real OpenSSH servers', () => {
  it('plans without changing anything, and reports each unknown key with its real fingerprint', async () => {
    const { service, knownHosts } = labPushService<string>(lab);
    const report = await service.plan('window', { designText: labDesignText(lab) });
    expect(report.dryRun).toBe(true);
    expect(report.hosts.map((host) => [host.host, host.address, host.port])).toEqual(
      lab.hosts.map((host, index) => [host.id, labAddress(index), host.port]),
    );
    for (const [index, host] of report.hosts.entries()) {
      expect(host.status).toBe('failed');
      expect(host.failure?.step).toBe('verifying');
      expect(host.failure?.hostKey).toEqual({
        type: 'ssh-ed25519',
        fingerprint: lab.hosts[index]!.hostKeyFingerprint,
        state: 'unknown',
      });
      expect(host.files).toEqual([]);
    }
    expect(existsSync(knownHosts)).toBe(false);
    expect(lab.hosts.map((_, index) => filesOf(index))).toEqual([[], [], []]);
  });

  it('plans with the confirmed fingerprints: a unified diff per file, and still nothing recorded', async () => {
    const { service, knownHosts } = labPushService<string>(lab);
    const report = await service.plan('window', {
      designText: labDesignText(lab),
      confirmedHostKeys: confirmedAll(),
    });
    for (const host of report.hosts) {
      expect(host.hostKey?.trust).toBe('confirmed');
      expect(host.status).toBe('changed');
      const [unit] = host.files;
      expect(unit).toMatchObject({ action: 'create' });
      expect(unit!.path).toMatch(/^\/etc\/systemd\/system\/app-\d\.service$/u);
      expect(unit!.diff).toContain('@@');
      expect(unit!.diff).toMatch(/^\+ExecStart=/mu);
    }
    expect(existsSync(knownHosts)).toBe(false);
    expect(lab.hosts.map((_, index) => filesOf(index))).toEqual([[], [], []]);
    // A fingerprint confirmed for another host does not count for this one.
    const crossed = await service.plan('window', {
      designText: labDesignText(lab),
      hosts: ['web-1'],
      confirmedHostKeys: [{ host: 'web-1', fingerprint: lab.hosts[1]!.hostKeyFingerprint }],
    });
    expect(crossed.hosts[0]!.failure?.hostKey?.state).toBe('unknown');
  });

  it('pushes with the confirmed keys: writes the files, records the keys, and reports a failed check with the host’s stderr', async () => {
    const { service, knownHosts, events } = labPushService<string>(lab);
    const report = await service.push('window', {
      designText: labDesignText(lab),
      confirmedHostKeys: confirmedAll(),
    });
    expect(report.dryRun).toBe(false);
    expect(report.hosts.map((host) => host.status)).toEqual(['changed', 'changed', 'failed']);
    expect(filesOf(0)).toEqual(['etc/systemd/system/app-1.service']);
    expect(readFileSync(join(lab.hosts[0]!.root, 'etc/systemd/system/app-1.service'), 'utf8')).toContain(
      'ExecStart=/usr/bin/true',
    );
    expect(lab.hosts[0]!.systemctlCalls()).toEqual([
      'daemon-reload',
      'enable app-1.service',
      'restart app-1.service',
    ]);
    const failed = report.hosts[2]!;
    expect(failed.failure).toMatchObject({ step: 'checking', path: '/etc/systemd/system/app-3.service' });
    expect(failed.failure?.message).toContain('nothing was replaced');
    expect(failed.failure?.stderr).toContain('Command /etc/debian_version is not executable');
    expect(filesOf(2)).toEqual([]);
    for (const [index, host] of lab.hosts.entries())
      expect(knownHostsEntry(knownHosts, labAddress(index), host.port)).toContain(
        host.hostPublicKey.split(' ')[1],
      );

    // Events arrive host by host in the order of the steps; web-2 waits for web-1 (one entrypoint).
    expect(eventsOf(events, 'web-1')).toEqual([
      'step:connecting',
      'step:verifying',
      'step:connecting',
      'step:verifying',
      'host-key',
      'step:locking',
      'step:planning',
      'planned',
      'step:uploading',
      'step:checking',
      'step:replacing',
      'step:reloading',
      'done',
    ]);
    expect(eventsOf(events, 'web-2')[0]).toBe('waiting');
    const flat = events.map(({ event }) => event);
    const web1Done = flat.findIndex((event) => event.host === 'web-1' && event.type === 'done');
    const web2Starts = flat.findIndex((event) => event.host === 'web-2' && event.type === 'step');
    expect(web2Starts).toBeGreaterThan(web1Done);
    expect(eventsOf(events, 'web-3').at(-1)).toBe('failed');
    const failedEvent = flat.find((event) => event.host === 'web-3' && event.type === 'failed');
    expect(failedEvent).toMatchObject({ step: 'checking', stderr: failed.failure?.stderr });
    expect(events.every(({ window }) => window === 'window')).toBe(true);
    // No key material in anything that reaches the page.
    const privateKeyBody = readFileSync(lab.identityFile, 'utf8').split('\n').slice(1, -2).join('');
    expect(JSON.stringify({ report, events })).not.toContain(privateKeyBody.slice(0, 40));

    // Pushed again, with nothing confirmed: the recorded keys are known, nothing changes.
    const again = await service.push('window', { designText: labDesignText(lab), hosts: ['web-1', 'web-2'] });
    expect(again.hosts.map((host) => [host.status, host.hostKey?.trust])).toEqual([
      ['unchanged', 'known'],
      ['unchanged', 'known'],
    ]);
  });

  it('cancels a running push from the page: no host is left half-done, none is started after', async () => {
    let cancel: (() => void) | undefined;
    const { service } = labPushService<string>(lab, freshKnownHosts(), (_window, event) => {
      if (event.host === 'web-1' && event.type === 'step' && event.step === 'planning') cancel?.();
    });
    cancel = () => {
      service.cancel('window');
      cancel = undefined;
    };
    // Nothing runs yet: a cancel is a no-op.
    service.cancel('window');
    const report = await service.push('window', {
      designText: labDesignText(lab),
      confirmedHostKeys: confirmedAll(),
    });
    // web-2 waits for web-1 (one entrypoint) and is never started; web-3 ran beside web-1.
    expect(report.hosts.map((host) => [host.host, host.status, host.failure?.cancelled])).toEqual([
      ['web-1', 'failed', true],
      ['web-2', 'failed', true],
      ['web-3', 'failed', true],
    ]);
    expect(report.hosts[1]!.failure?.step).toBe('cancelled');
    expect(report.hosts[0]!.failure?.message).toBe(
      'cancelled while planning; nothing was replaced on the host',
    );
    expect(lab.hosts.map((_, index) => filesOf(index))).toEqual([[], [], []]);
    expect(service.isRunning('window')).toBe(false);
    // The lock was released: the next push takes every host.
    const again = await service.push('window', { designText: labDesignText(lab), hosts: ['web-1'] });
    expect(again.hosts[0]!.status, JSON.stringify(again.hosts[0]!.failure)).toBe('changed');
  });

  it('refuses a changed key whatever the page confirms, and names the fix', async () => {
    const [one, two] = lab.hosts;
    const known = freshKnownHosts();
    writeFileSync(known, `[${labAddress(0)}]:${one!.port} ${two!.hostPublicKey}\n`);
    const listed = readFileSync(known, 'utf8');
    const { service } = labPushService<string>(lab, known);
    const report = await service.push('window', {
      designText: labDesignText(lab),
      hosts: ['web-1'],
      confirmedHostKeys: [{ host: 'web-1', fingerprint: one!.hostKeyFingerprint }],
    });
    const host = report.hosts[0]!;
    expect(host.status).toBe('failed');
    expect(host.failure?.hostKey).toEqual({
      type: 'ssh-ed25519',
      fingerprint: one!.hostKeyFingerprint,
      state: 'changed',
    });
    expect(host.failure?.message).toContain('HOST KEY CHANGED');
    expect(host.failure?.message).toContain(`ssh-keygen -R '[${labAddress(0)}]:${one!.port}'`);
    expect(filesOf(0)).toEqual([]);
    expect(readFileSync(known, 'utf8')).toBe(listed);
  });

  it('runs one push at a time per window, and refuses a second while one runs', async () => {
    const { service } = labPushService<string>(lab);
    const request = { designText: labDesignText(lab), confirmedHostKeys: confirmedAll() };
    const first = service.plan('window', request);
    expect(service.isRunning('window')).toBe(true);
    await expect(service.push('window', request)).rejects.toThrow(
      'a push from this window is still running: wait until it has finished',
    );
    // Another window is not held up.
    const other = await service.plan('other window', { ...request, hosts: ['web-2'] });
    expect(other.hosts[0]!.status).toBe('changed');
    expect((await first).hosts).toHaveLength(3);
    expect(service.isRunning('window')).toBe(false);
    expect((await service.plan('window', { ...request, hosts: ['web-1'] })).hosts).toHaveLength(1);
  });

  it('refuses a design with error findings, or one that does not load, before connecting anywhere', async () => {
    const { service, connections } = labPushService<string>(lab);
    const broken = readFileSync(join(ROOT, 'examples', 'teramind-ha-broken.topo.json'), 'utf8');
    await expect(service.push('window', { designText: broken })).rejects.toThrow(
      /^the design has 1 error finding, and a design with errors is never pushed \(topoforge generate refuses it too\): quorum\.even: /u,
    );
    await expect(service.plan('window', { designText: '{"format": 1' })).rejects.toThrow(
      /^the design does not load: /u,
    );
    await expect(
      service.plan('window', { designText: labDesignText(lab), hosts: ['web-9'] }),
    ).rejects.toThrow('the bundle has no host web-9; it has web-1, web-2, web-3');
    expect(connections()).toBe(0);
    expect(service.isRunning('window')).toBe(false);
  });

  it('pushes as bundled for the app, where ssh2 runs without its native add-ons', async () => {
    const esbuild = await import('esbuild');
    const folder = mkdtempSync(join(tmpdir(), 'topoforge-bundled-push-'));
    try {
      const main = desktopBundles(ROOT, folder)[0]!;
      const outfile = join(folder, 'push-service.cjs');
      await esbuild.build({
        ...main,
        entryPoints: [join(ROOT, 'electron', 'main', 'push-service.ts')],
        outfile,
        sourcemap: false,
      });
      const bundled = createRequire(outfile)(outfile) as typeof PushServiceModule;
      const known = freshKnownHosts();
      const service = new bundled.PushService<string>({
        send: () => undefined,
        authentication: () => ({ identityFile: lab.identityFile }),
        knownHosts: { read: [known], write: known },
      });
      // Straight to the loopback: web-1 at 127.0.0.1, pushed alone. Every host is then on this one
      // machine (the loader refuses a loopback address beside hosts with real ones).
      const design = JSON.parse(labDesignText(lab)) as { hosts: { address: string }[] };
      design.hosts.forEach((host, index) => (host.address = `127.0.0.${index + 1}`));
      const text = JSON.stringify(design);
      const report = await service.push('window', {
        designText: text,
        hosts: ['web-1'],
        confirmedHostKeys: [{ host: 'web-1', fingerprint: lab.hosts[0]!.hostKeyFingerprint }],
      });
      expect(report.hosts.map((host) => host.status)).toEqual(['changed']);
      expect(filesOf(0)).toEqual(['etc/systemd/system/app-1.service']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!requireSshd())('push through the preload and main’s gate', () => {
  const WINDOW = 7;

  async function desktop() {
    const folder = await temporaryFolder();
    const recent = await RecentDesignsStore.open({ file: join(folder, 'recent-designs.json') });
    const recovery = new RecoveryStore({ folder: join(folder, 'recovery') });
    const design = new DesignService<string>({ dialogs: scriptedDialogs(), recent, documentsFolder: folder });
    const pushing = labPushService<string>(lab);
    const context = quietWindow('designer', 'window-7');
    const { router, log } = hostGate(
      { design, recovery, push: pushing.service as PushService<string> },
      (id) => (id === WINDOW ? context : undefined),
    );
    let pushListener: ((event: unknown, pushEvent: PushEvent) => void) | undefined;
    const host = desktopHostOver(router, WINDOW, {
      on: (channel: string, listener: (event: unknown, pushEvent: PushEvent) => void) => {
        if (channel === PUSH_EVENT_CHANNEL) pushListener = listener;
      },
    });
    // Main sends each event to the asking window; here, straight to the preload's listener.
    const forward = () => {
      for (const { event } of pushing.events.splice(0)) pushListener!({}, structuredClone(event));
    };
    return { host, router, log, pushing, forward };
  }

  it('plans and pushes from the page, with progress delivered to its listeners', async () => {
    const { host, pushing, forward } = await desktop();
    const received: PushEvent[] = [];
    const stop = host.onPushEvent((event) => received.push(event));
    const plan = await host.planPush({
      designText: labDesignText(lab),
      hosts: ['web-1'],
      confirmedHostKeys: [{ host: 'web-1', fingerprint: lab.hosts[0]!.hostKeyFingerprint }],
    });
    expect(plan.hosts[0]!.files[0]!.diff).toContain('+ExecStart=/usr/bin/true');
    forward();
    expect(received.at(-1)).toMatchObject({ type: 'done', host: 'web-1' });
    stop();
    pushing.events.push({ window: 'designer', event: { type: 'step', host: 'web-1', step: 'connecting' } });
    forward();
    expect(received.at(-1)!.type).toBe('done');
  });

  it('refuses malformed requests before any handler runs', async () => {
    const { router, log, pushing } = await desktop();
    const dispatch = (request: unknown) =>
      router.dispatch(INVOKE_CHANNELS.push, eventFrom(WINDOW), [request]);
    const designText = labDesignText(lab);
    const good = { host: 'web-1', fingerprint: lab.hosts[0]!.hostKeyFingerprint };
    const refusals = [
      { designText, confirmedHostKeys: [{ ...good, fingerprint: 'SHA256:short' }] },
      { designText, confirmedHostKeys: [{ ...good, fingerprint: `MD5:${good.fingerprint.slice(7)}` }] },
      { designText, confirmedHostKeys: [{ ...good, fingerprint: `${good.fingerprint}=` }] },
      { designText, confirmedHostKeys: [{ ...good, trusted: true }] },
      { designText, bundle: { files: [{ path: '/etc/sudoers', content: 'ALL ALL=(ALL) NOPASSWD: ALL' }] } },
      { designText, commands: ['rm -rf /'] },
      { designText, hosts: ['Web 1'] },
      { designText, hosts: ['web-1', 'web-1'] },
      { designText, hosts: [`w${'x'.repeat(100_000)}`] },
      { designText, identityFile: '/root/.ssh/id_ed25519' },
      { hosts: ['web-1'] },
      { designText: 'x'.repeat(MAX_DESIGN_TEXT + 1) },
      'designText',
    ];
    for (const request of refusals) {
      const reply = await dispatch(request);
      expect(reply, JSON.stringify(request).slice(0, 120)).toMatchObject({
        ok: false,
        message: expect.stringMatching(
          /^Topoforge refused the request: the request does not match its schema/u,
        ),
      });
    }
    expect(await router.dispatch(INVOKE_CHANNELS.planPush, eventFrom(WINDOW), [])).toMatchObject({
      ok: false,
    });
    expect(await router.dispatch(INVOKE_CHANNELS.planPush, eventFrom(99), [{ designText }])).toMatchObject({
      ok: false,
      message: 'Topoforge refused the request: the sender is not a Topoforge window',
    });
    expect(pushing.connections()).toBe(0);
    expect(log.every((entry) => entry.outcome === 'refused')).toBe(true);
    // A log line names the channel and the reason, never the payload.
    expect(JSON.stringify(log)).not.toContain('sudoers');
    expect(JSON.stringify(log)).not.toContain(good.fingerprint);
  });
});
