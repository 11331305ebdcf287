/**
 * nginx configs: one `/etc/nginx/nginx.conf` per host that runs an `nginx` service, holding the
 * whole file (no stock includes), with an `http` upstream per http/https listener and a `stream`
 * upstream per tcp listener.
 *
 * Open-source nginx has no active health checks (`health_check` is NGINX Plus only), so failover
 * is passive: a server that fails `max_fails` times within `fail_timeout` is left out for
 * `fail_timeout`, and `proxy_next_upstream` hands the failed attempt of an idempotent request to
 * the next server, so clients do not see the failure.
 */
import { NGINX } from '../daemons';
import type { DesignIndex } from '../design-index';
import { mainPortOf } from '../model';
import type { BalancerService, Host, ListenProtocol } from '../model';
import {
  balancerConfigFiles,
  balancerFileHeader,
  balancerRoutes,
  balancersOn,
  hostAndPort,
  servesIpv6,
} from './context';
import type { Backend, Generator } from './context';
import { commentText, nginxValue } from './quote';
import { renderTemplate } from './render';

/** Connections a worker may hold, client and backend sides together. */
const WORKER_CONNECTIONS = 4096;

/** Settings every generated nginx.conf shares; the design says nothing about them. */
export const NGINX_SETTINGS = {
  /** Debian's paths, so the file drops into the distribution's package and its systemd unit. */
  user: 'www-data',
  pidFile: '/run/nginx.pid',
  errorLog: '/var/log/nginx/error.log',
  accessLog: '/var/log/nginx/access.log',
  /** Only loaded when a tcp listener needs `stream`; Debian ships it as libnginx-mod-stream. */
  streamModule: '/usr/lib/nginx/modules/ngx_stream_module.so',
  /**
   * Connections per worker, client and backend sides together (a proxied request holds one of
   * each, an idle kept-alive backend connection one), and the worker's file limit: twice as many,
   * so the connection limit is always reached first, with room left for logs and certificates.
   */
  workerConnections: WORKER_CONNECTIONS,
  fileLimit: WORKER_CONNECTIONS * 2,
  /**
   * The access log is written in 64 KB batches, at least once a second, instead of one write per
   * request (the log module's `buffer` and `flush`).
   */
  accessLogBuffering: 'buffer=64k flush=1s',
  /**
   * The share of a worker's connections that may sit idle, kept open to the backends for the next
   * requests (the upstream module's `keepalive`), split evenly among the file's http upstreams.
   * Without them nginx opens a new TCP connection to a backend for every request: half the
   * throughput, and under load the ephemeral ports run out. A cache smaller than the requests in
   * flight still reopens connections: measured with 64 clients on 2 workers, 16 per worker
   * reopened one for every second request, 32 for one in five, 64 almost never.
   */
  idleShare: 0.5,
  /**
   * How long an idle backend connection is kept: below the 5 s after which Node.js, Apache httpd
   * and uvicorn close theirs, so nginx closes first and never sends a request down a connection
   * the backend is closing (a POST lost that way is not retried).
   */
  upstreamKeepaliveTimeout: '4s',
  /** Failures within `fail_timeout` before a server is left out (the Tessera seed's 3). */
  maxFails: 3,
  /**
   * Shared memory for each upstream's state (the upstream module's `zone`). Without it every
   * worker process counts `max_fails` on its own, so a worker that gets few of the requests keeps
   * sending them to a dead server long after the others left it out: measured in the rehearsal
   * lab, a Tessera node lost interrupted clients for 3.8 s instead of the 2 s connect timeout.
   * 64 KB holds the state of hundreds of servers; nginx refuses less than 8 memory pages.
   */
  upstreamZoneSize: '64k',
  /** `fail_timeout` when the backend's health check sets no interval: nginx's own default. */
  defaultFailTimeoutMs: 10_000,
  /**
   * A connection to a host that is gone (no RST) waits this long before the next server is tried:
   * nginx's 60 s default would stall every request that lands there.
   */
  connectTimeout: '2s',
  /**
   * When an http request moves to the next server. nginx never passes on a non-idempotent
   * request (POST, LOCK, PATCH) once it was sent, unless `non_idempotent` is listed: it is not.
   */
  nextUpstream: 'error timeout invalid_header http_502 http_503 http_504',
  /** Idle limit of a proxied tcp session; SSH and agent streams stay open for long. */
  streamTimeout: '1h',
  /** Mozilla's intermediate profile. */
  tlsProtocols: 'TLSv1.2 TLSv1.3',
  /**
   * How long a client may resume its TLS session from the workers' shared cache instead of a full
   * handshake: Mozilla's intermediate profile, which also turns session tickets off (nginx keeps
   * the ticket key until a restart, which weakens forward secrecy).
   */
  tlsSessionTimeout: '1d',
} as const;

/** Headers that tell the backends who the client was and how it connected. */
const FORWARDED_HEADERS: readonly NginxHeader[] = [
  { name: 'Host', value: '$host' },
  { name: 'X-Real-IP', value: '$remote_addr' },
  { name: 'X-Forwarded-For', value: '$proxy_add_x_forwarded_for' },
  { name: 'X-Forwarded-Proto', value: '$scheme' },
];

