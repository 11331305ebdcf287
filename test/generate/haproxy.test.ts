/**
 * The HAProxy generator against the real HAProxy: every haproxy.cfg it writes for the example
 * designs, for hostile values and for random designs passes `haproxy -c -dW` (warnings fail), and,
 * parsed back with HAProxy's own word rules, holds exactly the frontends, backends and servers the
 * design asks for.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { indexDesign } from '../../core/design-index';
import type { BundleFile } from '../../core/generate/bundle';
import { balancerRoutes } from '../../core/generate/context';
import { generateHaproxy } from '../../core/generate/haproxy';
import type { BalancerService, Design } from '../../core/model';
import { checkedDesign, exampleFiles, loadExample } from '../fixtures/examples';
import { checkHaproxy, createSelfSignedCertificate, requireTool } from '../lab/tools';
import type { Certificate, LabFiles } from '../lab/tools';
import { COMMON_FRAGMENTS, renameService, serviceOf, testHostileValues } from './injection';
import type { InjectionField, RawDesign } from './injection';
import { hostsFileOf, randomBalancerDesign } from './random-balancers';
import { HAPROXY_SECTION_KEYWORDS } from '../../core/import/haproxy-config';

// ---------------------------------------------------------------------------------------------
// HAProxy's syntax, read back the way HAProxy 2.6 reads it (parse_line() in src/tools.c)

/** A section (`global`, `frontend web`, …) and its lines, each split into unquoted words. */
interface Section {
  keyword: string;
  name: string | undefined;
  lines: string[][];
}

// The section keywords of HAProxy, as the importer reads them.
const SECTION_KEYWORDS = HAPROXY_SECTION_KEYWORDS;

/**
 * Splits one line into words: blanks separate words outside quotes, `#` outside quotes starts a
 * comment, single quotes are literal, a backslash escapes outside them. Throws on what HAProxy
 * would refuse or expand: an unmatched quote, `$` inside double quotes (an environment variable).
 */
