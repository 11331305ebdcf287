/**
 * The MongoDB generator: every mongod.conf parses as YAML with the settings the design implies, and
 * every init script runs (in a `vm` context, against a fake mongod that behaves as MongoDB 5.0+
 * does for the calls the script makes) and leaves a replica set configuration that MongoDB would
 * accept. No mongod can be installed here, so this is docs/bundle.md's check for MongoDB.
 */
import { createContext, runInContext } from 'node:vm';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, test } from 'vitest';
import { indexDesign } from '../../core/design-index';
import type { BundleFile } from '../../core/generate/bundle';
import { generateBundle } from '../../core/generate/index';
import {
  generateMongodb,
  MONGODB_ADMIN_PASSWORD_VARIABLE,
  MONGODB_ADMIN_USER,
  initScriptPathOf,
  initStepOf,
  keyFilePathOf,
  memberAddressOf,
  mongodPathsOf,
  replicaSetNameOf,
} from '../../core/generate/mongodb';
import type { MongodService } from '../../core/generate/mongodb';
import { isPrimarySecondaryArbiter } from '../../core/model';
import { exampleFiles, loadExample } from '../fixtures/examples';
import { UnsafeValueError } from '../../core/generate/quote';
import { checkDesign } from '../../core/load';
import { mainPortOf, mongoPriorityOf, mongoVotesOf } from '../../core/model';
import type { Design, Group, MongoReplicaSetGroup, Service } from '../../core/model';
import { makeDesign } from '../core/builders';

function generate(design: Design): BundleFile[] {
  return generateMongodb({ index: indexDesign(design) });
}

// ---------------------------------------------------------------------------------------------
// The replica set configuration as MongoDB validates it

interface MemberConfig {
  _id: number;
  host: string;
  priority?: number;
  votes?: number;
  hidden?: boolean;
  arbiterOnly?: boolean;
}

interface ReplicaSetConfig {
  _id: string;
  members: MemberConfig[];
  settings?: { electionTimeoutMillis?: number };
}

const HOST_PORT = '^(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$';

/** The parts of MongoDB's replica set configuration rules that a JSON Schema can state. */
const replicaSetConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['_id', 'members'],
  properties: {
    _id: { type: 'string', minLength: 1, pattern: '^[^/]+$' },
    settings: {
      type: 'object',
      additionalProperties: false,
      properties: { electionTimeoutMillis: { type: 'integer', minimum: 1 } },
    },
    members: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['_id', 'host'],
        properties: {
          _id: { type: 'integer', minimum: 0, maximum: 255 },
          host: { type: 'string', pattern: HOST_PORT },
          priority: { type: 'number', minimum: 0, maximum: 1000 },
          votes: { enum: [0, 1] },
          hidden: { type: 'boolean' },
          arbiterOnly: { type: 'boolean' },
        },
        allOf: [
          {
            if: { required: ['arbiterOnly'], properties: { arbiterOnly: { const: true } } },
            then: {
              required: ['priority'],
              properties: { priority: { const: 0 }, hidden: { const: false } },
            },
          },
          {
            if: { required: ['hidden'], properties: { hidden: { const: true } } },
            then: { required: ['priority'], properties: { priority: { const: 0 } } },
          },
          {
            if: { required: ['votes'], properties: { votes: { const: 0 } } },
            then: { required: ['priority'], properties: { priority: { const: 0 } } },
          },
        ],
      },
    },
  },
};

const validateSchema = new Ajv({ allErrors: true }).compile(replicaSetConfigSchema);

/** Every reason MongoDB would refuse `config`: the schema, then the rules across members. */
function replicaSetConfigProblems(config: unknown): string[] {
  if (!validateSchema(config)) {
    return (validateSchema.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
  }
  const { members } = config as unknown as ReplicaSetConfig;
  const problems: string[] = [];
  const ids = members.map((member) => member._id);
  const hosts = members.map((member) => member.host);
  if (new Set(ids).size !== ids.length) problems.push('member _ids are not unique');
  if (new Set(hosts).size !== hosts.length) problems.push('member hosts are not unique');
  const voting = members.filter((member) => (member.votes ?? 1) === 1);
  if (voting.length > 7) problems.push(`${voting.length} voting members, MongoDB allows 7`);
  if (voting.length === 0) problems.push('no voting member');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// A fake mongod, as the init script sees it through mongosh

class ServerError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly codeName: string,
  ) {
    super(message);
  }
}

interface ShellCall {
  name:
    | 'rs.initiate'
    | 'rs.add'
    | 'rs.addArb'
    | 'setDefaultRWConcern'
    | 'createUser'
    | 'passwordPrompt'
    | 'sleep';
  argument: unknown;
}

/** The administrator's password the tests give the script, through the environment or the prompt. */
const ADMIN_PASSWORD = 'correct horse battery staple';

const MEMBER_DEFAULTS = { priority: 1, votes: 1, hidden: false, arbiterOnly: false };

/** MongoDB's implicit default write concern ("Implicit Default Write Concern", 5.0+). */
function implicitWriteConcern(members: MemberConfig[]): 1 | 'majority' {
  const voting = members.filter((member) => member.votes === 1);
  const arbiters = members.filter((member) => member.arbiterOnly === true).length;
  const dataVoters = voting.filter((member) => member.arbiterOnly !== true).length;
  return arbiters > 0 && dataVoters <= Math.floor(voting.length / 2) + 1 ? 1 : 'majority';
}

