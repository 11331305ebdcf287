/**
 * The design model, format 1 (docs/design-file.md): what a `*.topo.json` file holds once it has loaded.
 *
 * Ids share one namespace across sites, hosts, services, groups and entrypoints; the brands keep a
 * host id from being passed where a service id is meant.
 */

import type { MongoReplicaSetGroup } from './groups/mongodb-replica-set';
import type { PoolGroup } from './groups/pool';
import type { QuorumGroup } from './groups/quorum';
import type { RedisSentinelGroup } from './groups/redis-sentinel';

export type { MongoReplicaSetGroup, PoolGroup, QuorumGroup, RedisSentinelGroup };

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Id of a site (a failure domain: a data centre, a rack, an availability zone). */
export type SiteId = Brand<string, 'SiteId'>;
/** Id of a host (a machine or VM). */
export type HostId = Brand<string, 'HostId'>;
/** Id of a service placed on a host, or external when it has none. */
export type ServiceId = Brand<string, 'ServiceId'>;
/** Id of a group of services (replica set, Sentinel group, quorum, pool). */
export type GroupId = Brand<string, 'GroupId'>;
/** Id of an entrypoint, what clients connect to. */
export type EntrypointId = Brand<string, 'EntrypointId'>;
/** Any id of the design's one namespace. */
export type ItemId = SiteId | HostId | ServiceId | GroupId | EntrypointId;

/** The only design file format this version reads and writes. */
export const DESIGN_FORMAT = 1;

/** A failure domain; hosts in one site fail together when the site fails. */
export interface Site {
  id: SiteId;
  label?: string;
  /** How often this site fails and how long it is out; overrides the design's `reliability.site`. */
  reliability?: FailureRate;
}

/** How often an item fails and how long it takes to come back (docs/availability.md). */
export interface FailureRate {
  /** Mean time between failures, in hours. */
  mtbfHours: number;
  /** Mean time to repair, in hours. */
  mttrHours: number;
}

/** The design's default failure rates for hosts and sites. */
export interface Reliability {
  host?: FailureRate;
  site?: FailureRate;
}

/** The resiliency policy: the longest interruption a single failure may cause, and yearly availability. */
export interface Objectives {
  /** Longest interruption, in seconds, that any single host (or site) failure may cause. */
  rtoSeconds?: number;
  /** Yearly availability each entrypoint must reach, e.g. 0.9995. */
  availability?: number;
}

/** How push reaches a host. Never holds a password, key or passphrase. */
export interface HostSsh {
  user?: string;
  port?: number;
  /** OpenSSH `SHA256:` fingerprint of the host key, pinned for push. */
  hostKey?: string;
  /** Path prefix on the remote, default `/`. */
  root?: string;
  sudo?: boolean;
}

/** A machine that runs services. */
export interface Host {
  id: HostId;
  address: string;
  site?: SiteId;
  label?: string;
  /** Network interface for floating addresses (keepalived), default `eth0`. */
  interface?: string;
  ssh?: HostSsh;
  /** How often this host fails and how long it is out; overrides the design's `reliability.host`. */
  reliability?: FailureRate;
}

/** Every service kind of docs/design-file.md, in palette order. */
export const SERVICE_KINDS = [
  'nginx',
  'haproxy',
  'app',
  'capture',
  'router',
  'processing',
  'reporting',
  'mongodb',
  'arbiter',
  'redis',
  'sentinel',
  'storage',
  'database',
] as const;
/** A service kind of docs/design-file.md. */
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** `hot-standby` takes over automatically; `cold-standby` is stopped until a person starts it. */
export const SERVICE_MODES = ['active', 'hot-standby', 'cold-standby'] as const;
/** How a service takes over: by itself (hot), or when a person starts it (cold). */
export type ServiceMode = (typeof SERVICE_MODES)[number];

