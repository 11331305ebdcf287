/**
 * The design builder of import (docs/import.md): the files of an import folder (bundle layout,
 * `hosts/<host>/<path>`, plus `inventory.json` or a bundle's `manifest.json`) become a format-1
 * design, the list of every directive and file it did not use (with host, file, line, text and
 * reason) and the list of what no config carries (`missing`). Pure: the caller reads the folder.
 */
import { SERVICE_UNIT, UNIT_DIRECTORY } from '../daemons';
import type { Design, Entrypoint, Group, Host, Link, Listener, Service } from '../model';
import { parseBlockConfig, type BlockDirective, type ReadResult } from './block-config';
import { placeFile, type PlacedFile } from './bundle-files';
import { parseHaproxyConfig, type HaproxySection } from './haproxy-config';
import { parseMongodConfig } from './mongod-config';
import { parseRedisConfig, type RedisDirective } from './redis-config';
import { parseUnitFile, type UnitSetting } from './systemd-unit';

/** One file of the import folder: its `/`-separated path inside the folder and its text. */
export interface ImportFile {
  readonly path: string;
  readonly text: string;
}

/** A directive or file import did not use, and why. `file` is the path inside the folder. */
export interface UnusedItem {
  host?: string;
  file: string;
  line?: number;
  text: string;
  reason: string;
}

/** Something the design may have that no config carries, so import did not guess it. */
export interface MissingItem {
  what: string;
  reason: string;
}

/** A file import could not read: where and what. */
export interface ImportProblem {
  host?: string;
  file: string;
  line?: number;
  message: string;
}

/** What import made of a folder. With problems, the design holds what the other files gave. */
export interface ImportResult {
  design: Design;
  unused: UnusedItem[];
  missing: MissingItem[];
  problems: ImportProblem[];
}

/** Directives whose value is a secret: reported by name only, never with the value. */
const SECRET_DIRECTIVES = new Set([
  'requirepass',
  'masterauth',
  'masteruser',
  'auth-pass',
  'auth_pass',
  'user',
]);

/** The design's id pattern (docs/design-file.md). */
const ID_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** A word made into a design id: lower case, other characters as `-`, a letter first. */
export function idFrom(text: string): string {
  let id = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (!/^[a-z]/.test(id)) id = `x-${id}`;
  return id.slice(0, 63).replace(/-$/, '');
}

/** `host:port`, `[v6]:port` or `host` split; undefined port when none is written. */
function splitAddress(text: string): { address: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { address: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : undefined };
  // HAProxy writes IPv6 binds without brackets (`:::8080`): the port follows the last colon.
  const match = /^([^:]*|.*::.*|[^:]*:[^:]*:.*):(\d+)$/.exec(text);
  if (match) return { address: match[1]!, port: Number(match[2]) };
  return { address: text };
}

/** `address:port` with IPv6 brackets removed, as init scripts and configs are compared. */
function memberKey(hostAndPort: string): string {
  const { address, port } = splitAddress(hostAndPort);
  return `${address}:${port ?? 27017}`;
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address.startsWith('127.') || address === '::1';
}

/** The design id a generated file's header names, e.g. `# redis redis-2 (` or `Runs the command of app a`. */
function headerHint(text: string): { kind?: string; id?: string; group?: string; users?: string[] } {
  const header = text
    .split('\n')
    .slice(0, 8)
    .filter((line) => line.startsWith('#'))
    .join('\n');
  const runs = /Runs the (?:command|daemon) of ([a-z]+) ([a-z][a-z0-9-]*) on host/.exec(header);
  if (runs) return { kind: runs[1], id: runs[2] };
  const named = /^# (?:nginx|HAProxy|redis|sentinel|mongod) ([a-z][a-z0-9-]*)[ :(.]/m.exec(header);
  const group =
    /\(group ([a-z][a-z0-9-]*)\)|Sentinel group ([a-z][a-z0-9-]*)|sentinels of group ([a-z][a-z0-9-]*)/.exec(
      header,
    );
  const storage = /^# NFS storage ([a-z][a-z0-9-]*) on host [^,]*, for ([a-z0-9, -]*)\./m.exec(header);
  return {
    id: named?.[1] ?? storage?.[1],
    users: storage?.[2]?.split(', '),
    group: group ? (group[1] ?? group[2] ?? group[3]) : undefined,
  };
}

/** The trailing `# id` comment of a line, as the generators write after an upstream server. */
function trailingHint(line: string | undefined): string | undefined {
  const match = /#\s*([a-z][a-z0-9-]*)\s*$/.exec(line ?? '');
  return match?.[1];
}

interface HostFiles {
  id: string;
  files: Map<string, { relative: string; text: string; placed: PlacedFile }>;
}

interface Backend {
  address: string;
  port: number;
  backup: boolean;
  hint?: string;
  healthIntervalMs?: number;
  healthPath?: string;
}

interface Balancer {
  service: Service & { kind: 'nginx' | 'haproxy' };
  /** Per public listener, the servers it sends traffic to (through the named upstream, for nginx). */
  routes: { listener: Listener; loopback: boolean; backends: Backend[]; upstream?: string }[];
}

