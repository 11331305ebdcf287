/**
 * Proves each checker: it accepts a known-good hand-written config and rejects a known-bad one
 * with the tool's own message, and checking leaves the machine as it was.
 */
import { existsSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  checkHaproxy,
  checkKeepalived,
  checkNginx,
  createSelfSignedCertificate,
  requireStarted,
  requireTool,
  startRedis,
  startSentinel,
  systemdSecurityScore,
  verifySystemdUnits,
} from './tools';
import type { Certificate } from './tools';

const NGINX_CONF = `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;

events {
    worker_connections 768;
}

http {
    include /etc/nginx/mime.types;
    access_log /var/log/nginx/access.log;
    upstream app {
        server 10.0.0.21:8080 max_fails=2 fail_timeout=5s;
        server 10.0.0.22:8080 max_fails=2 fail_timeout=5s;
    }
    server {
        listen 443 ssl;
        server_name shop.example.com;
        ssl_certificate /etc/ssl/topoforge/shop.crt;
        ssl_certificate_key /etc/ssl/topoforge/shop.key;
        location / {
            proxy_pass http://app;
            proxy_next_upstream error timeout http_502 http_503;
        }
    }
}

stream {
    upstream database {
        server 10.0.0.31:5432;
    }
    server {
        listen 5432;
        proxy_pass database;
    }
}
`;

describe.skipIf(!requireTool('nginx') || !requireTool('openssl'))('checkNginx', () => {
  let tls: Record<string, string>;
  beforeAll(async () => {
    const certificate: Certificate = await createSelfSignedCertificate('shop.example.com');
    tls = {
      '/etc/ssl/topoforge/shop.crt': certificate.certificate,
      '/etc/ssl/topoforge/shop.key': certificate.key,
    };
  });

  test('accepts a production nginx.conf with TLS and a stream block, leaving no trace', async () => {
    const varLibBefore = readdirSync('/var/lib/nginx');
    const result = await checkNginx(NGINX_CONF, { extraFiles: tls });
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
    expect(existsSync('/run/nginx.pid')).toBe(false);
    expect(existsSync('/etc/ssl/topoforge')).toBe(false);
    expect(readdirSync('/var/lib/nginx')).toEqual(varLibBefore);
  });

  test('rejects health_check, which only NGINX Plus has', async () => {
    const conf = NGINX_CONF.replace(
      'proxy_pass http://app;',
      'proxy_pass http://app;\n            health_check;',
    );
    const result = await checkNginx(conf, { extraFiles: tls });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('unknown directive "health_check" in /etc/nginx/nginx.conf:');
  });

  test('rejects a certificate that is not there', async () => {
    const result = await checkNginx(NGINX_CONF);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('cannot load certificate "/etc/ssl/topoforge/shop.crt"');
  });

  test('treats a warning as a failure although nginx exits 0', async () => {
    const duplicate = 'server {\n        listen 80;\n        server_name shop.example.com;\n    }\n';
    const conf = NGINX_CONF.replace(
      '    server {\n        listen 443',
      `    ${duplicate}    ${duplicate}    server {\n        listen 443`,
    );
    const result = await checkNginx(conf, { extraFiles: tls });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('[warn]');
    expect(result.output).toContain('conflicting server name "shop.example.com" on 0.0.0.0:80, ignored');
  });
});

const HAPROXY_CFG = `global
    log /dev/log local0
    chroot /var/lib/haproxy
    stats socket /run/haproxy/admin.sock mode 660 level admin
    user haproxy
    group haproxy
    daemon

defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 10.0.0.10:80
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /health
    server app-1 10.0.0.21:8080 check inter 2s fall 3 rise 2
    server app-2 10.0.0.22:8080 check inter 2s fall 3 rise 2
`;

