/**
 * A manifest's `secrets` (issue 21: secret files described, never with a value) pass push's
 * manifest schema as generate writes them, and an edited one is refused naming the field, before
 * any connection: push renders these files on the hosts from what the manifest says.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { SECRETS } from '../../core/generate/secrets';
import { SECRET_NAMES } from '../../core/schema/manifest-schema';
import { nodeSha256 } from '../../deploy/hash';
import { loadPushBundle } from '../../deploy/push/index';
import { writeBundle } from '../../deploy/write-bundle';
import { loadExample } from '../fixtures/examples';
import { temporaryFolder } from '../lab/temporary';

async function teramindBundle(): Promise<string> {
  const directory = join(await temporaryFolder('topoforge-manifest-secrets-'), 'bundle');
  await writeBundle(generateBundle(loadExample('teramind-ha.topo.json'), { sha256: nodeSha256 }), directory);
  return directory;
}

function editSecrets(directory: string, change: (secrets: Record<string, unknown>[]) => void): void {
  const path = join(directory, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { secrets: Record<string, unknown>[] };
  change(manifest.secrets);
  writeFileSync(path, JSON.stringify(manifest, null, 2));
}

describe('secret files in the manifest', () => {
  it('the schema names every secret the generators know', () => {
    expect([...SECRET_NAMES].sort()).toEqual(Object.keys(SECRETS).sort());
  });

  it('a generated manifest with secret files loads, and lists them', async () => {
    const loaded = await loadPushBundle(await teramindBundle());
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const paths = loaded.bundle.manifest.secrets.map((file) => `${file.host}:${file.path}`);
    expect(paths).toContain('tm-1:/etc/redis/redis.acl');
  });

  it('a secret file edited to inject a line into a config is refused naming the field', async () => {
    const directory = await teramindBundle();
    editSecrets(directory, (secrets) => {
      const sentinel = secrets.find((file) => (file.render as { kind: string }).kind === 'sentinel-auth')!;
      (sentinel.render as { masterName: string }).masterName =
        'mymaster\nsentinel notification-script x /tmp/x';
    });
    const loaded = await loadPushBundle(directory);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problem.path).toMatch(/^\$\.secrets\[\d+\]\.render\.masterName$/);
  });

  it('a secret file others could read is refused', async () => {
    const directory = await teramindBundle();
    editSecrets(directory, (secrets) => {
      secrets[0]!.mode = '0644';
    });
    const loaded = await loadPushBundle(directory);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problem.path).toBe('$.secrets[0].mode');
    expect(loaded.problem.message).toContain('is not one of 0400, 0600');
  });
});