/** How the script's session reaches the fake and what its person answers. */
interface SessionOptions {
  /** The session comes over 127.0.0.1, where the localhost exception applies; default true. */
  localhost?: boolean;
  /** The script's environment; default the administrator's password in its variable. */
  environment?: Record<string, string>;
  /** What the person types at passwordPrompt(). */
  prompt?: string;
}

/**
 * The mongod the script runs against, with access control on (a key file, `authorization:
 * enabled`): it refuses what MongoDB refuses (initiating twice, a config that does not include this
 * member, writes before a primary exists, a reconfig that changes the implicit default write
 * concern without a cluster-wide one, any command but hello before logging in, except what the
 * localhost exception allows while no user exists: rs.initiate and creating the first user) and
 * records every change.
 */
class FakeMongod {
  config: (ReplicaSetConfig & { version: number; members: Required<MemberConfig>[] }) | null = null;
  globalWriteConcern: { w: number | string } | undefined;
  readonly users = new Map<string, { pwd: string; roles: unknown }>();
  readonly calls: ShellCall[] = [];
  readonly output: string[] = [];
  /** hello answers "not primary" this many times after rs.initiate, as an election takes a moment. */
  private electionPolls: number;
  /** The user this session logged in as; each run of a script is a new session. */
  private loggedIn: string | undefined;
  private session: SessionOptions = {};

  /** When false, rs.initiate takes any document: for designs that never passed the schema. */
  private readonly validates: boolean;

  constructor(
    readonly self: string,
    options: { electionPolls?: number; validates?: boolean } = {},
  ) {
    this.electionPolls = options.electionPolls ?? 2;
    this.validates = options.validates ?? true;
  }

  /** The localhost exception: no user exists yet and the session comes from the host itself. */
  private get localhostException(): boolean {
    return this.users.size === 0 && this.session.localhost !== false;
  }

  private requireLogin(what: string): void {
    if (this.loggedIn === undefined) {
      throw new ServerError(`command ${what} requires authentication`, 13, 'Unauthorized');
    }
  }

  private get isPrimary(): boolean {
    return this.config !== null && this.electionPolls <= 0;
  }

  private requirePrimary(what: string): void {
    if (!this.isPrimary) throw new ServerError(`${what}: not primary`, 10107, 'NotWritablePrimary');
  }

  private reconfigure(members: Required<MemberConfig>[]): { ok: 1 } {
    const config = this.config!;
    if (
      this.globalWriteConcern === undefined &&
      implicitWriteConcern(members) !== implicitWriteConcern(config.members)
    ) {
      throw new ServerError(
        'Reconfig attempted to install a config that would change the implicit default write concern',
        103,
        'NewReplicaSetConfigurationIncompatible',
      );
    }
    const problems = this.validates ? replicaSetConfigProblems({ _id: config._id, members }) : [];
    if (problems.length > 0) throw new ServerError(problems.join('; '), 93, 'InvalidReplicaSetConfig');
    this.config = { ...config, version: config.version + 1, members };
    return { ok: 1 };
  }

