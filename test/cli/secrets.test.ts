/**
 * `topoforge secrets list|rotate` (docs/cli.md and docs/push.md), and the promise behind it: a search of
 * the bundle, its manifest and everything the command line prints, text and JSON, for each secret
 * value finds nothing.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { SecretStore, prepareSecretUploads } from '../../deploy/secrets/index';
import { exampleFiles, loadExample } from '../fixtures/examples';
import { runCli } from './run-cli';

const root = join(import.meta.dirname, '../..');
const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'topoforge-secrets-cli-'));
  folders.push(folder);
  return folder;
}

/** A store holding the secrets push would create for an example. */
async function storeWith(example: string): Promise<SecretStore> {
  const store = new SecretStore({ directory: join(temporaryFolder(), 'store') });
  await prepareSecretUploads(generateBundle(loadExample(example)).manifest, store);
  return store;
}

/** Every value the store holds, current and previous. */
async function valuesOf(store: SecretStore): Promise<string[]> {
  const values: string[] = [];
  for (const summary of await store.list()) {
    const value = (await store.ensure(summary.design, summary.scope, [summary.name], [])).values[
      summary.name
    ]!;
    values.push(value.current, ...(value.previous === undefined ? [] : [value.previous]));
  }
  return values;
}

describe('topoforge secrets list', () => {
  test('an empty store says that push creates the secrets', async () => {
    const store = join(temporaryFolder(), 'store');
    const result = await runCli(['secrets', 'list', '--store', store]);
    expect(result).toEqual({
      code: 0,
      stdout: `Secret store ${store}\n  No secrets yet: push creates them on first deploy.\n`,
      stderr: '',
    });
  });

  test('names, scope, hosts and dates, per design; never a value', async () => {
    const store = await storeWith('teramind-ha.topo.json');
    const { code, stdout } = await runCli(['secrets', 'list', '--store', store.directory]);
    expect(code).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(stdout).toContain('\nTeramind HA (5 nodes)\n');
    expect(stdout).toContain(
      `  redis-ha  redis-app       created ${today}, never rotated  hosts tm-1, tm-2, tm-3, tm-4, tm-5\n`,
    );
    expect(stdout.match(/^ {2}redis-ha /gm)).toHaveLength(5);
    for (const value of await valuesOf(store)) expect(stdout).not.toContain(value);
  });

  test('--json: one entry per secret, with what it is for and the file that holds it', async () => {
    const store = await storeWith('expertflow-two-sites.topo.json');
    const { code, stdout } = await runCli(['secrets', 'list', 'rs0', '--json', '--store', store.directory]);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { ok: boolean; store: string; secrets: Record<string, unknown>[] };
    expect(parsed.ok).toBe(true);
    expect(parsed.store).toBe(store.directory);
    expect(parsed.secrets).toEqual([
      {
        design: 'Expertflow Hybrid Chat on two sites',
        name: 'rs0',
        secret: 'mongodb-keyfile',
        about: 'key file the members of a replica set authenticate each other with',
        hosts: ['ef-a', 'ef-arbiter', 'ef-b'],
        created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        rotated: null,
        rotation: 'done',
        file: store.fileOf('Expertflow Hybrid Chat on two sites', 'rs0'),
      },
    ]);
    for (const value of await valuesOf(store)) expect(stdout).not.toContain(value);
  });
});

