/**
 * `auth` and `authReason` in the design file, and the rule `security.open-datastore` (docs/design-file.md
 * and docs/rules.md): a datastore or a statistics page opts out of authentication only in words,
 * and the finding quotes them and names the risk.
 */
import { describe, expect, test } from 'vitest';
import { checkDesign, describeProblem } from '../../core/load';
import { RULES } from '../../core/rules/catalogue';
import { validateDesign } from '../../core/rules';
import type { Finding } from '../../core/rules/catalogue';
import { exampleFiles, loadExample } from '../fixtures/examples';
import { makeDesign } from './builders';
import type { DesignInput } from './builders';

function openFindings(input: DesignInput): Finding[] {
  return validateDesign(makeDesign(input)).findings.filter(
    (finding) => finding.rule === 'security.open-datastore',
  );
}

function loadProblems(service: Record<string, unknown>): string[] {
  const result = checkDesign({
    format: 1,
    name: 'auth',
    hosts: [{ id: 'h1', address: '10.0.0.1' }],
    services: [service],
  });
  return result.ok ? [] : result.problems.map(describeProblem);
}

describe('auth and authReason in the design file', () => {
  test.each(['redis', 'sentinel', 'mongodb', 'arbiter', 'haproxy'])(
    '%s: auth: false needs a reason',
    (kind) => {
      expect(loadProblems({ id: 's1', kind, host: 'h1', auth: false })).toEqual([
        "services[0]: auth: false needs an 'authReason': say in words why this service may let anyone who reaches it in",
      ]);
      expect(
        loadProblems({ id: 's1', kind, host: 'h1', auth: false, authReason: 'an isolated lab' }),
      ).toEqual([]);
      expect(loadProblems({ id: 's1', kind, host: 'h1', auth: true })).toEqual([]);
    },
  );

  test('kinds that have nothing to authenticate refuse the keys', () => {
    expect(loadProblems({ id: 's1', kind: 'app', host: 'h1', auth: false, authReason: 'x' })).toEqual([
      expect.stringMatching(/^services\[0\]\.auth: unknown key 'auth'/),
      expect.stringMatching(/^services\[0\]\.authReason: unknown key 'authReason'/),
    ]);
  });

  test('a reason is one line of text, and auth a boolean', () => {
    expect(
      loadProblems({ id: 's1', kind: 'redis', host: 'h1', auth: false, authReason: 'two\nlines' }),
    ).toEqual(["services[0].authReason: 'two\\nlines' must be one line of text without control characters"]);
    expect(loadProblems({ id: 's1', kind: 'redis', host: 'h1', auth: 'no' })).toEqual([
      "services[0].auth: must be true or false, not the text 'no'",
    ]);
  });

  test('a password in the design is refused as a secret', () => {
    expect(loadProblems({ id: 's1', kind: 'redis', host: 'h1', password: 'hunter2' })).toEqual([
      "services[0].password: unknown key 'password': secrets never go in a design file; push uses ssh-agent or --identity",
    ]);
  });

  test('stats.expose is a boolean of the statistics page', () => {
    expect(
      loadProblems({ id: 'lb', kind: 'haproxy', host: 'h1', stats: { port: 8404, expose: true } }),
    ).toEqual([]);
    expect(
      loadProblems({ id: 'lb', kind: 'haproxy', host: 'h1', stats: { port: 8404, expose: 'yes' } }),
    ).toEqual(["services[0].stats.expose: must be true or false, not the text 'yes'"]);
  });
});

describe('security.open-datastore', () => {
  test('is a warning, as docs/rules.md fixes it', () => {
    expect(RULES['security.open-datastore'].severity).toBe('warning');
  });

  test('a redis with auth: false: the reason quoted, the risk named, the fix given', () => {
    const [finding, ...rest] = openFindings({
      hosts: [{ id: 'cache-host', address: '10.1.0.5' }],
      services: [
        { id: 'cache', kind: 'redis', host: 'cache-host', auth: false, authReason: 'throwaway lab cache' },
      ],
    });
    expect(rest).toEqual([]);
    expect(finding).toEqual({
      rule: 'security.open-datastore',
      severity: 'warning',
      subjects: ['cache', 'cache-host'],
      message:
        'cache lets clients in without authentication ("throwaway lab cache"): anyone who can reach 10.1.0.5 port 6379 can read and change its data, make it a replica of their own server, and write files as the redis user with CONFIG SET dir and dbfilename. Remove auth: false to have it authenticate; push then creates its secret.',
    });
  });

  test('each kind names its own risk; group members name their group', () => {
    const findings = openFindings({
      services: [
        { id: 'watch', kind: 'sentinel', host: 'h1', group: 'g', auth: false, authReason: 'r1' },
        { id: 'db', kind: 'mongodb', host: 'h2', group: 'rs', auth: false, authReason: 'r2' },
        { id: 'arb', kind: 'arbiter', host: 'h3', group: 'rs', auth: false, authReason: 'r3' },
        { id: 'db2', kind: 'mongodb', host: 'h4', group: 'rs' },
        { id: 'r', kind: 'redis', host: 'h1', group: 'g', primary: true },
      ],
      groups: [
        { id: 'g', kind: 'redis-sentinel' },
        { id: 'rs', kind: 'mongodb-replica-set' },
      ],
    });
    expect(findings.map((finding) => finding.subjects)).toEqual([
      ['arb', 'h3', 'rs'],
      ['db', 'h2', 'rs'],
      ['watch', 'h1', 'g'],
    ]);
    expect(findings[0]!.message).toContain('("r3")');
    expect(findings[0]!.message).toContain('take a vote from its replica set');
    expect(findings[1]!.message).toContain('read and change every database as an administrator');
    expect(findings[2]!.message).toContain('trigger or steer a failover of its group');
  });

  test('an HAProxy statistics page: on loopback the risk stays on the host; exposed, on the network', () => {
    const [loopback] = openFindings({
      services: [
        { id: 'lb', kind: 'haproxy', host: 'h1', stats: { port: 8404 }, auth: false, authReason: 'r' },
      ],
    });
    expect(loopback!.message).toContain(
      'anyone with a shell on h1 can read its statistics page on port 8404',
    );
    const [exposed] = openFindings({
      hosts: [{ id: 'h1', address: '10.2.0.1' }],
      services: [
        {
          id: 'lb',
          kind: 'haproxy',
          host: 'h1',
          stats: { port: 8404, expose: true },
          auth: false,
          authReason: 'r',
        },
      ],
    });
    expect(exposed!.message).toContain(
      'anyone who can reach 10.2.0.1 port 8404 can read its statistics page',
    );
  });

  test('quiet for authenticated services, and for an HAProxy without a statistics page', () => {
    expect(
      openFindings({
        services: [
          { id: 'r', kind: 'redis', host: 'h1' },
          { id: 'm', kind: 'mongodb', host: 'h2', auth: true },
          { id: 'lb', kind: 'haproxy', host: 'h3', stats: { port: 8404, expose: true } },
          { id: 'lb2', kind: 'haproxy', host: 'h4', auth: false, authReason: 'no page to protect' },
        ],
      }),
    ).toEqual([]);
  });

  test.each(exampleFiles)('%s: every seed example authenticates every datastore', (file) => {
    expect(
      validateDesign(loadExample(file)).findings.filter((f) => f.rule === 'security.open-datastore'),
    ).toEqual([]);
  });
});