/** What a balancer listener speaks: http and https are balanced per request, tcp per connection. */
export const LISTEN_PROTOCOLS = ['http', 'https', 'tcp'] as const;
/** One of {@link LISTEN_PROTOCOLS}. */
export type ListenProtocol = (typeof LISTEN_PROTOCOLS)[number];

/** A port a balancer listens on, and what it speaks there. */
export interface Listener {
  port: number;
  protocol: ListenProtocol;
}

/** Certificate and key paths on the host. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** How balancers probe an app: an HTTP path, on the service port unless `port` is set. */
export interface HealthCheck {
  path: string;
  port?: number;
  intervalMs?: number;
}

/**
 * Whether a datastore (redis, sentinel, mongodb, arbiter) or an HAProxy statistics page
 * authenticates its clients. On by default; `auth: false` needs a reason in words and is reported
 * by the rule `security.open-datastore`.
 */
export interface Authentication {
  /** Default true. */
  auth?: boolean;
  /** Why this service lets clients in without authentication; required with `auth: false`. */
  authReason?: string;
}

interface ServiceBase {
  id: ServiceId;
  host?: HostId;
  group?: GroupId;
  label?: string;
  mode?: ServiceMode;
  port?: number;
  capacity?: number;
  /** For a service with no host: the share of the time it is up (its SLA), default 1. */
  availability?: number;
  /** For a cold standby: minutes a person takes to start it by the runbook, default 30. */
  manualRecoveryMinutes?: number;
}

/**
 * HAProxy's statistics page. It binds to loopback unless `expose` is true; then it also binds to
 * the host's address and asks for a password (unless the service sets `auth: false`).
 */
export interface StatsPage {
  port: number;
  expose?: boolean;
}

/** nginx or HAProxy: a reverse proxy, gateway or load balancer. */
export interface BalancerService extends ServiceBase, Authentication {
  kind: 'nginx' | 'haproxy';
  listen?: Listener[];
  tls?: TlsFiles;
  /** nginx only. */
  serverName?: string;
  /** haproxy only. */
  stats?: StatsPage;
}

/** A generic application server. */
export interface AppService extends ServiceBase {
  kind: 'app';
  healthCheck?: HealthCheck;
  command?: string;
  stateful?: boolean;
}

/** A passive capture server (Tealeaf PCA); `delivery` says how it spreads over its peers. */
export interface CaptureService extends ServiceBase {
  kind: 'capture';
  delivery?: 'failover' | 'even';
  command?: string;
}

/**
 * Kinds without fields of their own: routers, processing and reporting servers, sentinels,
 * arbiters. Only sentinels and arbiters authenticate (`auth`); the schema refuses it on the others.
 */
export interface PlainService extends ServiceBase, Authentication {
  kind: 'router' | 'processing' | 'reporting' | 'sentinel' | 'arbiter';
  command?: string;
}

/** A data-bearing mongod of a replica set. */
export interface MongoService extends ServiceBase, Authentication {
  kind: 'mongodb';
  priority?: number;
  votes?: 0 | 1;
  hidden?: boolean;
}

/** A Redis server of a Sentinel group; exactly one is `primary`. */
export interface RedisService extends ServiceBase, Authentication {
  kind: 'redis';
  primary?: boolean;
  /** 0..1000, default 100: Sentinel promotes the lowest above 0 and never promotes a 0. */
  replicaPriority?: number;
}

/** Shared storage: NFS (mounted on every host that uses it) or S3. */
export interface StorageService extends ServiceBase {
  kind: 'storage';
  type: 'nfs' | 's3';
  ha?: boolean;
  endpoint?: string;
  mountPoint?: string;
}

/** An SQL database; nothing is generated for it. */
export interface DatabaseService extends ServiceBase {
  kind: 'database';
  engine: string;
  ha?: boolean;
}

/** A service of any kind; `kind` discriminates. */
export type Service =
  | BalancerService
  | AppService
  | CaptureService
  | PlainService
  | MongoService
  | RedisService
  | StorageService
  | DatabaseService;