/** Builds a design from the files of an import folder. */
export function buildDesign(files: readonly ImportFile[], name = 'Imported deployment'): ImportResult {
  const unused: UnusedItem[] = [];
  const missing: MissingItem[] = [];
  const problems: ImportProblem[] = [];
  const hostsById = new Map<string, HostFiles>();
  const scripts: ImportFile[] = [];
  const byPath = new Map(files.map((file) => [file.path, file]));

  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const placed = placeFile(file.path);
    if (placed === undefined) continue;
    if ('script' in placed) {
      scripts.push(file);
    } else if ('reason' in placed) {
      unused.push({ file: file.path, text: '(whole file)', reason: placed.reason });
    } else {
      const host = hostsById.get(placed.host) ?? { id: placed.host, files: new Map() };
      hostsById.set(placed.host, host);
      host.files.set(placed.path, { relative: file.path, text: file.text, placed });
    }
  }

  // Hosts and addresses: inventory.json, else the bundle's manifest, else the folder names.
  const inventory = readInventory(byPath.get('inventory.json') ?? byPath.get('manifest.json'), problems);
  const hosts: Host[] = [];
  const hostOfAddress = new Map<string, string>();
  const hostIds = new Set([...hostsById.keys(), ...inventory.keys()]);
  for (const id of [...hostIds].sort()) {
    if (!ID_PATTERN.test(id)) {
      problems.push({
        host: id,
        file: `hosts/${id}`,
        message: `the host folder name "${id}" is not a valid design id (a-z, 0-9, -)`,
      });
      continue;
    }
    const entry = inventory.get(id);
    const host: Host = { id: id as Host['id'], address: entry?.address ?? id };
    if (entry?.ssh !== undefined) host.ssh = entry.ssh;
    const other = hostOfAddress.get(host.address);
    if (other !== undefined) {
      problems.push({
        host: id,
        file: inventory.size > 0 ? 'inventory.json' : `hosts/${id}`,
        message: `hosts ${other} and ${id} both have the address ${host.address}; two hosts may not share an address`,
      });
      continue;
    }
    hostOfAddress.set(host.address, id);
    hosts.push(host);
  }

  const services: Service[] = [];
  const groups: Group[] = [];
  const links: Link[] = [];
  const entrypoints: Entrypoint[] = [];
  const balancers: Balancer[] = [];
  const usedIds = new Set<string>(hosts.map((host) => host.id));
  const uniqueId = (wanted: string): string => {
    let id = idFrom(wanted);
    for (let suffix = 2; usedIds.has(id); suffix += 1) id = `${idFrom(wanted).slice(0, 58)}-${suffix}`;
    usedIds.add(id);
    return id;
  };
  const addService = (service: Service): Service => {
    services.push(service);
    return service;
  };
  const hostIdSet = new Set(hosts.map((host) => host.id as string));

  const report = (
    host: string,
    relative: string,
    text: string,
    line: number | undefined,
    reason: string,
  ): void => {
    const lines = text.split('\n');
    let shown = line === undefined ? '(whole file)' : (lines[line - 1] ?? '').trim();
    const [first] = shown.split(/\s+/);
    if (
      first !== undefined &&
      SECRET_DIRECTIVES.has(first.toLowerCase()) &&
      /pass|auth/.test(shown.toLowerCase())
    )
      shown = `${first} <value not shown: a secret>`;
    if (/^sentinel\s+auth-pass/i.test(shown)) shown = 'sentinel auth-pass <value not shown: a secret>';
    unused.push({ host, file: relative, line, text: shown, reason });
  };

  const mongoMembers: { service: Service; host: string; address: string; port: number; setName: string }[] =
    [];
  const redisServers: FoundRedis[] = [];
  const sentinels: FoundSentinel[] = [];
  const vips: {
    host: string;
    address: string;
    instance: string;
    comments: Map<number, { id: string; label?: string }>;
    /** Where the address is written, to name it when no balancer's port goes with it. */
    at: { relative: string; text: string; line: number };
  }[] = [];
  const mounts: { host: string; where: string; what: string; hint?: string; users?: string[] }[] = [];
  const unitServices: { service: Service; host: string; requiresMounts: string[] }[] = [];
  const coldUnits = coldStandbyUnits(byPath.get('manifest.json'), hostsById);
  // Where the per-daemon readers put what they find.
  const sinks = { report, addService, uniqueId, redisServers, sentinels, unitServices };

  for (const host of [...hostsById.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!hostIdSet.has(host.id)) continue;
    const includedFiles = new Set<string>();
    for (const [path, file] of [...host.files.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const { relative, text, placed } = file;
      const fail = (line: number | undefined, message: string): void => {
        problems.push({ host: host.id, file: relative, line, message });
      };
      const hint = headerHint(text);
      // A `*.wants/` entry (collect records where units are enabled) is a fact about a unit, not a config.
      if (WANTS_ENTRY.test(path)) continue;
      switch (placed.daemon) {
        case 'nginx':
        case 'haproxy': {
          const reading = { text, relative, hint: hint.id, fail, report, uniqueId };
          const read =
            placed.daemon === 'nginx'
              ? readNginx(host, path, reading, includedFiles)
              : readHaproxy(host.id, reading);
          if (read.length > 0 && read.every((balancer) => balancer.routes.length === 0)) {
            report(
              host.id,
              relative,
              text,
              undefined,
              'no server, frontend or listen section: no service imported',
            );
          } else {
            for (const balancer of read) {
              addService(balancer.service);
              balancers.push(balancer);
            }
          }
          break;
        }
        case 'keepalived': {
          const parsed = readOrFail(parseBlockConfig(text, 'newline'), fail);
          if (parsed === undefined) break;
          const lines = text.split('\n');
          for (const directive of parsed.directives) {
            if (directive.name === 'vrrp_instance' && directive.block) {
              const instance = directive.args[0] ?? 'vrrp';
              const comments = new Map<number, { id: string; label?: string }>();
              for (let index = directive.line - 2; index >= 0 && lines[index]!.startsWith('#'); index -= 1) {
                const match = /^# Entrypoint ([a-z][a-z0-9-]*)(?: "([^"]*)")?, port (\d+)\./.exec(
                  lines[index]!,
                );
                if (match) comments.set(Number(match[3]), { id: match[1]!, label: match[2] });
              }
              for (const inner of directive.block) {
                if (inner.name === 'virtual_ipaddress' && inner.block) {
                  for (const address of inner.block) {
                    vips.push({
                      host: host.id,
                      address: address.name.replace(/\/\d+$/, ''),
                      instance,
                      comments,
                      at: { relative, text, line: address.line },
                    });
                  }
                } else if (inner.name === 'interface' && inner.args[0] !== undefined) {
                  const found = hosts.find((candidate) => candidate.id === host.id);
                  if (found && inner.args[0] !== 'eth0') found.interface = inner.args[0];
                } else if (
                  ![
                    'state',
                    'priority',
                    'virtual_router_id',
                    'advert_int',
                    'track_script',
                    'unicast_src_ip',
                    'unicast_peer',
                  ].includes(inner.name)
                ) {
                  report(host.id, relative, text, inner.line, 'keepalived setting the design does not model');
                }
              }
            } else if (directive.name !== 'global_defs' && directive.name !== 'vrrp_script') {
              report(
                host.id,
                relative,
                text,
                directive.line,
                'keepalived block the design does not model (only vrrp_instance addresses are imported)',
              );
            }
          }
          break;
        }
        case 'redis':
        case 'sentinel': {
          const parsed = readOrFail(parseRedisConfig(text), fail);
          if (parsed === undefined) break;
          const perService = /-([a-z][a-z0-9-]*)\.conf$/.exec(path)?.[1];
          const sentinel = placed.daemon === 'sentinel';
          const id = uniqueId(hint.id ?? perService ?? `${host.id}-${sentinel ? 'sentinel' : 'redis'}`);
          readRedis(host.id, hosts, relative, text, parsed.directives, sentinel, id, hint.group, sinks);
          break;
        }
        case 'mongod': {
          const parsed = readOrFail(parseMongodConfig(text), fail);
          if (parsed === undefined) break;
          const setting = (key: string) => parsed.settings.find((entry) => entry.path === key);
          const port = Number(setting('net.port')?.value ?? 27017);
          const setName = setting('replication.replSetName')?.value;
          const address = hosts.find((candidate) => candidate.id === host.id)?.address ?? host.id;
          const service = addService({
            id: uniqueId(hint.id ?? `${host.id}-mongod`),
            kind: 'mongodb',
            host: host.id,
            port,
          } as Service);
          if (setName !== undefined) mongoMembers.push({ service, host: host.id, address, port, setName });
          for (const entry of parsed.settings) {
            if (['net.port', 'replication.replSetName', 'net.bindIp'].includes(entry.path)) continue;
            const reason =
              entry.path === 'security.keyFile'
                ? 'the key file is a secret that push creates on the host; the design only says auth is on'
                : entry.path === 'security.authorization'
                  ? 'access control is on by default in a design'
                  : 'mongod setting the design does not model (generate writes its own)';
            report(host.id, relative, text, entry.line, reason);
          }
          break;
        }
        case 'service-unit': {
          const parsed = readOrFail(parseUnitFile(text), fail);
          if (parsed === undefined) break;
          readServiceUnit(
            host.id,
            path,
            relative,
            text,
            parsed.settings,
            hint,
            coldUnits.has(`${host.id} ${path}`),
            sinks,
          );
          break;
        }
        case 'mount-unit': {
          const parsed = readOrFail(parseUnitFile(text), fail);
          if (parsed === undefined) break;
          const value = (key: string) =>
            parsed.settings.find((entry) => entry.section === 'Mount' && entry.key === key);
          const what = value('What');
          const where = value('Where');
          const type = value('Type');
          if (what && where && (type === undefined || type.value.startsWith('nfs'))) {
            mounts.push({
              host: host.id,
              where: where.value,
              what: what.value,
              hint: hint.id,
              users: hint.users,
            });
            for (const entry of parsed.settings)
              if (![what, where, type].includes(entry))
                report(host.id, relative, text, entry.line, 'mount option the design does not model');
          } else {
            report(
              host.id,
              relative,
              text,
              undefined,
              'a mount unit that is not an NFS mount with What= and Where=',
            );
          }
          break;
        }
        default:
          if (!includedFiles.has(path) && !isIncludedElsewhere(path, host)) {
            report(host.id, relative, text, undefined, 'no daemon that import knows reads this file');
          }
      }
    }
  }

  // Links: every upstream or backend server, matched to a service by address and port.
  const serviceAt = (address: string, port: number, hint: string | undefined): Service => {
    const hostId = hostOfAddress.get(address);
    const onHost = services.filter((service) => service.host !== undefined && service.host === hostId);
    const named = hint === undefined ? undefined : onHost.find((service) => service.id === hint);
    const byPort = onHost.find(
      (service) => service.port === port && !['nginx', 'haproxy'].includes(service.kind),
    );
    const found = named ?? byPort;
    if (found) {
      if (found.port === undefined) found.port = port;
      return found;
    }
    let host = hostId;
    if (host === undefined) {
      host = uniqueId(
        hint !== undefined && !usedIds.has(`${hint}-host`) ? `${hint}-host` : `host-${address}`,
      );
      hosts.push({ id: host as Host['id'], address });
      hostOfAddress.set(address, host);
    }
    // A server named after its host (HAProxy's `server app-1 …` on host app-1) gets the port too.
    const wanted = hint === undefined ? `${host}-${port}` : usedIds.has(hint) ? `${hint}-${port}` : hint;
    return addService({ id: uniqueId(wanted), kind: 'app', host, port } as Service);
  };
  for (const balancer of balancers) {
    for (const route of balancer.routes) {
      for (const backend of route.backends) {
        const target = serviceAt(backend.address, backend.port, backend.hint);
        if (
          target.kind === 'app' &&
          backend.healthIntervalMs !== undefined &&
          target.healthCheck === undefined
        ) {
          target.healthCheck = { path: backend.healthPath ?? '/', intervalMs: backend.healthIntervalMs };
        }
        const link: Link = {
          from: balancer.service.id,
          to: target.id,
          kind: 'traffic',
          port: backend.port,
        } as Link;
        if (backend.backup) link.backup = true;
        if (
          !links.some((other) => other.from === link.from && other.to === link.to && other.port === link.port)
        )
          links.push(link);
      }
    }
  }

  // A service that receives traffic only as a `backup` server takes over by itself when the others
  // fail: a hot standby (a cold standby's unit says more, and keeps its mode).
  for (const service of services) {
    if (service.mode !== undefined) continue;
    const incoming = links.filter((link) => link.to === service.id && link.kind === 'traffic');
    if (incoming.length > 0 && incoming.every((link) => link.backup === true)) service.mode = 'hot-standby';
  }

  // Storage: one external service per NFS export, used by every unit that requires its mount.
  const storageByEndpoint = new Map<string, Service>();
  for (const mount of mounts) {
    let storage = storageByEndpoint.get(mount.what);
    if (!storage) {
      storage = addService({
        id: uniqueId(mount.hint ?? mount.where.split('/').filter(Boolean).at(-1) ?? 'storage'),
        kind: 'storage',
        type: 'nfs',
        endpoint: mount.what,
        mountPoint: mount.where,
      } as Service);
      storageByEndpoint.set(mount.what, storage);
      missing.push({
        what: `storage ${storage.id} (${mount.what})`,
        reason: 'no config says whether the NFS server is highly available: set `ha: true` if it is',
      });
    }
    // The units that require the mount use the storage; a generated mount unit also names its users.
    const users = new Set(
      unitServices
        .filter((unit) => unit.host === mount.host && unit.requiresMounts.includes(mount.where))
        .map((unit) => unit.service.id as string),
    );
    for (const user of mount.users ?? [])
      if (services.some((service) => service.id === user && service.host === mount.host)) users.add(user);
    for (const user of [...users].sort())
      if (!links.some((link) => link.from === user && link.to === storage.id))
        links.push({ from: user, to: storage.id, kind: 'uses' } as Link);
  }

  // An application whose port no config names takes its kind's default: say so.
  for (const unit of unitServices) {
    if (unit.service.port === undefined && unit.service.kind === 'app') {
      missing.push({
        what: `the port of ${unit.service.id} on ${unit.host}`,
        reason:
          'no balancer sends it traffic and its unit does not name a port, so it takes the default 8080: set `port`',
      });
    }
  }

  // Replica sets: one group per replSetName; roles from the init script when there is one.
  const initMembers = new Map<
    string,
    { arbiter: boolean; priority: number; votes: number; hidden: boolean; hint?: string; group?: string }
  >();
  for (const script of scripts) {
    const group = /\(group ([a-z][a-z0-9-]*)[,)]/.exec(script.text)?.[1];
    for (const line of script.text.split('\n')) {
      const member =
        /\{ _id: \d+, host: "([^"]+)", priority: (\d+), votes: (\d), hidden: (true|false), arbiterOnly: (true|false) \}/.exec(
          line,
        );
      if (member)
        initMembers.set(memberKey(member[1]!), {
          priority: Number(member[2]),
          votes: Number(member[3]),
          hidden: member[4] === 'true',
          arbiter: member[5] === 'true',
          hint: trailingHint(line.replace(/\s*\(.*$/, '')) ?? /\/\/ ([a-z][a-z0-9-]*)/.exec(line)?.[1],
          group,
        });
    }
  }
  const setNames = [...new Set(mongoMembers.map((member) => member.setName))].sort();
  for (const setName of setNames) {
    const members = mongoMembers.filter((member) => member.setName === setName);
    const groupHint = members
      .map((member) => initMembers.get(`${member.address}:${member.port}`)?.group)
      .find(Boolean);
    const group: Group = { id: uniqueId(groupHint ?? setName) as Group['id'], kind: 'mongodb-replica-set' };
    if (group.id !== setName) group.name = setName;
    groups.push(group);
    let withRoles = 0;
    for (const member of members) {
      member.service.group = group.id;
      const role = initMembers.get(`${member.address}:${member.port}`);
      if (role === undefined) continue;
      withRoles += 1;
      const service = member.service as Service & Record<string, unknown>;
      if (role.arbiter) {
        service.kind = 'arbiter';
      } else {
        if (role.priority !== 1) service.priority = role.priority;
        if (role.votes !== 1) service.votes = role.votes;
        if (role.hidden) service.hidden = true;
      }
    }
    if (withRoles < members.length) {
      missing.push({
        what: `the member roles of replica set ${setName}`,
        reason:
          'no init script names them: members are imported as data-bearing with priority 1 and 1 vote (arbiters, priorities and hidden members live in the running set, not in mongod.conf)',
      });
    }
  }

  // Sentinel groups: one per monitored master; the redis servers at or replicating that address.
  const masters = [
    ...new Set(sentinels.map((sentinel) => `${sentinel.masterName}\u0000${sentinel.target}`)),
  ].sort();
  for (const key of masters) {
    const [masterName, target] = key.split('\u0000') as [string, string];
    const watching = sentinels.filter(
      (sentinel) => sentinel.masterName === masterName && sentinel.target === target,
    );
    const first = watching[0]!;
    const group: Group = {
      id: uniqueId(first.groupHint ?? masterName) as Group['id'],
      kind: 'redis-sentinel',
      masterName,
      quorum: first.quorum,
    };
    if (first.downAfterMs !== undefined) group.downAfterMs = first.downAfterMs;
    if (first.failoverTimeoutMs !== undefined) group.failoverTimeoutMs = first.failoverTimeoutMs;
    groups.push(group);
    for (const sentinel of watching) sentinel.service.group = group.id;
    for (const server of redisServers) {
      const at = `${server.address}:${server.port}`;
      // A Sentinel watching 127.0.0.1 watches the Redis on its own host.
      const local = watching.some(
        (sentinel) => sentinel.host === server.host && isLoopback(splitAddress(target).address),
      );
      if (at === target || (local && target.endsWith(`:${server.port}`))) {
        server.service.group = group.id;
        server.service.primary = true;
      } else if (server.replicaOf === target) {
        server.service.group = group.id;
      } else continue;
      // Every member's redis.conf carries the group's write safety (docs/availability.md).
      if (server.minReplicasToWrite !== undefined)
        group.minReplicasToWrite = Math.max(group.minReplicasToWrite ?? 0, server.minReplicasToWrite);
      if (server.minReplicasMaxLagSeconds !== undefined)
        group.minReplicasMaxLagSeconds = server.minReplicasMaxLagSeconds;
    }
  }

  // Entrypoints: floating addresses first, then the public listeners no address covers.
  const covered = new Set<string>();
  const vipAddresses = [...new Set(vips.map((vip) => vip.address))].sort();
  for (const address of vipAddresses) {
    const holders = vips.filter((vip) => vip.address === address);
    const holderHosts = new Set(holders.map((vip) => vip.host));
    const onHolders = balancers.filter((balancer) => holderHosts.has(balancer.service.host as string));
    const ports = [
      ...new Set(
        onHolders.flatMap((balancer) =>
          balancer.routes.filter((route) => !route.loopback).map((route) => route.listener.port),
        ),
      ),
    ];
    if (ports.length === 0) {
      for (const vip of holders)
        report(
          vip.host,
          vip.at.relative,
          vip.at.text,
          vip.at.line,
          'a floating address on a host where no balancer listens: no entrypoint imported',
        );
    }
    const comments = new Map(holders.flatMap((vip) => [...vip.comments.entries()]));
    // A generated keepalived.conf names every entrypoint of its address; a hand-written one names
    // none, and then each port the balancers listen on is one.
    const order = comments.size > 0 ? [...comments.keys()] : ports.sort((a, b) => a - b);
    for (const port of order) {
      // A generated file names its entrypoints; one on a port no balancer listens on is kept as
      // written (its targets are the balancers holding the address), so the design says the same.
      if (!ports.includes(port) && onHolders.length === 0) continue;
      const listening = onHolders.filter((balancer) =>
        balancer.routes.some((route) => route.listener.port === port && !route.loopback),
      );
      const targets = listening.length > 0 ? listening : onHolders;
      const comment = comments.get(port);
      const entrypoint: Entrypoint = {
        id: uniqueId(comment?.id ?? `${holders[0]!.instance}-${port}`) as Entrypoint['id'],
        port,
        targets: targets.map((balancer) => balancer.service.id),
        via: 'vip',
        address,
      };
      if (comment?.label !== undefined) entrypoint.label = comment.label;
      entrypoints.push(entrypoint);
      for (const balancer of targets) covered.add(`${balancer.service.id}:${port}`);
    }
  }
  const openPorts = new Map<number, string[]>();
  for (const balancer of balancers) {
    for (const route of balancer.routes) {
      if (route.loopback || covered.has(`${balancer.service.id}:${route.listener.port}`)) continue;
      const list = openPorts.get(route.listener.port) ?? [];
      if (!list.includes(balancer.service.id)) list.push(balancer.service.id);
      openPorts.set(route.listener.port, list);
    }
  }
  // Clients may reach these ports by DNS, directly, or through a load balancer outside: no config
  // says which, so no entrypoint is guessed for them.
  for (const [port, targets] of [...openPorts.entries()].sort((a, b) => a[0] - b[0])) {
    missing.push({
      what: `how clients reach port ${port} of ${targets.join(', ')}`,
      reason:
        'no floating address covers it, so no entrypoint was made for it: add one with `via` `direct` or `external-lb`' +
        (entrypoints.length === 0
          ? ' (until a design has entrypoints, every service nothing links to counts as one)'
          : ''),
    });
  }

  if (hosts.length > 0) {
    missing.push({
      what: 'sites (failure domains)',
      reason:
        "no config says which hosts fail together; add `sites` and each host's `site` to see site failures",
    });
  }
  if (unitServices.length > 0) {
    missing.push({
      what: 'the `uses` links of applications (databases, caches, queues they need)',
      reason:
        'a unit file names its command, not what the program connects to; only mounts the unit requires are imported',
    });
  }
  missing.push({
    what: 'services outside the hosts (managed databases, object stores)',
    reason: 'they run on no collected host, so no config of the folder describes them',
  });

  const design: Design = {
    format: 1,
    name,
    hosts: hosts.sort((a, b) => a.id.localeCompare(b.id)),
    services,
    ...(groups.length > 0 ? { groups } : {}),
    ...(links.length > 0 ? { links } : {}),
    ...(entrypoints.length > 0 ? { entrypoints } : {}),
  } as Design;
  return { design, unused, missing, problems };
}

