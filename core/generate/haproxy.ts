/**
 * HAProxy configs: one `/etc/haproxy/haproxy.cfg` per host that runs a `haproxy` service, with a
 * frontend and a backend per listener (mode http for http/https, tcp for tcp) and the statistics
 * page where the design asks for it.
 *
 * Failover defaults: health checks at the app's interval, and `observe layer4` marks a server
 * down on the first connection it refuses, so the survivor takes all traffic within a request
 * rather than after three failed checks (about 6 s with the stock `inter 2s fall 3`). A request
 * whose connection failed is dispatched again to another server; an idempotent one is also
 * retried when the server drops it or answers 502, 503 or 504.
 */
import { HAPROXY } from '../daemons';
import type { DesignIndex } from '../design-index';
import { authenticates, mainPortOf } from '../model';
import type { BalancerService, Host, Listener } from '../model';
import type { BundleFile } from './bundle';
import {
  balancerConfigFiles,
  balancerFileHeader,
  balancerRoutes,
  balancersOn,
  hostAndPort,
  secretScopeOf,
  servesIpv6,
} from './context';
import type { Backend, Generator } from './context';
import { commentText, haproxyValue, systemdText } from './quote';
import { renderTemplate } from './render';
import type { CheckedSecrets, SecretFile, SecretRender } from './secrets';

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
    // A host that is gone (no RST) costs this long before the request moves on.
    { name: 'connect', value: '2s' },
    { name: 'client', value: '30s' },
    { name: 'server', value: '30s' },
    { name: 'http-request', value: '10s' },
    { name: 'http-keep-alive', value: '10s' },
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

/** The user of an exposed statistics page. */
export const STATS_USER = 'admin';

/** Where systemd reads the statistics passwords from: a drop-in of Debian's haproxy.service. */
export const STATS_DROP_IN = '/etc/systemd/system/haproxy.service.d/topoforge-stats.conf';

/** How a changed statistics password (or its drop-in) is applied: a reload keeps the old environment. */
export const STATS_RELOAD = 'systemctl restart haproxy';

/** A statistics page that asks for a password: exposed beyond loopback, and `auth` not false. */
function authenticatedStats(service: BalancerService): boolean {
  return service.stats?.expose === true && authenticates(service);
}

/** The environment variable holding the statistics password of a service: ids are a-z, 0-9 and "-". */
export function statsPasswordVariable(service: BalancerService): string {
  return `TOPOFORGE_STATS_PASSWORD_${service.id.toUpperCase().replace(/-/g, '_')}`;
}

/** The environment file, a secret file that push creates, holding that variable. */
export function statsEnvironmentFile(service: BalancerService): string {
  return `/etc/haproxy/stats-${service.id}.env`;
}

/** Files of every HAProxy in the design: one haproxy.cfg per host that runs HAProxy. */
export const generateHaproxy: Generator = ({ index }) => [
  ...balancerConfigFiles(index, {
    kind: 'haproxy',
    path: HAPROXY.configPath,
    mode: HAPROXY.mode,
    check: HAPROXY.check,
    reload: HAPROXY.reload,
    render: (host) => renderTemplate('haproxy/haproxy.cfg', buildHaproxyView(index, host)),
  }),
  ...statsDropIns(index),
];

/** Services whose exposed statistics page asks for a password, per host, in design order. */
function authenticatedStatsOn(index: DesignIndex, host: Host): BalancerService[] {
  return balancersOn(index, host, 'haproxy').filter(authenticatedStats);
}

/**
 * On each host with an exposed, authenticated statistics page: a systemd drop-in that makes
 * haproxy.service read the environment files holding their passwords. A missing file stops HAProxy
 * from starting, which says what is wrong, rather than serving the page without a password.
 */
function statsDropIns(index: DesignIndex): BundleFile[] {
  return index.design.hosts.flatMap((host): BundleFile[] => {
    const services = authenticatedStatsOn(index, host);
    if (services.length === 0) return [];
    const lines = [
      `# Generated by Topoforge from the design "${commentText(index.design.name)}".`,
      '# The passwords of the exposed HAProxy statistics pages on this host: environment files that push',
      '# creates (never in the bundle), readable by root only. A reload keeps the old ones: restart.',
      '[Service]',
      ...services.map((service) => `EnvironmentFile=${systemdText(statsEnvironmentFile(service))}`),
    ];
    return [
      {
        host: host.id,
        path: STATS_DROP_IN,
        content: `${lines.join('\n')}\n`,
        mode: '0644',
        reload: STATS_RELOAD,
        policy: 'replace',
      },
    ];
  });
}