describe.skipIf(!requireTool('haproxy'))('checkHaproxy', () => {
  test('accepts a production haproxy.cfg', async () => {
    const result = await checkHaproxy(HAPROXY_CFG);
    expect(result.output).toBe('Configuration file is valid');
    expect(result.ok).toBe(true);
  });

  test('treats a warning as a failure', async () => {
    const result = await checkHaproxy(HAPROXY_CFG.replace('    timeout client 30s\n', ''));
    expect(result.ok).toBe(false);
    expect(result.output).toContain("missing timeouts for frontend 'web'");
    expect(result.output).toContain("Some warnings were found and 'zero-warning' is set");
  });

  test('rejects a backend name that does not resolve', async () => {
    const result = await checkHaproxy(HAPROXY_CFG.replace('10.0.0.22:8080', 'app-2.invalid:8080'));
    expect(result.ok).toBe(false);
    expect(result.output).toContain("could not resolve address 'app-2.invalid'");
  });
});

const KEEPALIVED_CONF = `global_defs {
    router_id lb-1
    enable_script_security
    script_user root
}

vrrp_script check_haproxy {
    script "/usr/local/lib/topoforge/check-haproxy"
    interval 2
    fall 2
    rise 2
}

vrrp_instance VI_1 {
    state BACKUP
    interface ens18
    virtual_router_id 51
    priority 150
    advert_int 1
    nopreempt
    virtual_ipaddress {
        10.0.0.100/24 dev ens18
    }
    track_script {
        check_haproxy
    }
}
`;

const CHECK_SCRIPT = {
  '/usr/local/lib/topoforge/check-haproxy': { content: '#!/bin/sh\nexec pidof haproxy\n', mode: 0o755 },
};

