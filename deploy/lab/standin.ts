/**
 * Stand-ins (docs/rehearse.md): a lab host runs the real program of a service where this machine
 * has it installed (nginx, HAProxy, keepalived, redis-server, redis-sentinel, mongod); every other
 * hosted service (the vendor applications of the seeds, `database`, `storage`, mongod where it is
 * missing) runs as a small Node process that listens on the service's ports and accepts
 * connections only while every `uses` dependency and at least one traffic target per port accept
 * them. A failure therefore propagates through the lab as the availability model says it should.
 *
 * The lab's `systemctl` decides: a unit whose `ExecStart` program is missing runs the stand-in
 * named after the unit in {@link STAND_IN_DIRECTORY} instead. Services the bundle has no unit for
 * get a lab-only unit in {@link LAB_UNIT_DIRECTORY}.
 */
import type { Design, Service } from '../../core/model';
import { listeningPortsOf, mainPortOf, mongoVotesOf } from '../../core/model';
import { isExecutable } from './system';

/** Where a lab host keeps the stand-in program and the stand-ins' specifications. */
export const STAND_IN_DIRECTORY = '/etc/topoforge-lab/standins';

/** Units the lab adds for services that the bundle has no unit for (a hosted `database`). */
export const LAB_UNIT_DIRECTORY = '/etc/topoforge-lab/units';

/** The port a stand-in of a service that claims none listens on, so others can tell it is up. */
const PORTLESS_BASE = 39_100;

/** The kinds whose real program the lab runs when it is installed, and that program. */
const REAL_PROGRAMS: Partial<Record<Service['kind'], string[]>> = {
  nginx: ['/usr/sbin/nginx'],
  haproxy: ['/usr/sbin/haproxy'],
  redis: ['/usr/bin/redis-server'],
  sentinel: ['/usr/bin/redis-sentinel', '/usr/bin/redis-server'],
  mongodb: ['/usr/bin/mongod'],
  arbiter: ['/usr/bin/mongod'],
};

/** One address a need is met by. */
export interface Endpoint {
  address: string;
  port: number;
}

/**
 * How a stand-in finds the primary of a `redis-sentinel` group, as a client library does: it asks
 * the group's Sentinels for the address of `masterName` and uses the one they name.
 */
export interface SentinelLookup {
  /** The group's id: its logins are under this key in the credentials file. */
  group: string;
  masterName: string;
  sentinels: Endpoint[];
}

/**
 * How long a stand-in keeps the primary its Sentinels named while that primary keeps accepting
 * writes; a failed write asks the Sentinels again at once (client libraries ask them again when
 * their connection to the primary fails).
 */
export const SENTINEL_ANSWER_CACHE_MS = 1_000;

/**
 * The logins a stand-in of a Sentinel group's client holds (the Sentinels' password, the Redis
 * user "app" and its password). Its credentials file, beside its specification and readable by
 * root only, maps each group's id to them; the specification names the file, never a password.
 */
export interface StandInCredentials {
  sentinelPassword?: string;
  user?: string;
  password?: string;
}

/** The credentials file of a stand-in: its unit's name, `.credentials.json`, beside its specification. */
export function standInCredentialsPath(standIn: Pick<StandIn, 'unit'>): string {
  return `${STAND_IN_DIRECTORY}/${standIn.unit.replace(/\.service$/u, '')}.credentials.json`;
}

/**
 * What a stand-in needs before it accepts connections: `atLeast` (default 1) of the members in
 * `anyOf` accepting; a member is one endpoint, or a list of endpoints of which one must accept.
 */
export interface StandInNeed {
  /** For people: `uses tessera-db`, `traffic to port 9080`. */
  what: string;
  anyOf: Endpoint[];
  /** A voting group needs a strict majority of its voters: `anyOf` lists one endpoint per voter. */
  atLeast?: number;
  /**
   * A Sentinel group: met only while the primary its Sentinels name accepts a write from the
   * client user (`anyOf` lists the group's Redis servers, for people).
   */
  sentinel?: SentinelLookup;
}