/** The password file of every exposed, authenticated statistics page. */
export function haproxySecretFiles(index: DesignIndex): SecretFile[] {
  return index.design.hosts.flatMap((host) =>
    authenticatedStatsOn(index, host).map((service): SecretFile => ({
      host: host.id,
      path: statsEnvironmentFile(service),
      // systemd reads it as root before HAProxy starts; HAProxy never opens it.
      owner: 'root:root',
      mode: '0400',
      scope: secretScopeOf(service),
      service: service.id,
      secrets: ['haproxy-stats'],
      render: { kind: 'haproxy-stats', variable: statsPasswordVariable(service) },
      reload: STATS_RELOAD,
    })),
  );
}

/** The environment file of a statistics page: one `VARIABLE=password` line for systemd. */
export function renderHaproxyStatsEnvironment(
  render: Extract<SecretRender, { kind: 'haproxy-stats' }>,
  secrets: CheckedSecrets,
): string {
  if (!/^[A-Z][A-Z0-9_]*$/.test(render.variable))
    throw new Error(`${render.variable} is not a variable name`);
  return `${render.variable}=${secrets.sent('haproxy-stats')}\n`;
}

/**
 * The view model of the haproxy.cfg of `host`. Every HAProxy service on the host shares the file,
 * in design order, its sections named `<service>-<port>`; a port is served by the first listener
 * (or statistics page) that claims it, and a later one on the same port (which
 * `net.port-conflict` reports) is left out with a comment.
 */
export function buildHaproxyView(index: DesignIndex, host: Host): HaproxyView {
  const services = balancersOn(index, host, 'haproxy');
  const { header, claim } = balancerFileHeader(index);
  const proxies: HaproxyProxy[] = [];
  const stats: HaproxyStats[] = [];
  const keyNames = new Set<KeyNaming>();
  const appendedKeys: string[] = [];

  for (const service of services) {
    header.push(describeService('HAProxy', service));
    const dualStack = servesIpv6(index, service, host);
    for (const { listener, backends } of balancerRoutes(index, service)) {
      const where = `${commentText(service.id)} ${listener.port}/${listener.protocol}`;
      if (!claim(listener.port, where)) continue;
      const comments = [where];
      let tls: string | undefined;
      if (listener.protocol === 'https') {
        const certificate = certificateOf(service);
        keyNames.add(certificate.naming);
        if (certificate.naming === 'appended') appendedKeys.push(commentText(service.tls?.key ?? ''));
        if (certificate.note !== undefined) comments.push(certificate.note);
        tls = certificate.path;
      }
      if (backends.length === 0) {
        comments.push(
          listener.protocol === 'tcp'
            ? 'No traffic link gives it a backend: connections are closed.'
            : 'No traffic link gives it a backend: requests are answered 503.',
        );
      }
      const name = haproxyValue(`${service.id}-${listener.port}`);
      const backend = buildBackend(name, listener, backends, comments);
      proxies.push({ comments, frontend: buildFrontend(name, listener, dualStack, tls), backend });
    }
    const statsPage = `${commentText(service.id)} statistics page`;
    if (service.stats !== undefined && claim(service.stats.port, statsPage)) {
      stats.push(buildStats(service, service.stats, host, statsPage));
    }
  }

  if (keyNames.has('replaced')) {
    for (const key of appendedKeys) {
      header.push(
        `HAProxy cannot read ${key}: another certificate here needs ssl-load-extra-del-ext, which drops ` +
          "the certificate's extension before adding .key.",
      );
    }
  }
  return {
    header,
    global: {
      logTarget: HAPROXY_SETTINGS.logTarget,
      chroot: HAPROXY_SETTINGS.chroot,
      adminSocket: HAPROXY_SETTINGS.adminSocket,
      user: HAPROXY_SETTINGS.user,
      group: HAPROXY_SETTINGS.group,
      tlsCiphers: HAPROXY_SETTINGS.tlsCiphers,
      tlsCiphersuites: HAPROXY_SETTINGS.tlsCiphersuites,
      tlsOptions: HAPROXY_SETTINGS.tlsOptions,
      keyReplacesCertificateExtension: keyNames.has('replaced'),
      maxConnections: HAPROXY_SETTINGS.maxConnections,
      tlsSessionCache: HAPROXY_SETTINGS.tlsSessionCache,
    },
    defaults: {
      retries: HAPROXY_SETTINGS.retries,
      httpReuse: HAPROXY_SETTINGS.httpReuse,
      timeouts: HAPROXY_SETTINGS.timeouts,
      defaultServer: HAPROXY_SETTINGS.defaultServer,
    },
    proxies,
    stats,
  };
}