function parseHaproxyLine(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  const emit = (text: string): void => {
    word = (word ?? '') + text;
  };
  for (let position = 0; position < line.length; position += 1) {
    const character = line[position]!;
    if (quote === undefined && character === '#') break;
    if (character === "'" && quote !== '"') {
      quote = quote === "'" ? undefined : "'";
      emit('');
    } else if (character === '"' && quote !== "'") {
      quote = quote === '"' ? undefined : '"';
      emit('');
    } else if (character === '\\' && quote !== "'") {
      const next = line[position + 1];
      const escaped: Record<string, string> = { ' ': ' ', '\\': '\\', t: '\t', n: '\n', r: '\r', '#': '#' };
      if (next !== undefined && escaped[next] !== undefined) {
        emit(escaped[next]);
        position += 1;
      } else if (next === "'" || next === '"') {
        emit(next);
        position += 1;
      } else emit(character);
    } else if (character === '$' && quote === '"') {
      // Only the generator's own statistics password may come from the environment.
      const variable = /^\$\{TOPOFORGE_STATS_PASSWORD_[A-Z0-9_]+\}/u.exec(line.slice(position))?.[0];
      if (variable === undefined) throw new Error(`HAProxy would expand an environment variable in: ${line}`);
      emit(variable);
      position += variable.length - 1;
    } else if (/\s/u.test(character) && quote === undefined) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else emit(character);
  }
  if (quote !== undefined) throw new Error(`unmatched quote in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** Parses a whole file into its sections. Lines are split at `\n` only, as HAProxy reads them. */
function parseHaproxy(text: string): Section[] {
  const sections: Section[] = [];
  for (const line of text.split('\n')) {
    if (/\r/u.test(line)) throw new Error(`a carriage return cuts the line short: ${line}`);
    const words = parseHaproxyLine(line);
    if (words.length === 0) continue;
    if (SECTION_KEYWORDS.has(words[0]!)) {
      sections.push({ keyword: words[0]!, name: words[1], lines: [] });
      continue;
    }
    const current = sections.at(-1);
    if (current === undefined) throw new Error(`a line outside any section: ${line}`);
    current.lines.push(words);
  }
  return sections;
}

function sectionOf(sections: Section[], keyword: string, name?: string): Section {
  const found = sections.filter((section) => section.keyword === keyword && section.name === name);
  expect(found, `${keyword} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
}

/** The lines of `section` that start with `words`, without those words. */
function linesOf(section: Section, ...words: string[]): string[][] {
  return section.lines
    .filter((line) => words.every((word, position) => line[position] === word))
    .map((line) => line.slice(words.length));
}

// ---------------------------------------------------------------------------------------------
// Designs and files

/** The haproxy.cfg files of a design (the generator also writes systemd drop-ins for exposed statistics). */
function haproxyFiles(design: Design): BundleFile[] {
  return generateHaproxy({ index: indexDesign(design) }).filter(
    (file) => file.path === '/etc/haproxy/haproxy.cfg',
  );
}

function fileOn(design: Design, host: string): string {
  const file = haproxyFiles(design).find((candidate) => candidate.host === host);
  if (file === undefined) throw new Error(`no haproxy.cfg on ${host}`);
  return file.content;
}

/**
 * Certificates for every `crt` of `cfg`: the certificate alone at that path and its key where the
 * design keeps it, which is how HAProxy must find it; the key inside the certificate file when
 * the design names no key HAProxy can read.
 */
function tlsFilesOf(cfg: string, design: Design, certificate: Certificate): LabFiles {
  const files: LabFiles = {};
  const delExtension = linesOf(sectionOf(parseHaproxy(cfg), 'global'), 'ssl-load-extra-del-ext').length > 0;
  for (const section of parseHaproxy(cfg)) {
    for (const bind of linesOf(section, 'bind')) {
      const index = bind.indexOf('crt');
      if (index < 0) continue;
      const path = bind[index + 1]!;
      const readable = design.services
        .filter((service): service is BalancerService => service.kind === 'haproxy')
        .map((service) => service.tls)
        .find(
          (tls) =>
            tls?.cert === path &&
            tls.key === (delExtension ? `${path.replace(/\.[^./]*$/u, '')}.key` : `${path}.key`),
        );
      if (readable !== undefined) {
        files[path] = certificate.certificate;
        files[readable.key] = certificate.key;
      } else files[path] = certificate.certificate + certificate.key;
    }
  }
  return files;
}

async function expectHaproxyAccepts(cfg: string, extraFiles: LabFiles): Promise<void> {
  const result = await checkHaproxy(cfg, { extraFiles });
  expect(result.output, cfg).toBe('Configuration file is valid');
  expect(result.ok).toBe(true);
}

function addressOf(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

const canCheck = requireTool('haproxy') && requireTool('openssl');

describe.skipIf(!canCheck)('HAProxy generator', () => {
  let certificate: Certificate;
  beforeAll(async () => {
    certificate = await createSelfSignedCertificate('lab.test');
  });

  test.each(exampleFiles)('every haproxy.cfg of %s passes haproxy -c -dW', async (file) => {
    const design = loadExample(file);
    for (const generated of haproxyFiles(design)) {
      expect(generated).toMatchObject({
        path: '/etc/haproxy/haproxy.cfg',
        mode: '0644',
        check: 'haproxy -c -f {}',
        reload: 'systemctl reload haproxy',
        policy: 'replace',
      });
      await expectHaproxyAccepts(generated.content, tlsFilesOf(generated.content, design, certificate));
    }
  });

  test('Helix: 443 terminates TLS and sends HTTP to port 80, 22 passes through, stats on 8404', () => {
    const design = loadExample('helix-teamhub.topo.json');
    expect(haproxyFiles(design).map((file) => file.host)).toEqual(['lb-1', 'lb-2']);
    const sections = parseHaproxy(fileOn(design, 'lb-1'));
    expect(linesOf(sectionOf(sections, 'global'), 'ssl-load-extra-del-ext')).toEqual([[]]);
    expect(linesOf(sectionOf(sections, 'defaults'), 'default-server')).toEqual([
      'init-addr last,libc,none fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down'.split(' '),
    ]);
    expect(linesOf(sectionOf(sections, 'defaults'), 'option', 'redispatch')).toEqual([['1']]);
    // Tuning: a bounded number of connections, server connections reused, TLS sessions resumed.
    expect(linesOf(sectionOf(sections, 'global'), 'maxconn')).toEqual([['8192']]);
    expect(linesOf(sectionOf(sections, 'global'), 'tune.ssl.cachesize')).toEqual([['40000']]);
    expect(linesOf(sectionOf(sections, 'global'), 'tune.ssl.lifetime')).toEqual([['1d']]);
    expect(linesOf(sectionOf(sections, 'defaults'), 'http-reuse')).toEqual([['safe']]);
    expect(sections.flatMap((section) => linesOf(section, 'option', 'http-server-close'))).toEqual([]);
    expect(sections.flatMap((section) => linesOf(section, 'option', 'httpclose'))).toEqual([]);

    const https = sectionOf(sections, 'frontend', 'lb-a-443');
    expect(linesOf(https, 'bind')).toEqual([
      [':443', 'ssl', 'crt', '/etc/haproxy/tls/teamhub.example.com.crt', 'alpn', 'h2,http/1.1'],
    ]);
    expect(linesOf(https, 'mode')).toEqual([['http']]);
    expect(linesOf(https, 'default_backend')).toEqual([['lb-a-443']]);
    const web = sectionOf(sections, 'backend', 'lb-a-443');
    expect(linesOf(web, 'server')).toEqual([
      ['web-a', '10.60.1.11:80', 'check', 'inter', '2s', 'fastinter', '500ms'],
      ['web-b', '10.60.1.12:80', 'check', 'inter', '2s', 'fastinter', '500ms'],
    ]);
    expect(linesOf(web, 'option', 'httpchk')).toEqual([[]]);
    expect(linesOf(web, 'http-check')).toEqual([
      ['send', 'meth', 'GET', 'uri', '/'],
      ['expect', 'status', '200'],
    ]);
    expect(linesOf(web, 'retry-on')[0]).toContain('conn-failure');
    expect(linesOf(web, 'http-request', 'disable-l7-retry')).toEqual([['unless', 'idempotent']]);

    const ssh = sectionOf(sections, 'frontend', 'lb-a-22');
    expect(linesOf(ssh, 'bind')).toEqual([[':22']]);
    expect(linesOf(ssh, 'mode')).toEqual([['tcp']]);
    const git = sectionOf(sections, 'backend', 'lb-a-22');
    expect(linesOf(git, 'mode')).toEqual([['tcp']]);
    expect(linesOf(git, 'server').map((line) => line.slice(0, 2))).toEqual([
      ['web-a', '10.60.1.11:22'],
      ['web-b', '10.60.1.12:22'],
    ]);
    expect(linesOf(git, 'option', 'httpchk')).toEqual([]);

    // The statistics page stays on loopback unless the design exposes it.
    const stats = sectionOf(sections, 'frontend', 'lb-a-stats');
    expect(linesOf(stats, 'bind')).toEqual([['127.0.0.1:8404']]);
    expect(linesOf(stats, 'stats')).toEqual([['enable'], ['uri', '/'], ['refresh', '10s']]);
  });

  test('Teramind: 443 and 10000 pass through to all five nodes with connect checks', () => {
    const sections = parseHaproxy(fileOn(loadExample('teramind-ha.topo.json'), 'lb-2'));
    for (const port of [443, 10000]) {
      const backend = sectionOf(sections, 'backend', `lb-b-${port}`);
      expect(linesOf(backend, 'mode')).toEqual([['tcp']]);
      expect(linesOf(backend, 'balance')).toEqual([['leastconn']]);
      expect(linesOf(backend, 'server')).toEqual(
        [1, 2, 3, 4, 5].map((node) => [
          `node-${node}`,
          `10.20.1.1${node}:${port}`,
          ...'check inter 2s fastinter 500ms on-marked-down shutdown-sessions'.split(' '),
        ]),
      );
    }
  });

  test('health checks at the named port and interval; backup links become backup servers', async () => {
    const design = checkedDesign({
      ...baseDesign(),
      services: baseDesign().services.map((service) =>
        service.id === 'web-a'
          ? { ...service, healthCheck: { path: '/upcheck', port: 9000, intervalMs: 5000 } }
          : service,
      ),
      links: [
        { from: 'edge', to: 'web-a' },
        { from: 'edge', to: 'web-b', backup: true },
        { from: 'edge', to: 'web-c', backup: true },
        { from: 'edge', to: 'web-a', port: 22 },
        { from: 'edge', to: 'web-b', port: 22 },
      ],
    });
    const cfg = fileOn(design, 'lb-1');
    const backend = sectionOf(parseHaproxy(cfg), 'backend', 'edge-443');
    expect(linesOf(backend, 'server')).toEqual([
      ['web-a', '10.9.1.11:8080', 'check', 'port', '9000', 'inter', '5s', 'fastinter', '500ms'],
      ['web-b', '10.9.1.12:8080', 'check', 'inter', '2s', 'fastinter', '500ms', 'backup'],
      ['web-c', '10.9.1.13:8080', 'check', 'inter', '2s', 'fastinter', '500ms', 'backup'],
    ]);
    expect(linesOf(backend, 'option', 'allbackups')).toEqual([[]]);
    expect(linesOf(backend, 'http-check', 'send')).toEqual([['meth', 'GET', 'uri', '/upcheck']]);
    // tcp: only web-a names its check port, so the pass-through is checked by connecting.
    expect(linesOf(sectionOf(parseHaproxy(cfg), 'backend', 'edge-22'), 'option', 'httpchk')).toEqual([]);
    await expectHaproxyAccepts(cfg, tlsFilesOf(cfg, design, certificate));
  });

  test('an https listener whose key HAProxy cannot find says so; a listener without backends answers 503', async () => {
    const base = baseDesign();
    const design = checkedDesign({
      ...base,
      hosts: base.hosts.map((host) => (host.id === 'lb-1' ? { ...host, address: 'fd00::10' } : host)),
      services: base.services.map((service) =>
        service.id === 'edge'
          ? {
              ...service,
              listen: [...(service.listen as object[]), { port: 80, protocol: 'http' }],
              tls: { cert: '/etc/haproxy/tls/shop.pem', key: '/etc/ssl/private/shop.key' },
            }
          : service,
      ),
    });
    const cfg = fileOn(design, 'lb-1');
    expect(cfg).toContain(
      '# HAProxy cannot read a key from /etc/ssl/private/shop.key: append the key to /etc/haproxy/tls/shop.pem, or move it to /etc/haproxy/tls/shop.key.',
    );
    const sections = parseHaproxy(cfg);
    expect(linesOf(sectionOf(sections, 'global'), 'ssl-load-extra-del-ext')).toEqual([]);
    expect(linesOf(sectionOf(sections, 'frontend', 'edge-80'), 'bind')).toEqual([[':::80', 'v4v6']]);
    expect(linesOf(sectionOf(sections, 'backend', 'edge-80'), 'server')).toEqual([]);
    await expectHaproxyAccepts(cfg, tlsFilesOf(cfg, design, certificate));
  });

  test('generating twice gives the same bytes', () => {
    for (const file of exampleFiles) {
      expect(haproxyFiles(loadExample(file))).toEqual(haproxyFiles(loadExample(file)));
    }
  });

  describe('hostile values', () => {
    testHostileValues({
      passes: 'haproxy -c passes and the config parses back to the same lines',
      base: baseDesign,
      fields: INJECTION_FIELDS,
      fragments: FRAGMENTS,
      config: (design) => fileOn(design, 'lb-1'),
      parse: parseHaproxy,
      expected: expectedSections,
      expectAccepted: (cfg, design) => expectHaproxyAccepts(cfg, tlsFilesOf(cfg, design, certificate)),
    });
  });

  test('random designs with balancers: every haproxy.cfg passes haproxy -c -dW', async () => {
    await fc.assert(
      fc.asyncProperty(randomHaproxyDesign(), async (design) => {
        const index = indexDesign(design);
        for (const generated of haproxyFiles(design)) {
          const sections = parseHaproxy(generated.content);
          // The first listener on a port serves it; a later one on the same host is left out.
          const claimed = new Set<number>();
          for (const service of design.services) {
            if (service.kind !== 'haproxy' || service.host !== generated.host) continue;
            for (const route of balancerRoutes(index, service)) {
              if (claimed.has(route.listener.port)) continue;
              claimed.add(route.listener.port);
              const backend = sectionOf(sections, 'backend', `${service.id}-${route.listener.port}`);
              const servers = linesOf(backend, 'server');
              expect(servers.map((line) => line[1])).toEqual(
                route.backends.map((backend) => addressOf(backend.host.address, backend.port)),
              );
              expect(servers.map((line) => line.includes('backup'))).toEqual(
                route.backends.map((backend) => backend.backup),
              );
              expect(linesOf(backend, 'mode')).toEqual([
                [route.listener.protocol === 'tcp' ? 'tcp' : 'http'],
              ]);
            }
            if (service.stats !== undefined && !claimed.has(service.stats.port)) {
              claimed.add(service.stats.port);
              const stats = sectionOf(sections, 'frontend', `${service.id}-stats`);
              expect(linesOf(stats, 'stats', 'enable')).toEqual([[]]);
              // Loopback, and the host's address only when exposed; a password whenever exposed.
              const host = index.hosts.get(service.host!)!;
              expect(linesOf(stats, 'bind')).toEqual([
                [`127.0.0.1:${service.stats.port}`],
                ...(service.stats.expose ? [[addressOf(host.address, service.stats.port)]] : []),
              ]);
              const variable = `TOPOFORGE_STATS_PASSWORD_${service.id.toUpperCase().replace(/-/gu, '_')}`;
              const authenticated = service.stats.expose === true && service.auth !== false;
              expect(linesOf(stats, 'stats', 'auth')).toEqual(
                authenticated ? [[`admin:\${${variable}}`]] : [],
              );
              expect(linesOf(stats, '.if')).toEqual(authenticated ? [[`defined(${variable})`]] : []);
            }
          }
          await expectHaproxyAccepts(generated.content, {
            ...tlsFilesOf(generated.content, design, certificate),
            ...hostsFileOf(design),
          });
        }
      }),
      { numRuns: 30 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Test designs

/** An https and tcp HAProxy with a statistics page, in front of three apps. */
function baseDesign(): RawDesign {
  return {
    format: 1,
    name: 'Shop  design',
    hosts: [
      { id: 'lb-1', address: '10.9.0.10' },
      { id: 'app-1', address: '10.9.1.11' },
      { id: 'app-2', address: '10.9.1.12' },
      { id: 'app-3', address: '10.9.1.13' },
    ],
    services: [
      {
        id: 'edge',
        kind: 'haproxy',
        host: 'lb-1',
        label: 'Edge ',
        listen: [
          { port: 443, protocol: 'https' },
          { port: 22, protocol: 'tcp' },
        ],
        tls: { cert: '/etc/haproxy/tls/shop.crt', key: '/etc/haproxy/tls/shop.key' },
        stats: { port: 8404 },
      },
      {
        id: 'web-a',
        kind: 'app',
        host: 'app-1',
        label: 'A ',
        port: 8080,
        healthCheck: { path: '/health', intervalMs: 2500 },
      },
      { id: 'web-b', kind: 'app', host: 'app-2', port: 8080 },
      { id: 'web-c', kind: 'app', host: 'app-3', port: 8080 },
    ],
    links: [
      { from: 'edge', to: 'web-a' },
      { from: 'edge', to: 'web-b', backup: true },
      { from: 'edge', to: 'web-a', port: 22 },
      { from: 'edge', to: 'web-b', port: 22 },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Injection corpus

/** The common fragments, and HAProxy's escapes and environment variables. */
const FRAGMENTS = [...COMMON_FRAGMENTS, '\\x41', '${HOME}', '"$HOME"'];

const INJECTION_FIELDS: InjectionField[] = [
  {
    name: 'design name',
    value: (fragment) => `Shop ${fragment} design`,
    place: (design, value) => (design.name = value),
    reaches: 'comment',
    strict: false,
  },
  {
    name: 'authReason of an exposed statistics page',
    value: (fragment) => `lab ${fragment} only`,
    place: (design, value) => {
      const edge = serviceOf(design, 'edge');
      edge.stats = { port: 8404, expose: true };
      edge.auth = false;
      edge.authReason = value;
    },
    reaches: 'comment',
    strict: false,
  },
  {
    name: 'balancer label',
    value: (fragment) => `Edge ${fragment}`,
    place: (design, value) => (serviceOf(design, 'edge').label = value),
    reaches: 'comment',
    strict: false,
  },
  {
    name: 'healthCheck.path',
    value: (fragment) => `/health${fragment}`,
    place: (design, value) => (serviceOf(design, 'web-a').healthCheck = { path: value, intervalMs: 2500 }),
    reaches: 'argument',
    strict: false,
  },
  {
    name: 'backend id',
    value: (fragment) => `web-a${fragment}`,
    place: (design, value) => renameService(design, 'web-a', value),
    reaches: 'argument',
    strict: true,
  },
  {
    name: 'balancer id',
    value: (fragment) => `edge${fragment}`,
    place: (design, value) => renameService(design, 'edge', value),
    reaches: 'argument',
    strict: true,
  },
  {
    name: 'tls.cert',
    value: (fragment) => `/etc/haproxy/tls/shop${fragment}.crt`,
    place: (design, value) => {
      const tls = serviceOf(design, 'edge').tls!;
      tls.cert = value;
      tls.key = `${value}.key`;
    },
    reaches: 'argument',
    strict: false,
  },
  {
    name: 'tls.key',
    value: (fragment) => `/etc/haproxy/tls/shop${fragment}.key`,
    place: (design, value) => (serviceOf(design, 'edge').tls!.key = value),
    reaches: 'comment',
    strict: false,
  },
  {
    name: 'host address',
    value: (fragment) => `10.9.1.11${fragment}`,
    place: (design, value) => (design.hosts[1]!.address = value),
    reaches: 'argument',
    strict: true,
  },
];

/**
 * What HAProxy must read from the config with `fragment` in `field`: the benign config's lines,
 * with the benign value replaced by the hostile one inside words. A comment changes nothing, and
 * neither does a key path: HAProxy reads the key beside the certificate, never from the design's
 * path, so the key's name only shows in a comment (and, if it is `<name>.key`, in a global option).
 */
function expectedSections(benign: Section[], field: InjectionField, fragment: string): Section[] {
  if (field.reaches === 'comment') {
    if (field.name !== 'tls.key' || fragment === '') return benign;
    // A key that is not <name>.key leaves ssl-load-extra-del-ext out.
    return benign.map((section) =>
      section.keyword === 'global'
        ? { ...section, lines: section.lines.filter((line) => line[0] !== 'ssl-load-extra-del-ext') }
        : section,
    );
  }
  const from = field.value('');
  const to = field.value(fragment);
  return benign.map((section) => ({
    keyword: section.keyword,
    name: section.name?.replaceAll(from, to),
    lines: section.lines.map((line) => line.map((word) => word.replaceAll(from, to))),
  }));
}

// ---------------------------------------------------------------------------------------------
// Random designs

/** Random valid designs: 1 to 2 HAProxy services on 1 to 2 hosts, in front of 1 to 4 apps. */
function randomHaproxyDesign(): fc.Arbitrary<Design> {
  return randomBalancerDesign({
    ports: [22, 80, 443, 3000, 8080, 8404, 9000, 10000],
    balancer: (port) =>
      fc.record({
        tls: fc.boolean(),
        stats: fc.option(port, { nil: undefined }),
        exposeStats: fc.boolean(),
        auth: fc.boolean(),
      }),
    // One way of naming keys per design: HAProxy's ssl-load-extra-del-ext is global.
    shared: fc.boolean(),
    service: (spec, position, keyReplacesExtension) => ({
      kind: 'haproxy',
      ...(spec.stats === undefined ? {} : { stats: { port: spec.stats, expose: spec.exposeStats } }),
      ...(spec.auth ? {} : { auth: false, authReason: 'a lab without strangers' }),
      ...(spec.tls
        ? {
            tls: {
              cert: `/etc/haproxy/tls/b${position}.crt`,
              key: keyReplacesExtension
                ? `/etc/haproxy/tls/b${position}.key`
                : `/etc/haproxy/tls/b${position}.crt.key`,
            },
          }
        : {}),
    }),
  });
}
