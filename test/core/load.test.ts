/**
 * What a person sees when a design file does not load: the path, the message and the line of
 * every problem, for each class of bad file (docs/design-file.md, and section 3 on load errors).
 */
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDesign, describeProblem, parseDesign } from '../../core/load';
import type { LoadProblem } from '../../core/load';
import { ADDRESS_PATTERN, IP_PATTERN } from '../../core/schema/patterns';

type Segment = string | number;

/** A small design that loads: every collection, most service kinds, every reference kind. */
function validDesign(): Record<string, unknown> {
  return {
    format: 1,
    name: 'Shop',
    description: 'Two balancers, an app pool and its data.\nSecond line.',
    sites: [{ id: 'dc-east', label: 'East' }, { id: 'dc-west' }],
    hosts: [
      {
        id: 'lb-host-1',
        address: '10.0.1.10',
        site: 'dc-east',
        interface: 'eth0',
        ssh: {
          user: 'deploy',
          port: 22,
          hostKey: `SHA256:${'Ab1+/'.repeat(8)}abc`,
          root: '/srv/stage',
          sudo: true,
        },
      },
      { id: 'lb-host-2', address: '10.0.1.11', site: 'dc-east' },
      { id: 'app-host-1', address: 'app1.example.com', site: 'dc-west', label: 'App 1' },
      { id: 'db-host-1', address: '2001:db8::10', site: 'dc-west' },
    ],
    services: [
      {
        id: 'lb-1',
        kind: 'haproxy',
        host: 'lb-host-1',
        listen: [{ port: 443, protocol: 'https' }],
        tls: { cert: '/etc/ssl/shop.pem', key: '/etc/ssl/private/shop.key' },
        stats: { port: 8404 },
      },
      { id: 'lb-2', kind: 'haproxy', host: 'lb-host-2' },
      { id: 'gateway', kind: 'nginx', host: 'app-host-1', serverName: 'shop.example.com', port: 8443 },
      {
        id: 'app-1',
        kind: 'app',
        host: 'app-host-1',
        group: 'apps',
        label: 'Shop app',
        healthCheck: { path: '/health?deep=1', intervalMs: 2000 },
        command: '/opt/shop/bin/server --port=8080',
        stateful: true,
      },
      {
        id: 'files',
        kind: 'storage',
        type: 'nfs',
        endpoint: 'nas.example.com:/export/shop',
        mountPoint: '/mnt/files',
      },
      { id: 'mongo-1', kind: 'mongodb', host: 'db-host-1', group: 'rs0', priority: 2 },
      { id: 'mongo-arbiter', kind: 'arbiter', host: 'lb-host-2', group: 'rs0' },
      { id: 'cache-1', kind: 'redis', host: 'db-host-1', group: 'cache', primary: true },
      { id: 'sentinel-1', kind: 'sentinel', host: 'app-host-1', group: 'cache' },
      { id: 'sql', kind: 'database', engine: 'PostgreSQL', ha: true },
    ],
    groups: [
      { id: 'apps', kind: 'pool', load: 1 },
      { id: 'rs0', kind: 'mongodb-replica-set', name: 'rs0' },
      { id: 'cache', kind: 'redis-sentinel', masterName: 'shop-cache' },
    ],
    links: [
      { from: 'lb-1', to: 'apps', port: 8080 },
      { from: 'lb-2', to: 'app-1', backup: true },
      { from: 'app-1', to: 'rs0', kind: 'uses' },
      { from: 'app-1', to: 'files' },
      { from: 'app-1', to: 'cache' },
      { from: 'app-1', to: 'sql' },
    ],
    entrypoints: [
      { id: 'shop', label: 'Shop', port: 443, targets: ['lb-1', 'lb-2'], via: 'vip', address: '10.0.1.100' },
      { id: 'admin', port: 8443, targets: ['gateway'], via: 'direct' },
    ],
    layout: { 'lb-1': { x: 0, y: 0 }, apps: { x: 200.5, y: -40, width: 300, height: 120 } },
  };
}

/** The valid design with each change applied: a value set at a path, or `undefined` to delete it. */
function designWith(...changes: [Segment[], unknown][]): Record<string, unknown> {
  const design = validDesign();
  for (const [path, value] of changes) setAt(design, path, value);
  return design;
}

