/**
 * The daemon catalogue (core/daemons.ts) is the one definition the generators write from and push
 * verifies against: every file of every generated bundle matches it, field for field, and what it
 * refuses it refuses by name. Also the project's one shell-quoting function (core/shell.ts).
 */
import { describe, expect, it } from 'vitest';
import { syntheticDesign } from '../../bench/synthetic';
import { checkCommandFor, DAEMONS, matchCatalogue } from '../../core/daemons';
import { generateBundle } from '../../core/generate/index';
import { shellCommand, shellQuote } from '../../core/shell';
import { checkedDesign, exampleFiles, loadExample } from '../fixtures/examples';

/** Every example that puts files on hosts (tealeaf's vendor services have no commands), and a large synthetic design. */
const designs = [
  ...exampleFiles
    .filter((file) => !file.includes('broken'))
    .map((file) => ({ name: file, load: () => loadExample(file) }))
    .filter(({ load }) => generateBundle(load()).manifest.files.length > 0),
  {
    name: 'a synthetic design of 600 services',
    load: () => checkedDesign(syntheticDesign({ services: 600 })),
  },
];

describe('every generated file is one the catalogue gives', () => {
  it.each(designs)('$name', ({ load }) => {
    const manifest = generateBundle(load()).manifest;
    const kinds = new Set<string>();
    for (const file of manifest.files) {
      const match = matchCatalogue(file);
      expect(match, `${file.host}:${file.path}`).toMatchObject({ ok: true });
      if (match.ok) kinds.add(match.daemon.name);
    }
    expect(kinds.size).toBeGreaterThan(1);
  });

  it('covers every descriptor across the examples and the synthetic design', () => {
    const seen = new Set<string>();
    for (const { load } of designs)
      for (const file of generateBundle(load()).manifest.files) {
        const match = matchCatalogue(file);
        if (match.ok) seen.add(match.daemon.name);
      }
    expect([...seen].sort()).toEqual(DAEMONS.map((daemon) => daemon.name).sort());
  });
});

describe('matchCatalogue', () => {
  it('ties a per-service config to its own unit', () => {
    expect(
      matchCatalogue({
        path: '/etc/redis/redis-cache-2.conf',
        mode: '0640',
        owner: 'redis:redis',
        reload: 'systemctl restart redis-cache-2.service',
        policy: 'replace',
      }),
    ).toMatchObject({ ok: true, unit: 'redis-cache-2.service' });
    expect(
      matchCatalogue({
        path: '/etc/redis/redis-cache-2.conf',
        mode: '0640',
        owner: 'redis:redis',
        reload: 'systemctl restart redis-server.service',
        policy: 'replace',
      }),
    ).toMatchObject({ ok: false, problem: { field: 'reload' } });
  });

  it("accepts the documented shorter check of nginx, and runs it with the file's path quoted", () => {
    const match = matchCatalogue({
      path: '/etc/nginx/nginx.conf',
      mode: '0644',
      check: 'nginx -t -c {}',
      reload: 'systemctl reload nginx',
      policy: 'replace',
    });
    expect(match.ok && checkCommandFor(match.check!, "/srv/it's here/.nginx.conf.topoforge-new-1")).toBe(
      "nginx -t -c '/srv/it'\\''s here/.nginx.conf.topoforge-new-1'",
    );
  });

  it('knows a mount unit by its escaped name, and refuses a create-only one', () => {
    const unit = {
      path: '/etc/systemd/system/mnt-shared\\x2dnfs.mount',
      mode: '0644',
      check: "systemd-analyze verify --man=no '{}:mnt-shared\\x2dnfs.mount'",
      reload: "systemctl enable --now 'mnt-shared\\x2dnfs.mount'",
      policy: 'replace' as const,
    };
    expect(matchCatalogue(unit)).toMatchObject({ ok: true, unit: 'mnt-shared\\x2dnfs.mount' });
    expect(matchCatalogue({ ...unit, policy: 'create-only' })).toMatchObject({
      ok: false,
      problem: { field: 'policy' },
    });
  });
});

describe('shellQuote', () => {
  it.each([
    ['nginx', 'nginx'],
    ['{}:app-1.service', '{}:app-1.service'],
    ['redis-server.service', 'redis-server.service'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['{a,b}', "'{a,b}'"],
    ['$HOME', "'$HOME'"],
    ['~root', "'~root'"],
    ['*', "'*'"],
    ['mnt-shared\\x2dnfs.mount', "'mnt-shared\\x2dnfs.mount'"],
  ])('%j → %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  it('builds the catalogue’s service reload exactly as the generators always wrote it', () => {
    expect(
      shellCommand([
        'sh',
        '-c',
        `systemctl enable ${shellQuote('a.service')} && systemctl restart a.service`,
      ]),
    ).toBe("sh -c 'systemctl enable a.service && systemctl restart a.service'");
  });
});