/** Every group kind of docs/design-file.md. */
export const GROUP_KINDS = ['mongodb-replica-set', 'redis-sentinel', 'quorum', 'pool'] as const;
/** One of {@link GROUP_KINDS}. */
export type GroupKind = (typeof GROUP_KINDS)[number];

/**
 * A group of services: a voting group (replica set, Sentinel group, quorum) or a pool. `kind`
 * discriminates, so a field of one kind on another is a type error; each kind's fields and
 * behaviour live in its descriptor under core/groups/.
 */
export type Group = MongoReplicaSetGroup | RedisSentinelGroup | QuorumGroup | PoolGroup;

/** `traffic`: requests or data flow to the target. `uses`: a dependency that must be up. */
export const LINK_KINDS = ['traffic', 'uses'] as const;
/** One of {@link LINK_KINDS}. */
export type LinkKind = (typeof LINK_KINDS)[number];

/** `from` needs `to`; `to` is a service or a group. */
export interface Link {
  from: ServiceId;
  to: ServiceId | GroupId;
  kind?: LinkKind;
  port?: number;
  /** A failover-only target. */
  backup?: boolean;
}

/** How clients reach an entrypoint's targets. */
export const ENTRYPOINT_VIAS = ['direct', 'vip', 'external-lb'] as const;
/** One of {@link ENTRYPOINT_VIAS}. */
export type EntrypointVia = (typeof ENTRYPOINT_VIAS)[number];

/** What clients connect to. */
export interface Entrypoint {
  id: EntrypointId;
  label?: string;
  port: number;
  targets: (ServiceId | GroupId)[];
  via: EntrypointVia;
  /** Floating address, required with `via: vip`. */
  address?: string;
  /** `external-lb`: how the outside balancer checks its targets (docs/availability.md has the default). */
  healthCheck?: ExternalHealthCheck;
  /** Overrides the design's objectives for this entrypoint. */
  objectives?: Objectives;
}

/** The health check of a load balancer outside the design. */
export interface ExternalHealthCheck {
  /** Time between two checks, in milliseconds. */
  intervalMs?: number;
  /** Failed checks in a row before a target is taken out. */
  unhealthyThreshold?: number;
}

/** Canvas position of an item; ignored by every check. */
export interface LayoutPosition {
  x: number;
  y: number;
  width?: number;
  height?: number;
  /**
   * For a pool: shown as one node with a count (true) or with every member (false). Without it,
   * the designer collapses pools beyond a size of its choosing.
   */
  collapsed?: boolean;
}

/** A whole design: the contents of a `*.topo.json` file. */
export interface Design {
  format: typeof DESIGN_FORMAT;
  name: string;
  description?: string;
  sites?: Site[];
  hosts: Host[];
  services: Service[];
  groups?: Group[];
  links?: Link[];
  entrypoints?: Entrypoint[];
  /** Default failure rates of hosts and sites. */
  reliability?: Reliability;
  /** The resiliency policy every entrypoint must meet unless it sets its own. */
  objectives?: Objectives;
  layout?: Record<string, LayoutPosition>;
}

/** Service kinds that may be the target of a `vip` entrypoint. */
export const BALANCER_KINDS: readonly ServiceKind[] = ['nginx', 'haproxy'];

/** The link kind when a link sets none: traffic from balancers, capture and routers, else uses. */
export function linkKindOf(link: Link, from: Service | undefined): LinkKind {
  if (link.kind) return link.kind;
  return from && ['nginx', 'haproxy', 'capture', 'router'].includes(from.kind) ? 'traffic' : 'uses';
}

/** Default listeners of a balancer that sets none. */
export const DEFAULT_LISTENERS: readonly Listener[] = [{ port: 80, protocol: 'http' }];

const DEFAULT_PORTS: Partial<Record<ServiceKind, number>> = {
  app: 8080,
  mongodb: 27017,
  arbiter: 27017,
  redis: 6379,
  sentinel: 26379,
};

