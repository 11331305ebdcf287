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
 * What a stand-in needs before it accepts connections: `atLeast` (default 1) of the members in
 * `anyOf` accepting; a member is one endpoint, or a list of endpoints of which one must accept.
 */
export interface StandInNeed {
  /** For people: `uses tessera-db`, `traffic to port 9080`. */
  what: string;
  anyOf: Endpoint[];
  /** A voting group needs a strict majority of its voters: `anyOf` lists one endpoint per voter. */
  atLeast?: number;
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
        if (voters !== undefined)
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

/** The specification file a stand-in reads. */
export function standInSpecification(standIn: StandIn): string {
  return `${JSON.stringify({ service: standIn.service, ports: standIn.ports, needs: standIn.needs }, null, 2)}\n`;
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

async function check() {
  for (const need of spec.needs) {
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