describe('topoforge secrets rotate', () => {
  test('new values, and the next steps in words: push, then --finish and push again', async () => {
    const store = await storeWith('teramind-ha.topo.json');
    const before = await valuesOf(store);
    const rotated = await runCli(['secrets', 'rotate', 'redis-ha', '--store', store.directory]);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain(
      '✓ New values for redis-ha (redis-admin, redis-app, redis-replica, redis-sentinel, sentinel-auth) for "Teramind HA (5 nodes)".\n' +
        '  The next push rolls them out to tm-1, tm-2, tm-3, tm-4, tm-5, one host at a time in push order.',
    );
    expect(rotated.stdout).toContain('run `topoforge secrets rotate redis-ha --finish` and push again');
    const after = await valuesOf(store);
    // Five new values, and the five old ones kept until --finish.
    expect(after).toHaveLength(10);
    for (const value of before) expect(after).toContain(value);
    for (const value of after) expect(rotated.stdout).not.toContain(value);
    const listed = await runCli(['secrets', 'list', '--store', store.directory]);
    expect(listed.stdout).toContain('rotated: the next push rolls it out');

    const finished = await runCli([
      'secrets',
      'rotate',
      'redis-ha',
      '--finish',
      '--json',
      '--store',
      store.directory,
    ]);
    expect(finished.code).toBe(0);
    const parsed = JSON.parse(finished.stdout) as { finish: boolean; secrets: { rotation: string }[] };
    expect(parsed.finish).toBe(true);
    expect(parsed.secrets.map((secret) => secret.rotation)).toEqual(Array(5).fill('finishing'));
    const remaining = await valuesOf(store);
    expect(remaining).toHaveLength(5);
    for (const value of before) expect(remaining).not.toContain(value);
  });

  test('a name the store does not hold, or holds for two designs, is refused (exit 2) with what to do', async () => {
    const store = await storeWith('teramind-ha.topo.json');
    const unknown = await runCli(['secrets', 'rotate', 'redis-hq', '--store', store.directory]);
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "topoforge secrets: the store holds no secrets of redis-hq (did you mean 'redis-ha'?); push creates them on first deploy\n",
    });
    // The same group id in another design: --design picks one.
    const other = generateBundle({ ...loadExample('teramind-ha.topo.json'), name: 'Teramind staging' });
    await prepareSecretUploads(other.manifest, store);
    const ambiguous = await runCli(['secrets', 'rotate', 'redis-ha', '--json', '--store', store.directory]);
    expect(ambiguous.code).toBe(2);
    expect(JSON.parse(ambiguous.stdout)).toEqual({
      ok: false,
      error: {
        message:
          'redis-ha has secrets for several designs ("Teramind HA (5 nodes)", "Teramind staging"): pick one with --design',
        path: '(arguments)',
      },
    });
    const picked = await runCli([
      'secrets',
      'rotate',
      'redis-ha',
      '--design',
      'Teramind staging',
      '--store',
      store.directory,
    ]);
    expect(picked.code).toBe(0);
    expect((await store.list({ design: 'Teramind HA (5 nodes)' }))[0]!.rotation).toBe('done');
    expect((await store.list({ design: 'Teramind staging' }))[0]!.rotation).toBe('rolling-out');
  });

  test('usage errors: no subcommand, an unknown one, rotate without a name', async () => {
    const store = join(temporaryFolder(), 'store');
    expect((await runCli(['secrets', '--store', store])).stderr).toMatch(
      /^topoforge secrets: secrets needs a subcommand: list or rotate\n\nUsage: topoforge secrets list/,
    );
    const typo = await runCli(['secrets', 'rotat', 'x', '--store', store]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown subcommand 'rotat' (did you mean 'rotate'?)");
    expect((await runCli(['secrets', 'rotate', '--json', '--store', store])).stdout).toBe(
      `${JSON.stringify({ ok: false, error: { message: 'rotate takes one name: the group or service whose secrets to rotate', path: '(arguments)' } })}\n`,
    );
  });
});

describe('no secret value anywhere a person or a program reads', () => {
  test.each(exampleFiles)(
    '%s: not in the bundle, its manifest, or what validate, generate and secrets print',
    async (example) => {
      const folder = temporaryFolder();
      const design = join(root, 'examples', example);
      const out = join(folder, 'bundle');
      const store = new SecretStore({ directory: join(folder, 'store') });
      // The secrets exist (push created them) before the bundle is generated again.
      await prepareSecretUploads(generateBundle(loadExample(example)).manifest, store);
      await store
        .rotate(loadExample(example).name, (await store.list())[0]?.scope ?? 'none')
        .catch(() => undefined);
      const values = await valuesOf(store);

      const outputs = [
        await runCli(['generate', design, '--out', out, '--force']),
        await runCli(['generate', design, '--out', out, '--force', '--json']),
        await runCli(['validate', design]),
        await runCli(['validate', design, '--json']),
        await runCli(['secrets', 'list', '--store', store.directory]),
        await runCli(['secrets', 'list', '--json', '--store', store.directory]),
      ];
      const bundleFiles = readdirSync(out, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
      expect(bundleFiles.length).toBeGreaterThan(1);
      const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
      for (const value of values) {
        for (const text of [
          ...bundleFiles,
          manifest,
          ...outputs.flatMap((output) => [output.stdout, output.stderr]),
        ])
          expect(text.includes(value)).toBe(false);
      }
    },
  );
});
