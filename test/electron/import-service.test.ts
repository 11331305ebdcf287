/**
 * File › Import from hosts, main-process side, against real OpenSSH servers (test/lab/sshd.ts): the
 * import service collects from lab hosts with per-host progress (states in order, files and bytes
 * counting up), the design it gives equals `topoforge collect` then `topoforge import`, a host
 * whose connection drops fails with the reason while the other completes, cancel disconnects and
 * keeps nothing, and host keys follow push's policy (unknown: asked, by fingerprint; changed:
 * refused), through the preload and main's gate.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CollectEvent } from '../../core/collect';
import { buildDesign } from '../../core/import/build-design';
import { DesignService } from '../../electron/main/design-service';
import { ImportService } from '../../electron/main/import-service';
import { RecentDesignsStore } from '../../electron/main/recent-designs';
import { RecoveryStore } from '../../electron/main/recovery';
import { INVOKE_CHANNELS } from '../../electron/preload/protocol';
import { runCli } from '../cli/run-cli';
import { loginTarget, placeFiles, requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab, SshLabHost } from '../lab/sshd';
import { temporaryFolder } from '../lab/temporary';
import { eventFrom, scriptedDialogs } from './fakes';
import { desktopHostOver, hostGate, quietWindow } from './gate';

const available = requireSshd();
let lab: SshLab;
const relays: { server: Server; sockets: Set<Socket> }[] = [];

beforeAll(async () => {
  if (!available) return;
  lab = await startSshLab({ hosts: ['edge', 'app'], addresses: ['127.0.0.81', '127.0.0.82'] });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

beforeEach(() => lab?.reset());

afterEach(async () => {
  for (const relay of relays.splice(0)) {
    for (const socket of relay.sockets) socket.destroy();
    await new Promise((resolve) => relay.server.close(resolve));
  }
});

const edge = () => lab.hosts[0]!;
const app = () => lab.hosts[1]!;

/** A small deployment: nginx with a VIP in front of an app and a Redis on the second host. */
function placeDeployment(): void {
  placeFiles(edge(), {
    'etc/nginx/nginx.conf': 'events {}\nhttp {\n    include conf.d/*.conf;\n}\n',
    'etc/nginx/conf.d/shop.conf':
      'upstream shop {\n    server 127.0.0.82:8000;\n}\nserver {\n    listen 80;\n    location / { proxy_pass http://shop; }\n}\n',
    'etc/nginx/conf.d/limits.conf': 'client_max_body_size 10m;\n',
    'etc/keepalived/keepalived.conf':
      'vrrp_instance edge {\n    interface lo\n    virtual_router_id 7\n    priority 100\n    virtual_ipaddress {\n        192.0.2.10\n    }\n}\n',
  });
  placeFiles(app(), {
    'etc/systemd/system/shop.service':
      '[Unit]\nDescription=Shop\n[Service]\nExecStart=/opt/shop/bin/shop --port 8000\n',
    'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.82\n',
  });
}

/** A known_hosts file holding `text`. */
async function knownHostsFile(text: string): Promise<string> {
  const file = join(await temporaryFolder('topoforge-import-known-'), 'known_hosts');
  writeFileSync(file, text);
  return file;
}

/** A TCP relay on `address` to a lab host: a host of its own address whose connection the test can cut. */
async function relayTo(address: string, to: SshLabHost): Promise<{ port: number; cut(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = new (client.constructor as typeof Socket)();
    upstream.connect(to.port, to.address);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  relays.push({ server, sockets });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as { port: number }).port;
  return { port, cut: () => sockets.forEach((socket) => socket.destroy()) };
}

/** The service as main builds it, with the lab's key, a private known_hosts and each host's staged root. */
async function labImportService(knownHosts: string, send?: (event: CollectEvent) => void) {
  const events: CollectEvent[] = [];
  const roots = new Map(lab.hosts.map((host) => [host.address, host.root]));
  const temporary = await temporaryFolder('topoforge-import-work-');
  const service = new ImportService<string>({
    send: (_window, event) => {
      events.push(event);
      send?.(event);
    },
    authentication: () => ({ identityFile: lab.identityFile }),
    knownHosts: { read: [knownHosts], write: knownHosts },
    rootOf: (collectTarget) => roots.get(collectTarget.address) ?? app().root,
    temporaryDirectory: temporary,
  });
  return { service, events, temporary };
}

/** One host's events, as `state` names and `file` for each file fetched. */
function eventsOf(events: CollectEvent[], host: string): string[] {
  return events
    .filter((event) => event.host === host)
    .map((event) => (event.type === 'state' ? event.state : 'file'));
}