/** An entry of a unit's `*.wants/` folder, as collect records it: the unit is enabled. */
const WANTS_ENTRY = new RegExp(`^${UNIT_DIRECTORY}/[^/]+\\.wants/([^/]+)$`, 'u');

/**
 * The service units (`host path`) that are installed but not started at boot: a cold standby. A
 * bundle's manifest says so by the unit's reload (`try-restart`, never `enable`); a collected host
 * by its `*.wants/` entries, when collect recorded any (a host without one says nothing either way).
 */
function coldStandbyUnits(
  manifest: ImportFile | undefined,
  hostsById: ReadonlyMap<string, HostFiles>,
): Set<string> {
  const cold = new Set<string>();
  if (manifest !== undefined) {
    let files: unknown;
    try {
      files = (JSON.parse(manifest.text) as { files?: unknown })?.files;
    } catch {
      files = undefined; // readInventory reports a manifest that is not JSON
    }
    for (const entry of Array.isArray(files) ? files : []) {
      const { host, path, reload } = (entry ?? {}) as { host?: unknown; path?: unknown; reload?: unknown };
      if (typeof host !== 'string' || typeof path !== 'string' || typeof reload !== 'string') continue;
      const unit = SERVICE_UNIT.unitOf(path);
      if (unit !== undefined && reload === SERVICE_UNIT.reload(unit, true)) cold.add(`${host} ${path}`);
    }
  }
  for (const host of hostsById.values()) {
    const enabled = new Set<string>();
    for (const path of host.files.keys()) {
      const unit = WANTS_ENTRY.exec(path)?.[1];
      if (unit !== undefined) enabled.add(unit);
    }
    if (enabled.size === 0) continue;
    for (const path of host.files.keys()) {
      const unit = SERVICE_UNIT.unitOf(path);
      if (unit !== undefined && !enabled.has(unit)) cold.add(`${host.id} ${path}`);
    }
  }
  return cold;
}