/** The main port of a service: its own `port`, else its kind's default, else none. */
export function mainPortOf(service: Service): number | undefined {
  if (service.kind === 'nginx' || service.kind === 'haproxy') {
    return service.port ?? (service.listen ?? DEFAULT_LISTENERS)[0]?.port;
  }
  return service.port ?? DEFAULT_PORTS[service.kind];
}

/**
 * How a service's traffic links split into requirements, one key per link (docs/availability.md: "per port when
 * ports differ"). A link that names a port goes by that port. A link without one reaches its
 * target's own port: it joins the links that name that same port, or else shares `''` with the
 * other links without one. The availability engine and the balancer generators both split by it,
 * so what the checks count on is what the configs route.
 */
export function trafficPortKeys(
  links: readonly Pick<Link, 'to' | 'port'>[],
  ownPort: (target: string) => number | undefined,
): string[] {
  const named = new Set(links.flatMap((link) => (link.port === undefined ? [] : [link.port])));
  return links.map((link) => {
    if (link.port !== undefined) return String(link.port);
    const own = ownPort(link.to);
    return own !== undefined && named.has(own) ? String(own) : '';
  });
}

/** Every port a service listens on, for `net.port-conflict`. */
export function listeningPortsOf(service: Service): number[] {
  if (service.kind === 'nginx' || service.kind === 'haproxy') {
    const ports = (service.listen ?? (service.port ? [] : DEFAULT_LISTENERS)).map((l) => l.port);
    if (service.port !== undefined) ports.push(service.port);
    if (service.kind === 'haproxy' && service.stats) ports.push(service.stats.port);
    return [...new Set(ports)];
  }
  const port = mainPortOf(service);
  return port === undefined ? [] : [port];
}

/** MongoDB votes of a replica-set member: arbiters always vote, data members default to 1. */
export function mongoVotesOf(service: Service): number {
  if (service.kind === 'arbiter') return 1;
  if (service.kind === 'mongodb') return service.votes ?? 1;
  return 0;
}

/** MongoDB priority of a replica-set member: arbiters 0, data members default 1. */
export function mongoPriorityOf(service: Service): number {
  if (service.kind === 'mongodb') return service.priority ?? 1;
  return 0;
}

/**
 * True when a replica set is primary-secondary-arbiter in MongoDB's sense: it has arbiters and its
 * data-bearing voters are no more than a majority of its voters, so MongoDB's implicit default
 * write concern falls to w:1 (rule `mongodb.psa`; the init script sets it explicitly).
 */
export function isPrimarySecondaryArbiter(members: readonly Service[]): boolean {
  const voting = members.filter((member) => mongoVotesOf(member) === 1);
  const arbiters = members.filter((member) => member.kind === 'arbiter');
  const dataVoters = voting.filter((member) => member.kind === 'mongodb').length;
  return arbiters.length > 0 && voting.length > 0 && dataVoters <= Math.floor(voting.length / 2) + 1;
}

/** Sentinel's `replica-priority` of a redis server, default 100 (0: never promoted). */
export function replicaPriorityOf(service: Service): number {
  return service.kind === 'redis' ? (service.replicaPriority ?? 100) : 0;
}

/** The capacity a service brings to a pool, default 1. */
export function capacityOf(service: Service): number {
  return service.capacity ?? 1;
}

/** True when the service stands for an externally managed HA system. */
export function isExternallyHighlyAvailable(service: Service): boolean {
  return (service.kind === 'storage' || service.kind === 'database') && service.ha === true;
}

/** Service kinds that authenticate their clients by default (docs/design-file.md, `auth`). */
export const AUTHENTICATING_KINDS = ['redis', 'sentinel', 'mongodb', 'arbiter', 'haproxy'] as const;

/** True unless the service opts out of authentication with `auth: false`. */
export function authenticates(service: Service): boolean {
  return !('auth' in service) || service.auth !== false;
}