function setAt(root: unknown, path: Segment[], value: unknown): void {
  let node = root as Record<Segment, unknown>;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<Segment, unknown>;
  const last = path[path.length - 1] as Segment;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Every problem of a text that must not load. */
function problemsOfText(text: string): LoadProblem[] {
  const result = parseDesign(text);
  if (result.ok) throw new Error('expected the file not to load, but it loaded');
  return result.problems;
}

function problemsOf(design: unknown): LoadProblem[] {
  return problemsOfText(pretty(design));
}

/** Paths and messages only, for comparing whole lists. */
function summary(problems: LoadProblem[]): { path: string; message: string }[] {
  return problems.map(({ path, message }) => ({ path, message }));
}

/** Line and column (1-based) where `snippet` first starts in `text`, after `after` when given. */
function positionOf(text: string, snippet: string, after = ''): { line: number; column: number } {
  const offset = text.indexOf(snippet, after ? text.indexOf(after) : 0);
  if (offset < 0) throw new Error(`'${snippet}' is not in the text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1] ?? '').length + 1 };
}

function expectLoads(value: unknown): void {
  const result = parseDesign(typeof value === 'string' ? value : pretty(value));
  expect(result.ok ? [] : result.problems.map(describeProblem)).toEqual([]);
}

describe('a valid design', () => {
  it('loads into the same value the file holds', () => {
    const result = parseDesign(pretty(validDesign()));
    expect(result).toEqual({ ok: true, design: validDesign() });
  });

  it('loads with a byte order mark, CRLF line ends, or compact', () => {
    expectLoads(`\ufeff${pretty(validDesign())}`);
    expectLoads(pretty(validDesign()).replace(/\n/g, '\r\n'));
    expectLoads(JSON.stringify(validDesign()));
  });

  it('loads with only the required keys', () => {
    expectLoads({ format: 1, name: 'x', hosts: [], services: [] });
  });
});

describe('a file that is not JSON', () => {
  it('says so, where, and what it found', () => {
    const [first] = problemsOfText('hello');
    expect(first).toMatchObject({
      path: '$',
      message: "the file is not valid JSON: unexpected character; expected a JSON value (found 'hello')",
      line: 1,
      column: 1,
    });
  });

  it('names the key under which the syntax breaks', () => {
    const text = '{\n  "format": 1,\n  "name": NaN\n}';
    const [first] = problemsOfText(text);
    expect(first).toMatchObject({ path: 'name', line: 3, column: 11 });
    expect(first?.message).toContain("(found 'NaN')");
  });

  it('reports a bad value once, not again as the value it stood for', () => {
    const text = '{\n  "format": 1,\n  "name": NaN,\n  "hosts": [Infinity, 1],\n  "services": []\n}';
    expect(problemsOfText(text).map((p) => [p.path, p.line, p.message])).toEqual([
      ['name', 3, "the file is not valid JSON: unexpected character; expected a JSON value (found 'NaN')"],
      [
        'hosts[0]',
        4,
        "the file is not valid JSON: unexpected character; expected a JSON value (found 'Infinity')",
      ],
    ]);
  });

  it('says that single quotes are not JSON, once', () => {
    const text = "{\n  'format': 1,\n  \"name\": 'x'\n}";
    expect(problemsOfText(text).map((p) => [p.line, p.message])).toEqual([
      [
        2,
        "the file is not valid JSON: keys and strings take double quotes, not single quotes (found 'format')",
      ],
      [3, "the file is not valid JSON: keys and strings take double quotes, not single quotes (found 'x')"],
    ]);
  });

  it('calls a trailing comma a trailing comma and points at it, once', () => {
    const text = '{\n  "format": 1,\n  "hosts": ["a", "b",],\n  "name": "x",\n}';
    const problems = problemsOfText(text);
    expect(problems).toEqual([
      expect.objectContaining({
        message: 'the file is not valid JSON: a comma before "]" is not allowed; remove it',
        line: 3,
        column: 21,
      }),
      expect.objectContaining({
        message: 'the file is not valid JSON: a comma before "}" is not allowed; remove it',
        line: 4,
        column: 14,
      }),
    ]);
  });

  it.each([
    ['line comment', '{\n  // the shop\n  "format": 1\n}', '// the shop', 2, 3],
    ['block comment', '{\n  "format": /* one */ 1\n}', '/* one */', 2, 13],
  ])('refuses a %s', (_name, text, found, line, column) => {
    const problems = problemsOfText(text);
    expect(problems).toEqual([
      expect.objectContaining({
        message: `the file is not valid JSON: comments are not allowed in a design file (found '${found}')`,
        line,
        column,
      }),
    ]);
  });

  it('shows an invisible character by its code point', () => {
    const [first] = problemsOfText('{\u00a0"format": 1}');
    expect(first?.message).toBe(
      'the file is not valid JSON: unexpected character; expected a JSON value (found U+00A0)',
    );
    expect(first).toMatchObject({ line: 1, column: 2 });
  });

  it('shows a double quote in what it found without escaping it', () => {
    const [first] = problemsOfText('{"name": "abc');
    expect(first?.message).toBe("the file is not valid JSON: a string is not closed (found '\"abc')");
  });

  it('counts lines the same way for LF, CRLF and CR line ends', () => {
    const lines = ['{', '  "format": 1,', '  "name": tru', '}'];
    for (const end of ['\n', '\r\n', '\r']) {
      const [first] = problemsOfText(lines.join(end));
      expect(first).toMatchObject({ path: 'name', line: 3, column: 11 });
    }
  });

  it.each([
    ['empty', ''],
    ['only white space', '  \n\t\r\n'],
    ['only a byte order mark', '\ufeff'],
  ])('says an %s file is empty', (_name, text) => {
    expect(summary(problemsOfText(text))).toEqual([
      { path: '$', message: 'the file is empty; a design is a JSON object' },
    ]);
  });

  it('says a file nested beyond reason is too deep, without crashing', () => {
    for (const text of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '{"a":'.repeat(50_000),
      '['.repeat(50_000),
    ]) {
      expect(summary(problemsOfText(text))).toEqual([
        { path: '$', message: 'the file is nested too deeply to be a design' },
      ]);
    }
  });
});

describe('a file that is JSON but not an object', () => {
  it.each([
    ['[]', 'a list'],
    ['42', 'the number 42'],
    ['"shop"', "the text 'shop'"],
    ['null', 'null'],
    ['true', 'true'],
  ])('%s is refused, naming what it is', (text, what) => {
    expect(problemsOfText(text)).toEqual([
      {
        path: '$',
        segments: [],
        message: `must be a JSON object with format, name, hosts and services, not ${what}`,
        line: 1,
        column: 1,
      },
    ]);
  });

  it('lists every missing required key of an empty object', () => {
    expect(summary(problemsOfText('{}'))).toEqual(
      ['format', 'name', 'hosts', 'services'].map((key) => ({
        path: '$',
        message: `missing required key '${key}'`,
      })),
    );
  });

  it('refuses a format older than the first', () => {
    expect(summary(problemsOf(designWith([['format'], 0])))).toEqual([
      { path: 'format', message: 'must be 1: this version of Topoforge reads design format 1' },
    ]);
  });

  it('refuses a newer format with the format it has and the one it reads, and nothing else', () => {
    const newer = designWith([['format'], 2]);
    newer.hosts = 'a field format 2 may have changed';
    expect(summary(problemsOf(newer))).toEqual([
      {
        path: 'format',
        message: 'saved by a newer Topoforge, format 2; this version reads up to format 1',
      },
    ]);
  });
});

describe('unknown keys', () => {
  it('are refused at the top level with a suggestion and the keys allowed', () => {
    const text = pretty(designWith([['sitez'], []]));
    expect(problemsOfText(text)).toEqual([
      {
        path: 'sitez',
        segments: ['sitez'],
        message:
          "unknown key 'sitez' (did you mean 'sites'?); allowed here: format, name, description, sites, hosts, services, groups, links, entrypoints, reliability, objectives, layout",
        ...positionOf(text, '"sitez"'),
      },
    ]);
  });

  it('are refused inside an item, pointing at the key', () => {
    const design = designWith([['hosts', 1], { id: 'lb-host-2', adress: '10.0.1.11', address: '10.0.1.12' }]);
    const text = pretty(design);
    expect(problemsOfText(text)).toEqual([
      expect.objectContaining({
        path: 'hosts[1].adress',
        message:
          "unknown key 'adress' (did you mean 'address'?); allowed here: id, address, site, label, interface, ssh, reliability",
        ...positionOf(text, '"adress"'),
      }),
    ]);
  });

  it('are refused inside a service, with the keys of its kind', () => {
    const problems = problemsOf(designWith([['services', 3, 'helthCheck'], { path: '/' }]));
    expect(summary(problems)).toEqual([
      {
        path: 'services[3].helthCheck',
        message:
          "unknown key 'helthCheck' (did you mean 'healthCheck'?); allowed here: id, kind, host, group, label, mode, port, capacity, availability, manualRecoveryMinutes, healthCheck, command, stateful",
      },
    ]);
  });

  it('are refused in nested objects and layout entries', () => {
    const problems = problemsOf(
      designWith([['services', 0, 'tls', 'chain'], '/etc/ssl/chain.pem'], [['layout', 'lb-1', 'z'], 3]),
    );
    expect(problems.map((p) => p.path)).toEqual(['services[0].tls.chain', 'layout.lb-1.z']);
  });

  it.each(['password', 'passphrase', 'privateKey', 'private_key', 'token', 'secret'])(
    "refuses an ssh '%s' as a secret, without repeating its value",
    (key) => {
      const design = designWith([['hosts', 0, 'ssh', key], 'hunter2-do-not-print']);
      const text = pretty(design);
      const problems = problemsOfText(text);
      expect(problems).toEqual([
        expect.objectContaining({
          path: `hosts[0].ssh.${key}`,
          message: `unknown key '${key}': secrets never go in a design file; push uses ssh-agent or --identity`,
          ...positionOf(text, `"${key}"`),
        }),
      ]);
      expect(JSON.stringify(problems)).not.toContain('hunter2');
    },
  );

  it('refuses a private key pasted where its path belongs, without repeating it', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n';
    const problems = problemsOf(designWith([['services', 0, 'tls', 'key'], pem]));
    expect(summary(problems)).toEqual([
      {
        path: 'services[0].tls.key',
        message: 'holds a private key: secrets never go in a design file; give the path of the key file',
      },
    ]);
    expect(JSON.stringify(problems)).not.toContain('b3BlbnNzaC1rZXkt');
  });
});

describe('ids', () => {
  it.each([
    ['Web-1', 'uppercase'],
    ['1web', 'a leading digit'],
    ['web_1', 'an underscore'],
    ['-web', 'a leading dash'],
    ['', 'nothing'],
    [`w${'a'.repeat(63)}`, '64 characters'],
  ])("'%s' (%s) is not an id", (id) => {
    const text = pretty(
      designWith(
        [['sites', 1, 'id'], id],
        [['hosts', 2, 'site'], 'dc-east'],
        [['hosts', 3, 'site'], 'dc-east'],
      ),
    );
    const [first, ...rest] = problemsOfText(text);
    expect(rest).toEqual([]);
    expect(first?.path).toBe('sites[1].id');
    expect(first?.message).toMatch(
      /^'.*' is not a valid id: use 1 to 63 lowercase letters, digits and "-", starting with a letter$/,
    );
    expect(first).toMatchObject(positionOf(text, `"id": ${JSON.stringify(id)}`));
  });

  it('63 characters are still an id', () => {
    const id = `w${'a'.repeat(62)}`;
    expectLoads(designWith([['sites', 1, 'id'], id], [['hosts', 2, 'site'], id], [['hosts', 3, 'site'], id]));
  });

  it('a reference that is not an id gets one problem, not a second "there is no" one', () => {
    expect(summary(problemsOf(designWith([['services', 1, 'host'], 'LB host 2'])))).toEqual([
      {
        path: 'services[1].host',
        message:
          '\'LB host 2\' is not a valid id: use 1 to 63 lowercase letters, digits and "-", starting with a letter',
      },
    ]);
  });
});

describe('addresses', () => {
  it("refuses '10.0.0.300', in the words of the spec, at its line", () => {
    const text = pretty(designWith([['hosts', 1, 'address'], '10.0.0.300']));
    const problems = problemsOfText(text);
    expect(problems.map(describeProblem)).toEqual([
      `hosts[1].address: '10.0.0.300' is not an IPv4 or IPv6 address or a DNS name (line ${positionOf(text, '"address": "10.0.0.300"').line}, column 7)`,
    ]);
  });

  it.each([
    '10.0.0',
    '10.0.0.1.',
    '010.0.0.1',
    '10.0.0.1/24',
    '10.0.0.1:22',
    '256.1.1.1',
    '2001:db8::1::2',
    '2001:db8:::1',
    'fe80::1%eth0',
    '::ffff:10.0.0',
    'gggg::1',
    'app server.example.com',
    '-app.example.com',
    'app-.example.com',
    'app..example.com',
    'app_1.example.com',
    `${'a'.repeat(64)}.example.com`,
    'https://app.example.com',
  ])("refuses '%s'", (address) => {
    expect(summary(problemsOf(designWith([['hosts', 1, 'address'], address])))).toEqual([
      {
        path: 'hosts[1].address',
        message: expect.stringContaining('is not an IPv4 or IPv6 address or a DNS name'),
      },
    ]);
  });

  it.each([
    '192.168.0.1',
    '2001:db8::1',
    'fe80::1',
    '2001:DB8:0:0:0:0:0:1',
    '::ffff:10.0.0.1',
    '64:ff9b::10.0.0.1',
    '1::2:10.0.0.1',
    'db-1.example.com',
    'db-1.example.com.',
    'xn--bcher-kva.example',
    '3com.example',
  ])("accepts '%s'", (address) => {
    expectLoads(designWith([['hosts', 1, 'address'], address]));
  });

  it.each([
    ['the same text', '10.0.1.10', '10.0.1.10'],
    ['DNS names differing in case', 'db.example.com', 'DB.Example.COM'],
    ['a DNS name with and without the root dot', 'db.example.com', 'db.example.com.'],
    ['IPv6 with and without zeros', '2001:db8::10', '2001:0DB8:0:0:0:0:0:10'],
    ['IPv6 with an IPv4 tail and in hex', '::ffff:10.0.0.1', '::ffff:a00:1'],
  ])('refuses two hosts sharing an address: %s', (_name, first, second) => {
    const design = designWith([['hosts', 0, 'address'], first], [['hosts', 3, 'address'], second]);
    const text = pretty(design);
    expect(problemsOfText(text)).toEqual([
      expect.objectContaining({
        path: 'hosts[3].address',
        message: `'${second}' is already the address of host 'lb-host-1'`,
        line: positionOf(text, '"address"', '"db-host-1"').line,
      }),
    ]);
  });

  it('reports every host that repeats an address', () => {
    const problems = problemsOf(
      designWith([['hosts', 1, 'address'], '10.0.1.10'], [['hosts', 2, 'address'], '10.0.1.10']),
    );
    expect(problems.map((p) => p.path)).toEqual(['hosts[1].address', 'hosts[2].address']);
  });

  it('accepts distinct addresses that only look alike', () => {
    expectLoads(designWith([['hosts', 0, 'address'], '10.0.1.1'], [['hosts', 1, 'address'], '10.0.1.10']));
    expectLoads(
      designWith(
        [['hosts', 0, 'address'], 'app1.example.com.eu'],
        [['hosts', 2, 'address'], 'app1.example.com'],
      ),
    );
  });

  it('refuses a vip address that is a DNS name: floating addresses are literal', () => {
    expect(summary(problemsOf(designWith([['entrypoints', 0, 'address'], 'vip.example.com'])))).toEqual([
      { path: 'entrypoints[0].address', message: "'vip.example.com' is not an IPv4 or IPv6 address" },
    ]);
  });
});

/**
 * Node's own idea of the addresses that name no single reachable host (a loopback VIP included):
 * the unspecified, loopback, multicast and broadcast ranges; IPv4-mapped IPv6 addresses match
 * their IPv4 rule.
 */
const noHostAddresses = new BlockList();
noHostAddresses.addSubnet('0.0.0.0', 8, 'ipv4');
noHostAddresses.addSubnet('127.0.0.0', 8, 'ipv4');
noHostAddresses.addSubnet('224.0.0.0', 4, 'ipv4');
noHostAddresses.addAddress('255.255.255.255', 'ipv4');
noHostAddresses.addAddress('::', 'ipv6');
noHostAddresses.addAddress('::1', 'ipv6');
noHostAddresses.addSubnet('ff00::', 8, 'ipv6');

describe('addresses that name no host', () => {
  const unspecified = 'is the unspecified address, which means "every address" to a daemon and names no host';
  const multicast = 'is a multicast address, which names a group of receivers, not a host';
  const broadcast = 'is the broadcast address, which names every host of the network at once';

  it.each([
    ['0.0.0.0', unspecified],
    ['0.1.2.3', unspecified],
    ['::', unspecified],
    ['0:0:0:0:0:0:0:0', unspecified],
    ['::ffff:0.0.0.0', unspecified],
    ['224.0.0.18', multicast],
    ['ff02::12', multicast],
    ['255.255.255.255', broadcast],
  ])("refuses '%s' as a host address: it %s", (address, why) => {
    expect(summary(problemsOf(designWith([['hosts', 1, 'address'], address])))).toEqual([
      {
        path: 'hosts[1].address',
        message: `'${address}' ${why}: give the address the other hosts reach this host at`,
      },
    ]);
  });

  it.each(['127.0.0.1', '127.0.3.4', '::1', '::ffff:127.0.0.1', 'localhost', 'LocalHost.', 'db.localhost'])(
    "refuses the loopback address '%s' for a host among hosts that other machines must reach",
    (address) => {
      expect(summary(problemsOf(designWith([['hosts', 1, 'address'], address])))).toEqual([
        {
          path: 'hosts[1].address',
          message: `'${address}' is a loopback address, at which every host reaches only itself: host 'lb-host-1' (10.0.1.10) could not reach this host there. Give the address the other hosts reach it at (loopback addresses suit a lab where every host is on one machine)`,
        },
      ]);
    },
  );

  it('accepts loopback addresses when every host has one: a lab on one machine', () => {
    expectLoads(
      designWith(
        [['hosts', 0, 'address'], '127.0.0.10'],
        [['hosts', 1, 'address'], '127.0.0.11'],
        [['hosts', 2, 'address'], 'localhost'],
        [['hosts', 3, 'address'], '::1'],
        [['entrypoints', 0, 'address'], '10.0.1.100'],
      ),
    );
    expectLoads({ format: 1, name: 'One box', hosts: [{ id: 'box', address: '127.0.0.1' }], services: [] });
  });

  it.each([
    [
      '127.0.0.50',
      'is a loopback address, which never leaves its host, while keepalived moves a floating address between hosts on their network',
    ],
    [
      '::1',
      'is a loopback address, which never leaves its host, while keepalived moves a floating address between hosts on their network',
    ],
    ['0.0.0.0', unspecified],
    ['::', unspecified],
    ['224.0.0.18', multicast],
  ])("refuses '%s' as a floating address", (address, why) => {
    expect(summary(problemsOf(designWith([['entrypoints', 0, 'address'], address])))).toEqual([
      {
        path: 'entrypoints[0].address',
        message: `'${address}' ${why}: give a free address of the targets' network`,
      },
    ]);
  });
});