describe.skipIf(!requireTool('keepalived'))('checkKeepalived', () => {
  test('accepts a config whose interface and check script exist', async () => {
    const result = await checkKeepalived(KEEPALIVED_CONF, ['ens18'], { extraFiles: CHECK_SCRIPT });
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  test('rejects an interface the host does not have', async () => {
    const result = await checkKeepalived(KEEPALIVED_CONF, ['eth0'], { extraFiles: CHECK_SCRIPT });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("interface ens18 for vrrp_instance VI_1 doesn't exist");
  });

  test('rejects a check script that is not there', async () => {
    const result = await checkKeepalived(KEEPALIVED_CONF, ['ens18']);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('Disabling track script check_haproxy since not found/accessible');
  });

  test('rejects nopreempt with initial state MASTER', async () => {
    const result = await checkKeepalived(KEEPALIVED_CONF.replace('state BACKUP', 'state MASTER'), ['ens18'], {
      extraFiles: CHECK_SCRIPT,
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('nopreempt will not work with initial state MASTER');
  });
});

const APP_UNIT = `[Unit]
Description=Topoforge demo application
Documentation=man:topoforge-app(8)
Requires=topoforge-cache.service
After=network-online.target topoforge-cache.service
Wants=network-online.target

[Service]
ExecStart=/usr/local/bin/topoforge-app --port 8080
User=www-data
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
`;

const CACHE_UNIT = `[Unit]
Description=Topoforge demo cache

[Service]
ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd
Type=notify
`;

const HARDENING = `NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
CapabilityBoundingSet=
SystemCallArchitectures=native
SystemCallFilter=@system-service
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
`;

describe.skipIf(!requireTool('systemd-analyze'))('verifySystemdUnits', () => {
  test('accepts a unit beside its dependency, stubbing the program that is not installed', async () => {
    const result = await verifySystemdUnits({
      'topoforge-app.service': APP_UNIT,
      'topoforge-cache.service': CACHE_UNIT,
      'haproxy.service.d/10-topoforge.conf': '[Service]\nLimitNOFILE=65536\n',
    });
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
    expect(result.stubbed).toEqual(['/usr/local/bin/topoforge-app']);
  });

  test('rejects an unknown key, although systemd-analyze exits 0', async () => {
    const result = await verifySystemdUnits({
      'topoforge-app.service': APP_UNIT.replace('RestartSec=2', 'RestartSecs=2'),
      'topoforge-cache.service': CACHE_UNIT,
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("Unknown key 'RestartSecs' in section [Service], ignoring.");
  });

  test('rejects a dependency that is neither given nor installed', async () => {
    const result = await verifySystemdUnits({ 'topoforge-app.service': APP_UNIT });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('Unit topoforge-cache.service not found.');
  });

  test('rejects a bad value in a drop-in for an installed unit', async () => {
    const result = await verifySystemdUnits({
      'haproxy.service.d/10-topoforge.conf': '[Service]\nLimitNOFILE=lots\n',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain(
      '/etc/systemd/system/haproxy.service.d/10-topoforge.conf:2: Failed to parse resource value, ignoring: lots',
    );
  });

  test('rejects a program that is missing when stubbing is off', async () => {
    const result = await verifySystemdUnits(
      { 'topoforge-app.service': APP_UNIT, 'topoforge-cache.service': CACHE_UNIT },
      { stubMissingExecutables: false },
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain(
      'Command /usr/local/bin/topoforge-app is not executable: No such file or directory',
    );
  });

  test('scores a hardened unit as less exposed than a bare one', async () => {
    const bare = await systemdSecurityScore('topoforge-app.service', APP_UNIT);
    const hardened = await systemdSecurityScore(
      'topoforge-app.service',
      APP_UNIT.replace('RestartSec=2\n', `RestartSec=2\n${HARDENING}`),
    );
    expect(bare).toBeGreaterThan(8);
    expect(hardened).toBeLessThan(4);
  });
});

const REDIS_CONF = `bind 10.0.0.41 127.0.0.1
port 6379
daemonize yes
supervised systemd
pidfile /run/redis/redis-server.pid
logfile /var/log/redis/redis-server.log
dir /var/lib/redis
requirepass lab-secret
masterauth lab-secret
maxmemory 64mb
maxmemory-policy allkeys-lru
appendonly yes
`;

describe.skipIf(!requireTool('redis-server'))('startRedis', () => {
  test('starts a production redis.conf on a throwaway copy', async () => {
    const start = await startRedis(REDIS_CONF);
    expect(start.ok, start.output).toBe(true);
    const server = requireStarted(start);
    expect(
      await server.command('--no-auth-warning', '-a', 'lab-secret', 'CONFIG', 'GET', 'maxmemory-policy'),
    ).toBe('maxmemory-policy\nallkeys-lru');
    await server.stop();
  });

  test('rejects a misspelt directive with FATAL CONFIG FILE ERROR', async () => {
    const start = await startRedis(REDIS_CONF.replace('maxmemory-policy', 'maxmemory-polcy'));
    expect(start.ok).toBe(false);
    expect(start.output).toContain('*** FATAL CONFIG FILE ERROR');
    expect(start.output).toContain(">>> 'maxmemory-polcy allkeys-lru'");
    expect(start.output).toContain('Bad directive or wrong number of arguments');
  });
});

const SENTINEL_CONF = `port 26379
sentinel monitor cache 10.0.0.41 6379 2
sentinel auth-pass cache lab-secret
sentinel down-after-milliseconds cache 1000
sentinel failover-timeout cache 10000
sentinel parallel-syncs cache 1
`;

describe.skipIf(!requireTool('redis-sentinel'))('startSentinel', () => {
  test('starts Sentinel on a copy, which it rewrites', async () => {
    const sentinel = requireStarted(await startSentinel(SENTINEL_CONF));
    expect(await sentinel.command('SENTINEL', 'get-master-addr-by-name', 'cache')).toBe('10.0.0.41\n6379');
    expect(sentinel.readConfig()).toContain('sentinel myid ');
  });

  test('rejects a monitor line without its quorum', async () => {
    const start = await startSentinel(SENTINEL_CONF.replace(' 6379 2', ' 6379'));
    expect(start.ok).toBe(false);
    expect(start.output).toContain('*** FATAL CONFIG FILE ERROR');
    expect(start.output).toContain('Unrecognized sentinel configuration statement.');
  });
});