/** The view model of one nginx.conf: every value final and quoted for nginx. */
export interface NginxView {
  /** Comment lines at the top, without their `#`. */
  header: string[];
  /** `load_module` paths. */
  modules: string[];
  user: string;
  fileLimit: number;
  pidFile: string;
  errorLog: string;
  workerConnections: number;
  http: NginxHttpBlock | false;
  stream: NginxStreamBlock | false;
}

/** A header set on proxied requests. */
export interface NginxHeader {
  name: string;
  value: string;
}

/** The `http` block. */
export interface NginxHttpBlock {
  /** The log's path and how it is buffered: `path combined buffer=… flush=…`. */
  accessLog: string;
  connectTimeout: string;
  nextUpstream: string;
  headers: readonly NginxHeader[];
  tlsProtocols: string;
  tlsSessionTimeout: string;
  upstreams: NginxUpstream[];
  servers: NginxHttpServer[];
}

/** The `stream` block. */
export interface NginxStreamBlock {
  connectTimeout: string;
  timeout: string;
  upstreams: NginxUpstream[];
  servers: NginxStreamServer[];
}

/** An `upstream` block. */
export interface NginxUpstream {
  name: string;
  /** Comment lines above it: which balancer and listener it serves, how its health is judged. */
  comments: string[];
  servers: NginxUpstreamServer[];
  /** `name size`: the shared memory the workers keep the upstream's state in. */
  zone: string;
  /** http only: idle connections kept open to the servers, and for how long. */
  keepalive: NginxKeepalive | false;
}

/** Idle connections to an upstream's servers that each worker keeps open, and for how long. */
export interface NginxKeepalive {
  connections: number;
  timeout: string;
}

/**
 * What each http upstream of a file keeps alive: together, at most {@link NGINX_SETTINGS}'s
 * `idleShare` of a worker's connections, so idle backend connections never crowd out clients.
 */
function keepaliveOf(httpUpstreams: number): NginxKeepalive {
  const idle = NGINX_SETTINGS.workerConnections * NGINX_SETTINGS.idleShare;
  return {
    connections: Math.max(1, Math.floor(idle / Math.max(1, httpUpstreams))),
    timeout: NGINX_SETTINGS.upstreamKeepaliveTimeout,
  };
}

/** A `server` line of an upstream. */
export interface NginxUpstreamServer {
  /** `address:port`, IPv6 in brackets. */
  address: string;
  /** `max_fails=3`, `fail_timeout=5s`, `backup`. */
  parameters: string[];
  /** The backend service's id. */
  comment: string;
}

/** A `server` block of the `http` block. */
export interface NginxHttpServer {
  comment: string;
  /** Arguments of each `listen` line. */
  listen: string[];
  serverName: string | false;
  tls: { certificate: string; key: string } | false;
  /** `http://<upstream>`, or false to answer 503: the listener has no backends. */
  proxyPass: string | false;
}

/** A `server` block of the `stream` block. */
export interface NginxStreamServer {
  comment: string;
  listen: string[];
  upstream: string;
}

/** Files of every nginx in the design: one nginx.conf per host that runs nginx. */
export const generateNginx: Generator = ({ index }) =>
  balancerConfigFiles(index, {
    kind: 'nginx',
    path: NGINX.configPath,
    mode: NGINX.mode,
    check: NGINX.check,
    reload: NGINX.reload,
    render: (host) => renderTemplate('nginx/nginx.conf', buildNginxView(index, host)),
  });

/**
 * The view model of the nginx.conf of `host`. Every nginx service on the host shares the file, in
 * design order; a port is served by the first listener that claims it, and a later listener on
 * the same port (which `net.port-conflict` reports) is left out with a comment, because nginx
 * would refuse or ignore it.
 */
