/**
 * `topoforge collect` against real sshd lab hosts: it reads the known config paths and what their
 * includes name (globs too), refuses a file over the size limit and an include loop by name,
 * never fetches the secret files a config includes, checks host keys as push does, and leaves
 * the remote tree exactly as it was. The folder it fills imports into a design.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli';
import { loginTarget, placeFiles, requireSshd, startSshLab, type SshLab, type SshLabHost } from '../lab/sshd';
import { temporaryFolder } from '../lab/temporary';

let lab: SshLab | undefined;
const available = requireSshd();

beforeAll(async () => {
  if (!available) return;
  lab = await startSshLab({ hosts: ['edge', 'cache'], addresses: ['127.0.0.61', '127.0.0.62'] });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

beforeEach(() => lab?.reset());

/** Every file and folder under `root` with its mode, size, modification time and content hash. */
function snapshot(root: string): string[] {
  const entries: string[] = [];
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const full = join(folder, name);
      const stats = statSync(full);
      const hash = stats.isFile() ? createHash('sha256').update(readFileSync(full)).digest('hex') : 'dir';
      entries.push(`${full} ${stats.mode} ${stats.size} ${stats.mtimeMs} ${stats.ctimeMs} ${hash}`);
      if (stats.isDirectory()) walk(full);
    }
  };
  walk(root);
  return entries;
}

async function knownHostsFile(text: string): Promise<string> {
  const file = join(await temporaryFolder('topoforge-collect-known-'), 'known_hosts');
  writeFileSync(file, text);
  return file;
}

/** A fresh folder to collect into, and a known_hosts file holding `knownHostsText`. */
async function collectFolders(knownHostsText: string): Promise<{ out: string; knownHosts: string }> {
  return {
    out: join(await temporaryFolder('topoforge-collect-'), 'collected'),
    knownHosts: await knownHostsFile(knownHostsText),
  };
}

/** `topoforge collect` of one lab host with the lab's key, its files read from the host's folder. */
function collect(host: SshLabHost, out: string, knownHosts: string, ...more: string[]) {
  return runCli([
    'collect',
    loginTarget(host),
    '--out',
    out,
    '--identity',
    lab!.identityFile,
    '--known-hosts',
    knownHosts,
    '--root',
    host.root,
    ...more,
  ]);
}