/** A stand-in as the lab starts it. */
export interface StandIn {
  service: string;
  kind: Service['kind'];
  host: string;
  /** The unit it runs as: the bundle's own unit when there is one, else a lab unit. */
  unit: string;
  /** True when the bundle has no unit for it and the lab added one. */
  labUnit: boolean;
  /** Why the real program does not run. */
  reason: string;
  ports: number[];
  needs: StandInNeed[];
  /** Cold standbys are not started with the others: the rehearsal runs their runbook step. */
  coldStandby: boolean;
}

/** The program a service's real form needs, or undefined when it runs no program of ours. */
function missingProgram(service: Service, executable: (path: string) => boolean): string | undefined {
  const programs = REAL_PROGRAMS[service.kind];
  if (programs !== undefined) {
    const found = programs.find(executable);
    return found === undefined ? programs[0] : undefined;
  }
  if ('command' in service && service.command !== undefined) {
    const program = service.command.trim().split(/\s+/u)[0] ?? '';
    return executable(program) ? undefined : program;
  }
  return service.kind;
}

/**
 * The ports others reach `service` on: its own, the ports links send traffic to, and the port of
 * each entrypoint it is a target of.
 */
export function servicePortsOf(design: Design, service: Service): number[] {
  const ports = new Set(listeningPortsOf(service));
  for (const link of design.links ?? [])
    if (link.to === service.id && link.port !== undefined) ports.add(link.port);
  // Clients reach an entrypoint's targets on its port (a capture server's tap, a portal).
  for (const entrypoint of design.entrypoints ?? [])
    if ((entrypoint.targets as string[]).includes(service.id)) ports.add(entrypoint.port);
  if (ports.size === 0) ports.add(PORTLESS_BASE + design.services.indexOf(service));
  return [...ports].sort((a, b) => a - b);
}

/**
 * The services of `design` that run as stand-ins in a lab of this machine, with what each needs.
 * `units` names each host's generated `.service` units (from the bundle's manifest).
 */
