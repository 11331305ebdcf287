/**
 * MongoDB: a `mongod.conf` for every replica-set member (data-bearing and arbiter) on its host, and
 * one mongosh script per replica set that initiates it (SPEC sections 1 and 5).
 *
 * mongod.conf is written by the `yaml` library, never by hand, so no design value can change its
 * structure. The init script decides nothing at run time that the design already fixed: the view
 * model lists the members, their `_id`s and the order of the steps; the script only checks what the
 * running set already has, so that running it twice is safe.
 */
import { Document } from 'yaml';
import { MONGOD } from '../daemons';
import type { DesignIndex } from '../design-index';
import { isPrimarySecondaryArbiter, mainPortOf, mongoPriorityOf, mongoVotesOf } from '../model';
import type { Group, Host, MongoService, PlainService, Service } from '../model';
import type { BundleFile } from './bundle';
import { daemonConfigPath, daemonUnitName, hostOf, isIpv6 } from './context';
import type { Generator } from './context';
import { commentText, javascriptString } from './quote';
import { renderTemplate } from './render';

/** A service that runs a mongod: a data-bearing member, or an arbiter of a replica set. */
export type MongodService = MongoService | (PlainService & { kind: 'arbiter' });

/** Where one mongod keeps its config, data and log, and the unit that runs it. */
export interface MongodPaths {
  config: string;
  unit: string;
  /** `storage.dbPath`; must exist and belong to the mongodb user (the unit's `StateDirectory=`). */
  dbPath: string;
  /** `systemLog.path`, under /var/log/mongodb. */
  logPath: string;
}

/**
 * Paths of a mongod. The distribution's (`/var/lib/mongodb`, `/var/log/mongodb/mongod.log`) when
 * it is alone on its host, else named after the service so that two mongods never share a data
 * directory or a log.
 */
export function mongodPathsOf(index: DesignIndex, service: MongodService): MongodPaths {
  const config = daemonConfigPath(index, service);
  const unit = daemonUnitName(index, service);
  const alone = unit === 'mongod.service';
  return {
    config,
    unit,
    dbPath: alone ? '/var/lib/mongodb' : `/var/lib/mongodb-${service.id}`,
    logPath: alone ? '/var/log/mongodb/mongod.log' : `/var/log/mongodb/mongod-${service.id}.log`,
  };
}

/** Replica set name of a group: its `name`, else its id. */
export function replicaSetNameOf(group: Group): string {
  return group.name ?? group.id;
}

/** Bundle path of a replica set's init script. */
export function initScriptPathOf(group: Group): string {
  return `scripts/mongodb-${group.id}-init.js`;
}

/**
 * The services that run a mongod: every `mongodb`, and every `arbiter` of a replica set (an
 * arbiter elsewhere is a witness of a `quorum` group, not a mongod). Services without a host are
 * external and get nothing.
 */
function mongodServices(index: DesignIndex): { service: MongodService; host: Host }[] {
  const result: { service: MongodService; host: Host }[] = [];
  for (const service of index.design.services) {
    if (!isMongodService(index, service)) continue;
    const host = hostOf(index, service);
    if (host) result.push({ service, host });
  }
  return result;
}

function isMongodService(index: DesignIndex, service: Service): service is MongodService {
  if (service.kind === 'mongodb') return true;
  if (service.kind !== 'arbiter' || service.group === undefined) return false;
  return index.groups.get(service.group)?.kind === 'mongodb-replica-set';
}

function replicaSetOf(index: DesignIndex, service: Service): Group | undefined {
  const group = service.group === undefined ? undefined : index.groups.get(service.group);
  return group?.kind === 'mongodb-replica-set' ? group : undefined;
}

/** `host:port` as MongoDB writes a member's address, with brackets around an IPv6 address. */
export function memberAddressOf(host: Host, port: number): string {
  return isIpv6(host.address) ? `[${host.address}]:${port}` : `${host.address}:${port}`;
}