/**
 * A statistics page: on loopback only by default (reach it through an SSH tunnel); exposed, also on
 * the host's address and behind a password, which HAProxy reads from the environment.
 */
function buildStats(
  service: BalancerService,
  page: NonNullable<BalancerService['stats']>,
  host: Host,
  statsPage: string,
): HaproxyStats {
  const loopback = hostAndPort('127.0.0.1', page.port);
  const exposed = page.expose === true;
  const reason = service.authReason === undefined ? '' : `: ${commentText(service.authReason)}`;
  const comments = [`${statsPage} (read-only)`];
  if (!exposed) {
    comments.push('On loopback only: reach it through an SSH tunnel, or set stats.expose in the design.');
  } else if (authenticatedStats(service)) {
    comments.push(
      `Exposed on ${commentText(host.address)}, behind the user ${STATS_USER} and a password that systemd reads from`,
      `${statsEnvironmentFile(service)} (a secret file push creates). Without it the page answers 503.`,
    );
  } else {
    comments.push(`Exposed on ${commentText(host.address)} without a password (auth: false)${reason}.`);
  }
  const variable = statsPasswordVariable(service);
  return {
    name: haproxyValue(`${service.id}-stats`),
    comments,
    binds:
      exposed && host.address !== '127.0.0.1'
        ? [loopback, haproxyValue(hostAndPort(host.address, page.port))]
        : [loopback],
    refresh: HAPROXY_SETTINGS.statsRefresh,
    auth: authenticatedStats(service) ? { variable, credentials: `"${STATS_USER}:\${${variable}}"` } : null,
  };
}

function describeService(kind: string, service: BalancerService): string {
  const id = commentText(service.id);
  return service.label === undefined ? `${kind} ${id}.` : `${kind} ${id}: ${commentText(service.label)}`;
}

function buildFrontend(
  name: string,
  listener: Listener,
  dualStack: boolean,
  certificate: string | undefined,
): HaproxyFrontend {
  const tls = certificate === undefined ? '' : ` ssl crt ${certificate} alpn h2,http/1.1`;
  const http = listener.protocol !== 'tcp';
  return {
    name,
    binds: [`${bindAddress(listener.port, dualStack)}${tls}`],
    mode: http ? 'http' : 'tcp',
    log: http ? 'httplog' : 'tcplog',
    http: http ? { forwardedProto: listener.protocol === 'https' ? 'https' : 'http' } : false,
  };
}

/**
 * The backend of a listener. HTTP listeners balance round-robin and check over HTTP when an app
 * behind them has a health check (one path per backend: the first app's; a server whose app has
 * none is probed on its traffic port, which speaks HTTP here). tcp listeners balance by least
 * connections (their sessions are long) and check over HTTP only when every app names its
 * health-check port: on the traffic port a pass-through backend may speak TLS or anything else,
 * and a plain HTTP probe there would mark every server down.
 */
function buildBackend(
  name: string,
  listener: Listener,
  backends: Backend[],
  comments: string[],
): HaproxyBackend {
  const http = listener.protocol !== 'tcp';
  const httpChecked = http
    ? backends.some((backend) => backend.healthCheck !== undefined)
    : backends.length > 0 && backends.every((backend) => backend.healthCheck?.port !== undefined);
  const checked = backends.find((backend) => backend.healthCheck !== undefined);
  let healthCheck: HaproxyBackend['healthCheck'] = false;
  if (httpChecked && checked?.healthCheck !== undefined) {
    const path = checked.healthCheck.path;
    healthCheck = { request: `meth GET uri ${haproxyValue(path)}`, expectStatus: 200 };
    const others = backends.filter(
      (backend) => backend.healthCheck !== undefined && backend.healthCheck.path !== path,
    );
    if (others.length > 0) {
      comments.push(
        `HAProxy checks one path per backend: ${others.map((backend) => commentText(backend.service.id)).join(', ')} ` +
          `are checked at ${commentText(path)} too.`,
      );
    }
  } else if (!http && checked !== undefined) {
    comments.push(
      'Connect-only checks: not every health check names its port, and the pass-through port need not speak HTTP.',
    );
  }
  return {
    name,
    mode: http ? 'http' : 'tcp',
    balance: http ? 'roundrobin' : 'leastconn',
    allBackups: backends.filter((backend) => backend.backup).length > 1,
    healthCheck,
    retry: http
      ? { on: HAPROXY_SETTINGS.retryOn, idempotentMethods: HAPROXY_SETTINGS.idempotentMethods }
      : false,
    servers: uniqueNames(backends).map(([serverName, backend]) =>
      buildServer(serverName, backend, healthCheck !== false, http),
    ),
  };
}

