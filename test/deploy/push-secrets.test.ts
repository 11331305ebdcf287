/**
 * Issue 21, item 4 (the push half): push creates each secret in the store on first deploy and
 * uploads the secret files a generated bundle's manifest lists to real OpenSSH lab hosts
 * (test/lab/sshd.ts): the bytes the store renders, owned by the service's user (root's, 0600,
 * while that user does not exist), create-only; one secret shared by a group's members; after
 * `secrets rotate`, the next push replaces them host by host in roll-out order. No secret value
 * ever appears in the bundle, the manifest, `--json`, a dry run, the app's plan, events or logs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import type { Manifest } from '../../core/generate/bundle';
import type { PushEvent, PushReport } from '../../core/push';
import { SshConnection } from '../../deploy/push/connection';
import { nodeSha256 } from '../../deploy/hash';
import { loadPushBundle, pushBundle } from '../../deploy/push/index';
import { SecretStore, prepareSecretUploads } from '../../deploy/secrets/index';
import { writeBundle } from '../../deploy/write-bundle';
import { PushService } from '../../electron/main/push-service';
import { checkedDesign } from '../fixtures/examples';
import { requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab, SshLabHost } from '../lab/sshd';
import { temporaryFolder } from '../lab/temporary';
import { loadVouched, runPushCapturing } from './push-lab';
import type { CliRun } from './push-lab';

const IDS = ['node-1', 'node-2', 'node-3'];
let lab: SshLab;
let knownHosts: string;

beforeAll(async () => {
  if (!requireSshd()) return;
  lab = await startSshLab({ hosts: IDS, addresses: ['127.0.96.1', '127.0.96.2', '127.0.96.3'] });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

beforeEach(async () => {
  if (!lab) return;
  lab.reset();
  knownHosts = join(await temporaryFolder('topoforge-known-'), 'known_hosts');
  writeFileSync(knownHosts, lab.knownHosts());
});

/** A Redis group with Sentinel on the lab hosts: node-1 holds the primary, every host a Sentinel. */
function designText(options: { sudo?: boolean } = {}): string {
  const hosts = lab.hosts.map((host) => ({
    id: host.id,
    address: host.address,
    ssh: {
      user: 'root',
      port: host.port,
      root: host.root,
      hostKey: host.hostKeyFingerprint,
      ...(options.sudo ? { sudo: true } : {}),
    },
  }));
  return JSON.stringify({
    format: 1,
    name: 'Secrets lab',
    hosts,
    services: [
      { id: 'redis-1', kind: 'redis', host: 'node-1', group: 'cache', port: 6379, primary: true },
      { id: 'redis-2', kind: 'redis', host: 'node-2', group: 'cache', port: 6379 },
      { id: 'redis-3', kind: 'redis', host: 'node-3', group: 'cache', port: 6379 },
      ...IDS.map((host, index) => ({
        id: `sentinel-${index + 1}`,
        kind: 'sentinel',
        host,
        group: 'cache',
        port: 26379,
      })),
    ],
    groups: [{ id: 'cache', kind: 'redis-sentinel', quorum: 2, masterName: 'cache' }],
  });
}

interface Setup {
  bundle: string;
  manifest: Manifest;
  store: SecretStore;
}

async function setUp(options: { sudo?: boolean } = {}): Promise<Setup> {
  const folder = await temporaryFolder('topoforge-push-secrets-');
  const bundle = join(folder, 'bundle');
  const generated = generateBundle(checkedDesign(JSON.parse(designText(options))), { sha256: nodeSha256 });
  await writeBundle(generated, bundle);
  return {
    bundle,
    manifest: generated.manifest,
    store: new SecretStore({ directory: join(folder, 'store') }),
  };
}

function push(setup: Setup, args: string[]): Promise<CliRun> {
  return runPushCapturing(
    [setup.bundle, '--identity', lab.identityFile, '--known-hosts', knownHosts, ...args],
    {
      home: join(lab.directory, 'home'),
      secretStore: setup.store,
    },
  );
}

function report(run: CliRun): PushReport {
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as PushReport;
}

/**
 * Gives the manifest entry `pick` finds an owner no host has, in the bundle's manifest.json, and
 * returns the entry as changed.
 */
