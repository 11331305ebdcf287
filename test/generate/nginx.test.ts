/**
 * The nginx generator against the real nginx: every nginx.conf it writes for the example designs,
 * for hostile values and for random designs passes `nginx -t`, and, parsed back with nginx's own
 * tokenizing rules, holds exactly the upstreams, servers and listeners the design asks for.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { indexDesign } from '../../core/design-index';
import type { BundleFile } from '../../core/generate/bundle';
import { balancerRoutes } from '../../core/generate/context';
import { generateNginx } from '../../core/generate/nginx';
import type { BalancerService, Design } from '../../core/model';
import { checkedDesign, exampleFiles, loadExample } from '../fixtures/examples';
import { checkNginx, createSelfSignedCertificate, requireTool } from '../lab/tools';
import type { Certificate, LabFiles } from '../lab/tools';
import { COMMON_FRAGMENTS, renameService, serviceOf, testHostileValues } from './injection';
import type { InjectionField, RawDesign } from './injection';
import { hostsFileOf, randomBalancerDesign } from './random-balancers';

// ---------------------------------------------------------------------------------------------
// nginx's syntax, read back the way nginx reads it (src/core/ngx_conf_file.c)

/** A directive: its name, its arguments unquoted, and its block when it has one. */
interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

/**
 * Parses nginx configuration text into directives, dropping comments. Throws where nginx would
 * refuse the text, so a value that broke out of its token shows up as a parse failure or as a
 * directive the design never asked for.
 */
