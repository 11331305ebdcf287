/**
 * The Redis + Sentinel generator against the real redis-server and redis-sentinel: every generated
 * file starts, and what the running server reports (`CONFIG GET`, `SENTINEL MASTERS`) is what the
 * design says.
 *
 * Designs are moved onto loopback before generating: every IP address becomes a loopback address
 * of its own, every DNS name resolves to one through an /etc/hosts placed in the server's
 * namespace, and every redis and sentinel gets a free port. The generated files are then started
 * unmodified; the lab only adds its own socket, working directory and log file on the command line.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { TestContext } from 'vitest';
import { indexDesign } from '../../core/design-index';
import { buildManifest } from '../../core/generate/bundle';
import type { BundleFile } from '../../core/generate/bundle';
import { generateBundle } from '../../core/generate/index';
import { UnsafeValueError } from '../../core/generate/quote';
import {
  DEFAULT_DOWN_AFTER_MS,
  DEFAULT_FAILOVER_TIMEOUT_MS,
  planSentinelGroup,
} from '../../core/generate/redis/sentinel-plan';
import { generateRedis } from '../../core/generate/redis';
import { checkDesign } from '../../core/load';
import { mainPortOf } from '../../core/model';
import { checkedDesign, exampleFiles, loadExample } from '../fixtures/examples';
import type { Design, RedisSentinelGroup, Service } from '../../core/model';
import { IP_PATTERN } from '../../core/schema/patterns';
import { freePort } from '../lab/processes';
import { requireStarted, requireTool, startRedis, startSentinel } from '../lab/tools';
import type { RedisServer } from '../lab/tools';
import { labSecrets } from './lab-secrets';
import type { LabSecrets } from './lab-secrets';

const IP = new RegExp(IP_PATTERN);

function generate(design: Design): BundleFile[] {
  return generateRedis({ index: indexDesign(design) });
}

// ---------------------------------------------------------------------------------------------
// Loopback

/** A design moved onto loopback, and the /etc/hosts its DNS names resolve through. */
interface LoopbackDesign {
  design: Design;
  etcHosts: string;
}

const usedPorts = new Set<number>();

async function uniqueFreePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!usedPorts.has(port)) {
      usedPorts.add(port);
      return port;
    }
  }
}

let nextLoopback = 0;

/** A loopback address of its own for each host, so no two tests' servers ever share one. */
function loopbackAddress(): string {
  nextLoopback += 1;
  return `127.0.${100 + Math.floor(nextLoopback / 250)}.${(nextLoopback % 250) + 2}`;
}

async function onLoopback(design: Design): Promise<LoopbackDesign> {
  const copy = structuredClone(design);
  const names: string[] = ['127.0.0.1 localhost'];
  for (const host of copy.hosts) {
    const address = loopbackAddress();
    if (IP.test(host.address)) host.address = address;
    else names.push(`${address} ${host.address}`);
  }
  for (const service of copy.services) {
    if (service.kind === 'redis' || service.kind === 'sentinel') service.port = await uniqueFreePort();
  }
  return { design: checkedDesign(copy), etcHosts: `${names.join('\n')}\n` };
}

interface Started {
  file: BundleFile;
  service: Service;
  server: RedisServer;
  secrets: LabSecrets;
}

function serviceOf(design: Design, file: BundleFile): Service {
  const index = indexDesign(design);
  const port = Number(/^port (\d+)$/m.exec(file.content)?.[1]);
  const service = design.services.find(
    (candidate) =>
      candidate.host === file.host &&
      (candidate.kind === 'redis' || candidate.kind === 'sentinel') &&
      mainPortOf(candidate) === port,
  );
  if (!service || !index.hosts.has(file.host!)) throw new Error(`no service for ${file.host} ${file.path}`);
  return service;
}

/**
 * Starts every generated file of a loopback design with the real tool;
 * throws with the tool's own words if one fails.
 */