function isIncludedElsewhere(path: string, host: HostFiles): boolean {
  // Files under /etc/nginx other than nginx.conf are read through nginx.conf's includes.
  return path.startsWith('/etc/nginx/') && host.files.has('/etc/nginx/nginx.conf');
}

/**
 * What a config reader read, or undefined once its error is recorded through `fail`: every reader
 * stops at a file's first error, and import lists that error as the file's problem.
 */
function readOrFail<T>(result: ReadResult<T>, fail: Fail): ({ readonly ok: true } & T) | undefined {
  if (result.ok) return result;
  fail(result.error.line, result.error.message);
  return undefined;
}

/** Records a file's problem, at its line when known. */
type Fail = (line: number | undefined, message: string) => void;

/** A load balancer's config file and where its reader puts what it finds. */
interface BalancerReading {
  text: string;
  relative: string;
  /** The service id the file's header names, if any. */
  hint: string | undefined;
  fail: Fail;
  report: Reporter;
  uniqueId: (wanted: string) => string;
}

/** A Redis server import read, before its group is known. */
interface FoundRedis {
  service: Service & { kind: 'redis' };
  host: string;
  address: string;
  port: number;
  replicaOf?: string;
  minReplicasToWrite?: number;
  minReplicasMaxLagSeconds?: number;
  groupHint?: string;
}

