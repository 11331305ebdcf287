/**
 * What every generator shares: the indexed design, and the decisions more than one generator
 * depends on (which backends sit behind which listener), made once here.
 */
import type { DesignIndex } from '../design-index';
import { DEFAULT_LISTENERS, mainPortOf, trafficPortKeys } from '../model';
import type { AppService, BalancerService, Host, Listener, Service } from '../model';
import type { BundleFile } from './bundle';

/** Input of every generator. */
export interface GenerationContext {
  index: DesignIndex;
}

/** A generator turns the design into files; it decides everything, its template only lays out. */
export type Generator = (context: GenerationContext) => BundleFile[];

/** One server behind a balancer listener. */
export interface Backend {
  service: Service;
  host: Host;
  port: number;
  /** Failover-only (HAProxy/nginx `backup`). */
  backup: boolean;
  /** The app's health check, when it has one. */
  healthCheck: AppService['healthCheck'];
}

/** A listener of a balancer and the backends its traffic goes to. */
export interface Route {
  listener: Listener;
  backends: Backend[];
}

/** The host a service runs on, if it has one. */
export function hostOf(index: DesignIndex, service: Service): Host | undefined {
  return service.host === undefined ? undefined : index.hosts.get(service.host);
}

/** True for an IPv6 literal: IPv4 addresses and DNS names have no colon. */
export function isIpv6(address: string): boolean {
  return address.includes(':');
}

/** `address:port`, with brackets around an IPv6 address. */
export function hostAndPort(address: string, port: number): string {
  return isIpv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The balancers of one kind on a host, in design order. */
export function balancersOn(index: DesignIndex, host: Host, kind: 'nginx' | 'haproxy'): BalancerService[] {
  return (index.servicesByHost.get(host.id) ?? []).filter(
    (service): service is BalancerService => service.kind === kind,
  );
}

/**
 * Whether clients may reach a balancer over IPv6: its host's address, or a floating address that
 * it holds, is IPv6. Only then does it listen on `::`, which fails on hosts without IPv6.
 */
export function servesIpv6(index: DesignIndex, service: BalancerService, host: Host): boolean {
  if (isIpv6(host.address)) return true;
  return (index.design.entrypoints ?? []).some(
    (entrypoint) =>
      entrypoint.via === 'vip' &&
      entrypoint.address !== undefined &&
      isIpv6(entrypoint.address) &&
      entrypoint.targets.includes(service.id),
  );
}

/** Listeners of a balancer: its own, else its `port` over http, else port 80 over http. */
export function listenersOf(service: BalancerService): Listener[] {
  if (service.listen && service.listen.length > 0) return service.listen;
  if (service.port !== undefined) return [{ port: service.port, protocol: 'http' }];
  return [...DEFAULT_LISTENERS];
}

/**
 * Which backends serve which listener of a balancer. Traffic links are grouped by their port
 * (a link without one uses its target's main port); a group whose port equals a listener's port
 * serves that listener, the rest pair up with the remaining listeners in order, and a balancer
 * with one group of backends serves every listener from it. Groups of targets are expanded to
 * their members; targets without a host cannot be addressed and are left out.
 */
export function balancerRoutes(index: DesignIndex, balancer: BalancerService): Route[] {
  const byPort = new Map<string, Backend[]>();
  const traffic = (index.linksFrom.get(balancer.id) ?? []).filter((link) => link.kind === 'traffic');
  const keys = trafficPortKeys(traffic, (id) => {
    const service = index.services.get(id);
    return service && mainPortOf(service);
  });
  for (const [i, link] of traffic.entries()) {
    const targets = index.services.has(link.to)
      ? [index.services.get(link.to)!]
      : (index.membersByGroup.get(link.to) ?? []);
    for (const service of targets) {
      const host = hostOf(index, service);
      const port = link.port ?? mainPortOf(service);
      if (!host || port === undefined) continue;
      const key = keys[i] || 'default';
      const list = byPort.get(key) ?? [];
      if (!list.some((b) => b.service.id === service.id && b.port === port)) {
        list.push({
          service,
          host,
          port,
          backup: link.backup === true,
          healthCheck: service.kind === 'app' ? service.healthCheck : undefined,
        });
      }
      byPort.set(key, list);
    }
  }

  const listeners = listenersOf(balancer);
  const groups = [...byPort.entries()];
  const assigned = new Map<Listener, Backend[]>();
  const unused = groups.filter(([key, backends]) => {
    const listener = listeners.find((l) => String(l.port) === key && !assigned.has(l));
    if (!listener) return true;
    assigned.set(listener, backends);
    return false;
  });
  for (const listener of listeners) {
    if (assigned.has(listener)) continue;
    const next = unused.shift();
    if (next) assigned.set(listener, next[1]);
    else if (groups.length === 1) assigned.set(listener, groups[0]![1]);
  }
  return listeners.map((listener) => ({ listener, backends: assigned.get(listener) ?? [] }));
}

/** Daemons whose config file and unit name several generators must agree on. */
export type DaemonKind = 'mongodb' | 'arbiter' | 'redis' | 'sentinel';

const DAEMON_DEFAULTS: Record<
  DaemonKind,
  { config: string; unit: string; prefix: string; directory: string }
> = {
  mongodb: { config: '/etc/mongod.conf', unit: 'mongod', prefix: 'mongod', directory: '/etc' },
  arbiter: { config: '/etc/mongod.conf', unit: 'mongod', prefix: 'mongod', directory: '/etc' },
  redis: { config: '/etc/redis/redis.conf', unit: 'redis-server', prefix: 'redis', directory: '/etc/redis' },
  sentinel: {
    config: '/etc/redis/sentinel.conf',
    unit: 'redis-sentinel',
    prefix: 'sentinel',
    directory: '/etc/redis',
  },
};

/** True for a service that runs a mongod: a data member, or an arbiter of a replica set (not a quorum witness). */
function runsMongod(index: DesignIndex, service: Service): boolean {
  if (service.kind === 'mongodb') return true;
  return service.kind === 'arbiter' && index.groups.get(service.group ?? '')?.kind === 'mongodb-replica-set';
}

function sharesHostWithSameDaemon(index: DesignIndex, service: Service, kind: DaemonKind): boolean {
  if (service.host === undefined) return false;
  const neighbours = index.servicesByHost.get(service.host) ?? [];
  const same =
    kind === 'arbiter' || kind === 'mongodb'
      ? neighbours.filter((s) => runsMongod(index, s))
      : neighbours.filter((s) => s.kind === kind);
  return same.length > 1;
}

/**
 * Config file of a mongod, redis or sentinel: the distribution's path (`/etc/mongod.conf`,
 * `/etc/redis/redis.conf`, `/etc/redis/sentinel.conf`), or one named after the service when its
 * host runs two of the same daemon (`/etc/redis/redis-cache-2.conf`).
 */
export function daemonConfigPath(index: DesignIndex, service: Service & { kind: DaemonKind }): string {
  const defaults = DAEMON_DEFAULTS[service.kind];
  return sharesHostWithSameDaemon(index, service, service.kind)
    ? `${defaults.directory}/${defaults.prefix}-${service.id}.conf`
    : defaults.config;
}

/** systemd unit of a mongod, redis or sentinel: `mongod.service`, or `mongod-<id>.service` when shared. */
export function daemonUnitName(index: DesignIndex, service: Service & { kind: DaemonKind }): string {
  const defaults = DAEMON_DEFAULTS[service.kind];
  return sharesHostWithSameDaemon(index, service, service.kind)
    ? `${defaults.prefix}-${service.id}.service`
    : `${defaults.unit}.service`;
}