function describeService(service: Service): string {
  return service.label === undefined ? service.id : `${service.id} (${service.label})`;
}

function mongodConfig(index: DesignIndex, service: MongodService, host: Host): string {
  const paths = mongodPathsOf(index, service);
  const group = replicaSetOf(index, service);
  const port = mainPortOf(service) ?? 27017;
  // Clients and the other members reach it at the design's address; local tools at 127.0.0.1.
  const bindIp = [...new Set([host.address, '127.0.0.1'])].join(',');
  const settings = {
    storage: { dbPath: paths.dbPath },
    systemLog: { destination: 'file', path: paths.logPath, logAppend: true, logRotate: 'reopen' },
    net: { port, bindIp, ...(isIpv6(host.address) ? { ipv6: true } : {}) },
    // systemd supervises mongod in the foreground (Type=simple); a forking mongod would escape it.
    processManagement: { fork: false, timeZoneInfo: '/usr/share/zoneinfo' },
    ...(group ? { replication: { replSetName: replicaSetNameOf(group) } } : {}),
  };
  const role =
    group === undefined
      ? 'standalone mongod (in no replica set)'
      : `${service.kind === 'arbiter' ? 'arbiter' : 'data-bearing member'} of replica set ${replicaSetNameOf(group)} (group ${group.id})`;
  const document = new Document(settings);
  document.commentBefore = [
    ` Generated by Topoforge from design "${commentText(index.design.name)}"; edit the design, not this file.`,
    ` mongod ${commentText(describeService(service))}: ${commentText(role)}.`,
    ` Applied by restarting ${paths.unit}.`,
  ].join('\n');
  return document.toString();
}

/** One member of the replica set document, every value already a JavaScript literal. */
interface MemberView {
  id: number;
  host: string;
  priority: number;
  votes: number;
  hidden: boolean;
  arbiterOnly: boolean;
  /** The service it stands for, for a trailing comment. */
  comment: string;
}

/** View model of templates/mongodb/init.js.hbs. */
interface InitScriptView {
  header: string[];
  replicaSetName: string;
  /** Members passed to `rs.initiate`. */
  initialMembers: MemberView[];
  /** Arbiters added by `rs.addArb` once the default write concern is set (primary-secondary-arbiter). */
  laterArbiters: MemberView[];
  setWriteConcernBeforeArbiters: boolean;
  primaryWaitSeconds: number;
}

interface PlannedMember {
  service: MongodService;
  host: Host;
}

function memberView(member: PlannedMember, id: number): MemberView {
  const { service, host } = member;
  const hidden = service.kind === 'mongodb' && service.hidden === true;
  return {
    id,
    host: javascriptString(memberAddressOf(host, mainPortOf(service) ?? 27017)),
    priority: mongoPriorityOf(service),
    votes: mongoVotesOf(service),
    hidden,
    arbiterOnly: service.kind === 'arbiter',
    comment: commentText(describeService(service)),
  };
}

/**
 * The member to run the script against: `rs.initiate` must run on a member of the new set, and the
 * later steps on the primary, which is the electable data member with the highest priority.
 */
function initiatingMember(members: PlannedMember[]): PlannedMember | undefined {
  const data = members.filter((member) => member.service.kind === 'mongodb');
  const electable = data.filter(
    (member) => mongoPriorityOf(member.service) > 0 && mongoVotesOf(member.service) === 1,
  );
  const candidates = electable.length > 0 ? electable : data;
  return candidates.reduce<PlannedMember | undefined>(
    (best, member) =>
      best === undefined || mongoPriorityOf(member.service) > mongoPriorityOf(best.service) ? member : best,
    undefined,
  );
}

/**
 * The command that runs a replica set's init script against the member that should become primary,
 * for the runbook; undefined when the set has no data-bearing member on a host.
 */