function parseNginx(text: string): Directive[] {
  let position = 0;
  const escapes: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', t: '\t', r: '\r', n: '\n' };

  function readToken(): { token: string; end?: ';' | '{' | '}' } | undefined {
    for (;;) {
      while (position < text.length && /\s/u.test(text[position]!)) position += 1;
      if (position >= text.length) return undefined;
      const character = text[position]!;
      if (character === '#') {
        while (position < text.length && text[position] !== '\n') position += 1;
        continue;
      }
      if (character === ';' || character === '{' || character === '}') {
        position += 1;
        return { token: '', end: character };
      }
      if (character === '"' || character === "'") {
        let token = '';
        position += 1;
        while (text[position] !== character) {
          if (position >= text.length) throw new Error('unterminated quoted string');
          if (text[position] === '\\' && escapes[text[position + 1]!] !== undefined) {
            token += escapes[text[position + 1]!];
            position += 2;
          } else {
            token += text[position];
            position += 1;
          }
        }
        position += 1;
        if (position < text.length && !/[\s;{]/u.test(text[position]!))
          throw new Error(`unexpected "${text[position]}" after a quoted string`);
        return { token };
      }
      let token = '';
      let variable = false;
      while (position < text.length) {
        const next = text[position]!;
        if (next === '{' && variable) {
          token += next;
          position += 1;
          continue;
        }
        variable = next === '$';
        if (/\s/u.test(next) || next === ';' || next === '{') break;
        if (next === '\\' && position + 1 < text.length) {
          token += next + text[position + 1];
          position += 2;
          continue;
        }
        token += next;
        position += 1;
      }
      return { token };
    }
  }

  function readBlock(nested: boolean): Directive[] {
    const directives: Directive[] = [];
    let words: string[] = [];
    for (;;) {
      const read = readToken();
      if (read === undefined) {
        if (nested || words.length > 0) throw new Error('unexpected end of file');
        return directives;
      }
      if (read.end === undefined) {
        words.push(read.token);
        continue;
      }
      if (read.end === '}') {
        if (!nested || words.length > 0) throw new Error('unexpected "}"');
        return directives;
      }
      const [name, ...args] = words;
      if (name === undefined) throw new Error(`unexpected "${read.end}"`);
      directives.push(read.end === '{' ? { name, args, block: readBlock(true) } : { name, args });
      words = [];
    }
  }
  return readBlock(false);
}

/** Every directive named `name`, at any depth. */
function findAll(directives: Directive[], name: string): Directive[] {
  return directives.flatMap((directive) => [
    ...(directive.name === name ? [directive] : []),
    ...findAll(directive.block ?? [], name),
  ]);
}

/** The block of the one directive named `name` (with first argument `argument`, when given). */
function blockOf(directives: Directive[], name: string, argument?: string): Directive[] {
  const found = directives.filter(
    (directive) => directive.name === name && (argument === undefined || directive.args[0] === argument),
  );
  expect(found, `${name} ${argument ?? ''}`).toHaveLength(1);
  return found[0]!.block ?? [];
}

/** `upstream` name to its `server` lines (arguments). */
function upstreamsOf(tree: Directive[]): Map<string, string[][]> {
  return new Map(
    findAll(tree, 'upstream').map((upstream) => [
      upstream.args[0]!,
      (upstream.block ?? []).filter((line) => line.name === 'server').map((line) => line.args),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Designs and files

function nginxFiles(design: Design): BundleFile[] {
  return generateNginx({ index: indexDesign(design) });
}

function fileOn(design: Design, host: string): string {
  const file = nginxFiles(design).find((candidate) => candidate.host === host);
  if (file === undefined) throw new Error(`no nginx.conf on ${host}`);
  return file.content;
}

/** The certificate at every `ssl_certificate` and its key at every `ssl_certificate_key` of `conf`. */
function tlsFilesOf(conf: string, certificate: Certificate): LabFiles {
  const tree = parseNginx(conf);
  return Object.fromEntries([
    ...findAll(tree, 'ssl_certificate').map((line) => [line.args[0]!, certificate.certificate]),
    ...findAll(tree, 'ssl_certificate_key').map((line) => [line.args[0]!, certificate.key]),
  ]);
}

async function expectNginxAccepts(conf: string, extraFiles: LabFiles): Promise<void> {
  const result = await checkNginx(conf, { extraFiles });
  expect(result.output, conf).toBe('');
  expect(result.ok).toBe(true);
}

const canCheck = requireTool('nginx') && requireTool('openssl');

describe.skipIf(!canCheck)('nginx generator', () => {
  let certificate: Certificate;
  beforeAll(async () => {
    certificate = await createSelfSignedCertificate('lab.test');
  });

  test.each(exampleFiles)('every nginx.conf of %s passes nginx -t', async (file) => {
    const design = loadExample(file);
    for (const generated of nginxFiles(design)) {
      expect(generated).toMatchObject({
        path: '/etc/nginx/nginx.conf',
        mode: '0644',
        check: 'nginx -t -q -c {}',
        reload: 'systemctl reload nginx',
        policy: 'replace',
      });
      expect(generated.content).not.toMatch(/health_check|modules-enabled|include/u);
      await expectNginxAccepts(generated.content, tlsFilesOf(generated.content, certificate));
    }
  });

  test('Tessera: an upstream per interface with both nodes, the seed max_fails=3 fail_timeout=5s', () => {
    const design = loadExample('tessera-ha.topo.json');
    expect(nginxFiles(design).map((file) => file.host)).toEqual(['lb-1', 'lb-2']);
    const tree = parseNginx(fileOn(design, 'lb-1'));
    const upstreams = upstreamsOf(tree);
    for (const port of [9080, 9101, 9000]) {
      expect(upstreams.get(`lb-a-${port}`)).toEqual([
        [`10.40.1.11:${port}`, 'max_fails=3', 'fail_timeout=5s'],
        [`10.40.1.12:${port}`, 'max_fails=3', 'fail_timeout=5s'],
      ]);
    }
    const http = blockOf(tree, 'http');
    const servers = http.filter((directive) => directive.name === 'server');
    expect(servers.map((server) => findAll(server.block!, 'listen').map((line) => line.args))).toEqual([
      [['9080']],
      [['9101']],
      [['9000']],
    ]);
    expect(servers.map((server) => findAll(server.block!, 'proxy_pass')[0]!.args)).toEqual([
      ['http://lb-a-9080'],
      ['http://lb-a-9101'],
      ['http://lb-a-9000'],
    ]);
    expect(findAll(tree, 'proxy_next_upstream')[0]!.args).toEqual([
      'error',
      'timeout',
      'invalid_header',
      'http_502',
      'http_503',
      'http_504',
    ]);
    expect(findAll(tree, 'load_module')).toEqual([]);
    expect(findAll(tree, 'stream')).toEqual([]);
    expect(findAll(tree, 'pid')[0]!.args).toEqual(['/run/nginx.pid']);
    expect(findAll(tree, 'error_log')[0]!.args).toEqual(['/var/log/nginx/error.log']);
    // Tuning: backend connections kept alive, together at most half of a worker's 4096
    // connections, split among the three upstreams; WebSocket upgrades still pass.
    expect(findAll(tree, 'worker_connections')[0]!.args).toEqual(['4096']);
    expect(findAll(tree, 'worker_rlimit_nofile')[0]!.args).toEqual(['8192']);
    for (const port of [9080, 9101, 9000]) {
      const upstream = blockOf(http, 'upstream', `lb-a-${port}`);
      expect(findAll(upstream, 'keepalive')[0]!.args).toEqual(['682']);
      expect(findAll(upstream, 'keepalive_timeout')[0]!.args).toEqual(['4s']);
      // The workers share each upstream's failure counts, so max_fails leaves a dead node out for
      // all of them at once (a worker counting alone kept a lost node in for 3.8 s in the lab).
      expect(findAll(upstream, 'zone')[0]!.args).toEqual([`lb-a-${port}`, '64k']);
    }
    expect(findAll(http, 'proxy_http_version')[0]!.args).toEqual(['1.1']);
    expect(findAll(http, 'proxy_set_header').map((line) => line.args.slice(0, 2))).toContainEqual([
      'Connection',
      '$connection_upgrade',
    ]);
    expect(blockOf(http, 'map', '$http_upgrade')).toEqual([
      { name: 'default', args: ['upgrade'] },
      { name: '', args: [''] },
    ]);
    expect(findAll(http, 'ssl_session_tickets')[0]!.args).toEqual(['off']);
    expect(findAll(tree, 'access_log')[0]!.args).toEqual([
      '/var/log/nginx/access.log',
      'combined',
      'buffer=64k',
      'flush=1s',
    ]);
  });

  test('Expertflow: the gateway terminates TLS for its server name and proxies to its site', () => {
    const tree = parseNginx(fileOn(loadExample('expertflow-two-sites.topo.json'), 'ef-b'));
    const server = findAll(tree, 'server').find((directive) => directive.block !== undefined)!;
    const lines = (name: string): string[][] => findAll(server.block!, name).map((line) => line.args);
    expect(lines('listen')).toEqual([['443', 'ssl']]);
    expect(lines('server_name')).toEqual([['chat.example.com']]);
    expect(lines('ssl_certificate')).toEqual([['/etc/nginx/tls/hybrid-chat-b.crt']]);
    expect(lines('ssl_certificate_key')).toEqual([['/etc/nginx/tls/hybrid-chat-b.key']]);
    expect(upstreamsOf(tree).get('gw-b-443')).toEqual([
      ['10.50.2.11:8080', 'max_fails=3', 'fail_timeout=2s'],
    ]);
  });

  test('tcp listeners load stream and use stream upstreams; backup links become backup servers', async () => {
    const design = checkedDesign({
      ...baseDesign(),
      links: [
        { from: 'edge', to: 'web-a' },
        { from: 'edge', to: 'web-b', backup: true },
        { from: 'edge', to: 'web-a', port: 22 },
        { from: 'edge', to: 'web-b', port: 22, backup: true },
      ],
    });
    const conf = fileOn(design, 'lb-1');
    const tree = parseNginx(conf);
    expect(tree[0]).toEqual({ name: 'load_module', args: ['/usr/lib/nginx/modules/ngx_stream_module.so'] });
    const http = blockOf(tree, 'http');
    const stream = blockOf(tree, 'stream');
    expect(upstreamsOf(http).get('edge-443')).toEqual([
      ['10.9.1.11:8080', 'max_fails=3', 'fail_timeout=3s'],
      ['10.9.1.12:8080', 'max_fails=3', 'fail_timeout=10s', 'backup'],
    ]);
    expect(upstreamsOf(stream).get('edge-22')).toEqual([
      ['10.9.1.11:22', 'max_fails=3', 'fail_timeout=3s'],
      ['10.9.1.12:22', 'max_fails=3', 'fail_timeout=10s', 'backup'],
    ]);
    // The stream upstream's state is shared by the workers too, in a zone of its own.
    expect(findAll(blockOf(stream, 'upstream', 'edge-22'), 'zone')[0]!.args).toEqual(['edge-22', '64k']);
    const streamServer = stream.find((directive) => directive.name === 'server')!;
    expect(findAll(streamServer.block!, 'listen')[0]!.args).toEqual(['22']);
    expect(findAll(streamServer.block!, 'proxy_pass')[0]!.args).toEqual(['edge-22']);
    await expectNginxAccepts(conf, tlsFilesOf(conf, certificate));
  });

  test("a link without a port joins the links that name its target's own port in one upstream", () => {
    const design = checkedDesign({
      ...baseDesign(),
      links: [
        { from: 'edge', to: 'web-a' },
        { from: 'edge', to: 'web-b', port: 8080 },
        { from: 'edge', to: 'web-a', port: 22 },
      ],
    });
    const http = blockOf(parseNginx(fileOn(design, 'lb-1')), 'http');
    expect(upstreamsOf(http).get('edge-443')).toEqual([
      ['10.9.1.11:8080', 'max_fails=3', 'fail_timeout=3s'],
      ['10.9.1.12:8080', 'max_fails=3', 'fail_timeout=10s'],
    ]);
  });

  test('a listener without backends answers 503; IPv6 hosts listen on both families', async () => {
    const base = baseDesign();
    const design = checkedDesign({
      ...base,
      hosts: base.hosts.map((host) => (host.id === 'lb-1' ? { ...host, address: 'fd00::10' } : host)),
      services: base.services.map((service) =>
        service.id === 'edge' ? { ...service, listen: [{ port: 80, protocol: 'http' }] } : service,
      ),
      links: [],
    });
    const conf = fileOn(design, 'lb-1');
    const tree = parseNginx(conf);
    expect(findAll(tree, 'upstream')).toEqual([]);
    expect(findAll(tree, 'listen').map((line) => line.args)).toEqual([['[::]:80', 'ipv6only=off']]);
    expect(findAll(tree, 'return').map((line) => line.args)).toEqual([['503']]);
    await expectNginxAccepts(conf, {});
  });

  test('two nginx services on one host share one file; a port claimed twice is served once', async () => {
    const base = baseDesign();
    const design = checkedDesign({
      ...base,
      services: [
        ...base.services,
        { id: 'admin', kind: 'nginx', host: 'lb-1', listen: [{ port: 8443, protocol: 'http' }] },
        { id: 'clash', kind: 'nginx', host: 'lb-1', listen: [{ port: 22, protocol: 'tcp' }] },
      ],
      links: [...base.links, { from: 'admin', to: 'web-b' }, { from: 'clash', to: 'web-b', port: 2222 }],
    });
    const files = nginxFiles(design);
    expect(files.map((file) => file.host)).toEqual(['lb-1']);
    const conf = files[0]!.content;
    const tree = parseNginx(conf);
    expect(findAll(tree, 'listen').map((line) => line.args[0])).toEqual(['443', '8443', '22']);
    expect([...upstreamsOf(tree).keys()]).toEqual(['edge-443', 'admin-8443', 'edge-22']);
    expect(conf).toContain('# clash 22/tcp is left out: port 22 is already served in this file.');
    await expectNginxAccepts(conf, tlsFilesOf(conf, certificate));
  });

  test('generating twice gives the same bytes', () => {
    for (const file of exampleFiles) {
      const first = nginxFiles(loadExample(file));
      const second = nginxFiles(loadExample(file));
      expect(second).toEqual(first);
    }
    const design = checkedDesign(baseDesign());
    expect(fileOn(design, 'lb-1')).toBe(fileOn(structuredClone(design), 'lb-1'));
  });

  describe('hostile values', () => {
    testHostileValues({
      passes: 'nginx -t passes and the config parses back to the same directives',
      base: baseDesign,
      fields: INJECTION_FIELDS,
      fragments: FRAGMENTS,
      config: (design) => fileOn(design, 'lb-1'),
      parse: parseNginx,
      expected: expectedTree,
      expectAccepted: (conf) => expectNginxAccepts(conf, tlsFilesOf(conf, certificate)),
    });
  });

  test('random designs with balancers: every nginx.conf passes nginx -t', async () => {
    await fc.assert(
      fc.asyncProperty(randomNginxDesign(), async (design) => {
        for (const generated of nginxFiles(design)) {
          const upstreams = upstreamsOf(parseNginx(generated.content));
          // The first listener on a port serves it; a later one on the same host is left out.
          const claimed = new Set<number>();
          for (const service of design.services) {
            if (service.kind !== 'nginx' || service.host !== generated.host) continue;
            for (const route of balancerRoutes(indexDesign(design), service as BalancerService)) {
              if (claimed.has(route.listener.port)) continue;
              claimed.add(route.listener.port);
              const members = upstreams.get(`${service.id}-${route.listener.port}`);
              if (route.backends.length === 0) {
                expect(members).toBeUndefined();
                continue;
              }
              expect(members).toBeDefined();
              expect(members!.map((member) => member[0])).toEqual(
                route.backends.map((backend) =>
                  backend.host.address.includes(':')
                    ? `[${backend.host.address}]:${backend.port}`
                    : `${backend.host.address}:${backend.port}`,
                ),
              );
              const onlyBackups = route.backends.every((backend) => backend.backup);
              expect(members!.map((member) => member.includes('backup'))).toEqual(
                route.backends.map((backend) => backend.backup && !onlyBackups),
              );
            }
          }
          await expectNginxAccepts(generated.content, {
            ...tlsFilesOf(generated.content, certificate),
            ...hostsFileOf(design),
          });
        }
      }),
      { numRuns: 40 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Test designs

/** An https and tcp balancer in front of two apps, the second a backup. */
function baseDesign(): RawDesign {
  return {
    format: 1,
    name: 'Shop  design',
    hosts: [
      { id: 'lb-1', address: '10.9.0.10' },
      { id: 'app-1', address: '10.9.1.11' },
      { id: 'app-2', address: '10.9.1.12' },
    ],
    services: [
      {
        id: 'edge',
        kind: 'nginx',
        host: 'lb-1',
        label: 'Edge ',
        listen: [
          { port: 443, protocol: 'https' },
          { port: 22, protocol: 'tcp' },
        ],
        tls: { cert: '/etc/nginx/tls/shop.crt', key: '/etc/nginx/tls/shop.key' },
        serverName: 'shop.example.com',
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

/** The common fragments, and nginx's variables. */
const FRAGMENTS = [...COMMON_FRAGMENTS, '${host}'];

const INJECTION_FIELDS: InjectionField[] = [
  {
    name: 'design name',
    value: (fragment) => `Shop ${fragment} design`,
    place: (design, value) => (design.name = value),
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
    reaches: 'comment',
    strict: false,
  },
  {
    name: 'backend id',
    value: (fragment) => `web-a${fragment}`,
    place: (design, value) => renameService(design, 'web-a', value),
    reaches: 'comment',
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
    name: 'serverName',
    value: (fragment) => `shop${fragment}.example.com`,
    place: (design, value) => (serviceOf(design, 'edge').serverName = value),
    reaches: 'argument',
    strict: true,
  },
  {
    name: 'tls.cert',
    value: (fragment) => `/etc/nginx/tls/shop${fragment}.crt`,
    place: (design, value) => (serviceOf(design, 'edge').tls!.cert = value),
    reaches: 'argument',
    strict: false,
  },
  {
    name: 'tls.key',
    value: (fragment) => `/etc/nginx/tls/shop${fragment}.key`,
    place: (design, value) => (serviceOf(design, 'edge').tls!.key = value),
    reaches: 'argument',
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
 * What nginx must read from the config with `fragment` in `field`: the benign config's directives,
 * with the benign value replaced by the hostile one inside arguments. A comment changes nothing.
 */
function expectedTree(benign: Directive[], field: InjectionField, fragment: string): Directive[] {
  if (field.reaches === 'comment') return benign;
  const from = field.value('');
  const to = field.value(fragment);
  const substitute = (tree: Directive[]): Directive[] =>
    tree.map((directive) => ({
      name: directive.name,
      args: directive.args.map((arg) => arg.replaceAll(from, to)),
      ...(directive.block ? { block: substitute(directive.block) } : {}),
    }));
  return substitute(benign);
}

/** Random valid designs: 1 to 2 nginx services on 1 to 2 hosts, in front of 1 to 4 apps. */
function randomNginxDesign(): fc.Arbitrary<Design> {
  return randomBalancerDesign({
    ports: [22, 80, 443, 3000, 8080, 8443, 9000, 10000],
    balancer: () =>
      fc.record({
        serverName: fc.option(fc.constantFrom('shop.example.com', '*.example.org', 'a-b.test'), {
          nil: undefined,
        }),
        tls: fc.boolean(),
      }),
    service: (spec, position) => ({
      kind: 'nginx',
      ...(spec.serverName ? { serverName: spec.serverName } : {}),
      ...(spec.tls
        ? { tls: { cert: `/etc/nginx/tls/b${position}.crt`, key: `/etc/ssl/private/b${position}.key` } }
        : {}),
    }),
  });
}