  /** The globals mongosh gives a script. */
  shell(): Record<string, unknown> {
    const rs = {
      conf: () => {
        this.requireLogin('replSetGetConfig');
        if (this.config === null)
          throw new ServerError('no replset config has been received', 94, 'NotYetInitialized');
        return structuredClone(this.config);
      },
      initiate: (document: ReplicaSetConfig) => {
        this.calls.push({ name: 'rs.initiate', argument: structuredClone(document) });
        if (!this.localhostException) this.requireLogin('replSetInitiate');
        if (this.config !== null) throw new ServerError('already initialized', 23, 'AlreadyInitialized');
        const problems = this.validates ? replicaSetConfigProblems(document) : [];
        if (problems.length > 0) throw new ServerError(problems.join('; '), 93, 'InvalidReplicaSetConfig');
        if (!document.members.some((member) => member.host === this.self)) {
          throw new ServerError(
            'No host described in new configuration maps to this node',
            74,
            'NodeNotFound',
          );
        }
        this.config = {
          _id: document._id,
          version: 1,
          members: document.members.map((member) => ({ ...MEMBER_DEFAULTS, ...member })),
        };
        return { ok: 1 };
      },
      add: (member: MemberConfig) => {
        this.calls.push({ name: 'rs.add', argument: structuredClone(member) });
        this.requireLogin('replSetReconfig');
        this.requirePrimary('rs.add');
        return this.reconfigure([...this.config!.members, { ...MEMBER_DEFAULTS, ...member }]);
      },
      addArb: (host: string) => {
        this.calls.push({ name: 'rs.addArb', argument: host });
        this.requireLogin('replSetReconfig');
        this.requirePrimary('rs.addArb');
        const members = this.config!.members;
        const id = Math.max(...members.map((member) => member._id)) + 1;
        return this.reconfigure([
          ...members,
          { _id: id, host, priority: 0, votes: 1, hidden: false, arbiterOnly: true },
        ]);
      },
      status: () => {
        this.requireLogin('replSetGetStatus');
        return {
          ok: 1,
          set: this.config?._id,
          members: (this.config?.members ?? []).map((member) => ({
            name: member.host,
            stateStr: member.arbiterOnly ? 'ARBITER' : member.host === this.self ? 'PRIMARY' : 'SECONDARY',
          })),
        };
      },
    };
    const admin = {
      createUser: (user: { user: string; pwd: string; roles: unknown }) => {
        this.calls.push({
          name: 'createUser',
          argument: { user: user.user, roles: structuredClone(user.roles) },
        });
        if (!this.localhostException) this.requireLogin('createUser');
        this.requirePrimary('createUser');
        if (this.users.has(user.user))
          throw new ServerError(`User "${user.user}@admin" already exists`, 51003, 'Location51003');
        this.users.set(user.user, { pwd: user.pwd, roles: user.roles });
        return { ok: 1 };
      },
      // mongosh throws on a wrong password.
      auth: (user: string, pwd: string) => {
        if (this.users.get(user)?.pwd !== pwd)
          throw new ServerError('Authentication failed.', 18, 'AuthenticationFailed');
        this.loggedIn = user;
        return { ok: 1 };
      },
    };
    const db = {
      getSiblingDB: (name: string) => {
        if (name !== 'admin') throw new Error(`the fake mongod has only the admin database, not ${name}`);
        return admin;
      },
      adminCommand: (command: Record<string, unknown>) => {
        if ('hello' in command) {
          if (this.config !== null && this.electionPolls > 0) this.electionPolls -= 1;
          return {
            ok: 1,
            isWritablePrimary: this.isPrimary,
            ...(this.config === null ? {} : { setName: this.config._id }),
            ...(this.isPrimary ? { primary: this.self } : {}),
          };
        }
        this.requireLogin(Object.keys(command)[0]!);
        if ('getDefaultRWConcern' in command) {
          return this.globalWriteConcern === undefined
            ? {
                ok: 1,
                defaultWriteConcern: { w: implicitWriteConcern(this.config?.members ?? []) },
                defaultWriteConcernSource: 'implicit',
              }
            : { ok: 1, defaultWriteConcern: this.globalWriteConcern, defaultWriteConcernSource: 'global' };
        }
        if ('setDefaultRWConcern' in command) {
          this.calls.push({ name: 'setDefaultRWConcern', argument: structuredClone(command) });
          this.requirePrimary('setDefaultRWConcern');
          this.globalWriteConcern = (
            command as { defaultWriteConcern: { w: number | string } }
          ).defaultWriteConcern;
          return { ok: 1 };
        }
        throw new Error(`the fake mongod does not know ${JSON.stringify(command)}`);
      },
    };
    return {
      rs,
      db,
      process: {
        env: { ...(this.session.environment ?? { [MONGODB_ADMIN_PASSWORD_VARIABLE]: ADMIN_PASSWORD }) },
      },
      passwordPrompt: () => {
        this.calls.push({ name: 'passwordPrompt', argument: undefined });
        return this.session.prompt ?? '';
      },
      print: (...values: unknown[]) => this.output.push(values.map(String).join(' ')),
      sleep: (milliseconds: number) => this.calls.push({ name: 'sleep', argument: milliseconds }),
    };
  }

  /**
   * Runs a script as `mongosh --file` would: a fresh global scope and a new session (logged in as
   * nobody), this mongod behind it.
   */
  run(script: string, session: SessionOptions = {}): { globals: Record<string, unknown> } {
    this.session = session;
    this.loggedIn = undefined;
    const globals = createContext(this.shell());
    runInContext(script, globals, { filename: 'init.js', timeout: 5000 });
    return { globals };
  }

  changes(): ShellCall[] {
    return this.calls.filter((call) => call.name !== 'sleep' && call.name !== 'passwordPrompt');
  }
}

// ---------------------------------------------------------------------------------------------
// What the design says the set should be

interface ExpectedMember {
  host: string;
  priority: number;
  votes: number;
  hidden: boolean;
  arbiterOnly: boolean;
}

function replicaSets(design: Design): MongoReplicaSetGroup[] {
  return (design.groups ?? []).filter(
    (group): group is MongoReplicaSetGroup => group.kind === 'mongodb-replica-set',
  );
}

function hostedMembers(design: Design, group: Group): Service[] {
  return design.services.filter((service) => service.group === group.id && service.host !== undefined);
}

function expectedMembers(design: Design, group: Group): ExpectedMember[] {
  const index = indexDesign(design);
  return hostedMembers(design, group)
    .map((service) => ({
      host: memberAddressOf(index.hosts.get(service.host!)!, mainPortOf(service)!),
      priority: mongoPriorityOf(service),
      votes: mongoVotesOf(service),
      hidden: service.kind === 'mongodb' && service.hidden === true,
      arbiterOnly: service.kind === 'arbiter',
    }))
    .sort((left, right) => Number(left.arbiterOnly) - Number(right.arbiterOnly));
}