async function startAll(loopback: LoopbackDesign, context: TestContext): Promise<Started[]> {
  const files = generate(loopback.design);
  // The secret files the configs include, rendered by the store as push renders them.
  const secrets = await labSecrets(generateBundle(loopback.design).manifest, context);
  return Promise.all(
    files.map(async (file) => {
      const service = serviceOf(loopback.design, file);
      const admin = await secrets.adminOf(service);
      const options = {
        // The lab's `--port 0` keeps it off TCP; the file's own port and bind come back with this.
        extraArgs: ['--port', String(mainPortOf(service))],
        extraFiles: { '/etc/hosts': loopback.etcHosts, ...secrets.filesOf(file.host!) },
        context,
        ...(admin === null ? {} : { auth: admin }),
      };
      const start =
        service.kind === 'redis'
          ? await startRedis(file.content, options)
          : await startSentinel(file.content, options);
      if (!start.ok)
        throw new Error(`${file.host} ${file.path} did not start:\n${start.output}\n\n${file.content}`);
      return { file, service, server: requireStarted(start), secrets };
    }),
  );
}

/** `redis-cli` prints a reply of pairs one value per line. */
function pairs(output: string): Map<string, string> {
  const lines = output.split('\n');
  const result = new Map<string, string>();
  for (let position = 0; position + 1 < lines.length; position += 2)
    result.set(lines[position]!, lines[position + 1]!);
  return result;
}

async function configGet(server: RedisServer, ...names: string[]): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const name of names) result[name] = pairs(await server.command('CONFIG', 'GET', name)).get(name) ?? '';
  return result;
}

/**
 * What each running server reports equals what the design says: bind, port, replication and
 * announcement for redis; the monitored master and its settings for Sentinel.
 */
async function expectServersMatchDesign(loopback: LoopbackDesign, started: Started[]): Promise<void> {
  const { design } = loopback;
  const index = indexDesign(design);
  for (const { service, server, file, secrets } of started) {
    await expectAuthentication(service, server, secrets, `${file.host} ${file.path}`);
    const host = index.hosts.get(service.host!)!;
    const group = service.group === undefined ? undefined : index.groups.get(service.group);
    const plan = group?.kind === 'redis-sentinel' ? planSentinelGroup(index, group) : undefined;
    if (service.kind === 'redis') {
      const primary = plan?.primary;
      const isReplica = primary !== undefined && primary.service.id !== service.id;
      expect(
        await configGet(server, 'bind', 'port', 'replicaof', 'replica-announce-ip', 'appendonly'),
        `${file.host} ${file.path}`,
      ).toEqual({
        bind: `${host.address} 127.0.0.1`,
        port: String(mainPortOf(service)),
        replicaof: isReplica ? `${primary.host.address} ${mainPortOf(primary.service)}` : '',
        'replica-announce-ip': plan ? host.address : '',
        appendonly: 'yes',
      });
      const role = await server.command('ROLE');
      expect(role.split('\n')[0]).toBe(isReplica ? 'slave' : 'master');
      if (isReplica) expect(role.split('\n')[1]).toBe(primary.host.address);
      continue;
    }
    expect(pairs(await server.command('SENTINEL', 'CONFIG', 'GET', 'announce-ip')).get('announce-ip')).toBe(
      host.address,
    );
    expect(
      pairs(await server.command('SENTINEL', 'CONFIG', 'GET', 'resolve-hostnames')).get('resolve-hostnames'),
    ).toBe(plan?.usesHostnames || !IP.test(host.address) ? 'yes' : 'no');
    const masters = await server.command('SENTINEL', 'MASTERS');
    if (!plan || !plan.primary) {
      expect(masters).toBe('');
      continue;
    }
    const master = pairs(masters);
    expect(
      {
        name: master.get('name'),
        ip: master.get('ip'),
        port: master.get('port'),
        quorum: master.get('quorum'),
        downAfter: master.get('down-after-milliseconds'),
        failoverTimeout: master.get('failover-timeout'),
        parallelSyncs: master.get('parallel-syncs'),
      },
      `${file.host} ${file.path}`,
    ).toEqual({
      name: plan.masterName,
      ip: plan.primary.host.address,
      port: String(mainPortOf(plan.primary.service)),
      quorum: String(plan.quorum),
      downAfter: String(plan.downAfterMs),
      failoverTimeout: String(plan.failoverTimeoutMs),
      parallelSyncs: '1',
    });
  }
}

/**
 * Every server lets in only whom the design says: without a password a command gets NOAUTH, the
 * client user gets NOPERM for CONFIG SET, and a service with `auth: false` answers anyone.
 */