export function initCommandOf(index: DesignIndex, group: Group): string | undefined {
  const members = mongodServices(index).filter(({ service }) => service.group === group.id);
  const runOn = initiatingMember(members);
  return runOn === undefined ? undefined : mongoshCommand(runOn, group);
}

function mongoshCommand(member: PlannedMember, group: Group): string {
  const address = memberAddressOf(member.host, mainPortOf(member.service) ?? 27017);
  return `mongosh 'mongodb://${commentText(address)}/?directConnection=true' --file ${initScriptPathOf(group)}`;
}

function initScript(index: DesignIndex, group: Group, members: PlannedMember[]): BundleFile | undefined {
  // Data-bearing members first: rs.addArb gives an arbiter the next free _id, which is then the one
  // planned here.
  const data = members.filter((member) => member.service.kind === 'mongodb');
  const arbiters = members.filter((member) => member.service.kind === 'arbiter');
  const runOn = initiatingMember(members);
  if (runOn === undefined) return undefined;
  const ordered = [...data, ...arbiters];
  const views = ordered.map((member, id) => memberView(member, id));
  const psa = isPrimarySecondaryArbiter(ordered.map((member) => member.service));
  const name = replicaSetNameOf(group);
  const left = (index.membersByGroup.get(group.id) ?? []).filter(
    (member) => !members.some((planned) => planned.service.id === member.id),
  );
  const header = [
    `Generated by Topoforge from design "${commentText(index.design.name)}"; edit the design, not this file.`,
    `Initiates replica set ${commentText(name)} (group ${commentText(group.label === undefined ? group.id : `${group.id}, ${group.label}`)}).`,
    '',
    'Start the mongod of every member first, then run it against the member that should become',
    `primary, ${commentText(describeService(runOn.service))}:`,
    `  ${mongoshCommand(runOn, group)}`,
    'Running it again is safe: it reads the current replica set configuration and only does what is',
    'missing. It never removes or changes a member; it prints what differs from the design instead.',
    ...(psa
      ? [
          '',
          'Primary-secondary-arbiter: with the arbiter, MongoDB would let the default write concern fall to',
          'w: 1, and since 5.0 it refuses to add such an arbiter until a cluster-wide default is set. So the',
          "data-bearing members are initiated first, the default write concern is set to w: 'majority' on",
          'the primary, and only then the arbiter is added (MongoDB manual, "Add an Arbiter to Replica Set").',
          "Trade-off: while a data-bearing member is down, w: 'majority' writes wait for it to return.",
        ]
      : []),
    ...(left.length > 0
      ? ['', `Left out, having no host: ${left.map((member) => commentText(member.id)).join(', ')}.`]
      : []),
  ];
  const view: InitScriptView = {
    header: header.map((line) => (line === '' ? '//' : `// ${line}`)),
    replicaSetName: javascriptString(name),
    initialMembers: psa ? views.filter((member) => !member.arbiterOnly) : views,
    laterArbiters: psa ? views.filter((member) => member.arbiterOnly) : [],
    setWriteConcernBeforeArbiters: psa,
    primaryWaitSeconds: 60,
  };
  return {
    path: initScriptPathOf(group),
    content: renderTemplate('mongodb/init.js', view),
    mode: '0644',
    policy: 'replace',
  };
}

/** Files of every mongod in the design, and the init script of every replica set. */
export const generateMongodb: Generator = ({ index }) => {
  const daemons = mongodServices(index);
  const files: BundleFile[] = [];
  for (const group of index.design.groups ?? []) {
    if (group.kind !== 'mongodb-replica-set') continue;
    const members = daemons.filter(({ service }) => service.group === group.id);
    const script = initScript(index, group, members);
    if (script) files.push(script);
  }
  for (const { service, host } of daemons) {
    const paths = mongodPathsOf(index, service);
    files.push({
      host: host.id,
      path: paths.config,
      content: mongodConfig(index, service, host),
      mode: MONGOD.mode,
      reload: MONGOD.reload(paths.unit),
      policy: 'replace',
    });
  }
  return files;
};
