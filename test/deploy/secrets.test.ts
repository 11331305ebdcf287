/**
 * The secret store and the secret files push uploads (docs/push.md): where secrets live and
 * with which modes, one secret per group shared by its members, creation from random bytes,
 * rotation and its roll-out, and a manifest entry that cannot aim a secret anywhere else.
 */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { SECRETS } from '../../core/generate/secrets';
import { checkedDesign, loadExample } from '../fixtures/examples';
import {
  SecretManifestError,
  SecretStore,
  SecretStoreError,
  appDataDirectory,
  prepareSecretUploads,
  readSecretFiles,
  secretStoreDirectory,
} from '../../deploy/secrets/index';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function storeFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'topoforge-secrets-'));
  folders.push(folder);
  return join(folder, 'secrets');
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
}

/** Every file under `folder`, recursively. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const teramind = () => generateBundle(loadExample('teramind-ha.topo.json'));
const expertflow = () => generateBundle(loadExample('expertflow-two-sites.topo.json'));

describe('where the store lives', () => {
  test("the app's data folder, as Electron names it, on each system", () => {
    expect(appDataDirectory({}, 'linux', '/home/ana')).toBe('/home/ana/.config/Topoforge');
    expect(appDataDirectory({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/ana')).toBe('/xdg/Topoforge');
    expect(appDataDirectory({}, 'darwin', '/Users/ana')).toBe(
      '/Users/ana/Library/Application Support/Topoforge',
    );
    expect(appDataDirectory({ APPDATA: 'C:/Users/ana/AppData/Roaming' }, 'win32', 'C:/Users/ana')).toBe(
      join('C:/Users/ana/AppData/Roaming', 'Topoforge'),
    );
    expect(secretStoreDirectory({ environment: {}, platform: 'linux', home: '/home/ana' })).toBe(
      '/home/ana/.config/Topoforge/secrets',
    );
  });

  test('TOPOFORGE_SECRETS_DIR moves it, and an explicit folder wins over both', () => {
    expect(secretStoreDirectory({ environment: { TOPOFORGE_SECRETS_DIR: '/vault' }, home: '/h' })).toBe(
      '/vault',
    );
    expect(secretStoreDirectory({ directory: '/x', environment: { TOPOFORGE_SECRETS_DIR: '/vault' } })).toBe(
      '/x',
    );
  });
});

describe('the store', () => {
  test('folders 0700 and files 0600; a value is 32 random bytes (64 hex digits), a key file 756 in base64', async () => {
    const directory = storeFolder();
    const store = new SecretStore({ directory });
    const uploads = await prepareSecretUploads(teramind().manifest, store);
    await prepareSecretUploads(expertflow().manifest, store);
    expect(modeOf(directory)).toBe('0700');
    for (const entry of readdirSync(directory)) expect(modeOf(join(directory, entry))).toBe('0700');
    const files = filesUnder(directory);
    expect(files.map((file) => file.slice(directory.length + 1)).sort()).toEqual([
      expect.stringMatching(/^expertflow-hybrid-chat-on-two-sites-[0-9a-f]{12}\/rs0\.json$/),
      expect.stringMatching(/^teramind-ha-5-nodes-[0-9a-f]{12}\/redis-ha\.json$/),
    ]);
    for (const file of files) expect(modeOf(file)).toBe('0600');

    const values = await store.ensure(
      'Teramind HA (5 nodes)',
      'redis-ha',
      ['redis-app', 'sentinel-auth'],
      [],
    );
    expect(values.values['redis-app']!.current).toMatch(/^[0-9a-f]{64}$/);
    expect(values.values['redis-app']!.current).not.toBe(values.values['sentinel-auth']!.current);
    const keyfile = (
      await store.ensure('Expertflow Hybrid Chat on two sites', 'rs0', ['mongodb-keyfile'], [])
    ).values;
    expect(keyfile['mongodb-keyfile']!.current).toMatch(/^[A-Za-z0-9+/]{1008}$/);
    expect([...uploads.keys()]).toEqual(['tm-1', 'tm-2', 'tm-3', 'tm-4', 'tm-5']);
  });

  test('one secret per group: every member on every host gets the same value, created once', async () => {
    const store = new SecretStore({ directory: storeFolder() });
    const bundle = teramind();
    // Pushing one host first creates the group's secrets for all of them.
    const first = await prepareSecretUploads(bundle.manifest, store, { hosts: ['tm-3'] });
    expect([...first.keys()]).toEqual(['tm-3']);
    const all = await prepareSecretUploads(bundle.manifest, store);
    const acls = [...all.values()].flat().filter((upload) => upload.path === '/etc/redis/redis.acl');
    expect(acls).toHaveLength(5);
    expect(new Set(acls.map((upload) => upload.content.toString())).size).toBe(1);
    expect(all.get('tm-3')!.map((upload) => upload.content.toString())).toEqual(
      first.get('tm-3')!.map((upload) => upload.content.toString()),
    );
    const [summary] = await store.list({ scope: 'redis-ha' });
    expect(summary!.hosts).toEqual(['tm-1', 'tm-2', 'tm-3', 'tm-4', 'tm-5']);
  });

  test('a service in no group has secrets of its own', async () => {
    const design = checkedDesign({
      format: 1,
      name: 'two caches',
      hosts: [
        { id: 'a', address: '10.0.0.1' },
        { id: 'b', address: '10.0.0.2' },
      ],
      services: [
        { id: 'cache-a', kind: 'redis', host: 'a' },
        { id: 'cache-b', kind: 'redis', host: 'b' },
      ],
    });
    const store = new SecretStore({ directory: storeFolder() });
    const uploads = await prepareSecretUploads(generateBundle(design).manifest, store);
    const [a] = uploads.get('a')!;
    const [b] = uploads.get('b')!;
    expect(a!.scope).toBe('cache-a');
    expect(b!.scope).toBe('cache-b');
    expect(a!.content.toString()).not.toBe(b!.content.toString());
    expect(a!.content.toString()).toMatch(
      /^user default off\nuser app on >[0-9a-f]{64} ~\* &\* \+@all -@admin\n/,
    );
  });

  test('uploads: owner, mode and reload from the manifest, create-only, readable only by the service user', async () => {
    const store = new SecretStore({ directory: storeFolder() });
    const uploads = await prepareSecretUploads(expertflow().manifest, store);
    expect(
      [...uploads.values()].flat().map(({ host, path, owner, mode, policy, reload, scope }) => ({
        host,
        path,
        owner,
        mode,
        policy,
        reload,
        scope,
      })),
    ).toEqual(
      ['ef-a', 'ef-b', 'ef-arbiter'].map((host) => ({
        host,
        path: '/etc/mongod.keyfile',
        owner: 'mongodb:mongodb',
        mode: 0o400,
        policy: 'create-only',
        reload: 'systemctl restart mongod.service',
        scope: 'rs0',
      })),
    );
  });

  test('rotate keeps the old value until --finish; the files go out replace while it rolls out', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const store = new SecretStore({ directory: storeFolder(), now: () => new Date((clock += 86_400_000)) });
    const bundle = expertflow();
    const design = 'Expertflow Hybrid Chat on two sites';
    const [original] = (await prepareSecretUploads(bundle.manifest, store)).get('ef-a')!;
    const before = (await store.ensure(design, 'rs0', ['mongodb-keyfile'], [])).values['mongodb-keyfile']!
      .current;
    expect(original!.content.toString()).toBe(`${before}\n`);
    expect((await store.list())[0]).toMatchObject({
      rotation: 'done',
      rotated: null,
      created: '2026-01-02T00:00:00.000Z',
    });

    const rotated = await store.rotate(design, 'rs0');
    expect(rotated).toEqual([expect.objectContaining({ name: 'mongodb-keyfile', rotation: 'rolling-out' })]);
    const after = (await store.ensure(design, 'rs0', ['mongodb-keyfile'], [])).values['mongodb-keyfile']!;
    expect(after.previous).toBe(before);
    expect(after.current).not.toBe(before);
    const [rolling] = (await prepareSecretUploads(bundle.manifest, store)).get('ef-a')!;
    expect(rolling!.policy).toBe('replace');
    // MongoDB's key rotation: both keys, the one every member still uses first.
    expect(rolling!.content.toString()).toBe(`- ${before}\n- ${after.current}\n`);

    await store.markRolledOut(design, 'rs0');
    expect((await store.list())[0]!.rotation).toBe('awaiting-finish');
    expect((await prepareSecretUploads(bundle.manifest, store)).get('ef-a')![0]!.policy).toBe('create-only');

    await store.rotate(design, 'rs0', { finish: true });
    expect((await store.list())[0]!.rotation).toBe('finishing');
    const [finished] = (await prepareSecretUploads(bundle.manifest, store)).get('ef-a')!;
    expect(finished!.policy).toBe('replace');
    expect(finished!.content.toString()).toBe(`${after.current}\n`);
    await store.markRolledOut(design, 'rs0');
    expect((await store.list())[0]!.rotation).toBe('done');
  });

  test('rotating a group the store does not hold says that push creates it', async () => {
    const store = new SecretStore({ directory: storeFolder() });
    await expect(store.rotate('Nothing', 'rs0')).rejects.toThrow(
      'no secrets of rs0 for "Nothing" yet: push creates them on first deploy',
    );
  });

  test('two pushes at once create one set of secrets, not two', async () => {
    const store = new SecretStore({ directory: storeFolder() });
    const bundle = teramind();
    const [left, right] = await Promise.all([
      prepareSecretUploads(bundle.manifest, store),
      prepareSecretUploads(bundle.manifest, new SecretStore({ directory: store.directory })),
    ]);
    const contents = (uploads: typeof left) =>
      [...uploads.values()].flat().map((upload) => upload.content.toString());
    expect(contents(left)).toEqual(contents(right));
    expect(
      filesUnder(store.directory).filter((file) => file.endsWith('.lock') || file.endsWith('.tmp')),
    ).toEqual([]);
  });

  test('a store file others may read, or one edited into nonsense, is refused with words', async () => {
    const store = new SecretStore({ directory: storeFolder() });
    await prepareSecretUploads(expertflow().manifest, store);
    const [file] = filesUnder(store.directory);
    chmodSync(file!, 0o644);
    await expect(store.list()).rejects.toThrow(
      `${file} may be read by other users (mode 0644): run chmod 600 ${file}`,
    );
    chmodSync(file!, 0o600);
    const stored = JSON.parse(readFileSync(file!, 'utf8')) as {
      secrets: Record<string, { current: string }>;
    };
    stored.secrets['mongodb-keyfile']!.current = 'short';
    writeFileSync(file!, JSON.stringify(stored));
    const error = await store.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as Error).message).toBe(
      `${file} is not a Topoforge secret file: the value of mongodb-keyfile is not what Topoforge makes (756 random bytes)`,
    );
  });

  test('list tells what each secret is for and never holds a value', async () => {
    const store = new SecretStore({ directory: storeFolder() });
    await prepareSecretUploads(teramind().manifest, store);
    const summaries = await store.list();
    expect(summaries.map((summary) => summary.name)).toEqual([
      'redis-admin',
      'redis-app',
      'redis-replica',
      'redis-sentinel',
      'sentinel-auth',
    ]);
    expect(summaries[1]!.about).toBe(SECRETS['redis-app'].about);
    const text = JSON.stringify(summaries);
    for (const summary of summaries) {
      const value = (await store.ensure(summary.design, summary.scope, [summary.name], [])).values[
        summary.name
      ]!;
      expect(text).not.toContain(value.current);
    }
  });
});

describe("a manifest's secret files", () => {
  const hosts = new Set(['h1']);
  const entry = {
    host: 'h1',
    path: '/etc/redis/redis.acl',
    owner: 'redis:redis',
    mode: '0600',
    scope: 'cache',
    service: 'cache',
    secrets: ['redis-app', 'redis-admin'],
    render: { kind: 'redis-acl', open: false, replication: false },
    reload: 'systemctl restart redis-server.service',
  };

  test('an entry as the generator writes it reads back unchanged', () => {
    expect(readSecretFiles([entry], hosts)).toEqual([entry]);
  });

  test.each([
    ['$.secrets[0].host', { host: 'elsewhere' }, 'expected a host of $.hosts'],
    ['$.secrets[0].path', { path: '/etc/../root/.ssh/authorized_keys' }, 'expected a plain absolute path'],
    ['$.secrets[0].path', { path: 'relative/file' }, 'expected a plain absolute path'],
    ['$.secrets[0].mode', { mode: '0644' }, 'expected 0400 or 0600: only its owner may read a secret'],
    ['$.secrets[0].owner', { owner: 'root' }, 'expected user:group'],
    ['$.secrets[0].secrets', { secrets: ['root-password'] }, 'expected names of secrets Topoforge knows'],
    ['$.secrets[0].render', { render: { kind: 'shell-script' } }, 'unknown kind "shell-script"'],
    [
      '$.secrets[0].render',
      { render: { kind: 'haproxy-stats', variable: 'X; rm -rf /' } },
      'expected an environment variable name',
    ],
  ])('%s: %j is refused', (path, change, message) => {
    expect(() => readSecretFiles([{ ...entry, ...change }], hosts)).toThrow(
      new SecretManifestError(message, path),
    );
  });
});
