/**
 * The view model of a haproxy.cfg, and the settings every generated one shares.
 */

import type { ListenProtocol } from '../../model';

/**
 * How a backend picks a server: round-robin for HTTP listeners; by least connections for tcp
 * ones, whose sessions are long. With least connections a server whose connection hangs (its host
 * is gone) is not picked again while the others have fewer, which is why its recovery differs
 * (core/recovery/mechanisms.ts).
 */
export function haproxyBalanceOf(protocol: ListenProtocol): 'roundrobin' | 'leastconn' {
  return protocol === 'tcp' ? 'leastconn' : 'roundrobin';
}

/** Settings every generated haproxy.cfg shares; the design says nothing about them. */
export const HAPROXY_SETTINGS = {
  /** Debian's paths and accounts, so the file drops into the distribution's package. */
  logTarget: '/dev/log',
  chroot: '/var/lib/haproxy',
  adminSocket: '/run/haproxy/admin.sock',
  user: 'haproxy',
  group: 'haproxy',
  /** Mozilla's intermediate profile. */
  tlsCiphers:
    'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:' +
    'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:' +
    'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384',
  tlsCiphersuites: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
  tlsOptions: 'ssl-min-ver TLSv1.2 no-tls-tickets',
  /**
   * With tickets off, the session cache is what lets a returning client resume its TLS session
   * instead of a full handshake: about 40,000 sessions (200 bytes a block, 8 MB) kept for a day,
   * as the nginx generator's 10 MB shared cache and Mozilla's one-day session timeout.
   */
  tlsSessionCache: { size: 40_000, lifetime: '1d' },
  /**
   * Connections at once, for the whole process: beyond them clients wait in the kernel's accept
   * queue rather than HAProxy growing without bound (about 33 KB of buffers each at worst, 270 MB
   * here). HAProxy raises its own file limit to twice this and a little more when it starts as
   * root, which the hard limit of its unit allows (524,288 under systemd), and fails to start
   * where it cannot; without a value it would derive one from whatever limit it inherits.
   */
  maxConnections: 8192,
  /**
   * Idle connections to the servers are shared between client connections (HAProxy's default,
   * written out): a client's second and later requests reuse them, while its first always gets a
   * connection of its own, so a server that closes an idle connection just as it is reused never
   * costs a request that cannot be retried.
   */
  httpReuse: 'safe',
  /** Connection attempts after the first; `option redispatch 1` sends each to another server. */
  retries: 3,
  timeouts: [
    // A host that is gone (no RST) costs this long before the request moves on, so it is short:
    // on a LAN a connection is set up in well under a millisecond, and a lost SYN costs a retry
    // on another server (`retries`, `option redispatch 1`), not a failed request.
    { name: 'connect', value: '1s' },
    { name: 'client', value: '30s' },
    { name: 'server', value: '30s' },
    { name: 'http-request', value: '10s' },
    { name: 'http-keep-alive', value: '10s' },
    // Written out: without it HAProxy would take the connect timeout as the queue timeout.
    { name: 'queue', value: '10s' },
    // Established tcp sessions and WebSockets (SSH, agent streams) may idle for long.
    { name: 'tunnel', value: '1h' },
  ],
  /**
   * `init-addr last,libc,none`: HAProxy starts even when a backend's name does not resolve yet
   * (that server stays down). `observe layer4 … mark-down`: the first refused or timed-out
   * connection marks the server down at once, instead of waiting for three failed checks.
   */
  defaultServer: 'init-addr last,libc,none fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down',
  /** Check interval when the app's health check sets none: HAProxy's own default. */
  defaultIntervalMs: 2000,
  /** Interval while a server is between up and down, so the verdict comes quickly. */
  fastIntervalMs: 500,
  /** When an idempotent request is sent again (to another server, with redispatch). */
  retryOn: 'conn-failure empty-response junk-response response-timeout 0rtt-rejected 502 503 504',
  /** RFC 9110's idempotent methods; every other request is retried only when it never left. */
  idempotentMethods: 'GET HEAD OPTIONS TRACE PUT DELETE',
  statsRefresh: '10s',
} as const;

/** The view model of one haproxy.cfg: every value final and quoted for HAProxy. */
export interface HaproxyView {
  /** Comment lines at the top, without their `#`. */
  header: string[];
  global: HaproxyGlobal;
  defaults: HaproxyDefaults;
  proxies: HaproxyProxy[];
  stats: HaproxyStats[];
}

/** The `global` section. */
export interface HaproxyGlobal {
  logTarget: string;
  chroot: string;
  adminSocket: string;
  user: string;
  group: string;
  tlsCiphers: string;
  tlsCiphersuites: string;
  tlsOptions: string;
  /**
   * `ssl-load-extra-del-ext`: find the key of `name.crt` in `name.key` rather than `name.crt.key`.
   * HAProxy 2.6 takes no key path on a bind line; it reads the key from the certificate file or
   * from a file named after it.
   */
  keyReplacesCertificateExtension: boolean;
  maxConnections: number;
  tlsSessionCache: { size: number; lifetime: string };
}

/** The `defaults` section. */
export interface HaproxyDefaults {
  retries: number;
  httpReuse: string;
  timeouts: readonly { name: string; value: string }[];
  defaultServer: string;
}

/** A frontend for one listener and the backend it sends to. */
export interface HaproxyProxy {
  /** Comment lines above the pair. */
  comments: string[];
  frontend: HaproxyFrontend;
  backend: HaproxyBackend;
}

/** A `frontend` section. */
export interface HaproxyFrontend {
  name: string;
  /** Arguments of each `bind` line. */
  binds: string[];
  mode: 'http' | 'tcp';
  log: 'httplog' | 'tcplog';
  /** HTTP only: how the backends learn the client's scheme. */
  http: { forwardedProto: 'http' | 'https' } | false;
}

/** A `backend` section. */
export interface HaproxyBackend {
  name: string;
  mode: 'http' | 'tcp';
  balance: 'roundrobin' | 'leastconn';
  /** Spread over every backup once the primaries are down, as nginx does, not just the first. */
  allBackups: boolean;
  /** An HTTP health check, or false for a connect-only (layer 4) check. */
  healthCheck: { request: string; expectStatus: number } | false;
  /** HTTP only: layer-7 retries for idempotent requests. */
  retry: { on: string; idempotentMethods: string } | false;
  servers: HaproxyServer[];
}

/** A `server` line. */
export interface HaproxyServer {
  name: string;
  /** `address:port`, IPv6 in brackets. */
  address: string;
  options: string[];
}

/** The statistics page of a service. */
export interface HaproxyStats {
  name: string;
  comments: string[];
  binds: string[];
  refresh: string;
  /**
   * `stats auth` of an exposed page: its argument, a password HAProxy reads from the environment
   * (`"admin:${VARIABLE}"`), and the variable that must be set, else the page answers 503.
   */
  auth: { variable: string; credentials: string } | null;
}