export function standInsOf(
  design: Design,
  units: ReadonlyMap<string, ReadonlySet<string>>,
  executable: (path: string) => boolean = isExecutable,
): StandIn[] {
  const services = new Map<string, Service>(design.services.map((service) => [service.id, service]));
  const hostAddress = new Map<string, string>(design.hosts.map((host) => [host.id, host.address]));
  const groupMembers = new Map<string, Service[]>();
  for (const service of design.services)
    if (service.group !== undefined)
      groupMembers.set(service.group, [...(groupMembers.get(service.group) ?? []), service]);
  const groupKind = new Map<string, string>((design.groups ?? []).map((group) => [group.id, group.kind]));
  const groups = new Map<string, NonNullable<Design['groups']>[number]>(
    (design.groups ?? []).map((group) => [group.id, group]),
  );

  /** How a client finds the primary of a Sentinel group, or undefined for other targets. */
  const sentinelLookupOf = (id: string): SentinelLookup | undefined => {
    const group = groups.get(id);
    if (group?.kind !== 'redis-sentinel') return undefined;
    const sentinels = (groupMembers.get(id) ?? []).filter(
      (member) => member.kind === 'sentinel' && member.host !== undefined,
    );
    if (sentinels.length === 0) return undefined;
    return {
      group: group.id,
      masterName: group.masterName ?? group.id,
      sentinels: sentinels.map((member) => ({
        address: hostAddress.get(member.host!)!,
        port: servicePortsOf(design, member)[0]!,
      })),
    };
  };

  /** Where `id` (a service or a group) accepts connections; undefined when it is always up. */
  const endpointsOf = (id: string, port?: number): Endpoint[] | undefined => {
    const service = services.get(id);
    if (service !== undefined) {
      if (service.host === undefined) return undefined;
      const address = hostAddress.get(service.host)!;
      const ports = port !== undefined ? [port] : servicePortsOf(design, service);
      return ports.map((candidate) => ({ address, port: candidate }));
    }
    // A group is met by any member: a Sentinel group by its redis servers, which serve its clients.
    const members = (groupMembers.get(id) ?? []).filter(
      (member) => groupKind.get(id) !== 'redis-sentinel' || member.kind === 'redis',
    );
    if (members.every((member) => member.host === undefined)) return undefined;
    return members.flatMap((member) => endpointsOf(member.id, port) ?? []);
  };

  /** One endpoint (the main port) per voter of a voting group, or undefined for other targets. */
  const votersOf = (id: string): Endpoint[] | undefined => {
    const kind = groupKind.get(id);
    if (kind !== 'mongodb-replica-set' && kind !== 'quorum') return undefined;
    const voters = (groupMembers.get(id) ?? []).filter(
      (member) => member.host !== undefined && (kind === 'quorum' || mongoVotesOf(member) === 1),
    );
    return voters.map((member) => ({
      address: hostAddress.get(member.host!)!,
      port: servicePortsOf(design, member)[0]!,
    }));
  };

  const standIns: StandIn[] = [];
  for (const service of design.services) {
    if (service.host === undefined) continue;
    const missing = missingProgram(service, executable);
    if (missing === undefined) continue;
    const needs: StandInNeed[] = [];
    const trafficByPort = new Map<string, Endpoint[]>();
    for (const link of design.links ?? []) {
      if (link.from !== service.id) continue;
      const target = services.get(link.to);
      const traffic =
        link.kind === 'traffic' ||
        (link.kind === undefined && ['nginx', 'haproxy', 'capture', 'router'].includes(service.kind));
      const port = link.port ?? (target === undefined ? undefined : mainPortOf(target));
      const endpoints = endpointsOf(link.to, traffic ? port : undefined);
      if (endpoints === undefined) continue;
      if (traffic) {
        const key = String(link.port ?? '');
        trafficByPort.set(key, [...(trafficByPort.get(key) ?? []), ...endpoints]);
      } else {
        // A replica set or quorum serves only while a strict majority of its voters is up.
        const voters = service.group === link.to ? undefined : votersOf(link.to);
        const sentinel = service.group === link.to ? undefined : sentinelLookupOf(link.to);
        if (sentinel !== undefined)
          needs.push({
            what: `uses ${link.to} (its primary, as Sentinel names it)`,
            anyOf: endpoints,
            sentinel,
          });
        else if (voters !== undefined)
          needs.push({
            what: `uses ${link.to} (a majority of ${voters.length} voters)`,
            anyOf: voters,
            atLeast: Math.floor(voters.length / 2) + 1,
          });
        else needs.push({ what: `uses ${link.to}`, anyOf: endpoints });
      }
    }
    for (const [port, anyOf] of trafficByPort)
      needs.push({ what: port === '' ? 'traffic to a target' : `traffic to port ${port}`, anyOf });
    const hostUnits = units.get(service.host) ?? new Set<string>();
    const own = [`${service.id}.service`, `mongod-${service.id}.service`].find((unit) => hostUnits.has(unit));
    const mongod =
      (service.kind === 'mongodb' || service.kind === 'arbiter') && hostUnits.has('mongod.service')
        ? 'mongod.service'
        : undefined;
    const unit = own ?? mongod;
    standIns.push({
      service: service.id,
      kind: service.kind,
      host: service.host,
      unit: unit ?? `standin-${service.id}.service`,
      labUnit: unit === undefined,
      reason:
        missing.startsWith('/') || missing.startsWith('.')
          ? `${missing} is not installed`
          : `the design gives ${service.kind} ${service.id} no command to run`,
      ports: servicePortsOf(design, service),
      needs,
      coldStandby: service.mode === 'cold-standby',
    });
  }
  return standIns;
}

/** True when a stand-in finds a Sentinel group's primary, and so needs logins. */
export function needsCredentials(standIn: Pick<StandIn, 'needs'>): boolean {
  return standIn.needs.some((need) => need.sentinel !== undefined);
}

/**
 * The specification file a stand-in reads; `credentials` moves its credentials file (default
 * {@link standInCredentialsPath}, which a stand-in of a Sentinel group's client needs).
 */
export function standInSpecification(
  standIn: StandIn,
  credentials = standInCredentialsPath(standIn),
): string {
  const specification = {
    service: standIn.service,
    ports: standIn.ports,
    needs: standIn.needs,
    ...(needsCredentials(standIn) ? { credentials, sentinelCacheMs: SENTINEL_ANSWER_CACHE_MS } : {}),
  };
  return `${JSON.stringify(specification, null, 2)}\n`;
}