describe.skipIf(!available)('File › Import from hosts against real OpenSSH servers', () => {
  it('collects two hosts with progress in order, and imports the design topoforge collect and import give', async () => {
    placeDeployment();
    const knownHosts = await knownHostsFile(lab.knownHosts());
    const { service, events, temporary } = await labImportService(knownHosts);

    const report = await service.collect('designer', { targets: [loginTarget(edge()), loginTarget(app())] });

    expect(report.cancelled).toBe(false);
    expect(report.hosts.map((host) => [host.host, host.state, host.files, host.problems])).toEqual([
      ['host-127-0-0-81', 'done', 4, []],
      ['host-127-0-0-82', 'done', 2, []],
    ]);
    expect(report.hosts[0]!.hostKey).toEqual({
      type: 'ssh-ed25519',
      fingerprint: edge().hostKeyFingerprint,
      trust: 'known',
    });
    expect(eventsOf(events, 'host-127-0-0-81')).toEqual([
      'connecting',
      'collecting',
      'file',
      'file',
      'file',
      'file',
      'done',
    ]);
    expect(eventsOf(events, 'host-127-0-0-82')).toEqual(['connecting', 'collecting', 'file', 'file', 'done']);
    // Files and bytes count up to the host's totals: what the progress bar shows.
    const edgeFiles = events.filter((event) => event.type === 'file' && event.host === 'host-127-0-0-81');
    expect(edgeFiles.map((event) => event.type === 'file' && event.files)).toEqual([1, 2, 3, 4]);
    const placedBytes = ['nginx/nginx.conf', 'nginx/conf.d/shop.conf', 'nginx/conf.d/limits.conf']
      .concat('keepalived/keepalived.conf')
      .reduce((sum, path) => sum + readFileSync(join(edge().root, 'etc', path)).length, 0);
    expect(edgeFiles.at(-1)).toMatchObject({ bytes: placedBytes, wanted: 4 });
    expect(report.hosts[0]!.bytes).toBe(placedBytes);
    // The temporary folder is gone: nothing of the collection stays on this machine but the answer.
    expect(readdirSync(temporary)).toEqual([]);

    // The CLI, host by host (each lab host has its own staged root), into one folder.
    const cliFolder = join(await temporaryFolder('topoforge-import-cli-'), 'collected');
    const inventory: unknown[] = [];
    for (const host of [edge(), app()]) {
      const out = join(dirname(cliFolder), host.id);
      const run = await runCli([
        'collect',
        loginTarget(host),
        '--out',
        out,
        '--identity',
        lab.identityFile,
        '--known-hosts',
        knownHosts,
        '--root',
        host.root,
      ]);
      expect(run.code, run.stderr).toBe(0);
      cpSync(join(out, 'hosts'), join(cliFolder, 'hosts'), { recursive: true });
      inventory.push(...JSON.parse(readFileSync(join(out, 'inventory.json'), 'utf8')));
    }
    writeFileSync(join(cliFolder, 'inventory.json'), JSON.stringify(inventory));
    const designFile = join(dirname(cliFolder), 'cli.topo.json');
    const imported = await runCli(['import', cliFolder, '--out', designFile]);
    expect(imported.code, imported.stderr).toBe(0);
    const cliDesign = JSON.parse(readFileSync(designFile, 'utf8'));

    const appImport = buildDesign(report.files, cliDesign.name);
    expect(appImport.design).toEqual(cliDesign);
    expect(appImport.design.entrypoints).toEqual([
      { id: 'edge-80', port: 80, targets: ['host-127-0-0-81-nginx'], via: 'vip', address: '192.0.2.10' },
    ]);
    expect(appImport.unused.map((item) => item.text)).toContain('client_max_body_size 10m;');
  }, 60_000);

  it('shows a host whose connection drops as failed, with the reason, while the other completes', async () => {
    placeDeployment();
    const relay = await relayTo('127.0.0.83', app());
    const knownHosts = await knownHostsFile(
      `${lab.knownHosts()}\n[127.0.0.83]:${relay.port} ${app().hostPublicKey}\n`,
    );
    const { service, events } = await labImportService(knownHosts, (event) => {
      if (event.type === 'state' && event.host === 'host-127-0-0-83' && event.state === 'collecting')
        relay.cut();
    });

    const report = await service.collect('designer', {
      targets: [loginTarget(edge()), `root@127.0.0.83:${relay.port}`],
    });

    const [edgeHost, dropped] = report.hosts;
    expect(edgeHost).toMatchObject({ host: 'host-127-0-0-81', state: 'done', files: 4 });
    expect(dropped).toMatchObject({ host: 'host-127-0-0-83', state: 'failed', files: 0 });
    expect(dropped!.problems[0]!.message).toMatch(/^the connection was lost: /u);
    expect(events.filter((event) => event.host === 'host-127-0-0-83').at(-1)).toMatchObject({
      type: 'state',
      state: 'failed',
      reason: dropped!.problems[0]!.message,
    });
    // What the other host gave is imported: its files are in the answer, the dropped host's are not.
    expect(report.files.map((file) => file.path)).toContain('hosts/host-127-0-0-81/etc/nginx/nginx.conf');
    expect(report.files.some((file) => file.path.startsWith('hosts/host-127-0-0-83/'))).toBe(false);
  }, 60_000);

  it('cancels mid-collect: disconnects, keeps nothing, and says so per host', async () => {
    placeDeployment();
    const knownHosts = await knownHostsFile(lab.knownHosts());
    const made = await labImportService(knownHosts, (event) => {
      if (event.type === 'file') made.service.cancel('designer');
    });
    const service = made.service;

    const report = await service.collect('designer', { targets: [loginTarget(edge()), loginTarget(app())] });

    expect(report.cancelled).toBe(true);
    expect(report.files).toEqual([]);
    expect(report.hosts.every((host) => host.state === 'failed')).toBe(true);
    expect(report.hosts.map((host) => host.problems[0]!.message)).toEqual([
      'cancelled: not read',
      'cancelled: not read',
    ]);
    // Only the first file arrived before the cancel; no half-collected folder is left behind.
    expect(made.events.filter((event) => event.type === 'file')).toHaveLength(1);
    expect(readdirSync(made.temporary)).toEqual([]);
    expect(service.isRunning('designer')).toBe(false);
  }, 60_000);

  it('asks about an unknown host key through the page, and refuses a changed one whatever it confirms', async () => {
    placeDeployment();
    const knownHosts = await knownHostsFile('');
    const { service } = await labImportService(knownHosts);
    const folder = await temporaryFolder('topoforge-import-desktop-');
    const recent = await RecentDesignsStore.open({ file: join(folder, 'recent.json') });
    const context = quietWindow('designer', 'window-1');
    const { router } = hostGate(
      {
        design: new DesignService<string>({ dialogs: scriptedDialogs(), recent, documentsFolder: folder }),
        recovery: new RecoveryStore({ folder: join(folder, 'recovery') }),
        imports: service,
      },
      (id) => (id === 1 ? context : undefined),
    );
    const host = desktopHostOver(router, 1);

    const refused = await host.collectConfigs({ targets: [loginTarget(edge())] });
    expect(refused.hosts[0]).toMatchObject({
      host: 'host-127-0-0-81',
      state: 'failed',
      refusedKey: { state: 'unknown', fingerprint: edge().hostKeyFingerprint },
    });
    expect(refused.files.some((file) => file.path.startsWith('hosts/'))).toBe(false);
    expect(readFileSync(knownHosts, 'utf8')).toBe('');

    // Another host's fingerprint does not let this one in.
    const wrong = await host.collectConfigs({
      targets: [loginTarget(edge())],
      confirmedHostKeys: [{ host: 'host-127-0-0-81', fingerprint: app().hostKeyFingerprint }],
    });
    expect(wrong.hosts[0]!.state).toBe('failed');

    const trusted = await host.collectConfigs({
      targets: [loginTarget(edge())],
      confirmedHostKeys: [{ host: 'host-127-0-0-81', fingerprint: edge().hostKeyFingerprint }],
    });
    expect(trusted.hosts[0]).toMatchObject({ state: 'done', files: 4, hostKey: { trust: 'confirmed' } });
    expect(readFileSync(knownHosts, 'utf8')).toContain(edge().hostPublicKey.split(' ')[1]!);

    // A changed key: known_hosts lists another key for the address. Confirming it changes nothing.
    writeFileSync(knownHosts, `[${edge().address}]:${edge().port} ${app().hostPublicKey}\n`);
    const changed = await host.collectConfigs({
      targets: [loginTarget(edge())],
      confirmedHostKeys: [{ host: 'host-127-0-0-81', fingerprint: edge().hostKeyFingerprint }],
    });
    expect(changed.hosts[0]).toMatchObject({ state: 'failed', refusedKey: { state: 'changed' } });
    expect(changed.hosts[0]!.problems[0]!.message).toContain('HOST KEY CHANGED');

    // Main's gate refuses what the dialog never sends.
    const reply = await router.dispatch(INVOKE_CHANNELS.collectConfigs, eventFrom(1), [
      { targets: [loginTarget(edge())], identityFile: '/root/.ssh/id_ed25519' },
    ]);
    expect(reply).toMatchObject({ ok: false });
    await expect(host.collectConfigs({ targets: ['not a target'] })).rejects.toThrow(
      "line 1: 'not a target' is not user@address[:port]",
    );
  }, 60_000);
});