async function expectAuthentication(
  service: Service,
  server: RedisServer,
  secrets: LabSecrets,
  where: string,
): Promise<void> {
  const open = 'auth' in service && service.auth === false;
  if (service.kind === 'redis') {
    const anonymous = await server.commandAs(null, 'SET', 'topoforge-probe', '1');
    if (open) {
      expect(anonymous, where).not.toMatch(/NOAUTH/);
      return;
    }
    expect(anonymous, where).toMatch(/^NOAUTH/);
    const client = await secrets.clientOf(service);
    expect(await server.commandAs(client, 'CONFIG', 'SET', 'dir', '/tmp'), where).toMatch(/^NOPERM/);
    expect(await server.commandAs(client, 'PING'), where).toBe('PONG');
    return;
  }
  const anonymous = await server.commandAs(null, 'SENTINEL', 'MASTERS');
  if (open) expect(anonymous, where).not.toMatch(/NOAUTH/);
  else expect(anonymous, where).toMatch(/^NOAUTH/);
}

async function stopAll(started: Started[]): Promise<void> {
  await Promise.all(started.map(({ server }) => server.stop()));
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(!requireTool('redis-sentinel') || !requireTool('redis-server'))(
  'every generated redis.conf and sentinel.conf starts with the real tool',
  () => {
    for (const file of exampleFiles) {
      test.concurrent(file, async (context) => {
        const loopback = await onLoopback(loadExample(file));
        const started = await startAll(loopback, context);
        const expected = loopback.design.services.filter(
          (service) =>
            (service.kind === 'redis' || service.kind === 'sentinel') && service.host !== undefined,
        );
        expect(started).toHaveLength(expected.length);
        await expectServersMatchDesign(loopback, started);
        await stopAll(started);
      });
    }

    test.concurrent(
      'DNS names, two redis on one host, a standalone redis and a lone sentinel',
      async (context) => {
        const design = checkedDesign({
          format: 1,
          name: 'names',
          hosts: [
            { id: 'a', address: 'redis-a.lab.test' },
            { id: 'b', address: 'redis-b.lab.test' },
            { id: 'c', address: '10.9.0.3' },
          ],
          services: [
            { id: 'cache-1', kind: 'redis', host: 'a', group: 'cache', primary: true },
            { id: 'cache-2', kind: 'redis', host: 'b', group: 'cache' },
            { id: 'cache-3', kind: 'redis', host: 'c', group: 'cache' },
            { id: 'other', kind: 'redis', host: 'c', port: 6380 },
            { id: 'watch-1', kind: 'sentinel', host: 'a', group: 'cache' },
            { id: 'watch-2', kind: 'sentinel', host: 'b', group: 'cache' },
            { id: 'watch-3', kind: 'sentinel', host: 'c', group: 'cache' },
            { id: 'idle', kind: 'sentinel', host: 'b', port: 26380 },
          ],
          groups: [{ id: 'cache', kind: 'redis-sentinel', masterName: 'cache.main_1', downAfterMs: 2500 }],
        });
        const files = generate(design);
        expect(files.map((file) => `${file.host} ${file.path} ${file.policy}`)).toEqual([
          'a /etc/redis/redis.conf create-only',
          'b /etc/redis/redis.conf create-only',
          'c /etc/redis/redis-cache-3.conf create-only',
          'c /etc/redis/redis-other.conf replace',
          'a /etc/redis/sentinel.conf create-only',
          'b /etc/redis/sentinel-watch-2.conf create-only',
          'c /etc/redis/sentinel.conf create-only',
          'b /etc/redis/sentinel-idle.conf create-only',
        ]);
        expect(files[0]!.content).toMatch(/^dbfilename dump\.rdb\nappenddirname appendonlydir$/m);
        expect(files[2]!.content).toMatch(
          /^dbfilename dump-cache-3\.rdb\nappenddirname appendonlydir-cache-3$/m,
        );
        expect(files[3]!.content).toMatch(/^dbfilename dump-other\.rdb\nappenddirname appendonlydir-other$/m);
        expect(files[3]!.content).not.toMatch(/replica-announce-ip|replicaof/);
        const loopback = await onLoopback(design);
        const started = await startAll(loopback, context);
        await expectServersMatchDesign(loopback, started);
        await stopAll(started);
      },
    );
  },
);

describe('generated files', () => {
  test('byte-identical for the same design', () => {
    for (const file of exampleFiles) expect(generate(loadExample(file))).toEqual(generate(loadExample(file)));
  });

  test('teramind-ha: the settings the design asks for, the defaults where it is silent', () => {
    const design = loadExample('teramind-ha.topo.json');
    const files = generate(design);
    const sentinel = files.find((file) => file.host === 'tm-3' && file.path === '/etc/redis/sentinel.conf')!;
    expect(sentinel.content).toContain(
      [
        'sentinel monitor teramind 10.20.1.11 6379 3',
        'sentinel down-after-milliseconds teramind 5000',
        'sentinel failover-timeout teramind 60000',
        'sentinel parallel-syncs teramind 1',
      ].join('\n'),
    );
    expect(sentinel.content).toMatch(/^sentinel announce-ip 10\.20\.1\.13$/m);
    expect(sentinel.content).not.toContain('resolve-hostnames');
    const primary = files.find((file) => file.host === 'tm-1' && file.path === '/etc/redis/redis.conf')!;
    const replica = files.find((file) => file.host === 'tm-2' && file.path === '/etc/redis/redis.conf')!;
    expect(primary.content).not.toMatch(/^replicaof/m);
    expect(replica.content).toMatch(/^replicaof 10\.20\.1\.11 6379$/m);
    expect(replica.content).toMatch(/^bind 10\.20\.1\.12 127\.0\.0\.1$/m);
    expect(replica.content).toMatch(/^replica-announce-ip 10\.20\.1\.12$/m);
    for (const file of files)
      expect(file.content.split('\n')[0]).toBe(
        `# Generated by Topoforge from design "Teramind HA (5 nodes)"; edit the design, not this file.`,
      );

    const silent = structuredClone(design);
    const group = silent.groups!.find((candidate) => candidate.id === 'redis-ha') as RedisSentinelGroup;
    delete group.downAfterMs;
    delete group.failoverTimeoutMs;
    delete group.quorum;
    delete group.masterName;
    const defaults = generate(silent).find((file) => file.path === '/etc/redis/sentinel.conf')!;
    expect(defaults.content).toContain(
      [
        'sentinel monitor redis-ha 10.20.1.11 6379 3',
        `sentinel down-after-milliseconds redis-ha ${DEFAULT_DOWN_AFTER_MS}`,
        `sentinel failover-timeout redis-ha ${DEFAULT_FAILOVER_TIMEOUT_MS}`,
      ].join('\n'),
    );
  });

  test('manifest: both files create-only, owned by redis, restarted by their unit', () => {
    const { manifest } = generateBundle(loadExample('teramind-ha.topo.json'));
    const mine = manifest.files.filter((file) => file.path.startsWith('/etc/redis/'));
    expect(mine).toHaveLength(10);
    for (const file of mine) {
      const unit = file.path.endsWith('sentinel.conf') ? 'redis-sentinel.service' : 'redis-server.service';
      expect(file).toMatchObject({
        mode: '0640',
        owner: 'redis:redis',
        policy: 'create-only',
        reload: `systemctl restart ${unit}`,
      });
      expect(file.check).toBeUndefined();
    }
  });

  test('a group without a marked primary still gets one (the first redis), as generate --force needs', () => {
    const design = checkedDesign({
      format: 1,
      name: 'no primary',
      hosts: [
        { id: 'a', address: '10.0.0.1' },
        { id: 'b', address: '10.0.0.2' },
      ],
      services: [
        { id: 'r1', kind: 'redis', host: 'a', group: 'g' },
        { id: 'r2', kind: 'redis', host: 'b', group: 'g' },
        { id: 's1', kind: 'sentinel', host: 'a', group: 'g' },
      ],
      groups: [{ id: 'g', kind: 'redis-sentinel' }],
    });
    const files = generate(design);
    expect(files[0]!.content).not.toMatch(/^replicaof/m);
    expect(files[1]!.content).toMatch(/^replicaof 10\.0\.0\.1 6379$/m);
    expect(files[2]!.content).toMatch(/^sentinel monitor g 10\.0\.0\.1 6379 1$/m);
  });
});

// ---------------------------------------------------------------------------------------------
// Injection: every string field that reaches a Redis or Sentinel file

const CORPUS = [
  'plain',
  'new\nline',
  'carriage\rreturn',
  'line\u2028separator',
  'next\u0085line',
  'nul\u0000byte',
  'two words',
  '"quoted"',
  "'single'",
  'back\\slash',
  '# comment',
  'x\nsentinel monitor evil 127.0.0.1 1 1',
  'x" 127.0.0.1 1 1 "',
  'sentinel monitor evil 127.0.0.1 1 1',
  '$(reboot)',
  '`reboot`',
  '{}',
  'yes',
  '1e3',
  'a:b',
  '-flag',
  'UPPER.lower_1-2',
  '\u00e9t\u00e9 \u{1f600}',
  'x'.repeat(300),
];

type Mutation = (design: Record<string, unknown>, value: string) => void;

const groupOf = (design: Record<string, unknown>): Record<string, unknown> =>
  (design.groups as Record<string, unknown>[])[0]!;
const servicesOf = (design: Record<string, unknown>): Record<string, unknown>[] =>
  design.services as Record<string, unknown>[];

const MUTATIONS: Record<string, Mutation> = {
  'master name': (design, value) => {
    groupOf(design).masterName = value;
  },
  'group id': (design, value) => {
    groupOf(design).id = value;
    for (const service of servicesOf(design)) service.group = value;
  },
  'service id': (design, value) => {
    servicesOf(design)[1]!.id = value;
  },
  // Free text only ever reaches comments; one design carries it in every such field at once.
  'design name and every label': (design, value) => {
    design.name = value;
    groupOf(design).label = value;
    for (const service of servicesOf(design)) service.label = value;
  },
  // Reaches a comment only: the header of a config that lets anyone in says why.
  'authReason of an open primary': (design, value) => {
    servicesOf(design)[0]!.auth = false;
    servicesOf(design)[0]!.authReason = value;
  },
  'host address': (design, value) => {
    (design.hosts as Record<string, unknown>[])[0]!.address = value;
  },
};

function injectionBase(): Record<string, unknown> {
  return {
    format: 1,
    name: 'injection',
    hosts: [
      { id: 'a', address: '10.0.0.1' },
      { id: 'b', address: '10.0.0.2' },
    ],
    services: [
      { id: 'primary', kind: 'redis', host: 'a', group: 'cache', primary: true },
      { id: 'replica', kind: 'redis', host: 'b', group: 'cache' },
      { id: 'watch', kind: 'sentinel', host: 'b', group: 'cache' },
    ],
    groups: [{ id: 'cache', kind: 'redis-sentinel', masterName: 'cache' }],
  };
}

describe.skipIf(!requireTool('redis-sentinel') || !requireTool('redis-server'))('injection corpus', () => {
  for (const [field, mutate] of Object.entries(MUTATIONS)) {
    test.concurrent(
      `${field}: rejected by the schema, or the running servers report the design`,
      async (context) => {
        let accepted = 0;
        for (const value of CORPUS) {
          const raw = injectionBase();
          mutate(raw, value);
          const loaded = checkDesign(raw);
          if (!loaded.ok) continue;
          accepted += 1;
          const loopback = await onLoopback(loaded.design);
          const started = await startAll(loopback, context);
          expect(started).toHaveLength(3);
          await expectServersMatchDesign(loopback, started);
          await stopAll(started);
        }
        expect(accepted).toBeGreaterThan(0);
      },
      // Each accepted value starts three servers; free text is accepted in most of its forms.
      90_000,
    );
  }

  test.concurrent(
    'past the schema: a master name Sentinel would rewrite unquoted is refused',
    async (context) => {
      let refused = 0;
      for (const value of CORPUS) {
        const raw = injectionBase() as unknown as Design;
        (raw.groups![0] as RedisSentinelGroup).masterName = value;
        let files: BundleFile[];
        try {
          files = generate(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(UnsafeValueError);
          refused += 1;
          continue;
        }
        // What is left is one bare token that survives Sentinel's own rewrite of the file.
        const sentinel = files.find((file) => file.path === '/etc/redis/sentinel.conf')!;
        const secrets = await labSecrets(buildManifest(raw, files), context);
        const options = {
          context,
          extraFiles: secrets.filesOf(sentinel.host!),
          auth: (await secrets.adminOf({ id: 'watch' }))!,
        };
        const server = requireStarted(await startSentinel(sentinel.content, options));
        expect(pairs(await server.command('SENTINEL', 'MASTERS')).get('name')).toBe(value);
        await server.stop();
        const again = requireStarted(await startSentinel(server.readConfig(), options));
        expect(pairs(await again.command('SENTINEL', 'MASTERS')).get('name')).toBe(value);
        await again.stop();
      }
      expect(refused).toBeGreaterThan(0);
    },
  );

  test.concurrent('past the schema: labels and the design name stay inside comments', async (context) => {
    for (const value of CORPUS) {
      const raw = injectionBase() as unknown as Design;
      raw.name = value;
      for (const service of raw.services) service.label = value;
      const files = generate(raw);
      for (const file of files) {
        const header = file.content.split('\n\n')[0]!.split('\n');
        expect(header.every((line) => line.startsWith('#'))).toBe(true);
      }
      const secrets = await labSecrets(buildManifest(raw, files), context);
      const sentinel = requireStarted(
        await startSentinel(files[2]!.content, {
          context,
          extraFiles: secrets.filesOf(files[2]!.host!),
          auth: (await secrets.adminOf({ id: 'watch' }))!,
        }),
      );
      expect(pairs(await sentinel.command('SENTINEL', 'MASTERS')).get('name')).toBe('cache');
      await sentinel.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random valid Sentinel groups

const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);

const groupArbitrary = fc
  .record({
    hostCount: fc.integer({ min: 1, max: 4 }),
    names: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    redisHosts: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }),
    sentinelHosts: fc.array(fc.nat(3), { minLength: 1, maxLength: 5 }),
    primary: fc.nat(3),
    quorum: fc.option(fc.nat(4), { nil: undefined }),
    masterName: fc.option(token, { nil: undefined }),
    downAfterMs: fc.option(fc.integer({ min: 100, max: 3_600_000 }), { nil: undefined }),
    failoverTimeoutMs: fc.option(fc.integer({ min: 1000, max: 86_400_000 }), { nil: undefined }),
    label: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  })
  .map((draw) => {
    const hosts = Array.from({ length: draw.hostCount }, (_unused, position) => ({
      id: `h${position}`,
      address: draw.names[position] ? `node-${position}.lab.test` : `10.1.0.${position + 1}`,
    }));
    const hostOf = (choice: number): string => `h${choice % draw.hostCount}`;
    const services = [
      ...draw.redisHosts.map((choice, position) => ({
        id: `redis-${position}`,
        kind: 'redis',
        host: hostOf(choice),
        group: 'g',
        ...(position === draw.primary % draw.redisHosts.length ? { primary: true } : {}),
        ...(draw.label === undefined ? {} : { label: draw.label }),
      })),
      ...draw.sentinelHosts.map((choice, position) => ({
        id: `sentinel-${position}`,
        kind: 'sentinel',
        host: hostOf(choice),
        group: 'g',
      })),
    ];
    const quorum = draw.quorum === undefined ? undefined : (draw.quorum % draw.sentinelHosts.length) + 1;
    return {
      format: 1,
      name: 'property',
      hosts,
      services,
      groups: [
        {
          id: 'g',
          kind: 'redis-sentinel',
          ...(quorum === undefined ? {} : { quorum }),
          ...(draw.masterName === undefined ? {} : { masterName: draw.masterName }),
          ...(draw.downAfterMs === undefined ? {} : { downAfterMs: draw.downAfterMs }),
          ...(draw.failoverTimeoutMs === undefined ? {} : { failoverTimeoutMs: draw.failoverTimeoutMs }),
        },
      ],
    };
  });

describe.skipIf(!requireTool('redis-sentinel') || !requireTool('redis-server'))('property', () => {
  test('random valid Sentinel groups: every generated file starts and reports the design', async (context) => {
    await fc.assert(
      fc.asyncProperty(groupArbitrary, async (raw) => {
        const loaded = checkDesign(raw);
        fc.pre(loaded.ok);
        if (!loaded.ok) return;
        const loopback = await onLoopback(loaded.design);
        const started = await startAll(loopback, context);
        try {
          await expectServersMatchDesign(loopback, started);
        } finally {
          await stopAll(started);
        }
      }),
      { numRuns: 12 },
    );
  });
});