describe('the address patterns agree with node:net', () => {
  const address = new RegExp(ADDRESS_PATTERN, 'u');
  const ip = new RegExp(IP_PATTERN, 'u');
  // Node also accepts an IPv6 zone index ("fe80::1%eth0"), which a design refuses on purpose.
  const withoutZone = (text: string) => !text.includes('%');
  const edit = (text: string, at: number, insert: string, remove: number) => {
    const position = at % (text.length + 1);
    return text.slice(0, position) + insert + text.slice(position + remove);
  };
  const nearIp = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV4Extended(),
    fc
      .tuple(
        fc.oneof(fc.ipV4(), fc.ipV6()),
        fc.nat(),
        fc.constantFrom('', ':', '::', '.', '0', '00', 'f', 'g', '1.2', ' '),
        fc.nat(2),
      )
      .map(([text, at, insert, remove]) => edit(text, at, insert, remove)),
    fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', 'a', 'F', ':', '.'), maxLength: 45 }),
  );

  it('an IP literal is what isIP calls one', () => {
    fc.assert(
      fc.property(nearIp.filter(withoutZone), (text) => {
        expect(ip.test(text)).toBe(isIP(text) !== 0);
      }),
      { numRuns: 20_000 },
    );
  });

  it('a host address made of IP characters is accepted exactly when isIP accepts it', () => {
    fc.assert(
      fc.property(
        nearIp.filter(
          (text) => withoutZone(text) && /^[0-9a-fA-F.:]*$/.test(text) && /[:]|^[0-9.]*$/.test(text),
        ),
        (text) => {
          expect(address.test(text)).toBe(isIP(text) !== 0);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('the loader itself agrees, through the generated validator, refusing only no-host addresses besides', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), nearIp).filter(withoutZone), (text) => {
        const result = parseDesign(pretty(designWith([['entrypoints', 0, 'address'], text])));
        expect(result.ok).toBe(
          isIP(text) !== 0 && !noHostAddresses.check(text, isIP(text) === 6 ? 'ipv6' : 'ipv4'),
        );
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('paths that would break a host', () => {
  const mountPointAt = ['services', 4, 'mountPoint'];
  const commandAt = ['services', 3, 'command'];

  it.each([
    ['/etc/shadow', "is under /etc, which holds the host's configuration"],
    ['/etc', "is /etc, which holds the host's configuration"],
    ['//etc/./ssh/', "is under /etc, which holds the host's configuration"],
    ['/proc', "is /proc, which is the kernel's process file system, mounted by systemd itself"],
    ['/sys/fs', "is under /sys, which is the kernel's device file system, mounted by systemd itself"],
    ['/dev/shm', 'is under /dev, which holds the devices, mounted by systemd itself'],
    ['/boot', 'is /boot, which holds the kernel and the boot loader'],
    ['/usr/local/data', "is under /usr, which holds the operating system's programs and libraries"],
    ['/bin', "is /bin, which holds the operating system's programs"],
    ['/lib64', "is /lib64, which holds the operating system's libraries"],
    ['/run/shared', 'is under /run, which is the runtime file system, mounted by systemd itself'],
    ['/var/run/x', 'is under /var/run, which is the runtime file system (a link to /run)'],
    [
      '/tmp/shared',
      'is under /tmp, which is private to every generated service (PrivateTmp=yes), so no service would see the share',
    ],
  ])("refuses to mount a share at '%s': it %s", (mountPoint, why) => {
    expect(summary(problemsOf(designWith([mountPointAt, mountPoint])))).toEqual([
      {
        path: 'services[4].mountPoint',
        message: `'${mountPoint}' ${why}: mount shares elsewhere, e.g. under /mnt or /srv`,
      },
    ]);
  });

  it.each([
    ['/', '/shared'],
    ['/var/lib', '/var/lib/shared'],
    ['/mnt', '/mnt/shared'],
    ['/home', '/home/shared'],
  ])("refuses to mount a share over all of '%s'", (mountPoint, instead) => {
    expect(summary(problemsOf(designWith([mountPointAt, mountPoint])))).toEqual([
      {
        path: 'services[4].mountPoint',
        message: `'${mountPoint}' would hide everything ${mountPoint} holds behind the share: mount it in a directory of its own, e.g. ${instead}`,
      },
    ]);
  });

  it.each([
    '/mnt/files',
    '/srv/shared/files',
    '/var/lib/shop-files',
    '/data',
    '/home/shared',
    '/opt/shop/data',
  ])("accepts a share at '%s'", (mountPoint) => expectLoads(designWith([mountPointAt, mountPoint])));

  it.each([
    ['/dev/stdin', "runs '/dev/stdin', but /dev holds devices, not programs"],
    [
      '/proc/self/exe --x',
      "runs '/proc/self/exe', but /proc holds the kernel's view of processes, not programs",
    ],
    [
      '/tmp/server',
      "runs '/tmp/server', but /tmp is writable by every user, who could replace the program, and private to the service (PrivateTmp=yes)",
    ],
  ])("refuses the command '%s'", (command, why) => {
    expect(summary(problemsOf(designWith([commandAt, command])))).toEqual([
      {
        path: 'services[3].command',
        message: `the command ${why}: give the path of an installed program, e.g. /usr/bin/…`,
      },
    ]);
  });

  it.each(['/usr/../dev/stdin', '/usr//bin/server', '/opt/./server'])(
    "refuses the command '%s', whose program path is not plain",
    (command) => {
      expect(summary(problemsOf(designWith([commandAt, command])))).toEqual([
        {
          path: 'services[3].command',
          message: `the command names its program '${command}' with "//", "." or ".." segments: give the program's plain absolute path`,
        },
      ]);
    },
  );

  it('accepts a device as an argument of a program', () => {
    expectLoads(designWith([commandAt, '/usr/bin/server --input=/dev/stdin']));
  });

  it.each(['/srv//adv-root/', '/srv/adv-root/', '/srv/./root', '/srv/../root', 'srv/root', '//'])(
    "refuses the ssh.root '%s', which push could not use as written",
    (root) => {
      expect(summary(problemsOf(designWith([['hosts', 0, 'ssh', 'root'], root])))).toEqual([
        {
          path: 'hosts[0].ssh.root',
          message: `'${root}' must be "/" or a plain absolute path of letters, digits and . _ @ + -, without "//", "." or ".." segments or a "/" at the end (e.g. /srv/stage)`,
        },
      ]);
    },
  );

  it.each(['/', '/srv/adv-root', '/home/deploy/stage.1'])("accepts the ssh.root '%s'", (root) => {
    expectLoads(designWith([['hosts', 0, 'ssh', 'root'], root]));
  });
});

describe('numbers', () => {
  it.each([
    [['services', 3, 'port'], 0, '0 is out of range: must be a whole number from 1 to 65535'],
    [['services', 3, 'port'], 65_536, '65536 is out of range: must be a whole number from 1 to 65535'],
    [['services', 3, 'port'], -1, '-1 is out of range: must be a whole number from 1 to 65535'],
    [['services', 3, 'port'], 80.5, 'must be a whole number, not the number 80.5'],
    [['services', 3, 'port'], '8080', "must be a whole number, not the text '8080'"],
    [['hosts', 0, 'ssh', 'port'], 70_000, '70000 is out of range: must be a whole number from 1 to 65535'],
    [['services', 0, 'listen', 0, 'port'], 0, '0 is out of range: must be a whole number from 1 to 65535'],
    [
      ['services', 0, 'stats', 'port'],
      65_536,
      '65536 is out of range: must be a whole number from 1 to 65535',
    ],
    [['links', 0, 'port'], 100_000, '100000 is out of range: must be a whole number from 1 to 65535'],
    [['entrypoints', 1, 'port'], null, 'must be a whole number, not null'],
    [['groups', 0, 'load'], 0, '0 is out of range: must be greater than 0 and at most 1000000000'],
    [['services', 5, 'priority'], 1001, '1001 is out of range: must be at least 0 and at most 1000'],
  ])('%j = %j is refused', (path, value, message) => {
    const text = pretty(designWith([path as Segment[], value]));
    const [first, ...rest] = problemsOfText(text);
    expect(rest).toEqual([]);
    expect(first?.message).toBe(message);
    expect(first?.segments).toEqual(path);
    expect(first?.line).toBeGreaterThan(1);
  });

  it('accepts the edges of the port range', () => {
    expectLoads(designWith([['services', 3, 'port'], 1], [['entrypoints', 1, 'port'], 65_535]));
  });
});

describe('enumerations', () => {
  it('suggest the service kind meant', () => {
    expect(summary(problemsOf(designWith([['services', 2, 'kind'], 'ngnix'])))).toEqual([
      {
        path: 'services[2].kind',
        message:
          "'ngnix' is not a service kind (did you mean 'nginx'?); expected one of nginx, haproxy, app, capture, router, processing, reporting, mongodb, arbiter, redis, sentinel, storage, database",
      },
    ]);
  });

  it('report a missing kind once', () => {
    expect(summary(problemsOf(designWith([['services', 9, 'kind'], undefined])))).toEqual([
      { path: 'services[9]', message: "missing required key 'kind'" },
    ]);
  });

  it('name the values allowed', () => {
    expect(
      summary(problemsOf(designWith([['entrypoints', 1, 'via'], 'dns'], [['links', 2, 'kind'], 'use']))),
    ).toEqual([
      { path: 'links[2].kind', message: "'use' is not one of traffic, uses (did you mean 'uses'?)" },
      { path: 'entrypoints[1].via', message: "'dns' is not one of direct, vip, external-lb" },
    ]);
  });
});

describe('duplicate ids', () => {
  it.each([
    ['a site and a host', ['hosts', 1, 'id'], 'dc-east', 'sites[0]'],
    ['a host and a service', ['services', 7, 'id'], 'db-host-1', 'hosts[3]'],
    ['two services', ['services', 1, 'id'], 'lb-1', 'services[0]'],
    ['a service and a group', ['groups', 0, 'id'], 'app-1', 'services[3]'],
    ['a group and an entrypoint', ['entrypoints', 1, 'id'], 'cache', 'groups[2]'],
  ])('between %s are refused at the second', (_name, path, id, first) => {
    const design = designWith([path as Segment[], id]);
    const problems = problemsOf(design);
    expect(problems[0]).toMatchObject({
      path: `${String(path[0])}[${String(path[1])}].id`,
      message: `'${id}' is already the id of ${first}; ids are unique across sites, hosts, services, groups and entrypoints`,
    });
  });

  it('do not make references to the duplicated id look wrong', () => {
    // A site named like a host: the services on that host still find their host.
    const problems = problemsOf(
      designWith([['sites', 1, 'id'], 'app-host-1'], [['hosts', 2, 'site'], 'dc-east']),
    );
    expect(summary(problems)).toEqual([
      {
        path: 'hosts[2].id',
        message:
          "'app-host-1' is already the id of sites[1]; ids are unique across sites, hosts, services, groups and entrypoints",
      },
      { path: 'hosts[3].site', message: "there is no site 'dc-west' (did you mean 'dc-east'?)" },
    ]);
  });
});

describe('references', () => {
  it('that dangle are each reported, with the id meant when one is close', () => {
    const design = designWith(
      [['hosts', 0, 'site'], 'dc-est'],
      [['services', 1, 'host'], 'lb-host-3'],
      [['services', 3, 'group'], 'app'],
      [['links', 2, 'from'], 'app-2'],
      [['links', 3, 'to'], 'filez'],
      [
        ['entrypoints', 1, 'targets'],
        ['gateway', 'portal'],
      ],
    );
    const text = pretty(design);
    expect(problemsOfText(text)).toEqual([
      expect.objectContaining({
        path: 'hosts[0].site',
        message: "there is no site 'dc-est' (did you mean 'dc-east'?)",
        ...positionOf(text, '"site": "dc-est"'),
      }),
      expect.objectContaining({
        path: 'services[1].host',
        message: "there is no host 'lb-host-3' (did you mean 'lb-host-1'?)",
        ...positionOf(text, '"host": "lb-host-3"'),
      }),
      expect.objectContaining({
        path: 'services[3].group',
        message: "there is no group 'app' (did you mean 'apps'?)",
        ...positionOf(text, '"group": "app"'),
      }),
      expect.objectContaining({
        path: 'links[2].from',
        message: "there is no service 'app-2' (did you mean 'app-1'?)",
        ...positionOf(text, '"from": "app-2"'),
      }),
      expect.objectContaining({
        path: 'links[3].to',
        message: "there is no service or group 'filez' (did you mean 'files'?)",
        ...positionOf(text, '"to": "filez"'),
      }),
      expect.objectContaining({
        path: 'entrypoints[1].targets[1]',
        message: "there is no service or group 'portal'",
        ...positionOf(text, '"portal"'),
      }),
    ]);
  });

  it.each([
    [['services', 1, 'host'], 'dc-east', "'dc-east' is a site, not a host"],
    [['hosts', 0, 'site'], 'lb-host-2', "'lb-host-2' is a host, not a site"],
    [['services', 3, 'group'], 'app-1', "'app-1' is a service, not a group"],
    [['links', 0, 'from'], 'apps', "'apps' is a group, not a service"],
    [['links', 0, 'to'], 'lb-host-1', "'lb-host-1' is a host, not a service or group"],
    [['entrypoints', 1, 'targets', 0], 'shop', "'shop' is an entrypoint, not a service or group"],
  ])('to an item of the wrong kind are refused: %j = %j', (path, id, message) => {
    expect(problemsOf(designWith([path as Segment[], id]))).toEqual([
      expect.objectContaining({ segments: path, message }),
    ]);
  });
});

describe('group members', () => {
  it.each([
    [
      3,
      'rs0',
      "'rs0' is a mongodb-replica-set, which holds only mongodb and arbiter services, not an app service",
    ],
    [
      7,
      'rs0',
      "'rs0' is a mongodb-replica-set, which holds only mongodb and arbiter services, not a redis service",
    ],
    [
      5,
      'cache',
      "'cache' is a redis-sentinel, which holds only redis and sentinel services, not a mongodb service",
    ],
  ])('of the wrong kind are refused at their group', (service, group, message) => {
    expect(summary(problemsOf(designWith([['services', service, 'group'], group])))).toEqual([
      { path: `services[${service}].group`, message },
    ]);
  });

  it.each(['toString', 'constructor', '__proto__'])(
    "of a group whose kind is '%s' get the kind's problem, not a crash",
    (kind) => {
      expect(summary(problemsOf(designWith([['groups', 1, 'kind'], kind])))).toEqual([
        {
          path: 'groups[1].kind',
          message: `'${kind}' is not one of mongodb-replica-set, redis-sentinel, quorum, pool`,
        },
      ]);
    },
  );

  it("of another kind are refused at the field, naming the group's kind and its fields", () => {
    expect(summary(problemsOf(designWith([['groups', 0, 'quorum'], 2])))).toEqual([
      { path: 'groups[0].quorum', message: 'is not a field of a pool group; its fields are label, load' },
    ]);
    expect(summary(problemsOf(designWith([['groups', 1, 'load'], 2], [['groups', 2, 'name'], 'x'])))).toEqual(
      [
        {
          path: 'groups[1].load',
          message:
            'is not a field of a mongodb-replica-set group; its fields are label, name, electionTimeoutMs',
        },
        {
          path: 'groups[2].name',
          message:
            'is not a field of a redis-sentinel group; its fields are label, quorum, masterName, downAfterMs, failoverTimeoutMs, minReplicasToWrite, minReplicasMaxLagSeconds',
        },
      ],
    );
  });

  it('of any kind may join a pool or a quorum', () => {
    expectLoads(designWith([['services', 5, 'group'], 'apps']));
    expectLoads(
      designWith(
        [['groups', 0, 'kind'], 'quorum'],
        // `load` is a pool's field: a quorum has none (docs/design-file.md, groups).
        [['groups', 0, 'load'], undefined],
        [['services', 9, 'group'], 'apps'],
      ),
    );
  });
});

describe('vip entrypoints', () => {
  it('need an address', () => {
    const text = pretty(designWith([['entrypoints', 0, 'address'], undefined]));
    expect(problemsOfText(text)).toEqual([
      expect.objectContaining({
        path: 'entrypoints[0]',
        message:
          "a vip entrypoint needs an 'address': the floating address keepalived moves between its targets",
        ...positionOf(text, '{', '"entrypoints"'),
      }),
    ]);
  });

  it('need nginx or haproxy targets', () => {
    const problems = problemsOf(
      designWith([
        ['entrypoints', 0, 'targets'],
        ['lb-1', 'app-1', 'apps'],
      ]),
    );
    expect(summary(problems)).toEqual([
      {
        path: 'entrypoints[0].targets[1]',
        message:
          "'app-1' is an app service; the targets of a vip entrypoint must be nginx or haproxy services, which keepalived moves the address between",
      },
      {
        path: 'entrypoints[0].targets[2]',
        message:
          "'apps' is a group; the targets of a vip entrypoint must be nginx or haproxy services, which keepalived moves the address between",
      },
    ]);
  });

  it('accept nginx as well as haproxy, and other entrypoints need no address', () => {
    expectLoads(
      designWith([
        ['entrypoints', 0, 'targets'],
        ['lb-1', 'gateway'],
      ]),
    );
    expectLoads(
      designWith([['entrypoints', 0, 'via'], 'external-lb'], [['entrypoints', 0, 'address'], undefined]),
    );
  });

  it('list each target once, pointing at the repeat', () => {
    const text = pretty(
      designWith([
        ['entrypoints', 1, 'targets'],
        ['gateway', 'lb-2', 'gateway'],
      ]),
    );
    const problems = problemsOfText(text);
    expect(summary(problems)).toEqual([
      { path: 'entrypoints[1].targets[2]', message: "'gateway' is listed twice" },
    ]);
    // The third target is the last "gateway" of the file.
    expect(problems[0]?.line).toBe(text.slice(0, text.lastIndexOf('"gateway"')).split('\n').length);
  });
});

describe('duplicate JSON keys', () => {
  it('are refused at the second occurrence, even with equal values', () => {
    const text = '{\n  "format": 1,\n  "name": "a",\n  "hosts": [],\n  "services": [],\n  "name": "a"\n}';
    expect(problemsOfText(text)).toEqual([
      {
        path: 'name',
        segments: ['name'],
        message: "the key 'name' appears twice in one object; only one value may stay",
        line: 6,
        column: 3,
      },
    ]);
  });

  it('are refused inside items, with the item path', () => {
    const text = pretty(validDesign()).replace(
      '"address": "10.0.1.11"',
      '"address": "10.0.1.11", "address": "10.0.1.99"',
    );
    expect(problemsOfText(text)).toEqual([
      expect.objectContaining({
        path: 'hosts[1].address',
        message: "the key 'address' appears twice in one object; only one value may stay",
        ...positionOf(text, '"address": "10.0.1.99"'),
      }),
    ]);
  });
});

/** Strings that would break out of a directive, a quoted value or a path if they reached a config. */
const HOSTILE = {
  newline: 'a\nb',
  braces: 'a{b}',
  semicolon: 'a;b',
  doubleQuote: 'a"b',
  singleQuote: "a'b",
  dollar: 'a$b',
  hash: 'a#b',
  parent: '../b',
  space: 'a b',
  backslash: 'a\\b',
  rightToLeft: 'a\u202eb',
  overlong: 'a'.repeat(5000),
};
type HostileName = keyof typeof HOSTILE;
const ALL_HOSTILE = Object.keys(HOSTILE) as HostileName[];

/**
 * Fields whose value reaches a config file, a path or a command line, each with how a hostile
 * fragment is put in it (most need a valid prefix, e.g. an absolute path) and the fragments it
 * refuses. `..` and a space are harmless in a few fields: an HTTP health-check path, a command's
 * arguments, an NFS export on the server, a database engine's name.
 */
const CONFIG_FIELDS: { path: Segment[]; wrap: (fragment: string) => string; refuses: HostileName[] }[] = [
  { path: ['hosts', 0, 'address'], wrap: (f) => f, refuses: ALL_HOSTILE },
  { path: ['hosts', 0, 'interface'], wrap: (f) => f, refuses: ALL_HOSTILE },
  { path: ['hosts', 0, 'ssh', 'user'], wrap: (f) => f, refuses: ALL_HOSTILE },
  { path: ['hosts', 0, 'ssh', 'hostKey'], wrap: (f) => `SHA256:${f}`, refuses: ALL_HOSTILE },
  { path: ['hosts', 0, 'ssh', 'root'], wrap: (f) => `/srv/${f}`, refuses: ALL_HOSTILE },
  { path: ['services', 0, 'tls', 'cert'], wrap: (f) => `/etc/ssl/${f}`, refuses: ALL_HOSTILE },
  { path: ['services', 0, 'tls', 'key'], wrap: (f) => `/etc/ssl/${f}`, refuses: ALL_HOSTILE },
  { path: ['services', 2, 'serverName'], wrap: (f) => `${f}.example.com`, refuses: ALL_HOSTILE },
  {
    path: ['services', 3, 'healthCheck', 'path'],
    wrap: (f) => `/${f}`,
    refuses: ALL_HOSTILE.filter((name) => name !== 'parent'),
  },
  {
    path: ['services', 3, 'command'],
    wrap: (f) => `/opt/shop/bin/server ${f}`,
    refuses: ALL_HOSTILE.filter((name) => name !== 'parent' && name !== 'space'),
  },
  {
    path: ['services', 4, 'endpoint'],
    wrap: (f) => `nas.example.com:/export/${f}`,
    refuses: ALL_HOSTILE.filter((name) => name !== 'parent'),
  },
  { path: ['services', 4, 'mountPoint'], wrap: (f) => `/mnt/${f}`, refuses: ALL_HOSTILE },
  {
    path: ['services', 9, 'engine'],
    wrap: (f) => `SQL${f}`,
    refuses: ALL_HOSTILE.filter((name) => name !== 'space'),
  },
  { path: ['groups', 1, 'name'], wrap: (f) => f, refuses: ALL_HOSTILE },
  { path: ['groups', 2, 'masterName'], wrap: (f) => f, refuses: ALL_HOSTILE },
  { path: ['entrypoints', 0, 'address'], wrap: (f) => f, refuses: ALL_HOSTILE },
  { path: ['sites', 0, 'id'], wrap: (f) => f, refuses: ALL_HOSTILE },
];

/** How a message shows a short value: JSON escapes, but no escaped double quote, and no raw U+202E. */
function shownEscaped(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(/\\"/g, '"')
    .replace(/\u202e/g, '\\u202e');
}

describe('hostile strings', () => {
  const cases = CONFIG_FIELDS.flatMap((field) =>
    field.refuses.map((name) => ({ ...field, name, value: field.wrap(HOSTILE[name]) })),
  );

  it.each(cases)('$path refuses $name', ({ path, value }) => {
    const text = pretty(designWith([path, value]));
    const problems = problemsOfText(text);
    const own = problems.filter((p) => JSON.stringify(p.segments) === JSON.stringify(path));
    expect(own).toHaveLength(1);
    const [problem] = own;
    expect(problem?.line).toBeGreaterThan(1);
    // The value is shown escaped and shortened: the message stays one readable line.
    expect(problem?.message).not.toMatch(/[\n\r\u2028\u2029\u202e]/);
    expect(problem?.message.length).toBeLessThan(300);
    if (value.length < 50) expect(problem?.message).toContain(`'${shownEscaped(value)}'`);
  });

  it.each(CONFIG_FIELDS.filter((field) => !field.refuses.includes('parent')))(
    '$path accepts the harmless "../"',
    ({ path, wrap }) => {
      expectLoads(designWith([path, wrap(HOSTILE.parent)]));
    },
  );

  it.each([
    [['name'], 200],
    [['sites', 0, 'label'], 200],
    [['hosts', 2, 'label'], 200],
    [['services', 3, 'label'], 200],
    [['entrypoints', 0, 'label'], 200],
  ])('the free text %j takes any printable characters on one line, up to %i', (path, limit) => {
    const refused = (value: string) =>
      problemsOf(designWith([path as Segment[], value])).map(({ segments, message }) => ({
        segments,
        message,
      }));
    expectLoads(designWith([path as Segment[], 'Shop {EU}; "main" it\'s $5 #1 ../ \\ ü 東京 🚀']));
    // Each is shown escaped, so that the message itself stays on one line.
    for (const [value, shown] of [
      ['a\nb', "'a\\nb'"],
      ['a\rb', "'a\\rb'"],
      ['a\tb', "'a\\tb'"],
      ['a\u0000b', "'a\\u0000b'"],
      ['a\u007fb', "'a\\u007fb'"],
      ['a\u0085b', "'a\\u0085b'"],
      ['a\u2028b', "'a\\u2028b'"],
    ] as const) {
      expect(refused(value)).toEqual([
        { segments: path, message: `${shown} must be one line of text without control characters` },
      ]);
    }
    expect(refused('a'.repeat(limit + 1))).toEqual([
      { segments: path, message: `is too long: at most ${limit} characters` },
    ]);
    expect(refused('')).toEqual([{ segments: path, message: 'must not be empty' }]);
  });

  it('the description may span lines but holds no other control characters', () => {
    expectLoads(designWith([['description'], 'Line one\nLine two\n\tindented']));
    expect(summary(problemsOf(designWith([['description'], 'bell\u0007'])))).toEqual([
      {
        path: 'description',
        message: "'bell\\u0007' must be text without control characters other than tabs and newlines",
      },
    ]);
  });

  it('keys that are hostile are quoted in the path and the message', () => {
    const design = designWith([['hosts', 0, 'a\nb}; $x #'], 1], [['layout', '../etc'], { x: 0, y: 0 }]);
    const problems = problemsOf(design);
    expect(summary(problems)).toEqual([
      {
        path: 'hosts[0]["a\\nb}; $x #"]',
        message:
          "unknown key 'a\\nb}; $x #'; allowed here: id, address, site, label, interface, ssh, reliability",
      },
      {
        path: 'layout["../etc"]',
        message: "'../etc' is not an id; layout keys are ids of items in the design",
      },
    ]);
  });

  it('a top-level key "$" is quoted in its path, apart from the whole file', () => {
    expect(problemsOf(designWith([['$'], 1]))[0]).toMatchObject({ path: '["$"]', segments: ['$'] });
  });

  it('an interface is never "." or "..", which Linux refuses as names', () => {
    for (const name of ['.', '..']) {
      expect(summary(problemsOf(designWith([['hosts', 0, 'interface'], name])))).toEqual([
        {
          path: 'hosts[0].interface',
          message: `'${name}' is not a network interface name (1 to 15 letters, digits and . _ : -)`,
        },
      ]);
    }
    expectLoads(designWith([['hosts', 0, 'interface'], 'bond0.100']));
  });

  it('an overlong key is shortened in the message', () => {
    const key = 'k'.repeat(10_000);
    const [problem] = problemsOf(designWith([[key], 1]));
    expect(problem?.message).toMatch(/^unknown key 'k+…'; allowed here: /);
    expect(problem?.message.length).toBeLessThan(300);
  });
});

describe('a file with many problems', () => {
  it('reports all of them, in file order within each kind of check', () => {
    const design = designWith(
      [['name'], ''],
      [['hosts', 0, 'address'], '10.0.0.300'],
      [['hosts', 1, 'adress'], '10.0.0.5'],
      [['hosts', 2, 'site'], 'dc-nowhere'],
      [['hosts', 3, 'address'], '10.0.1.11'],
      [['services', 1, 'host'], 'lb-host-9'],
      [['services', 3, 'port'], 99_999],
      [['services', 5, 'group'], 'cache'],
      [['entrypoints', 1, 'id'], 'rs0'],
      [['links', 0, 'to'], 'nothing-here'],
      [['entrypoints', 0, 'address'], undefined],
    );
    const text = pretty(design).replace('"format": 1,', '"format": 1,\n  "format": 1,');
    const problems = problemsOfText(text);
    expect(problems.map((p) => p.path)).toEqual([
      'format',
      'name',
      'hosts[0].address',
      'hosts[1].adress',
      'services[3].port',
      'entrypoints[0]',
      'entrypoints[1].id',
      'hosts[2].site',
      'hosts[3].address',
      'services[1].host',
      'services[5].group',
      'links[0].to',
    ]);
    for (const problem of problems) {
      expect(problem.line, problem.path).toBeGreaterThan(0);
      expect(problem.column, problem.path).toBeGreaterThan(0);
    }
  });

  it('reports every dangling reference of a large file, each at its own line', () => {
    const hosts = Array.from({ length: 500 }, (_, n) => ({
      id: `h-${n}`,
      address: `10.1.${n >> 8}.${n & 255}`,
    }));
    const services = Array.from({ length: 500 }, (_, n) => ({
      id: `s-${n}`,
      kind: 'router',
      host: `x-${n}`,
    }));
    const text = pretty({ format: 1, name: 'big', hosts, services });
    const problems = problemsOfText(text);
    expect(problems).toHaveLength(500);
    expect(new Set(problems.map((p) => p.line)).size).toBe(500);
    expect(problems[499]).toMatchObject({
      path: 'services[499].host',
      ...positionOf(text, '"host": "x-499"'),
    });
  });
});

describe('checkDesign', () => {
  it('checks a value already parsed, with the same problems but no lines', () => {
    const design = designWith([['hosts', 1, 'address'], '10.0.0.300']);
    expect(checkDesign(design)).toEqual({
      ok: false,
      problems: [
        {
          path: 'hosts[1].address',
          segments: ['hosts', 1, 'address'],
          message: "'10.0.0.300' is not an IPv4 or IPv6 address or a DNS name",
        },
      ],
    });
    expect(checkDesign(validDesign())).toEqual({ ok: true, design: validDesign() });
  });

  it('names a missing value without saying "undefined"', () => {
    expect(checkDesign(undefined)).toEqual({
      ok: false,
      problems: [
        {
          path: '$',
          segments: [],
          message: 'must be a JSON object with format, name, hosts and services, not nothing',
        },
      ],
    });
  });
});
