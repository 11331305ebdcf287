/**
 * Configs written by people, not by the generator: the stock configs Debian's nginx, HAProxy,
 * keepalived and Redis packages install (read from the installed packages, found with dpkg -L),
 * and hand-written configs built from the vendor manuals' directives. Each imports without a
 * problem, into a design the loader accepts, and its unused list names every directive it left.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDesign, type ImportFile, type ImportResult } from '../../core/import/build-design';
import { checkedDesign } from '../fixtures/examples';

/** The regular files a Debian package installs under `prefix` (a folder) or at it, as files of `host`. */
function packageFiles(pkg: string, prefix: string, host: string, placeAt?: string): ImportFile[] {
  const listed = execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8' }).split('\n');
  return listed
    .filter(
      (path) =>
        (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix) &&
        statSync(path, { throwIfNoEntry: false })?.isFile(),
    )
    .map((path) => ({
      path: `hosts/${host}${placeAt ?? path}`,
      text: readFileSync(path, 'utf8'),
    }));
}

function importClean(files: ImportFile[]): ImportResult {
  const result = buildDesign(files);
  expect(result.problems).toEqual([]);
  checkedDesign(result.design);
  for (const item of result.unused) {
    expect(item.reason.length).toBeGreaterThan(10);
    expect(item.file).toMatch(/^hosts\//);
  }
  return result;
}

describe("Debian's stock configs", () => {
  it('nginx: the default site on port 80 is a balancer with no backend and no entrypoint, every other directive is listed', () => {
    const files = packageFiles('nginx-common', '/etc/nginx/', 'web');
    // The package's scripts link the default site into sites-enabled and the stream module's
    // snippet into modules-enabled at install; nginx.conf includes both folders by glob.
    const modules = execFileSync(
      'sh',
      ['-c', 'ls /etc/nginx/modules-enabled/*.conf /etc/nginx/sites-enabled/* 2>/dev/null || true'],
      {
        encoding: 'utf8',
      },
    )
      .split('\n')
      .filter(Boolean);
    for (const path of modules) files.push({ path: `hosts/web${path}`, text: readFileSync(path, 'utf8') });
    const result = importClean(files);
    const nginx = result.design.services.find((service) => service.kind === 'nginx');
    expect(nginx).toMatchObject({ host: 'web' });
    // No floating address: no entrypoint is guessed, and the port is named as missing.
    expect(result.design.entrypoints).toBeUndefined();
    expect(result.missing.map((item) => item.what)).toContain(`how clients reach port 80 of ${nginx!.id}`);
    const unusedText = result.unused.map((item) => item.text);
    expect(unusedText).toContain('worker_processes auto;');
    expect(unusedText.some((text) => text.startsWith('root /var/www/html'))).toBe(true);
    // Lines point into the file that holds them, included files too.
    const mime = result.unused.find(
      (item) => item.file === 'hosts/web/etc/nginx/nginx.conf' && item.text.startsWith('sendfile'),
    );
    expect(mime?.line).toBeGreaterThan(1);
  });

  it('HAProxy: global and defaults only, so no service, and the file is named', () => {
    const result = importClean(packageFiles('haproxy', '/etc/haproxy/haproxy.cfg', 'lb'));
    expect(result.design.services).toEqual([]);
    expect(result.unused.some((item) => item.reason.includes('no server, frontend or listen section'))).toBe(
      true,
    );
    expect(result.unused.some((item) => item.text.startsWith('errorfile 503'))).toBe(true);
  });

  it('Redis and Sentinel: one group watching the local Redis, which is its primary', () => {
    const result = importClean([
      ...packageFiles('redis-server', '/etc/redis/redis.conf', 'cache'),
      ...packageFiles('redis-sentinel', '/etc/redis/sentinel.conf', 'cache'),
    ]);
    const redis = result.design.services.find((service) => service.kind === 'redis');
    const sentinel = result.design.services.find((service) => service.kind === 'sentinel');
    expect(redis).toMatchObject({ port: 6379, primary: true, group: 'mymaster' });
    expect(sentinel).toMatchObject({ port: 26379, group: 'mymaster' });
    expect(result.design.groups).toEqual([
      expect.objectContaining({ id: 'mymaster', kind: 'redis-sentinel', quorum: 2, downAfterMs: 30000 }),
    ]);
    expect(result.unused.some((item) => item.text.startsWith('protected-mode'))).toBe(true);
  });

  it("keepalived's VRRP sample: addresses without a balancer are named, the password is not shown", () => {
    const files = packageFiles(
      'keepalived',
      '/usr/share/doc/keepalived/samples/keepalived.conf.vrrp',
      'vrrp',
      '/etc/keepalived/keepalived.conf',
    );
    const result = importClean(files);
    expect(result.design.entrypoints ?? []).toEqual([]);
    const floating = result.unused.filter((item) => item.reason.includes('floating address'));
    expect(floating.map((item) => item.text)).toContain('192.168.200.16');
    expect(JSON.stringify(result.unused)).not.toContain('1111');
  });
});

describe('hand-written configs', () => {
  const inventory = JSON.stringify([
    { host: 'edge-1', address: '192.0.2.11' },
    { host: 'edge-2', address: '192.0.2.12' },
    { host: 'app-1', address: '192.0.2.21' },
    { host: 'app-2', address: '192.0.2.22' },
    { host: 'cache-1', address: '192.0.2.31' },
    { host: 'cache-2', address: '192.0.2.32' },
  ]);
  const nginx = `# Edge proxy, by hand.
user www-data;
events { worker_connections 1024; }
http {
    include /etc/nginx/conf.d/*.conf;
}
`;
  const upstreams = `upstream shop {
    least_conn;
    server 192.0.2.21:8000 max_fails=2 fail_timeout=10s;
    server 192.0.2.22:8000;
    server 198.51.100.7:8000 backup;   # the old box, kept warm
}
server {
    listen 443 ssl http2;
    server_name shop.example.org;
    ssl_certificate /etc/ssl/shop.pem;
    ssl_certificate_key /etc/ssl/shop.key;
    gzip on;
    location / { proxy_pass http://shop; }
}
`;
  const haproxy = `global
    daemon
defaults
    mode tcp
    timeout connect 5s
listen postgres
    bind :5432
    option pgsql-check user haproxy
    server app-1 192.0.2.21:5432 check inter 3s
    server app-2 192.0.2.22:5432 check inter 3s backup
`;
  const keepalived = (state: string, priority: number) => `! VRRP for the edge, by hand
vrrp_script chk_nginx {
    script "/usr/bin/pgrep nginx"
    interval 2
    weight -30
}
vrrp_instance edge {
    state ${state}
    interface ens3
    virtual_router_id 42
    priority ${priority}
    virtual_ipaddress {
        192.0.2.10/24 dev ens3
    }
    track_script {
        chk_nginx
    }
    notify_master /usr/local/bin/became-master
}
`;
  const sentinel = (announce: string) => `port 26379
sentinel monitor cache 192.0.2.31 6379 2
sentinel auth-pass cache s3cret-value
sentinel down-after-milliseconds cache 4000
sentinel known-replica cache 192.0.2.32 6379
sentinel known-sentinel cache ${announce} 26379 0123456789abcdef0123456789abcdef01234567
sentinel current-epoch 3
`;
  const files: ImportFile[] = [
    { path: 'inventory.json', text: inventory },
    { path: 'hosts/edge-1/etc/nginx/nginx.conf', text: nginx },
    { path: 'hosts/edge-1/etc/nginx/conf.d/shop.conf', text: upstreams },
    { path: 'hosts/edge-1/etc/keepalived/keepalived.conf', text: keepalived('MASTER', 150) },
    { path: 'hosts/edge-2/etc/nginx/nginx.conf', text: nginx },
    { path: 'hosts/edge-2/etc/nginx/conf.d/shop.conf', text: upstreams },
    { path: 'hosts/edge-2/etc/keepalived/keepalived.conf', text: keepalived('BACKUP', 100) },
    { path: 'hosts/edge-2/etc/haproxy/haproxy.cfg', text: haproxy },
    {
      path: 'hosts/cache-1/etc/redis/redis.conf',
      text: 'port 6379\nbind 192.0.2.31\nrequirepass hunter2-secret\nmaxmemory 2gb\n',
    },
    {
      path: 'hosts/cache-2/etc/redis/redis.conf',
      text: 'port 6379\nbind 192.0.2.32\nreplicaof 192.0.2.31 6379\nreplica-priority 50\n',
    },
    { path: 'hosts/cache-1/etc/redis/sentinel.conf', text: sentinel('192.0.2.32') },
    { path: 'hosts/cache-2/etc/redis/sentinel.conf', text: sentinel('192.0.2.31') },
  ];

  it('builds balancers, backends (backup kept), a vip entrypoint, a listen section and a Sentinel group', () => {
    const { design, unused, missing } = importClean(files);
    const links = (design.links ?? []).map(
      (link) => `${link.from}>${link.to}:${link.port}${link.backup ? ' backup' : ''}`,
    );
    expect(links).toEqual(
      expect.arrayContaining([
        'edge-1-nginx>app-1-8000:8000',
        'edge-1-nginx>app-2-8000:8000',
        'edge-1-nginx>host-198-51-100-7-8000:8000 backup',
        'edge-2-haproxy>app-1-5432:5432',
        'edge-2-haproxy>app-2-5432:5432 backup',
      ]),
    );
    // An address no inventory host has becomes a host of its own with an app on that port.
    expect(design.hosts.find((host) => host.address === '198.51.100.7')).toBeDefined();
    const vip = (design.entrypoints ?? []).find((entrypoint) => entrypoint.via === 'vip');
    expect(vip).toMatchObject({
      port: 443,
      address: '192.0.2.10',
      targets: ['edge-1-nginx', 'edge-2-nginx'],
    });
    expect(design.hosts.find((host) => host.id === 'edge-1')?.interface).toBe('ens3');
    // HAProxy listens on every address of edge-2, the floating one too, while edge-2 holds it.
    expect((design.entrypoints ?? []).find((entrypoint) => entrypoint.port === 5432)).toMatchObject({
      via: 'vip',
      targets: ['edge-2-haproxy'],
    });
    expect(missing.some((item) => item.what.includes('how clients reach'))).toBe(false);
    expect(design.entrypoints).toHaveLength(2);
    const group = (design.groups ?? []).find((candidate) => candidate.kind === 'redis-sentinel');
    expect(group).toMatchObject({ id: 'cache', quorum: 2, downAfterMs: 4000 });
    const replica = design.services.find((service) => service.host === 'cache-2' && service.kind === 'redis');
    expect(replica).toMatchObject({ group: 'cache' });
    // replica-priority is Sentinel's promotion order: the design keeps it.
    expect(replica).toMatchObject({ replicaPriority: 50 });
    expect(unused.find((item) => item.text === 'replica-priority 50')).toBeUndefined();
    // Run-time lines are named as such; secrets are never shown.
    expect(unused.find((item) => item.text.startsWith('sentinel known-replica'))?.reason).toMatch(/run time/);
    expect(unused.find((item) => item.text.startsWith('notify_master'))?.line).toBe(18);
    expect(unused.find((item) => item.text.startsWith('gzip on'))?.file).toBe(
      'hosts/edge-1/etc/nginx/conf.d/shop.conf',
    );
    const json = JSON.stringify({ design, unused });
    expect(json).not.toContain('hunter2-secret');
    expect(json).not.toContain('s3cret-value');
  });
});