function preferredPrimary(design: Design, group: Group): string {
  const members = expectedMembers(design, group).filter((member) => !member.arbiterOnly);
  const electable = members.filter((member) => member.priority > 0 && member.votes === 1);
  const best = Math.max(...electable.map((member) => member.priority));
  return electable.find((member) => member.priority === best)!.host;
}

function scriptOf(files: BundleFile[], group: Group): string {
  const script = files.find((file) => file.path === initScriptPathOf(group));
  if (!script) throw new Error(`no init script for ${group.id}`);
  return script.content;
}

/**
 * Runs the init script of `group` against a fresh fake mongod, then again, and checks what
 * MongoDB would have ended with; returns the fake for further checks.
 */
function initiateAndCheck(design: Design, group: MongoReplicaSetGroup): FakeMongod {
  const script = scriptOf(generate(design), group);
  const mongod = new FakeMongod(preferredPrimary(design, group));
  mongod.run(script);

  const initiate = mongod.calls.find((call) => call.name === 'rs.initiate');
  expect(initiate, 'rs.initiate was called').toBeDefined();
  expect(replicaSetConfigProblems(initiate!.argument)).toEqual([]);
  expect((initiate!.argument as ReplicaSetConfig)._id).toBe(replicaSetNameOf(group));
  // The design's electionTimeoutMs (default MongoDB's own 10000) goes into the init document.
  expect((initiate!.argument as ReplicaSetConfig).settings).toEqual({
    electionTimeoutMillis: group.electionTimeoutMs ?? 10_000,
  });

  const final = mongod.config!;
  expect(replicaSetConfigProblems({ _id: final._id, members: final.members })).toEqual([]);
  expect(
    final.members.map(({ host, priority, votes, hidden, arbiterOnly }) => ({
      host,
      priority,
      votes,
      hidden,
      arbiterOnly,
    })),
  ).toEqual(expectedMembers(design, group));
  expect(final.members.map((member) => member._id)).toEqual(
    final.members.map((_member, position) => position),
  );

  const psa = isPrimarySecondaryArbiter(hostedMembers(design, group));
  const names = mongod.changes().map((call) => call.name);
  if (psa) {
    expect((initiate!.argument as ReplicaSetConfig).members.some((member) => member.arbiterOnly)).toBe(false);
    expect(names.indexOf('setDefaultRWConcern')).toBeGreaterThan(names.indexOf('rs.initiate'));
    expect(names.indexOf('setDefaultRWConcern')).toBeLessThan(names.indexOf('rs.addArb'));
    expect(mongod.globalWriteConcern).toEqual({ w: 'majority' });
  } else {
    expect(names).not.toContain('setDefaultRWConcern');
  }
  expect(mongod.output.join('\n')).toContain(`Initiating replica set ${replicaSetNameOf(group)}`);
  // The MongoDB security checklist's order: initiate, create the administrator, then log in for the rest.
  expect(names[0]).toBe('rs.initiate');
  expect(names[1]).toBe('createUser');
  expect(mongod.changes()[1]!.argument).toEqual({
    user: MONGODB_ADMIN_USER,
    roles: [
      { role: 'userAdminAnyDatabase', db: 'admin' },
      { role: 'clusterAdmin', db: 'admin' },
    ],
  });
  expect(mongod.users.get(MONGODB_ADMIN_USER)?.pwd).toBe(ADMIN_PASSWORD);
  expect(mongod.output.join('\n')).not.toContain(ADMIN_PASSWORD);

  // The second run (a new session) logs in, changes nothing and says so.
  const before = mongod.changes().length;
  mongod.output.length = 0;
  mongod.run(script);
  expect(mongod.changes().length).toBe(before);
  expect(mongod.output.join('\n')).toContain(`Logged in as ${MONGODB_ADMIN_USER}.`);
  expect(mongod.output.join('\n')).toContain('Nothing to do');
  return mongod;
}