function withOwnerMissing<Entry extends { owner?: string }>(
  setup: Setup,
  pick: (manifest: Manifest) => Entry | undefined,
): Entry {
  const path = join(setup.bundle, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  const entry = pick(manifest)!;
  entry.owner = 'topoforge-nobody:topoforge-nobody';
  writeFileSync(path, JSON.stringify(manifest));
  return entry;
}

/**
 * Push's options for one host of the bundle with the lab's key and known hosts. The bundle is
 * vouched for: the catalogue does not know an owner a test changed, and push takes it only as a
 * person vouches for it.
 */
async function vouchedPushOf(setup: Setup, host: string): Promise<Parameters<typeof pushBundle>[0]> {
  return {
    bundle: await loadVouched(setup.bundle),
    hosts: [host],
    authentication: { identityFile: lab.identityFile },
    hostKeys: { knownHosts: { read: [knownHosts], write: knownHosts } },
    secretStore: setup.store,
  };
}

function hostOf(id: string): SshLabHost {
  return lab.hosts.find((host) => host.id === id)!;
}

/** Every value the store holds, current and previous, read from its files as a person could. */
function storedValues(store: SecretStore): string[] {
  const values: string[] = [];
  for (const design of readdirSync(store.directory)) {
    for (const file of readdirSync(join(store.directory, design)).filter((name) => name.endsWith('.json'))) {
      const scope = JSON.parse(readFileSync(join(store.directory, design, file), 'utf8')) as {
        secrets: Record<string, { current: string; previous?: string }>;
      };
      for (const secret of Object.values(scope.secrets))
        values.push(secret.current, ...(secret.previous ? [secret.previous] : []));
    }
  }
  return values;
}

/** Every file under `folder`, as text. */
function textsUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
}

/** The secret files as the store renders them now, by `host:path`. */
async function expectedSecretFiles(setup: Setup): Promise<Map<string, { content: Buffer; mode: number }>> {
  const uploads = await prepareSecretUploads(setup.manifest, setup.store);
  return new Map(
    [...uploads.values()].flat().map((upload) => [`${upload.host}:${upload.path}`, upload] as const),
  );
}

const redisUid = (): number => Number(execFileSync('id', ['-u', 'redis'], { encoding: 'utf8' }).trim());
const redisGid = (): number => Number(execFileSync('id', ['-g', 'redis'], { encoding: 'utf8' }).trim());