export function buildNginxView(index: DesignIndex, host: Host): NginxView {
  const services = balancersOn(index, host, 'nginx');
  const { header, claim } = balancerFileHeader(index);
  const http: NginxHttpBlock = {
    accessLog: `${NGINX_SETTINGS.accessLog} combined ${NGINX_SETTINGS.accessLogBuffering}`,
    connectTimeout: NGINX_SETTINGS.connectTimeout,
    nextUpstream: NGINX_SETTINGS.nextUpstream,
    headers: FORWARDED_HEADERS,
    tlsProtocols: NGINX_SETTINGS.tlsProtocols,
    tlsSessionTimeout: NGINX_SETTINGS.tlsSessionTimeout,
    upstreams: [],
    servers: [],
  };
  const stream: NginxStreamBlock = {
    connectTimeout: NGINX_SETTINGS.connectTimeout,
    timeout: NGINX_SETTINGS.streamTimeout,
    upstreams: [],
    servers: [],
  };

  for (const service of services) {
    header.push(describeService(service));
    const dualStack = servesIpv6(index, service, host);
    for (const { listener, backends } of balancerRoutes(index, service)) {
      const where = `${commentText(service.id)} ${listener.port}/${listener.protocol}`;
      if (!claim(listener.port, where)) continue;
      const listen = listenArguments(listener.port, listener.protocol, dualStack);
      const upstreamName = `${service.id}-${listener.port}`;
      // nginx refuses an upstream of backups only; with no primary to stand in for, they serve.
      const onlyBackups = backends.length > 0 && backends.every((backend) => backend.backup);
      const upstream: NginxUpstream = {
        name: nginxValue(upstreamName),
        comments: [
          `${where}${healthNote(backends)}`,
          ...(onlyBackups ? ['Every server is marked backup and none is primary: they all serve.'] : []),
        ],
        servers: backends.map((backend) => upstreamServer(backend, !onlyBackups)),
        zone: `${nginxValue(upstreamName)} ${NGINX_SETTINGS.upstreamZoneSize}`,
        // Set below, once the file's http upstreams are counted; a tcp session is one connection
        // end to end, with nothing to keep alive.
        keepalive: false,
      };

      if (listener.protocol === 'tcp') {
        if (backends.length === 0) {
          header.push(`${where} is left out: no traffic link gives it a backend.`);
          continue;
        }
        stream.upstreams.push(upstream);
        stream.servers.push({ comment: where, listen, upstream: nginxValue(upstreamName) });
        continue;
      }
      if (backends.length > 0) http.upstreams.push(upstream);
      const tls = listener.protocol === 'https' ? tlsFiles(service) : false;
      let comment = where;
      if (backends.length === 0) comment += ': no traffic link gives it a backend, so it answers 503';
      if (tls !== false && service.tls === undefined) {
        comment += `; the design sets no tls, so the certificate and key go to ${tls.certificate} and ${tls.key}`;
      }
      http.servers.push({
        comment,
        listen,
        serverName: service.serverName === undefined ? false : nginxValue(service.serverName),
        tls,
        proxyPass: backends.length > 0 ? nginxValue(`http://${upstreamName}`) : false,
      });
    }
  }

  const keepalive = keepaliveOf(http.upstreams.length);
  for (const upstream of http.upstreams) upstream.keepalive = keepalive;

  const hasStream = stream.servers.length > 0;
  return {
    header,
    modules: hasStream ? [NGINX_SETTINGS.streamModule] : [],
    user: NGINX_SETTINGS.user,
    fileLimit: NGINX_SETTINGS.fileLimit,
    pidFile: NGINX_SETTINGS.pidFile,
    errorLog: NGINX_SETTINGS.errorLog,
    workerConnections: NGINX_SETTINGS.workerConnections,
    http: http.servers.length > 0 ? http : false,
    stream: hasStream ? stream : false,
  };
}

function describeService(service: BalancerService): string {
  const id = commentText(service.id);
  return service.label === undefined ? `nginx ${id}.` : `nginx ${id}: ${commentText(service.label)}`;
}

/** What stands in for a health check: nginx watches real traffic, it does not poll. */
function healthNote(backends: Backend[]): string {
  const checked = backends.find((backend) => backend.healthCheck !== undefined);
  if (checked?.healthCheck === undefined) return '';
  const port = checked.healthCheck.port ?? mainPortOf(checked.service);
  return `: health check GET ${commentText(checked.healthCheck.path)} on port ${port} done passively (max_fails, fail_timeout)`;
}

function upstreamServer(backend: Backend, keepBackup: boolean): NginxUpstreamServer {
  const failTimeoutMs = backend.healthCheck?.intervalMs ?? NGINX_SETTINGS.defaultFailTimeoutMs;
  const parameters = [
    `max_fails=${NGINX_SETTINGS.maxFails}`,
    // nginx takes whole seconds here; round up so a server is never retried sooner than asked.
    `fail_timeout=${Math.max(1, Math.ceil(failTimeoutMs / 1000))}s`,
  ];
  if (backend.backup && keepBackup) parameters.push('backup');
  return {
    address: nginxValue(hostAndPort(backend.host.address, backend.port)),
    parameters,
    comment: commentText(backend.service.id),
  };
}

/**
 * Certificate and key of an https listener. A design that sets none gets a path named after the
 * service, which the check then reports as missing until the files are placed there.
 */
/**
 * The certificate and key files an nginx service serves HTTPS with, as paths on its host: the
 * design's `tls`, else the paths the generated config names for it. Push checks they exist
 * (core/prerequisites.ts).
 */
export function nginxCertificateFiles(service: BalancerService): { certificate: string; key: string } {
  return {
    certificate: service.tls?.cert ?? `/etc/nginx/tls/${service.id}.crt`,
    key: service.tls?.key ?? `/etc/nginx/tls/${service.id}.key`,
  };
}

function tlsFiles(service: BalancerService): { certificate: string; key: string } {
  const files = nginxCertificateFiles(service);
  return { certificate: nginxValue(files.certificate), key: nginxValue(files.key) };
}

function listenArguments(port: number, protocol: ListenProtocol, dualStack: boolean): string[] {
  const ssl = protocol === 'https' ? ' ssl' : '';
  return dualStack ? [`[::]:${port}${ssl} ipv6only=off`] : [`${port}${ssl}`];
}