function buildServer(name: string, backend: Backend, httpChecked: boolean, http: boolean): HaproxyServer {
  const intervalMs = backend.healthCheck?.intervalMs ?? HAPROXY_SETTINGS.defaultIntervalMs;
  const options = ['check'];
  const checkPort =
    httpChecked && backend.healthCheck !== undefined
      ? (backend.healthCheck.port ?? mainPortOf(backend.service) ?? backend.port)
      : backend.port;
  if (checkPort !== backend.port) options.push('port', String(checkPort));
  options.push(
    'inter',
    duration(intervalMs),
    'fastinter',
    duration(Math.min(intervalMs, HAPROXY_SETTINGS.fastIntervalMs)),
  );
  // A dead pass-through server's sessions would otherwise hang until their idle timeout.
  if (!http) options.push('on-marked-down', 'shutdown-sessions');
  if (backend.backup) options.push('backup');
  return { name, address: haproxyValue(hostAndPort(backend.host.address, backend.port)), options };
}

/** Server names: the service id, with the port appended when one service serves twice. */
function uniqueNames(backends: Backend[]): [string, Backend][] {
  return backends.map((backend) => {
    const twice = backends.filter((other) => other.service.id === backend.service.id).length > 1;
    return [haproxyValue(twice ? `${backend.service.id}-${backend.port}` : backend.service.id), backend];
  });
}

/** How the key file of a certificate is named. */
type KeyNaming = 'inside' | 'appended' | 'replaced';

/**
 * Where HAProxy finds the certificate and key of an https listener. HAProxy 2.6 has no key path
 * on a bind line: it reads the key from the certificate file itself, or from `<cert>.key`, or
 * (with `ssl-load-extra-del-ext`) from the certificate's name with its extension replaced by
 * `.key`. A key anywhere else cannot be read, which the note says.
 */
/**
 * The files an HAProxy service serves TLS with, as paths on its host: the certificate, and its key
 * when HAProxy reads it from a file of its own (`key` unset: the key is inside the certificate
 * file). Push checks they exist (core/prerequisites.ts).
 */
export function haproxyCertificateFiles(service: BalancerService): { certificate: string; key?: string } {
  if (service.tls === undefined) return { certificate: defaultCertificatePath(service) };
  const naming = certificateOf(service).naming;
  return naming === 'inside'
    ? { certificate: service.tls.cert }
    : { certificate: service.tls.cert, key: service.tls.key };
}

function defaultCertificatePath(service: BalancerService): string {
  return `/etc/haproxy/tls/${service.id}.pem`;
}

function certificateOf(service: BalancerService): { path: string; naming: KeyNaming; note?: string } {
  if (service.tls === undefined) {
    const path = defaultCertificatePath(service);
    return {
      path: haproxyValue(path),
      naming: 'inside',
      note: `The design sets no tls: place the certificate and its key in ${commentText(path)}.`,
    };
  }
  const { cert, key } = service.tls;
  const path = haproxyValue(cert);
  if (key === `${cert}.key`) return { path, naming: 'appended' };
  const stem = cert.replace(/\.[^./]*$/, '');
  if (stem !== cert && key === `${stem}.key`) return { path, naming: 'replaced' };
  return {
    path,
    naming: 'inside',
    note:
      `HAProxy cannot read a key from ${commentText(key)}: append the key to ${commentText(cert)}, ` +
      `or move it to ${commentText(stem)}.key.`,
  };
}

function bindAddress(port: number, dualStack: boolean): string {
  return dualStack ? `:::${port} v4v6` : `:${port}`;
}

/** `5s` for whole seconds, else `2500ms`. */
function duration(milliseconds: number): string {
  return milliseconds % 1000 === 0 ? `${milliseconds / 1000}s` : `${milliseconds}ms`;
}