/** The unit the lab adds for a stand-in the bundle has no unit for. */
export function standInUnit(standIn: StandIn, node: string): string {
  return [
    '[Unit]',
    `Description=Topoforge lab stand-in for ${standIn.kind} ${standIn.service}`,
    '',
    '[Service]',
    `ExecStart=${node} ${STAND_IN_DIRECTORY}/standin.js ${STAND_IN_DIRECTORY}/${standIn.unit.replace(/\.service$/u, '')}.json`,
    '',
  ].join('\n');
}

/**
 * The stand-in program (plain Node, no dependencies): `node standin.js SPEC`. It checks its needs
 * every 100 ms with a TCP connect; while all are met it listens on its ports and answers an HTTP
 * request with 200 and anything else with `ok`; when one is not met it stops listening and drops
 * its connections, so a balancer or a stand-in in front of it sees it fail.
 *
 * A Sentinel group's need is checked as a client library uses the group: ask every Sentinel for
 * the primary (`SENTINEL get-master-addr-by-name`), then log in to the address most of them name
 * as the client user and write a probe key that expires (`SET … PX`); only a primary that accepts
 * the write (not a replica's READONLY, not NOREPLICAS under `min-replicas-to-write`) meets it.
 * It speaks RESP itself: a few lines, where a client library would have to be installed into
 * every lab host. The primary found is kept for `sentinelCacheMs` while writes succeed.
 */
