/**
 * The haproxy.cfg of one host, built from the design: frontends, backends and their servers.
 */
import { mainPortOf } from '../../model';
import type { BalancerService, Host, Listener } from '../../model';
import { balancerFileHeader, balancerRoutes, balancersOn, hostAndPort, servesIpv6 } from '../context';
import type { Backend } from '../context';
import { commentText, haproxyValue } from '../quote';
import { HAPROXY_SETTINGS, haproxyBalanceOf } from './view';
import type {
  HaproxyBackend,
  HaproxyFrontend,
  HaproxyProxy,
  HaproxyServer,
  HaproxyStats,
  HaproxyView,
} from './view';
import { buildStats } from './stats';
import { certificateOf } from './tls';
import type { KeyNaming } from './tls';
import type { DesignIndex } from '../../design-index';

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
    balance: haproxyBalanceOf(listener.protocol),
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

function bindAddress(port: number, dualStack: boolean): string {
  return dualStack ? `:::${port} v4v6` : `:${port}`;
}

/** `5s` for whole seconds, else `2500ms`. */
function duration(milliseconds: number): string {
  return milliseconds % 1000 === 0 ? `${milliseconds / 1000}s` : `${milliseconds}ms`;
}