describe.skipIf(!requireSshd())('push and the secrets of a bundle', () => {
  it('creates the secrets on first deploy, uploads them create-only with owner and mode, keeps them on a second push, rolls a rotation out host by host', async () => {
    const setup = await setUp();
    const outputs: string[] = [];

    // A dry run before anything exists creates nothing, and shows every secret file as "secret, not shown".
    const planned = await push(setup, ['--dry-run', '--json']);
    outputs.push(planned.stdout);
    const dryReport = report(planned);
    const secretReports = dryReport.hosts.flatMap((host) =>
      host.files.filter((file) => file.secret).map((file) => ({ host: host.host, ...file })),
    );
    expect(secretReports).toHaveLength(setup.manifest.secrets.length);
    for (const file of secretReports) {
      expect(file.action).toBe('create');
      expect(file.diff).toBe(`${file.host}:${file.path}: secret, not shown\n`);
    }
    expect(() => readdirSync(setup.store.directory)).toThrow(/ENOENT/);

    // First push: the store creates the secrets; every host gets its files, owned by redis.
    const first = await push(setup, ['--json']);
    outputs.push(first.stdout);
    const firstReport = report(first);
    expect(firstReport.summary).toEqual({ changed: 3, unchanged: 0, failed: 0 });
    const expected = await expectedSecretFiles(setup);
    expect(expected.size).toBe(setup.manifest.secrets.length);
    for (const [where, file] of expected) {
      const [host, path] = where.split(':') as [string, string];
      const onHost = join(hostOf(host).root, path);
      expect(readFileSync(onHost).equals(file.content), where).toBe(true);
      const stats = statSync(onHost);
      expect(stats.mode & 0o7777, where).toBe(file.mode);
      expect([stats.uid, stats.gid], where).toEqual([redisUid(), redisGid()]);
    }
    // One secret per group: every member's ACL file holds the same passwords.
    const acl = (host: string) => readFileSync(join(hostOf(host).root, 'etc/redis/redis.acl'), 'utf8');
    expect(acl('node-1')).toBe(acl('node-2'));
    expect(acl('node-2')).toBe(acl('node-3'));
    const values = storedValues(setup.store);
    expect(values.length).toBeGreaterThanOrEqual(5);
    // The search below finds what is there: the hosts do hold the values.
    expect(values.some((value) => acl('node-1').includes(value))).toBe(true);
    for (const host of IDS) expect(hostOf(host).systemctlCalls()).toContain('restart redis-server.service');

    // Second push: create-only, nothing changes.
    const second = await push(setup, ['--json']);
    outputs.push(second.stdout);
    const secondReport = report(second);
    expect(secondReport.summary).toEqual({ changed: 0, unchanged: 3, failed: 0 });
    for (const host of secondReport.hosts)
      for (const file of host.files.filter((candidate) => candidate.secret)) expect(file.action).toBe('kept');

    // Rotate, then a dry run shows each secret file to update, without its content.
    const before = new Map([...expected].map(([where, file]) => [where, file.content]));
    await setup.store.rotate('Secrets lab', 'cache');
    const rotatePlan = await push(setup, ['--dry-run']);
    outputs.push(rotatePlan.stdout, rotatePlan.stderr);
    expect(rotatePlan.stdout).toContain('node-1:/etc/redis/redis.acl: secret, not shown');

    // The rotation's push: host by host in the group's order (replicas first, the primary last).
    const events: PushEvent[] = [];
    const loaded = await loadPushBundle(setup.bundle);
    if (!loaded.ok) throw new Error(loaded.problem.message);
    const rotated = await pushBundle({
      bundle: loaded.bundle,
      authentication: { identityFile: lab.identityFile },
      hostKeys: { knownHosts: { read: [knownHosts], write: knownHosts } },
      secretStore: setup.store,
      onEvent: (event) => events.push(event),
    });
    if (!rotated.ok) throw new Error(rotated.problem.message);
    outputs.push(JSON.stringify(rotated.report), JSON.stringify(events));
    expect(rotated.report.summary).toEqual({ changed: 3, unchanged: 0, failed: 0 });
    const serial = setup.manifest.serial!.find((group) => group.id === 'cache')!.hosts;
    expect(serial[serial.length - 1]).toBe('node-1');
    const started = events
      .filter((event) => event.type === 'step' && event.step === 'connecting')
      .map((event) => event.host);
    const done = events.filter((event) => event.type === 'done').map((event) => event.host);
    expect(done).toEqual(serial);
    expect(started).toEqual(serial);
    // Every ACL now accepts both passwords; what logs in keeps the previous one until --finish.
    const after = await expectedSecretFiles(setup);
    const changedFiles = (rendered: Map<string, { content: Buffer }>): string[] =>
      [...before]
        .filter(([where, content]) => {
          const [host, path] = where.split(':') as [string, string];
          const onHost = readFileSync(join(hostOf(host).root, path));
          expect(onHost.equals(rendered.get(where)!.content), where).toBe(true);
          expect(statSync(join(hostOf(host).root, path)).uid, where).toBe(redisUid());
          return !onHost.equals(content);
        })
        .map(([where]) => where)
        .sort();
    expect(changedFiles(after)).toEqual([
      'node-1:/etc/redis/redis.acl',
      'node-2:/etc/redis/redis.acl',
      'node-3:/etc/redis/redis.acl',
    ]);
    for (const host of rotated.report.hosts) {
      expect(
        host.files.filter((file) => file.secret && file.action === 'update').map((file) => file.path),
      ).toEqual(['/etc/redis/redis.acl']);
      expect(host.reloads.map((reload) => reload.command)).toContain(
        'systemctl restart redis-server.service',
      );
    }
    // Rolled out on every host: the store says so, and the next push is create-only again.
    expect(new Set((await setup.store.list({ scope: 'cache' })).map((secret) => secret.rotation))).toEqual(
      new Set(['awaiting-finish']),
    );
    const settled = report(await push(setup, ['--json']));
    expect(settled.summary.changed).toBe(0);

    // --finish: the previous values go, and every secret file changes, host by host again.
    await setup.store.rotate('Secrets lab', 'cache', { finish: true });
    const finished = report(await push(setup, ['--json']));
    outputs.push(JSON.stringify(finished));
    expect(finished.summary).toEqual({ changed: 3, unchanged: 0, failed: 0 });
    expect(changedFiles(await expectedSecretFiles(setup))).toEqual([...before.keys()].sort());
    expect(new Set((await setup.store.list({ scope: 'cache' })).map((secret) => secret.rotation))).toEqual(
      new Set(['done']),
    );

    // Nowhere but on the hosts and in the store: the bundle (manifest included), every report,
    // dry run, event and the hosts' command logs.
    const logs = lab.hosts.flatMap((host) => [...host.systemctlCalls(), ...host.sudoCalls()]);
    const searched = [...textsUnder(setup.bundle), ...outputs, JSON.stringify(settled), ...logs].join('\n');
    for (const value of storedValues(setup.store)) expect(searched.includes(value)).toBe(false);
  }, 120_000);

  it('a --host push creates what the whole group will share, and the rotation waits for every member', async () => {
    const setup = await setUp();
    expect(report(await push(setup, ['--host', 'node-3', '--json'])).summary.changed).toBe(1);
    // node-2 pushed later gets the same group secret as node-3.
    expect(report(await push(setup, ['--host', 'node-2', '--json'])).summary.changed).toBe(1);
    const sentinelAuth = (host: string) =>
      readFileSync(join(hostOf(host).root, 'etc/redis/sentinel.auth.conf'), 'utf8');
    expect(sentinelAuth('node-2')).toBe(sentinelAuth('node-3'));

    await setup.store.rotate('Secrets lab', 'cache');
    const partial = report(await push(setup, ['--host', 'node-3', '--json']));
    expect(partial.warnings).toContainEqual(
      expect.stringContaining('the new secrets of cache have not reached node-1, node-2'),
    );
    expect(new Set((await setup.store.list({ scope: 'cache' })).map((secret) => secret.rotation))).toEqual(
      new Set(['rolling-out']),
    );
  }, 60_000);

  it('through sudo: staged privately, then installed with the owner and mode', async () => {
    const setup = await setUp({ sudo: true });
    const staged = () => readdirSync('/tmp').filter((name) => name.startsWith('.topoforge-'));
    const stagingBefore = staged();
    const first = report(await push(setup, ['--host', 'node-2', '--json']));
    expect(first.summary.changed, JSON.stringify(first.hosts[0]!.failure)).toBe(1);
    expect(hostOf('node-2').sudoCalls().length).toBeGreaterThan(0);
    for (const [where, file] of await expectedSecretFiles(setup)) {
      const [host, path] = where.split(':') as [string, string];
      if (host !== 'node-2') continue;
      const onHost = join(hostOf(host).root, path);
      expect(readFileSync(onHost).equals(file.content), where).toBe(true);
      const stats = statSync(onHost);
      expect([stats.uid, stats.gid, stats.mode & 0o7777], where).toEqual([redisUid(), redisGid(), file.mode]);
    }
    expect(staged()).toEqual(stagingBefore);
  }, 60_000);

  it("a secret whose service's user does not exist yet is root's, 0600, and push says so until it does", async () => {
    const setup = await setUp();
    // As if redis-sentinel were not installed on the host: its user does not exist.
    const entry = withOwnerMissing(setup, (manifest) =>
      manifest.secrets.find((file) => file.host === 'node-3' && file.render.kind === 'sentinel-auth'),
    );
    const options = await vouchedPushOf(setup, 'node-3');
    const first = await pushBundle(options);
    if (!first.ok) throw new Error(first.problem.message);
    expect(first.report.hosts[0]!.status, JSON.stringify(first.report.hosts[0]!.failure)).toBe('changed');
    const onHost = statSync(join(hostOf('node-3').root, entry.path));
    expect([onHost.uid, onHost.gid, onHost.mode & 0o7777]).toEqual([0, 0, 0o600]);
    // The other secret files of the host still belong to redis.
    expect(statSync(join(hostOf('node-3').root, 'etc/redis/redis.acl')).uid).toBe(redisUid());

    const second = await pushBundle(options);
    if (!second.ok) throw new Error(second.problem.message);
    expect(second.report.hosts[0]!.status).toBe('unchanged');
    expect(second.report.hosts[0]!.warnings).toContainEqual(
      expect.stringContaining(
        `the secret file ${entry.path} belongs to root:root, not topoforge-nobody:topoforge-nobody`,
      ),
    );
  }, 60_000);

  it("replaces a package's stock redis.conf once, then keeps what the cluster rewrites", async () => {
    const setup = await setUp();
    // As Debian's redis-server package leaves it: a redis.conf that Topoforge did not write.
    const onHost = join(hostOf('node-3').root, 'etc/redis/redis.conf');
    mkdirSync(dirname(onHost), { recursive: true });
    writeFileSync(onHost, 'bind 127.0.0.1 -::1\nport 6379\n');
    const first = report(await push(setup, ['--host', 'node-3', '--json']));
    const host = first.hosts[0]!;
    expect(host.status, JSON.stringify(host.failure)).toBe('changed');
    expect(host.files.find((file) => file.path === '/etc/redis/redis.conf')).toMatchObject({
      action: 'update',
      reasons: ['content'],
    });
    expect(host.warnings).toContainEqual(
      expect.stringContaining('/etc/redis/redis.conf on the host was not written by Topoforge'),
    );
    const bundled = readFileSync(join(setup.bundle, 'hosts/node-3/etc/redis/redis.conf'));
    expect(readFileSync(onHost).equals(bundled)).toBe(true);
    // What the running server rewrites is the cluster's own from now on: kept.
    writeFileSync(onHost, `${bundled.toString()}# a line CONFIG REWRITE added\n`);
    const second = report(await push(setup, ['--host', 'node-3', '--json']));
    expect(second.hosts[0]!.files.find((file) => file.path === '/etc/redis/redis.conf')?.action).toBe('kept');
    expect(readFileSync(onHost, 'utf8')).toContain('# a line CONFIG REWRITE added');
  }, 60_000);

  it("a config whose service's user does not exist yet is root's, 0600, instead of failing the host", async () => {
    const setup = await setUp();
    // As if redis-server were not installed on the host: the user of its config does not exist.
    const entry = withOwnerMissing(setup, (manifest) =>
      manifest.files.find((file) => file.host === 'node-3' && file.path === '/etc/redis/redis.conf'),
    );
    const options = await vouchedPushOf(setup, 'node-3');
    const first = await pushBundle(options);
    if (!first.ok) throw new Error(first.problem.message);
    expect(first.report.hosts[0]!.status, JSON.stringify(first.report.hosts[0]!.failure)).toBe('changed');
    const onHost = statSync(join(hostOf('node-3').root, entry.path));
    expect([onHost.uid, onHost.gid, onHost.mode & 0o7777]).toEqual([0, 0, 0o600]);
    // Sentinel's own config, create-only, still belongs to redis.
    expect(statSync(join(hostOf('node-3').root, 'etc/redis/sentinel.conf')).uid).toBe(redisUid());
  }, 60_000);

  it('the app\'s plan shows each secret file as "secret, not shown", and its push uploads them from the app\'s store', async () => {
    const folder = await temporaryFolder('topoforge-app-secrets-');
    const store = new SecretStore({ directory: join(folder, 'store') });
    const service = new PushService<string>({
      send: () => undefined,
      authentication: () => ({ identityFile: lab.identityFile }),
      knownHosts: { read: [knownHosts], write: knownHosts },
      connect: (options) => SshConnection.open(options),
      secretStore: () => store,
    });
    const request = { designText: designText() };
    const pushed = await service.push('window', request);
    expect(pushed.summary).toEqual({ changed: 3, unchanged: 0, failed: 0 });
    await store.rotate('Secrets lab', 'cache');
    const plan = await service.plan('window', request);
    const secretFiles = plan.hosts.flatMap((host) => host.files.filter((file) => file.secret));
    expect(secretFiles.length).toBeGreaterThan(0);
    // The ACL files take the new passwords beside the old ones; what only logs in waits for --finish.
    expect(secretFiles.filter((file) => file.action === 'update').map((file) => file.path)).toEqual(
      Array(3).fill('/etc/redis/redis.acl'),
    );
    for (const file of secretFiles.filter((candidate) => candidate.action === 'update'))
      expect(file.diff).toMatch(/^node-\d:\/etc\/redis\/redis\.acl: secret, not shown\n$/);
    const payload = JSON.stringify(plan) + JSON.stringify(pushed);
    const values = storedValues(store);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(payload.includes(value)).toBe(false);
  }, 60_000);
});