export const STAND_IN_PROGRAM = String.raw`'use strict';
const net = require('net');
const fs = require('fs');
const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const sockets = new Set();
let servers = [];
let listening = false;
const HTTP = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) /;

function answer(socket) {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  let buffer = '';
  const banner = setTimeout(() => { if (buffer === '') socket.write('ok\n'); }, 100);
  socket.on('data', (chunk) => {
    clearTimeout(banner);
    buffer += chunk.toString('latin1');
    if (!HTTP.test(buffer)) { if (buffer !== ' ') socket.write('ok\n'); buffer = ' '; return; }
    while (buffer.includes('\r\n\r\n')) {
      const end = buffer.indexOf('\r\n\r\n');
      const head = buffer.slice(0, end);
      buffer = buffer.slice(end + 4);
      const close = /\r\nconnection: *close/i.test(head);
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n' +
        (close ? 'Connection: close\r\n' : '') + '\r\nok\n');
      if (close) { socket.end(); return; }
    }
  });
}

function open() {
  listening = true;
  servers = spec.ports.map((port) => {
    const server = net.createServer(answer);
    server.on('error', (error) => { process.stderr.write(spec.service + ': port ' + port + ': ' + error.message + '\n'); });
    server.listen({ port, host: '0.0.0.0', reuseAddress: true });
    return server;
  });
  process.stdout.write(spec.service + ': needs met, listening on ' + spec.ports.join(', ') + '\n');
}

function close(reason) {
  listening = false;
  for (const server of servers) server.close();
  servers = [];
  for (const socket of sockets) socket.destroy();
  process.stdout.write(spec.service + ': ' + reason + ', not listening\n');
}

function accepts(endpoint) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.address, port: endpoint.port });
    const done = (ok) => { clearTimeout(timer); socket.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), 300);
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

// RESP, the Redis protocol: a command is an array of bulk strings.
function encode(args) {
  const parts = [Buffer.from('*' + args.length + '\r\n')];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg));
    parts.push(Buffer.from('$' + bytes.length + '\r\n'), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

// One reply at 'at': { value, next }, or undefined while it is incomplete. Errors are { error }.
function parse(buffer, at) {
  const end = buffer.indexOf('\r\n', at);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buffer[at]);
  const line = buffer.toString('latin1', at + 1, end);
  if (type === '+') return { value: line, next: end + 2 };
  if (type === '-') return { value: { error: line }, next: end + 2 };
  if (type === ':') return { value: Number(line), next: end + 2 };
  if (type === '$') {
    const length = Number(line);
    if (length < 0) return { value: null, next: end + 2 };
    if (buffer.length < end + 4 + length) return undefined;
    return { value: buffer.toString('latin1', end + 2, end + 2 + length), next: end + 4 + length };
  }
  if (type === '*') {
    const count = Number(line);
    if (count < 0) return { value: null, next: end + 2 };
    const items = [];
    let next = end + 2;
    for (let index = 0; index < count; index++) {
      const item = parse(buffer, next);
      if (item === undefined) return undefined;
      items.push(item.value);
      next = item.next;
    }
    return { value: items, next };
  }
  return { value: { error: 'not a RESP reply' }, next: buffer.length };
}

// Sends the commands at once and resolves their replies, or null when the server does not answer
// them all within 300 ms (a crashed host, a refused connection).
function ask(endpoint, commands) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.address, port: endpoint.port });
    let buffer = Buffer.alloc(0);
    const done = (replies) => { clearTimeout(timer); socket.destroy(); resolve(replies); };
    const timer = setTimeout(() => done(null), 300);
    socket.on('connect', () => socket.write(Buffer.concat(commands.map(encode))));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const replies = [];
      let at = 0;
      while (replies.length < commands.length) {
        const reply = parse(buffer, at);
        if (reply === undefined) return;
        replies.push(reply.value);
        at = reply.next;
      }
      done(replies);
    });
    socket.on('error', () => done(null));
  });
}

let credentials;
function login(lookup) {
  if (credentials === undefined)
    credentials = spec.credentials === undefined ? {} : JSON.parse(fs.readFileSync(spec.credentials, 'utf8'));
  return credentials[lookup.group] || {};
}

// The addresses the Sentinels name as the primary, those named by the most Sentinels first.
async function namedPrimaries(lookup) {
  const password = login(lookup).sentinelPassword;
  const commands = [...(password ? [['AUTH', password]] : []), ['SENTINEL', 'get-master-addr-by-name', lookup.masterName]];
  const answers = await Promise.all(lookup.sentinels.map((sentinel) => ask(sentinel, commands)));
  const votes = new Map();
  for (const replies of answers) {
    const named = replies === null ? null : replies[replies.length - 1];
    if (!Array.isArray(named) || named.length !== 2) continue;
    const key = named[0] + ' ' + named[1];
    votes.set(key, (votes.get(key) || 0) + 1);
  }
  return [...votes].sort((a, b) => b[1] - a[1]).map(([key]) => {
    const [address, port] = key.split(' ');
    return { address, port: Number(port) };
  });
}

// True when 'endpoint' logs the client user in and accepts a write, as only a primary does.
async function acceptsWrite(lookup, endpoint) {
  const { user, password } = login(lookup);
  const commands = [
    ...(password ? [user ? ['AUTH', user, password] : ['AUTH', password]] : []),
    ['SET', 'topoforge-lab:standin:' + spec.service, String(Date.now()), 'PX', '10000'],
  ];
  const replies = await ask(endpoint, commands);
  return replies !== null && replies[replies.length - 1] === 'OK' && replies.every((reply) => reply === 'OK');
}

const primaries = new Map();
async function primaryAccepts(need) {
  const known = primaries.get(need.what);
  if (known !== undefined && Date.now() < known.until && (await acceptsWrite(need.sentinel, known.endpoint))) return true;
  primaries.delete(need.what);
  for (const endpoint of await namedPrimaries(need.sentinel)) {
    if (await acceptsWrite(need.sentinel, endpoint)) {
      primaries.set(need.what, { endpoint, until: Date.now() + (spec.sentinelCacheMs || 1000) });
      return true;
    }
  }
  return false;
}

async function check() {
  for (const need of spec.needs) {
    if (need.sentinel !== undefined) {
      if (!(await primaryAccepts(need))) return need.what;
      continue;
    }
    const answers = await Promise.all(need.anyOf.map(accepts));
    if (answers.filter(Boolean).length < (need.atLeast || 1)) return need.what;
  }
  return undefined;
}

async function loop() {
  const unmet = await check();
  if (unmet === undefined && !listening) open();
  else if (unmet !== undefined && listening) close(unmet + ' is not met');
  setTimeout(loop, 100);
}
process.on('SIGTERM', () => process.exit(0));
loop();
`;