describe.skipIf(!available)('topoforge collect over SSH', () => {
  it('reads configs and their includes, refuses what it must, writes nothing remote, and imports', async () => {
    const [edge, cache] = lab!.hosts as [SshLabHost, SshLabHost];
    placeFiles(edge, {
      'etc/nginx/nginx.conf':
        'events {}\nhttp {\n    include conf.d/*.conf;\n    include /etc/nginx/loop-a.conf;\n}\n',
      'etc/nginx/conf.d/shop.conf':
        'upstream shop {\n    server 127.0.0.62:8000;\n    server 127.0.0.63:8000 backup;\n}\nserver { listen 80; location / { proxy_pass http://shop; } }\n',
      'etc/nginx/conf.d/extra.conf': 'client_max_body_size 10m;\n',
      'etc/nginx/loop-a.conf': 'include /etc/nginx/loop-b.conf;\n',
      'etc/nginx/loop-b.conf': 'include /etc/nginx/loop-a.conf;\n',
      'etc/nginx/unrelated.conf': 'not included by anything\n',
      'etc/keepalived/keepalived.conf':
        'vrrp_instance edge {\n    interface lo\n    virtual_router_id 7\n    priority 100\n    virtual_ipaddress {\n        192.0.2.10\n    }\n}\n',
    });
    placeFiles(cache, {
      'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.62\ninclude /etc/redis/redis.auth.conf\n',
      'etc/redis/redis.auth.conf': 'requirepass never-fetched-secret\n',
      'etc/haproxy/haproxy.cfg': `global\n${'# padding\n'.repeat(110_000)}`,
      'etc/systemd/system/shop.service':
        '[Unit]\nDescription=Shop\n[Service]\nExecStart=/opt/shop/bin/shop --port 8000\n',
    });
    const before = [snapshot(edge.root), snapshot(cache.root)];
    const { out, knownHosts } = await collectFolders(lab!.knownHosts());

    // Each lab host's files live under its own folder: collect each with that folder as --root.
    const edgeRun = await collect(edge, out, knownHosts, '--json');
    const cacheOut = join(dirname(out), 'cache-only');
    const cacheRun = await collect(cache, cacheOut, knownHosts, '--json');

    expect([snapshot(edge.root), snapshot(cache.root)]).toEqual(before);

    const edgeReport = JSON.parse(edgeRun.stdout);
    expect(edgeRun.code).toBe(1);
    const [edgeHost] = edgeReport.hosts;
    expect(edgeHost.host).toBe('host-127-0-0-61');
    expect(edgeHost.files.sort()).toEqual([
      '/etc/keepalived/keepalived.conf',
      '/etc/nginx/conf.d/extra.conf',
      '/etc/nginx/conf.d/shop.conf',
      '/etc/nginx/loop-a.conf',
      '/etc/nginx/loop-b.conf',
      '/etc/nginx/nginx.conf',
    ]);
    expect(edgeHost.problems).toEqual([
      {
        path: '/etc/nginx/loop-a.conf',
        message:
          'include loop: /etc/nginx/nginx.conf includes /etc/nginx/loop-a.conf includes /etc/nginx/loop-b.conf includes /etc/nginx/loop-a.conf',
      },
    ]);
    expect(existsSync(join(out, 'hosts/host-127-0-0-61/etc/nginx/unrelated.conf'))).toBe(false);
    expect(readFileSync(join(out, 'hosts/host-127-0-0-61/etc/nginx/conf.d/shop.conf'), 'utf8')).toContain(
      'backup',
    );
    expect(JSON.parse(readFileSync(join(out, 'inventory.json'), 'utf8'))).toEqual([
      {
        host: 'host-127-0-0-61',
        address: '127.0.0.61',
        ssh: { user: 'root', port: edge.port, root: edge.root },
      },
    ]);

    const cacheReport = JSON.parse(cacheRun.stdout);
    const [cacheHost] = cacheReport.hosts;
    expect(cacheHost.files.sort()).toEqual(['/etc/redis/redis.conf', '/etc/systemd/system/shop.service']);
    expect(cacheHost.problems).toEqual([
      {
        path: '/etc/haproxy/haproxy.cfg',
        message: expect.stringMatching(/^1100007 bytes: larger than the 1048576-byte limit/),
      },
    ]);
    expect(existsSync(join(cacheOut, 'hosts/host-127-0-0-62/etc/redis/redis.auth.conf'))).toBe(false);

    // The edge folder imports once the loop is fixed: the same files, the loop file emptied.
    writeFileSync(join(out, 'hosts/host-127-0-0-61/etc/nginx/loop-b.conf'), '# fixed\n');
    const design = join(dirname(out), 'edge.topo.json');
    const imported = await runCli(['import', out, '--out', design, '--json']);
    expect(JSON.parse(imported.stdout).problems).toEqual([]);
    const written = JSON.parse(readFileSync(design, 'utf8'));
    expect(written.links).toEqual([
      { from: 'host-127-0-0-61-nginx', to: 'host-127-0-0-62-8000', kind: 'traffic', port: 8000 },
      {
        from: 'host-127-0-0-61-nginx',
        to: 'host-127-0-0-63-8000',
        kind: 'traffic',
        port: 8000,
        backup: true,
      },
    ]);
    expect(written.entrypoints).toEqual([
      { id: 'edge-80', port: 80, targets: ['host-127-0-0-61-nginx'], via: 'vip', address: '192.0.2.10' },
    ]);
  }, 60_000);

  it('records which units are enabled, so a unit no *.wants/ entry names imports as a cold standby', async () => {
    const [edge] = lab!.hosts as [SshLabHost];
    const unit = (command: string) => `[Unit]\nDescription=x\n[Service]\nExecStart=${command}\n`;
    placeFiles(edge, {
      'etc/systemd/system/shop.service': unit('/opt/shop/bin/shop --port 8000'),
      'etc/systemd/system/portal.service': unit('/opt/portal/bin/portal'),
    });
    const wants = join(edge.root, 'etc/systemd/system/multi-user.target.wants');
    mkdirSync(wants, { recursive: true });
    symlinkSync('/etc/systemd/system/shop.service', join(wants, 'shop.service'));
    const { out, knownHosts } = await collectFolders(lab!.knownHosts());
    const run = await collect(edge, out, knownHosts);
    expect(run.code, run.stderr).toBe(0);
    expect(
      readFileSync(
        join(out, 'hosts/host-127-0-0-61/etc/systemd/system/multi-user.target.wants/shop.service'),
        'utf8',
      ),
    ).toBe('/etc/systemd/system/shop.service\n');
    // Only read: the link on the host is still the link it was.
    expect(lstatSync(join(wants, 'shop.service')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(wants, 'shop.service'))).toBe('/etc/systemd/system/shop.service');
    const design = join(dirname(out), 'units.topo.json');
    const imported = await runCli(['import', out, '--out', design]);
    expect(imported.code, imported.stderr).toBe(0);
    const services = JSON.parse(readFileSync(design, 'utf8')).services;
    expect(
      services.map((service: { id: string; mode?: string }) => `${service.id} ${service.mode ?? 'active'}`),
    ).toEqual(['portal cold-standby', 'shop active']);
  }, 60_000);

  it('refuses an unknown host key unless --accept-new, which records it', async () => {
    const [edge] = lab!.hosts as [SshLabHost];
    placeFiles(edge, { 'etc/haproxy/haproxy.cfg': 'global\n    daemon\n' });
    const { out, knownHosts } = await collectFolders('');

    const refused = await collect(edge, out, knownHosts, '--json');
    expect(refused.code).toBe(1);
    const problem = JSON.parse(refused.stdout).hosts[0].problems[0].message;
    expect(problem).toContain('presented the unknown ssh-ed25519 key');
    expect(existsSync(join(out, 'hosts'))).toBe(false);

    const accepted = await collect(edge, out, knownHosts, '--json', '--accept-new');
    expect(accepted.code).toBe(0);
    expect(readFileSync(knownHosts, 'utf8')).toContain(edge.hostPublicKey.split(' ')[1]!);
    expect(readFileSync(join(out, 'hosts/host-127-0-0-61/etc/haproxy/haproxy.cfg'), 'utf8')).toBe(
      'global\n    daemon\n',
    );
  }, 60_000);
});
