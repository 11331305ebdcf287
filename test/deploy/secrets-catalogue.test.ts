/**
 * Push writes a manifest's secret files as root (issue 21): each one's path, owner, mode and reload
 * must be what the generators write, checked against the daemon catalogue as a bundle file's are.
 * Every generated secret file passes (examples, two Redis servers on one host, an exposed HAProxy
 * statistics page, random designs); an edited one is held back until the person vouches for it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { nodeSha256 } from '../../deploy/hash';
import { loadPushBundle } from '../../deploy/push/index';
import { matchSecretCatalogue } from '../../deploy/secrets/catalogue';
import { writeBundle } from '../../deploy/write-bundle';
import { checkedDesign, exampleFiles, loadExample } from '../fixtures/examples';
import { validDesign } from '../fixtures/random-design';
import { temporaryFolder } from '../lab/temporary';

/** Two Redis servers and a Sentinel on one host (units named after the services), a MongoDB set, exposed statistics. */
const crowded = checkedDesign({
  format: 1,
  name: 'Crowded',
  hosts: [
    { id: 'h1', address: '10.0.0.1' },
    { id: 'h2', address: '10.0.0.2' },
    { id: 'h3', address: '10.0.0.3' },
  ],
  services: [
    { id: 'cache-a', kind: 'redis', host: 'h1', port: 6379 },
    { id: 'cache-b', kind: 'redis', host: 'h1', port: 6380 },
    { id: 'redis-1', kind: 'redis', host: 'h2', group: 'ha', port: 6379, primary: true },
    { id: 'redis-2', kind: 'redis', host: 'h3', group: 'ha', port: 6379 },
    { id: 'sentinel-1', kind: 'sentinel', host: 'h1', group: 'ha', port: 26379 },
    { id: 'sentinel-2', kind: 'sentinel', host: 'h2', group: 'ha', port: 26379 },
    { id: 'sentinel-3', kind: 'sentinel', host: 'h3', group: 'ha', port: 26379 },
    {
      id: 'edge',
      kind: 'haproxy',
      host: 'h1',
      listen: [{ port: 80, protocol: 'http' }],
      stats: { port: 8404, expose: true },
    },
  ],
  groups: [{ id: 'ha', kind: 'redis-sentinel', quorum: 2, masterName: 'ha' }],
});

describe('secret files and the daemon catalogue', () => {
  it('every secret file of every example matches the catalogue', () => {
    let count = 0;
    for (const name of exampleFiles) {
      for (const file of generateBundle(loadExample(name)).manifest.secrets ?? []) {
        count += 1;
        expect(matchSecretCatalogue(file), `${name}: ${file.host}:${file.path}`).toBeUndefined();
      }
    }
    expect(count).toBeGreaterThan(10);
  });

  it('so do two Redis servers on one host, a Sentinel beside them, and an exposed statistics page', () => {
    const secrets = generateBundle(crowded).manifest.secrets ?? [];
    const kinds = new Set(secrets.map((file) => file.render.kind));
    expect([...kinds].sort()).toEqual(['haproxy-stats', 'redis-acl', 'redis-replication', 'sentinel-auth']);
    expect(secrets.map((file) => file.path)).toContain('/etc/redis/redis-cache-b.acl');
    for (const file of secrets)
      expect(matchSecretCatalogue(file), `${file.host}:${file.path}`).toBeUndefined();
  });

  it('and every random valid design', () => {
    fc.assert(
      fc.property(validDesign({ maxHosts: 4 }), (random) => {
        for (const file of generateBundle(random).manifest.secrets ?? [])
          expect(matchSecretCatalogue(file), `${file.host}:${file.path}`).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    ['path', { path: '/etc/passwd' }, 'is no secret file Topoforge writes for redis-1'],
    ['owner', { owner: 'root:root' }, 'it belongs to redis:redis, not root:root'],
    ['mode', { mode: '0400' }, 'its mode is 0600, not 0400'],
    ['reload', { reload: 'systemctl restart ssh' }, 'push runs no other command as one'],
  ])('an edited %s is held back until vouched for, naming the field', async (field, change, message) => {
    const directory = join(await temporaryFolder('topoforge-secret-catalogue-'), 'bundle');
    await writeBundle(
      generateBundle(loadExample('teramind-ha.topo.json'), { sha256: nodeSha256 }),
      directory,
    );
    const path = join(directory, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { secrets: Record<string, unknown>[] };
    const index = manifest.secrets.findIndex(
      (file) => file.service === 'redis-1' && (file.render as { kind: string }).kind === 'redis-acl',
    );
    Object.assign(manifest.secrets[index]!, change);
    writeFileSync(path, JSON.stringify(manifest));

    const loaded = await loadPushBundle(directory);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.bundle.trust.unknown).toEqual([
      { path: `$.secrets[${index}].${field}`, message: expect.stringContaining(message) },
    ]);
    expect(loaded.bundle.trust.vouched).toBe(false);
  });
});