/** Checks a mongod.conf against the design and returns it parsed. */
function checkMongodConfig(design: Design, file: BundleFile): Record<string, unknown> {
  const index = indexDesign(design);
  const service = design.services.find(
    (candidate) =>
      (candidate.kind === 'mongodb' || candidate.kind === 'arbiter') &&
      candidate.host === file.host &&
      mongodPathsOf(index, candidate as MongodService).config === file.path,
  ) as MongodService;
  expect(service, `a mongod on ${file.host} for ${file.path}`).toBeDefined();
  const host = index.hosts.get(service.host!)!;
  const paths = mongodPathsOf(index, service);
  const member = service.group === undefined ? undefined : index.groups.get(service.group);
  const group = member?.kind === 'mongodb-replica-set' ? member : undefined;
  const parsed = parseYaml(file.content) as Record<string, Record<string, unknown>>;
  const open = 'auth' in service && service.auth === false;
  expect(Object.keys(parsed).sort()).toEqual(
    [
      'net',
      'processManagement',
      'storage',
      'systemLog',
      ...(group ? ['replication'] : []),
      ...(group || !open ? ['security'] : []),
    ].sort(),
  );
  // Members authenticate each other with the set's key file; clients log in unless auth: false.
  if (group) {
    expect(parsed.security).toEqual(
      open
        ? { keyFile: keyFilePathOf(index, service), transitionToAuth: true }
        : { keyFile: keyFilePathOf(index, service), authorization: 'enabled' },
    );
  } else if (!open) {
    expect(parsed.security).toEqual({ authorization: 'enabled' });
  }
  expect(parsed.replication).toEqual(group ? { replSetName: replicaSetNameOf(group) } : undefined);
  expect(parsed.net!.port).toBe(mainPortOf(service));
  expect(String(parsed.net!.bindIp).split(',')).toEqual([...new Set([host.address, '127.0.0.1'])]);
  expect(parsed.net!.ipv6 === true).toBe(host.address.includes(':'));
  expect(parsed.storage).toEqual({ dbPath: paths.dbPath });
  expect(parsed.systemLog).toMatchObject({ destination: 'file', path: paths.logPath, logAppend: true });
  expect(parsed.processManagement).toMatchObject({ fork: false });
  expect(file).toMatchObject({ mode: '0644', policy: 'replace', reload: `systemctl restart ${paths.unit}` });
  expect(file.content.split('\n')[0]).toMatch(/^# Generated by Topoforge from design "/);
  return parsed;
}

// ---------------------------------------------------------------------------------------------

describe('mongod.conf and the init script of every example design', () => {
  for (const file of exampleFiles) {
    test(file, () => {
      const design = loadExample(file);
      const files = generate(design);
      const configs = files.filter((generated) => generated.host !== undefined);
      const mongods = design.services.filter(
        (service) =>
          service.host !== undefined &&
          (service.kind === 'mongodb' ||
            (service.kind === 'arbiter' && replicaSets(design).some((group) => group.id === service.group))),
      );
      expect(configs).toHaveLength(mongods.length);
      for (const config of configs) checkMongodConfig(design, config);
      const scripts = files.filter((generated) => generated.host === undefined);
      expect(scripts.map((script) => script.path)).toEqual(replicaSets(design).map(initScriptPathOf));
      for (const group of replicaSets(design)) initiateAndCheck(design, group);
    });
  }

  test("the group's electionTimeoutMs reaches rs.initiate as settings.electionTimeoutMillis", () => {
    const design = loadExample('expertflow-two-sites.topo.json');
    replicaSets(design)[0]!.electionTimeoutMs = 5000;
    const mongod = initiateAndCheck(design, replicaSets(design)[0]!);
    const initiate = mongod.calls.find((call) => call.name === 'rs.initiate')!;
    expect((initiate.argument as ReplicaSetConfig).settings).toEqual({ electionTimeoutMillis: 5000 });
  });

  test('the PSA set of expertflow-two-sites sets the write concern before it adds the arbiter', () => {
    const design = loadExample('expertflow-two-sites.topo.json');
    const mongod = initiateAndCheck(design, replicaSets(design)[0]!);
    expect(mongod.changes().filter((call) => call.name !== 'createUser')).toEqual([
      {
        name: 'rs.initiate',
        argument: {
          _id: 'expertflow',
          members: [
            { _id: 0, host: '10.50.1.11:27017', priority: 2, votes: 1, hidden: false, arbiterOnly: false },
            { _id: 1, host: '10.50.2.11:27017', priority: 1, votes: 1, hidden: false, arbiterOnly: false },
          ],
          settings: { electionTimeoutMillis: 10_000 },
        },
      },
      {
        name: 'setDefaultRWConcern',
        argument: { setDefaultRWConcern: 1, defaultWriteConcern: { w: 'majority' } },
      },
      { name: 'rs.addArb', argument: '10.50.3.11:27017' },
    ]);
    expect(mongod.calls.filter((call) => call.name === 'sleep').length).toBeGreaterThan(0);
    // Over 127.0.0.1 on the host of the member that should become primary: the localhost exception.
    const step = initStepOf(indexDesign(design), replicaSets(design)[0]!);
    expect(step).toEqual({
      host: 'ef-a',
      command: "mongosh 'mongodb://127.0.0.1:27017/?directConnection=true' --file mongodb-rs0-init.js",
    });
    const script = scriptOf(generate(design), replicaSets(design)[0]!);
    expect(script).toContain(`//   ${step!.command}\n`);
    expect(script).toContain('// script to host ef-a,');
  });

  test('the broken expertflow variant gives the arbiter beside mongo-b its own config, data and log', () => {
    const design = loadExample('expertflow-two-sites-broken.topo.json');
    const onSiteB = generate(design).filter((file) => file.host === 'ef-b');
    expect(onSiteB.map((file) => file.path)).toEqual([
      '/etc/mongod-mongo-b.conf',
      '/etc/mongod-mongo-arbiter.conf',
    ]);
    const parsed = onSiteB.map(
      (file) => parseYaml(file.content) as { storage: unknown; systemLog: { path: string } },
    );
    expect(parsed.map((config) => config.storage)).toEqual([
      { dbPath: '/var/lib/mongodb-mongo-b' },
      { dbPath: '/var/lib/mongodb-mongo-arbiter' },
    ]);
    expect(onSiteB.map((file) => file.reload)).toEqual([
      'systemctl restart mongod-mongo-b.service',
      'systemctl restart mongod-mongo-arbiter.service',
    ]);
  });
});

describe('replica set shapes', () => {
  const shapes: Record<string, Record<string, unknown>[]> = {
    'three data members, no arbiter': [
      { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs', priority: 2 },
      { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs' },
      { id: 'm3', kind: 'mongodb', host: 'h3', group: 'rs' },
    ],
    'four data members and an arbiter (not PSA: the arbiter is initiated with the rest)': [
      { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs' },
      { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs' },
      { id: 'm3', kind: 'mongodb', host: 'h3', group: 'rs' },
      { id: 'm4', kind: 'mongodb', host: 'h4', group: 'rs' },
      { id: 'a1', kind: 'arbiter', host: 'h5', group: 'rs' },
    ],
    'a hidden member and a non-voting one': [
      { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs', priority: 5 },
      { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs' },
      { id: 'm3', kind: 'mongodb', host: 'h3', group: 'rs', priority: 0, hidden: true },
      { id: 'm4', kind: 'mongodb', host: 'h4', group: 'rs', priority: 0, votes: 0 },
    ],
    'a member with auth: false keeps the key file, so the set still forms (transitionToAuth)': [
      { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs', priority: 2 },
      { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs' },
      { id: 'm3', kind: 'mongodb', host: 'h3', group: 'rs', auth: false, authReason: 'a reporting tool' },
    ],
    'three data members with one non-voting, plus an arbiter (PSA by the formula)': [
      { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs' },
      { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs' },
      { id: 'm3', kind: 'mongodb', host: 'h3', group: 'rs', priority: 0, votes: 0 },
      { id: 'a1', kind: 'arbiter', host: 'h4', group: 'rs' },
    ],
  };
  for (const [name, services] of Object.entries(shapes)) {
    test(name, () => {
      const design = makeDesign({ services, groups: [{ id: 'rs', kind: 'mongodb-replica-set' }] });
      for (const file of generate(design).filter((generated) => generated.host !== undefined))
        checkMongodConfig(design, file);
      initiateAndCheck(design, replicaSets(design)[0]!);
    });
  }

  test('IPv6 and DNS-name addresses, a custom port, a member without a host, an arbiter of a quorum group', () => {
    const design = makeDesign({
      hosts: [
        { id: 'h1', address: 'fd00::1' },
        { id: 'h2', address: 'db-2.example.com' },
        { id: 'h3', address: '10.0.0.3' },
      ],
      services: [
        { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs', port: 27100 },
        { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs' },
        { id: 'm3', kind: 'mongodb', host: 'h3', group: 'rs' },
        { id: 'external', kind: 'mongodb', group: 'rs', priority: 0, votes: 0 },
        { id: 'witness', kind: 'arbiter', host: 'h4', group: 'cluster' },
      ],
      groups: [
        { id: 'rs', kind: 'mongodb-replica-set', name: 'main.set_1' },
        { id: 'cluster', kind: 'quorum' },
      ],
    });
    const files = generate(design);
    expect(files.map((file) => `${file.host ?? ''} ${file.path}`)).toEqual([
      ' scripts/mongodb-rs-init.js',
      'h1 /etc/mongod.conf',
      'h2 /etc/mongod.conf',
      'h3 /etc/mongod.conf',
    ]);
    const parsed = files.slice(1).map((file) => checkMongodConfig(design, file));
    expect(parsed[0]!.net).toEqual({ port: 27100, bindIp: 'fd00::1,127.0.0.1', ipv6: true });
    expect(parsed[1]!.net).toEqual({ port: 27017, bindIp: 'db-2.example.com,127.0.0.1' });
    const mongod = initiateAndCheck(design, replicaSets(design)[0]!);
    expect(mongod.config!.members.map((member) => member.host)).toEqual([
      '[fd00::1]:27100',
      'db-2.example.com:27017',
      '10.0.0.3:27017',
    ]);
    expect(scriptOf(files, replicaSets(design)[0]!)).toContain('Left out, having no host: external.');
  });

  test('a standalone mongodb with auth: false has no security section and says why', () => {
    const design = makeDesign({
      services: [{ id: 'solo', kind: 'mongodb', host: 'h1', auth: false, authReason: 'a throwaway lab' }],
    });
    const [file] = generate(design);
    expect(checkMongodConfig(design, file!).security).toBeUndefined();
    expect(file!.content).toContain(
      '# Authentication is off (auth: false): a throwaway lab. Anyone who reaches it is an administrator.',
    );
  });

  test('a standalone mongodb gets a mongod.conf without replication and no script', () => {
    const design = makeDesign({ services: [{ id: 'solo', kind: 'mongodb', host: 'h1' }] });
    const files = generate(design);
    expect(files).toHaveLength(1);
    expect(checkMongodConfig(design, files[0]!).replication).toBeUndefined();
  });
});

describe('the init script on a set that is part-way there', () => {
  const design = loadExample('expertflow-two-sites.topo.json');
  const group = replicaSets(design)[0]!;
  const script = scriptOf(generate(design), group);

  test('initiated but without its arbiter: sets the write concern and adds the arbiter only', () => {
    const mongod = new FakeMongod('10.50.1.11:27017', { electionPolls: 0 });
    (mongod.shell().rs as { initiate: (document: ReplicaSetConfig) => unknown }).initiate({
      _id: 'expertflow',
      members: [
        { _id: 0, host: '10.50.1.11:27017', priority: 2 },
        { _id: 1, host: '10.50.2.11:27017', priority: 1 },
      ],
    });
    mongod.calls.length = 0;
    mongod.run(script);
    expect(mongod.changes().map((call) => call.name)).toEqual([
      'createUser',
      'setDefaultRWConcern',
      'rs.addArb',
    ]);
    expect(mongod.output.join('\n')).toContain('already initiated');
  });

  test('a member that differs from the design is reported, not changed', () => {
    const mongod = new FakeMongod('10.50.1.11:27017', { electionPolls: 0 });
    mongod.run(script);
    mongod.config!.members[1]!.priority = 7;
    mongod.output.length = 0;
    const before = mongod.changes().length;
    mongod.run(script);
    expect(mongod.changes()).toHaveLength(before);
    expect(mongod.output.join('\n')).toContain('10.50.2.11:27017 differs from the design in priority');
  });

  test('a mongod of another replica set is refused', () => {
    const mongod = new FakeMongod('10.50.1.11:27017');
    (mongod.shell().rs as { initiate: (document: ReplicaSetConfig) => unknown }).initiate({
      _id: 'other',
      members: [{ _id: 0, host: '10.50.1.11:27017' }],
    });
    expect(() => mongod.run(script)).toThrow(/member of replica set other, not expertflow/);
  });

  test('a member that never becomes primary stops the script with the primary to use instead', () => {
    const mongod = new FakeMongod('10.50.1.11:27017', { electionPolls: 1000 });
    expect(() => mongod.run(script)).toThrow(/did not become primary within 60 s/);
    expect(mongod.calls.filter((call) => call.name === 'sleep')).toHaveLength(60);
  });
});

describe('the init script and access control', () => {
  const design = loadExample('expertflow-two-sites.topo.json');
  const group = replicaSets(design)[0]!;
  const script = scriptOf(generate(design), group);
  const primary = '10.50.1.11:27017';

  test('without the environment variable it asks once for the password, and never prints it', () => {
    const mongod = new FakeMongod(primary, { electionPolls: 0 });
    mongod.run(script, { environment: {}, prompt: 'typed at the prompt' });
    expect(mongod.calls.filter((call) => call.name === 'passwordPrompt')).toHaveLength(1);
    expect(mongod.users.get(MONGODB_ADMIN_USER)?.pwd).toBe('typed at the prompt');
    expect(mongod.config!.members).toHaveLength(3);
    expect(mongod.output.join('\n')).not.toContain('typed at the prompt');
  });

  test('no password at all stops before anything is created', () => {
    const mongod = new FakeMongod(primary, { electionPolls: 0 });
    expect(() => mongod.run(script, { environment: {}, prompt: '' })).toThrow(
      new RegExp(`No password for the administrator admin: set ${MONGODB_ADMIN_PASSWORD_VARIABLE}`),
    );
    expect(mongod.users.size).toBe(0);
    expect(mongod.changes().map((call) => call.name)).toEqual(['rs.initiate']);
  });

  test('a wrong password on a set whose administrator exists is refused with words, changing nothing', () => {
    const mongod = new FakeMongod(primary, { electionPolls: 0 });
    mongod.run(script);
    const before = mongod.changes().length;
    expect(() =>
      mongod.run(script, { environment: { [MONGODB_ADMIN_PASSWORD_VARIABLE]: 'not the password' } }),
    ).toThrow(/Cannot log in as admin with this password, and the first user can no longer be created/);
    expect(
      mongod
        .changes()
        .slice(before)
        .map((call) => call.name),
    ).toEqual(['createUser']);
    expect(mongod.users.size).toBe(1);
  });

  test('from another machine (no localhost exception) it says to run it on the host over 127.0.0.1', () => {
    const mongod = new FakeMongod(primary, { electionPolls: 0 });
    expect(() => mongod.run(script, { localhost: false })).toThrow(
      /only a session from the member's own host may initiate the set .*over 127\.0\.0\.1/,
    );
    expect(mongod.config).toBeNull();
  });
});

describe('bundle properties', () => {
  test('byte-identical output for the same design, in design order', () => {
    for (const file of exampleFiles) {
      const first = generate(loadExample(file));
      const second = generate(loadExample(file));
      expect(second).toEqual(first);
    }
  });

  test('manifest entries: mongod.conf replaced and restarted, the script bundle-level', () => {
    const { manifest } = generateBundle(loadExample('expertflow-two-sites.topo.json'));
    expect(manifest.bundleFiles.map(({ path, mode }) => ({ path, mode }))).toContainEqual({
      path: 'scripts/mongodb-rs0-init.js',
      mode: '0644',
    });
    const mine = manifest.files.filter((file) => file.path === '/etc/mongod.conf');
    expect(
      mine.map(({ host, path, mode, reload, policy }) => ({ host, path, mode, reload, policy })),
    ).toEqual([
      ...['ef-a', 'ef-b', 'ef-arbiter'].map((host) => ({
        host,
        path: '/etc/mongod.conf',
        mode: '0644',
        reload: 'systemctl restart mongod.service',
        policy: 'replace',
      })),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Injection: every string field that reaches a MongoDB file

const CORPUS = [
  'plain',
  'new\nline',
  'carriage\rreturn',
  'line\u2028separator',
  'paragraph\u2029separator',
  'next\u0085line',
  'nul\u0000byte',
  '"; globalThis.injected = 1; "',
  "'; globalThis.injected = 1; '",
  '`${globalThis.injected = 1}`',
  '*/ globalThis.injected = 1; /*',
  '</script>',
  '# comment',
  'key: value',
  '{ a: 1 }',
  '- item',
  '&anchor *alias',
  '!!python/object',
  '%YAML 1.1',
  '---',
  'yes',
  'null',
  '1e3',
  '0o17',
  '..',
  '$(reboot)',
  'a\\b',
  ' leading space',
  'trailing space ',
  '\u00e9t\u00e9 \u{1f600}',
  'x'.repeat(300),
];

type Mutation = (design: Record<string, unknown>, value: string) => void;

function servicesOf(design: Record<string, unknown>): Record<string, unknown>[] {
  return design.services as Record<string, unknown>[];
}

const MUTATIONS: Record<string, Mutation> = {
  'design name': (design, value) => {
    design.name = value;
  },
  'group label': (design, value) => {
    (design.groups as Record<string, unknown>[])[0]!.label = value;
  },
  'group name': (design, value) => {
    (design.groups as Record<string, unknown>[])[0]!.name = value;
  },
  'service label': (design, value) => {
    servicesOf(design)[0]!.label = value;
  },
  'arbiter label': (design, value) => {
    servicesOf(design)[2]!.label = value;
  },
  'service id': (design, value) => {
    const service = servicesOf(design)[0]!;
    service.id = value;
  },
  'group id': (design, value) => {
    const group = (design.groups as Record<string, unknown>[])[0]!;
    group.id = value;
    for (const service of servicesOf(design)) service.group = value;
  },
  'host address': (design, value) => {
    (design.hosts as Record<string, unknown>[])[0]!.address = value;
  },
};

function baseDesign(): Record<string, unknown> {
  return {
    format: 1,
    name: 'injection',
    hosts: [
      { id: 'h1', address: '10.0.0.1' },
      { id: 'h2', address: '10.0.0.2' },
      { id: 'h3', address: '10.0.0.3' },
    ],
    services: [
      { id: 'm1', kind: 'mongodb', host: 'h1', group: 'rs', priority: 2 },
      { id: 'm2', kind: 'mongodb', host: 'h2', group: 'rs' },
      { id: 'arb', kind: 'arbiter', host: 'h3', group: 'rs' },
    ],
    groups: [{ id: 'rs', kind: 'mongodb-replica-set', name: 'set' }],
  };
}

/** The file is harmless: YAML parses back to the model, the script runs and makes only its own calls. */
function expectHarmless(design: Design): void {
  const files = generate(design);
  for (const file of files.filter((generated) => generated.host !== undefined))
    checkMongodConfig(design, file);
  for (const group of replicaSets(design)) {
    const mongod = initiateAndCheck(design, group);
    const { globals } = mongod.run(scriptOf(files, group));
    expect(globals.injected).toBeUndefined();
    for (const file of files.filter((generated) => generated.host === undefined)) {
      const lines = file.content.split('\n');
      const header = lines.slice(0, lines.indexOf(''));
      expect(header.every((line) => line.startsWith('//'))).toBe(true);
    }
  }
}

describe('injection corpus', () => {
  for (const [field, mutate] of Object.entries(MUTATIONS)) {
    test(`${field}: rejected by the schema or harmless`, () => {
      const outcomes = { rejected: 0, harmless: 0 };
      for (const value of CORPUS) {
        const raw = baseDesign();
        mutate(raw, value);
        const loaded = checkDesign(raw);
        if (!loaded.ok) {
          outcomes.rejected += 1;
          continue;
        }
        expectHarmless(loaded.design);
        outcomes.harmless += 1;
      }
      expect(outcomes.rejected + outcomes.harmless).toBe(CORPUS.length);
    });
  }

  test('past the schema (a design that never loaded): free text stays in comments, names stay strings', () => {
    for (const value of CORPUS) {
      const raw = baseDesign() as unknown as Design;
      raw.name = value;
      raw.services[0]!.label = value;
      (raw.groups![0] as MongoReplicaSetGroup).name = value;
      raw.groups![0]!.label = value;
      let files: BundleFile[];
      try {
        files = generate(raw);
      } catch (error) {
        expect(error).toBeInstanceOf(UnsafeValueError);
        continue;
      }
      const config = files.find((file) => file.host === 'h1')!;
      const parsed = parseYaml(config.content) as { replication: { replSetName: string } };
      expect(Object.keys(parsed).sort()).toEqual([
        'net',
        'processManagement',
        'replication',
        'security',
        'storage',
        'systemLog',
      ]);
      expect(parsed.replication.replSetName).toBe(value);
      const mongod = new FakeMongod('10.0.0.1:27017', { electionPolls: 0, validates: false });
      const { globals } = mongod.run(files[0]!.content);
      expect(globals.injected).toBeUndefined();
      expect((mongod.calls[0]!.argument as ReplicaSetConfig)._id).toBe(value);
    }
  });
});