/** A Sentinel import read, with the master it watches. */
interface FoundSentinel {
  service: Service;
  host: string;
  masterName: string;
  target: string;
  quorum: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  groupHint?: string;
}

type Reporter = (
  host: string,
  relative: string,
  text: string,
  line: number | undefined,
  reason: string,
) => void;

function readInventory(
  file: ImportFile | undefined,
  problems: ImportProblem[],
): Map<string, { address: string; ssh?: Host['ssh'] }> {
  const result = new Map<string, { address: string; ssh?: Host['ssh'] }>();
  if (file === undefined) return result;
  let value: unknown;
  try {
    value = JSON.parse(file.text);
  } catch (error) {
    problems.push({ file: file.path, message: `not JSON: ${(error as Error).message}` });
    return result;
  }
  const list = Array.isArray(value) ? value : (value as { hosts?: unknown })?.hosts;
  if (!Array.isArray(list)) {
    problems.push({ file: file.path, message: 'expected a list of {host, address, ssh?}' });
    return result;
  }
  list.forEach((entry: unknown, index) => {
    const record = entry as { host?: unknown; id?: unknown; address?: unknown; ssh?: unknown };
    const id = record?.host ?? record?.id;
    if (typeof id !== 'string' || typeof record.address !== 'string') {
      problems.push({ file: file.path, message: `entry ${index + 1}: expected {host, address} strings` });
      return;
    }
    if (result.has(id)) {
      problems.push({
        host: id,
        file: file.path,
        message: `entry ${index + 1}: the host ${id} is listed twice`,
      });
      return;
    }
    const ssh = record.ssh && typeof record.ssh === 'object' ? (record.ssh as Host['ssh']) : undefined;
    result.set(id, ssh === undefined ? { address: record.address } : { address: record.address, ssh });
  });
  return result;
}

