/**
 * MongoDB: a `mongod.conf` for every replica-set member (data-bearing and arbiter) on its host, and
 * one mongosh script per replica set that initiates it (docs/design-file.md and docs/bundle.md).
 *
 * mongod.conf is written by the `yaml` library, never by hand, so no design value can change its
 * structure. The init script decides nothing at run time that the design already fixed: the view
 * model lists the members, their `_id`s and the order of the steps; the script only checks what the
 * running set already has, so that running it twice is safe.
 */
import { Document, stringify } from 'yaml';
import { MONGOD } from '../daemons';
import type { DesignIndex } from '../design-index';
import {
  authenticates,
  isPrimarySecondaryArbiter,
  mainPortOf,
  mongoPriorityOf,
  mongoVotesOf,
} from '../model';
import type { Group, Host, MongoReplicaSetGroup, MongoService, PlainService, Service } from '../model';
import type { BundleFile } from './bundle';
import { daemonConfigPath, daemonUnitName, hostOf, isIpv6, secretScopeOf } from './context';
import type { Generator } from './context';
import { commentText, javascriptString } from './quote';
import { renderTemplate } from './render';
import type { CheckedSecrets, SecretFile } from './secrets';

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

/**
 * The shared key file of a replica set member, beside its config: `/etc/mongod.keyfile`, or
 * `/etc/mongod-<id>.keyfile` when its host runs two mongods.
 */
export function keyFilePathOf(index: DesignIndex, service: MongodService): string {
  return daemonConfigPath(index, service).replace(/\.conf$/, '.keyfile');
}

/** The user the init script creates first, from a password it reads at run time. */
export const MONGODB_ADMIN_USER = 'admin';

/**
 * The roles of that first user: it creates the other users (`userAdminAnyDatabase`) and
 * administers the replica set (`clusterAdmin`: `rs.add`, `setDefaultRWConcern`), as the MongoDB
 * security checklist's user administrator and cluster administrator.
 */
export const MONGODB_ADMIN_ROLES = ['userAdminAnyDatabase', 'clusterAdmin'] as const;

/** The environment variable the init script reads the administrator's password from. */
export const MONGODB_ADMIN_PASSWORD_VARIABLE = 'TOPOFORGE_MONGODB_ADMIN_PASSWORD';

/**
 * `security` of a mongod.conf. A replica set member authenticates to the others with the set's key
 * file; with `auth: false` it keeps the key file (so the set still forms) but lets clients in
 * without logging in (`transitionToAuth`). A mongod in no replica set needs no key file.
 */
function securityOf(index: DesignIndex, service: MongodService): Record<string, unknown> | undefined {
  const open = !authenticates(service);
  if (replicaSetOf(index, service) === undefined) return open ? undefined : { authorization: 'enabled' };
  const keyFile = keyFilePathOf(index, service);
  return open ? { keyFile, transitionToAuth: true } : { keyFile, authorization: 'enabled' };
}

/** The key file of every replica set member placed on a host; its members share one secret. */
export function mongodbSecretFiles(index: DesignIndex): SecretFile[] {
  return mongodServices(index)
    .filter(({ service }) => replicaSetOf(index, service) !== undefined)
    .map(({ service, host }) => ({
      host: host.id,
      path: keyFilePathOf(index, service),
      owner: 'mongodb:mongodb',
      // mongod refuses a key file that its group or others may read.
      mode: '0400',
      scope: secretScopeOf(service),
      service: service.id,
      secrets: ['mongodb-keyfile'],
      render: { kind: 'mongodb-keyfile' },
      reload: `systemctl restart ${mongodPathsOf(index, service).unit}`,
    }));
}

/**
 * A key file. While a rotation rolls out it holds both keys as a YAML list, the previous one first:
 * mongod accepts either and logs in to the others with the first (MongoDB manual, "Rotate Keys for
 * Self-Managed Replica Sets").
 */
export function renderMongodbKeyfile(secrets: CheckedSecrets): string {
  const sent = secrets.sent('mongodb-keyfile');
  const keys = secrets.accepted('mongodb-keyfile');
  if (keys.length === 1) return `${sent}\n`;
  // lineWidth 0: a folded line would put a space into the key.
  return stringify([sent, ...keys.filter((key) => key !== sent)], { lineWidth: 0 });
}

/** Replica set name of a group: its `name`, else its id. */
export function replicaSetNameOf(group: MongoReplicaSetGroup): string {
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

/**
 * The hosted mongods of each replica set, in design order; grouped once per design index, since
 * the generator and the runbook ask for every set (a per-set scan would cost sets × services).
 */
const membersBySet = new WeakMap<DesignIndex, Map<string, { service: MongodService; host: Host }[]>>();

function replicaSetMembers(index: DesignIndex, group: Group): { service: MongodService; host: Host }[] {
  let bySet = membersBySet.get(index);
  if (!bySet) {
    bySet = new Map();
    for (const member of mongodServices(index)) {
      const set = member.service.group;
      if (set === undefined) continue;
      const list = bySet.get(set) ?? [];
      list.push(member);
      bySet.set(set, list);
    }
    membersBySet.set(index, bySet);
  }
  return bySet.get(group.id) ?? [];
}

function isMongodService(index: DesignIndex, service: Service): service is MongodService {
  if (service.kind === 'mongodb') return true;
  if (service.kind !== 'arbiter' || service.group === undefined) return false;
  return index.groups.get(service.group)?.kind === 'mongodb-replica-set';
}

function replicaSetOf(index: DesignIndex, service: Service): MongoReplicaSetGroup | undefined {
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
  const security = securityOf(index, service);
  const settings = {
    storage: { dbPath: paths.dbPath },
    systemLog: { destination: 'file', path: paths.logPath, logAppend: true, logRotate: 'reopen' },
    net: { port, bindIp, ...(isIpv6(host.address) ? { ipv6: true } : {}) },
    // systemd supervises mongod in the foreground (Type=simple); a forking mongod would escape it.
    processManagement: { fork: false, timeZoneInfo: '/usr/share/zoneinfo' },
    ...(group ? { replication: { replSetName: replicaSetNameOf(group) } } : {}),
    ...(security ? { security } : {}),
  };
  const role =
    group === undefined
      ? 'standalone mongod (in no replica set)'
      : `${service.kind === 'arbiter' ? 'arbiter' : 'data-bearing member'} of replica set ${replicaSetNameOf(group)} (group ${group.id})`;
  const document = new Document(settings);
  const reason =
    'authReason' in service && service.authReason !== undefined ? `: ${commentText(service.authReason)}` : '';
  document.commentBefore = [
    ` Generated by Topoforge from design "${commentText(index.design.name)}"; edit the design, not this file.`,
    ` mongod ${commentText(describeService(service))}: ${commentText(role)}.`,
    ` Applied by restarting ${paths.unit}.`,
    ...(security === undefined
      ? [` Authentication is off (auth: false)${reason}. Anyone who reaches it is an administrator.`]
      : security.transitionToAuth === true
        ? [` Clients need not log in (auth: false)${reason}; the key file still authenticates the members.`]
        : security.keyFile === undefined
          ? [' Clients log in; create the first administrator on this host (localhost exception).']
          : [
              ' Clients log in, and members authenticate each other with the key file, a secret that push',
              ' creates on this host (never in the bundle). The init script creates the first administrator.',
            ]),
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
/** MongoDB's default `settings.electionTimeoutMillis`. */
export const DEFAULT_ELECTION_TIMEOUT_MS = 10_000;

interface InitScriptView {
  header: string[];
  replicaSetName: string;
  /** The first user, created through the localhost exception; every value a JavaScript literal. */
  administrator: { user: string; roles: string; passwordVariable: string };
  /** Members passed to `rs.initiate`. */
  initialMembers: MemberView[];
  /** Arbiters added by `rs.addArb` once the default write concern is set (primary-secondary-arbiter). */
  laterArbiters: MemberView[];
  setWriteConcernBeforeArbiters: boolean;
  primaryWaitSeconds: number;
  /** `settings.electionTimeoutMillis` of the init document. */
  electionTimeoutMillis: number;
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

/** Where and how a replica set's init script runs. */
export interface InitStep {
  /** The host of the member that should become primary: the script runs there. */
  host: string;
  /** The command to run on that host, in the folder the script was copied to. */
  command: string;
}

/**
 * How to run a replica set's init script, for the runbook: on the host of the member that should
 * become primary, over 127.0.0.1, because only a connection from the host itself may create the
 * first user once access control is on (MongoDB's localhost exception). Undefined when the set has
 * no data-bearing member on a host.
 */
export function initStepOf(index: DesignIndex, group: Group): InitStep | undefined {
  const runOn = initiatingMember(replicaSetMembers(index, group));
  return runOn === undefined ? undefined : { host: runOn.host.id, command: mongoshCommand(runOn, group) };
}

function mongoshCommand(member: PlannedMember, group: Group): string {
  const port = mainPortOf(member.service) ?? 27017;
  const script = initScriptPathOf(group).slice('scripts/'.length);
  return `mongosh 'mongodb://127.0.0.1:${port}/?directConnection=true' --file ${script}`;
}

function initScript(
  index: DesignIndex,
  group: MongoReplicaSetGroup,
  members: PlannedMember[],
): BundleFile | undefined {
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
    'Put the key file on every member and start their mongod first (push does both). Then copy this',
    `script to host ${commentText(runOn.host.id)}, which runs the member that should become primary,`,
    `${commentText(describeService(runOn.service))}, and run it there:`,
    `  ${mongoshCommand(runOn, group)}`,
    'It connects over 127.0.0.1 because access control is on: until the first user exists, only a',
    'connection from the host itself may initiate the set and create that user (the localhost',
    `exception). It creates the administrator "${MONGODB_ADMIN_USER}" with the password in the environment variable`,
    `${MONGODB_ADMIN_PASSWORD_VARIABLE}, or asks for one, then logs in as it for the remaining steps,`,
    'as the MongoDB security checklist orders them. The password is never written anywhere.',
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
    administrator: {
      user: javascriptString(MONGODB_ADMIN_USER),
      roles: `[${MONGODB_ADMIN_ROLES.map((role) => `{ role: ${javascriptString(role)}, db: 'admin' }`).join(', ')}]`,
      passwordVariable: javascriptString(MONGODB_ADMIN_PASSWORD_VARIABLE),
    },
    initialMembers: psa ? views.filter((member) => !member.arbiterOnly) : views,
    laterArbiters: psa ? views.filter((member) => member.arbiterOnly) : [],
    setWriteConcernBeforeArbiters: psa,
    primaryWaitSeconds: 60,
    electionTimeoutMillis: group.electionTimeoutMs ?? DEFAULT_ELECTION_TIMEOUT_MS,
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
    const script = initScript(index, group, replicaSetMembers(index, group));
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