/** Resolves an nginx `include` pattern against the host's files (`*` within one path segment). */
function matchInclude(pattern: string, files: Iterable<string>): string[] {
  const absolute = pattern.startsWith('/') ? pattern : `/etc/nginx/${pattern}`;
  const expression = new RegExp(
    `^${absolute
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );
  return [...files].filter((file) => expression.test(file)).sort();
}

function readNginx(
  host: HostFiles,
  path: string,
  reading: BalancerReading,
  includedFiles: Set<string>,
): Balancer[] {
  const { text, relative, hint, fail, report, uniqueId } = reading;
  if (path !== '/etc/nginx/nginx.conf') return [];
  // Expands includes in place, keeping each directive's own file for the unused list.
  type Placed = BlockDirective & { file: string; source: string };
  const failures: string[] = [];
  const expand = (
    directives: readonly BlockDirective[],
    file: string,
    source: string,
    stack: string[],
  ): Placed[] =>
    directives.flatMap((directive): Placed[] => {
      if (directive.name === 'include' && directive.args[0] !== undefined) {
        const matches = matchInclude(directive.args[0], host.files.keys());
        if (matches.length === 0 && !directive.args[0].includes('*')) {
          report(host.id, file, source, directive.line, 'the included file is not in the folder');
        }
        return matches.flatMap((included) => {
          if (stack.includes(included)) {
            fail(directive.line, `include loop: ${[...stack, included].join(' includes ')}`);
            failures.push(included);
            return [];
          }
          includedFiles.add(included);
          const entry = host.files.get(included)!;
          const parsed = parseBlockConfig(entry.text, 'semicolon');
          if (!parsed.ok) {
            failures.push(included);
            report(
              host.id,
              entry.relative,
              entry.text,
              parsed.error.line,
              `could not be read: ${parsed.error.message}`,
            );
            return [];
          }
          return expand(parsed.directives, entry.relative, entry.text, [...stack, included]);
        });
      }
      const block = directive.block ? expand(directive.block, file, source, stack) : undefined;
      return [{ ...directive, ...(block ? { block } : {}), file, source }];
    });
  const parsed = readOrFail(parseBlockConfig(text, 'semicolon'), fail);
  if (parsed === undefined) return [];
  const directives = expand(parsed.directives, relative, text, [path]);
  if (failures.length > 0) return [];
  const unusedOf = (directive: Placed, reason: string) =>
    report(host.id, directive.file, directive.source, directive.line, reason);

  const upstreams = new Map<string, Backend[]>();
  const routes: Balancer['routes'] = [];
  let serverName: string | undefined;
  const tls: { cert?: string; key?: string } = {};
  const upstreamPrefixes: string[] = [];
  const readUpstream = (directive: Placed) => {
    const backends: Backend[] = [];
    const lines = directive.source.split('\n');
    for (const inner of (directive.block ?? []) as Placed[]) {
      if (inner.name !== 'server' || inner.args[0] === undefined) {
        unusedOf(inner, 'upstream tuning the design does not model (generate writes its own)');
        continue;
      }
      const { address, port } = splitAddress(inner.args[0]);
      const failTimeout = inner.args.find((arg) => arg.startsWith('fail_timeout='));
      const seconds = failTimeout ? /^fail_timeout=(\d+)(ms|s)?$/.exec(failTimeout) : undefined;
      backends.push({
        address,
        port: port ?? 80,
        backup: inner.args.includes('backup'),
        hint: trailingHint(lines[inner.line - 1]),
        healthIntervalMs: seconds ? Number(seconds[1]) * (seconds[2] === 'ms' ? 1 : 1000) : undefined,
      });
    }
    upstreams.set(directive.args[0] ?? '', backends);
    upstreamPrefixes.push(directive.args[0] ?? '');
  };
  const readServer = (directive: Placed, stream: boolean) => {
    const listeners: { port: number; protocol: Listener['protocol']; loopback: boolean }[] = [];
    const targets: string[] = [];
    const visit = (block: readonly Placed[]) => {
      for (const inner of block) {
        if (inner.name === 'listen' && inner.args[0] !== undefined) {
          const { address, port } = splitAddress(inner.args[0]);
          const numeric = /^\d+$/.test(address) ? Number(address) : (port ?? 80);
          listeners.push({
            port: numeric,
            protocol: stream ? 'tcp' : inner.args.includes('ssl') ? 'https' : 'http',
            loopback: !/^\d+$/.test(address) && isLoopback(address),
          });
        } else if (inner.name === 'proxy_pass' && inner.args[0] !== undefined) {
          targets.push(inner.args[0].replace(/^https?:\/\//, '').replace(/\/.*$/, ''));
        } else if (inner.name === 'location' && inner.block) {
          visit(inner.block as Placed[]);
        } else if (inner.name === 'server_name') {
          if (inner.args[0] !== '_' && inner.args[0] !== undefined) serverName ??= inner.args[0];
        } else if (inner.name === 'ssl_certificate') {
          tls.cert ??= inner.args[0];
        } else if (inner.name === 'ssl_certificate_key') {
          tls.key ??= inner.args[0];
        } else {
          unusedOf(inner, 'server setting the design does not model');
        }
      }
    };
    visit((directive.block ?? []) as Placed[]);
    for (const listener of listeners) {
      const backends = targets.flatMap(
        (target) =>
          upstreams.get(target) ??
          (target.includes(':')
            ? [{ ...splitAddress(target), port: splitAddress(target).port ?? 80, backup: false }]
            : []),
      );
      routes.push({
        listener: { port: listener.port, protocol: listener.protocol },
        loopback: listener.loopback,
        backends,
        ...(targets[0] !== undefined ? { upstream: targets[0] } : {}),
      });
    }
  };
  const visitContext = (block: readonly Placed[], stream: boolean) => {
    // Upstreams first: a server may name one defined further down.
    for (const directive of block) if (directive.name === 'upstream') readUpstream(directive);
    for (const directive of block) {
      if (directive.name === 'upstream') continue;
      if (directive.name === 'server' && directive.block) readServer(directive, stream);
      else
        unusedOf(
          directive,
          `${stream ? 'stream' : 'http'} setting the design does not model (generate writes its own)`,
        );
    }
  };
  for (const directive of directives) {
    if (directive.name === 'http' && directive.block) visitContext(directive.block as Placed[], false);
    else if (directive.name === 'stream' && directive.block) visitContext(directive.block as Placed[], true);
    else unusedOf(directive, 'nginx setting the design does not model (generate writes its own)');
  }
  // A generated nginx.conf serves every nginx service of its host (`# nginx lb-1.` for each, and
  // upstreams named `<service>-<port>`); split its servers between them by upstream name.
  const named = [...text.matchAll(/^# nginx ([a-z][a-z0-9-]*)[.:]/gm)].map((match) => match[1]!);
  const owners = named.length > 1 ? named : [hint ?? commonIdPrefix(upstreamPrefixes) ?? `${host.id}-nginx`];
  return owners.map((owner) => {
    const own =
      owners.length === 1
        ? routes
        : routes.filter((route) => route.upstream?.startsWith(`${owner}-`) === true);
    const service: Service & { kind: 'nginx' } = {
      id: uniqueId(owner),
      kind: 'nginx',
      host: host.id,
    } as Service & { kind: 'nginx' };
    const listen = uniqueListeners(own.filter((route) => !route.loopback).map((route) => route.listener));
    if (
      listen.length > 0 &&
      !(listen.length === 1 && listen[0]!.port === 80 && listen[0]!.protocol === 'http')
    )
      service.listen = listen;
    if (serverName !== undefined) service.serverName = serverName;
    if (tls.cert !== undefined && tls.key !== undefined) service.tls = { cert: tls.cert, key: tls.key };
    return { service, routes: own };
  });
}

function uniqueListeners(listeners: Listener[]): Listener[] {
  const seen = new Set<number>();
  return listeners.filter((listener) => {
    if (seen.has(listener.port)) return false;
    seen.add(listener.port);
    return true;
  });
}

/** `lb-a` from `lb-a-443` and `lb-a-9000`: the generators name sections `<service>-<port>`. */
function commonIdPrefix(names: readonly string[]): string | undefined {
  const prefixes = new Set(names.map((name) => /^([a-z][a-z0-9-]*)-(\d+|stats)$/.exec(name)?.[1]));
  if (prefixes.size !== 1) return undefined;
  return [...prefixes][0];
}

function readHaproxy(host: string, reading: BalancerReading): Balancer[] {
  const { text, relative, hint, fail, report, uniqueId } = reading;
  const parsed = readOrFail(parseHaproxyConfig(text), fail);
  if (parsed === undefined) return [];
  const sections = parsed.sections;
  const backendSections = new Map(
    sections
      .filter((section) => section.kind === 'backend')
      .map((section) => [section.args[0] ?? '', section]),
  );
  const used = new Set<HaproxySection['directives'][number]>();
  const serversOf = (section: HaproxySection): Backend[] => {
    const httpchk = section.directives.find(
      (directive) => directive.name === 'option' && directive.args[0] === 'httpchk',
    );
    if (httpchk) used.add(httpchk);
    const path = httpchk?.args.find((arg) => arg.startsWith('/'));
    return section.directives
      .filter((directive) => directive.name === 'server' && directive.args[1] !== undefined)
      .map((directive) => {
        used.add(directive);
        const { address, port } = splitAddress(directive.args[1]!);
        const inter = directive.args[directive.args.indexOf('inter') + 1];
        const checked = directive.args.includes('check');
        const interval = inter && /^(\d+)(ms|s)?$/.exec(inter);
        return {
          address,
          port: port ?? 80,
          backup: directive.args.includes('backup'),
          hint: directive.args[0],
          healthIntervalMs: checked
            ? interval
              ? Number(interval[1]) * (interval[2] === 's' ? 1000 : 1)
              : 2000
            : undefined,
          healthPath: path,
        };
      });
  };
  const routes: Balancer['routes'] = [];
  let stats: number | undefined;
  let statsSection = '';
  const names: string[] = [];
  for (const section of sections) {
    if (section.kind !== 'frontend' && section.kind !== 'listen') continue;
    names.push(section.args[0] ?? '');
    const mode = section.directives.find((directive) => directive.name === 'mode');
    if (mode) used.add(mode);
    const isStats = section.directives.some(
      (directive) => directive.name === 'stats' && directive.args[0] === 'enable',
    );
    const backends: Backend[] = section.kind === 'listen' ? serversOf(section) : [];
    for (const directive of section.directives) {
      if (directive.name === 'default_backend' || directive.name === 'use_backend') {
        used.add(directive);
        const target = backendSections.get(directive.args.at(directive.name === 'use_backend' ? 0 : 0) ?? '');
        if (target) backends.push(...serversOf(target));
      }
    }
    for (const directive of section.directives.filter((candidate) => candidate.name === 'bind')) {
      used.add(directive);
      const { address, port } = splitAddress(directive.args[0] ?? '');
      if (port === undefined) continue;
      if (isStats) {
        stats = port;
        statsSection = section.args[0] ?? '';
        continue;
      }
      const protocol: Listener['protocol'] =
        mode?.args[0] === 'tcp' ? 'tcp' : directive.args.includes('ssl') ? 'https' : 'http';
      routes.push({
        listener: { port, protocol },
        loopback: isLoopback(address),
        backends,
        upstream: section.args[0] ?? '',
      });
    }
    if (isStats)
      for (const directive of section.directives) if (directive.name === 'stats') used.add(directive);
  }
  for (const section of sections) {
    for (const directive of section.directives) {
      if (!used.has(directive))
        report(
          host,
          relative,
          text,
          directive.line,
          `${section.kind} setting the design does not model (generate writes its own)`,
        );
    }
  }
  // A generated haproxy.cfg serves every HAProxy service of its host (`# HAProxy lb-1.` for
  // each, sections named `<service>-<port>`); split its frontends between them by name.
  const named = [...text.matchAll(/^# HAProxy ([a-z][a-z0-9-]*)[.:]/gm)].map((match) => match[1]!);
  const owners = named.length > 1 ? named : [hint ?? commonIdPrefix(names) ?? `${host}-haproxy`];
  return owners.map((owner) => {
    const mine = (name: string | undefined) => owners.length === 1 || name?.startsWith(`${owner}-`) === true;
    const own = routes.filter((route) => mine(route.upstream));
    const service: Service & { kind: 'haproxy' } = {
      id: uniqueId(owner),
      kind: 'haproxy',
      host,
    } as Service & {
      kind: 'haproxy';
    };
    const listen = uniqueListeners(own.filter((route) => !route.loopback).map((route) => route.listener));
    if (
      listen.length > 0 &&
      !(listen.length === 1 && listen[0]!.port === 80 && listen[0]!.protocol === 'http')
    )
      service.listen = listen;
    if (stats !== undefined && mine(statsSection)) service.stats = { port: stats };
    return { service, routes: own };
  });
}

function readRedis(
  host: string,
  hosts: readonly Host[],
  relative: string,
  text: string,
  directives: readonly RedisDirective[],
  sentinel: boolean,
  id: string,
  groupHint: string | undefined,
  sinks: {
    report: Reporter;
    addService: (service: Service) => Service;
    redisServers: FoundRedis[];
    sentinels: FoundSentinel[];
  },
): void {
  const portDirective = directives.find((directive) => directive.name === 'port');
  const port = Number(portDirective?.args[0] ?? (sentinel ? 26379 : 6379));
  const bind = directives.find((directive) => directive.name === 'bind');
  const hostAddress = hosts.find((candidate) => candidate.id === host)?.address ?? host;
  const address =
    bind?.args.find((arg) => !isLoopback(arg) && arg !== '*' && !arg.startsWith('-')) ?? hostAddress;
  const used = new Set<RedisDirective>(
    [portDirective, bind].filter((entry): entry is RedisDirective => entry !== undefined),
  );
  const service = sinks.addService({ id, kind: sentinel ? 'sentinel' : 'redis', host, port } as Service);
  if (sentinel) {
    const monitor = directives.find(
      (directive) => directive.name === 'sentinel' && directive.args[0] === 'monitor',
    );
    if (monitor) {
      used.add(monitor);
      const masterName = monitor.args[1] ?? 'mymaster';
      const option = (name: string) => {
        const directive = directives.find(
          (entry) => entry.name === 'sentinel' && entry.args[0] === name && entry.args[1] === masterName,
        );
        if (directive) used.add(directive);
        return directive ? Number(directive.args[2]) : undefined;
      };
      sinks.sentinels.push({
        service,
        host,
        masterName,
        target: `${monitor.args[2]}:${monitor.args[3]}`,
        quorum: Number(monitor.args[4] ?? 2),
        downAfterMs: option('down-after-milliseconds'),
        failoverTimeoutMs: option('failover-timeout'),
        groupHint,
      });
    }
  } else {
    const replicaOf = directives.find(
      (directive) => directive.name === 'replicaof' || directive.name === 'slaveof',
    );
    if (replicaOf) used.add(replicaOf);
    // A number a setting holds, marking the directive used; undefined when absent or not a number.
    const setting = (name: string): number | undefined => {
      const directive = directives.find((entry) => entry.name === name);
      const value = directive === undefined ? Number.NaN : Number(directive.args[0]);
      if (!Number.isInteger(value) || value < 0) return undefined;
      used.add(directive!);
      return value;
    };
    const priority = setting('replica-priority');
    if (priority !== undefined) (service as Service & { kind: 'redis' }).replicaPriority = priority;
    const minReplicasToWrite = setting('min-replicas-to-write');
    const minReplicasMaxLagSeconds = setting('min-replicas-max-lag');
    sinks.redisServers.push({
      service: service as Service & { kind: 'redis' },
      host,
      address,
      port,
      replicaOf: replicaOf ? `${replicaOf.args[0]}:${replicaOf.args[1]}` : undefined,
      ...(minReplicasToWrite === undefined ? {} : { minReplicasToWrite }),
      ...(minReplicasMaxLagSeconds === undefined || minReplicasMaxLagSeconds < 1
        ? {}
        : { minReplicasMaxLagSeconds }),
      groupHint,
    });
  }
  for (const directive of directives) {
    if (used.has(directive)) continue;
    const reason =
      directive.name === 'aclfile' || directive.name === 'include'
        ? 'names a secret file that push creates on the host (never in the bundle); the design only says auth is on'
        : directive.name === 'sentinel' &&
            [
              'known-replica',
              'known-sentinel',
              'current-epoch',
              'myid',
              'config-epoch',
              'leader-epoch',
            ].includes(directive.args[0] ?? '')
          ? 'state Sentinel rewrites at run time, not a design setting'
          : SECRET_DIRECTIVES.has(directive.name) || directive.args[0] === 'auth-pass'
            ? 'a secret: never imported into a design'
            : `${sentinel ? 'Sentinel' : 'Redis'} setting the design does not model (generate writes its own)`;
    sinks.report(host, relative, text, directive.line, reason);
  }
}

const DAEMON_PROGRAMS = new Set([
  'nginx',
  'haproxy',
  'keepalived',
  'redis-server',
  'redis-sentinel',
  'mongod',
]);

function readServiceUnit(
  host: string,
  path: string,
  relative: string,
  text: string,
  settings: readonly UnitSetting[],
  hint: { kind?: string; id?: string },
  coldStandby: boolean,
  sinks: {
    report: Reporter;
    addService: (service: Service) => Service;
    uniqueId: (wanted: string) => string;
    unitServices: { service: Service; host: string; requiresMounts: string[] }[];
  },
): void {
  const unitName = path
    .split('/')
    .at(-1)!
    .replace(/\.service$/, '');
  const execStart = settings.find((setting) => setting.section === 'Service' && setting.key === 'ExecStart');
  const program = execStart?.value
    .replace(/^[-@:+!]+/, '')
    .split(/\s+/)[0]
    ?.split('/')
    .at(-1);
  const isDaemon =
    hint.kind === undefined
      ? DAEMON_PROGRAMS.has(program ?? '')
      : !['app', 'capture', 'router', 'processing', 'reporting'].includes(hint.kind);
  if (isDaemon) {
    for (const setting of settings)
      sinks.report(
        host,
        relative,
        text,
        setting.line,
        `the unit of the ${program ?? 'daemon'} daemon: its config is imported, and generate writes its own unit`,
      );
    return;
  }
  const description = settings.find((setting) => setting.section === 'Unit' && setting.key === 'Description');
  const kind = hint.kind ?? 'app';
  const service = sinks.addService({
    id: sinks.uniqueId(hint.id ?? unitName),
    kind,
    host,
    ...(description ? { label: description.value.slice(0, 200) } : {}),
    ...(execStart ? { command: execStart.value } : {}),
    ...(coldStandby ? { mode: 'cold-standby' } : {}),
  } as Service);
  const requires = settings.filter((setting) => setting.key === 'RequiresMountsFor');
  sinks.unitServices.push({
    service,
    host,
    requiresMounts: requires.flatMap((setting) => setting.value.split(/\s+/)),
  });
  for (const setting of settings) {
    if (setting === description || setting === execStart || requires.includes(setting)) continue;
    sinks.report(
      host,
      relative,
      text,
      setting.line,
      'unit setting the design does not model (generate writes its own sandbox and restart policy)',
    );
  }
}
