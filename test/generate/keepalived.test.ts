/**
 * The keepalived generator against the real keepalived: every generated config of every example
 * passes `keepalived -t` (and the manifest's own check command) with its interface present, and
 * renders exactly the VRRP plan that the rule `keepalived.priority` checks. Hostile names are
 * read back from keepalived itself: started in a private network namespace with `--dump-conf`,
 * it prints every instance as it parsed it. A property test checks random designs with floating
 * addresses and commands against keepalived and systemd-analyze together.
 */
import { basename } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { indexDesign } from '../../core/design-index';
import type { BundleFile } from '../../core/generate/bundle';
import {
  floatingAddresses,
  generateKeepalived,
  KEEPALIVED_CHECK,
  KEEPALIVED_CONFIG_PATH,
  KEEPALIVED_RELOAD,
} from '../../core/generate/keepalived';
import { UnsafeValueError } from '../../core/generate/quote';
import { generateSystemd } from '../../core/generate/systemd';
import { checkDesign } from '../../core/load';
import type { Design } from '../../core/model';
import { checkedDesign, exampleFiles, loadExample } from '../fixtures/examples';
import { planVrrp } from '../../core/vrrp';
import { prepareIsolated, runIsolated } from '../lab/namespace';
import { startProcess } from '../lab/processes';
import { checkKeepalived, requireTool, verifySystemdUnits } from '../lab/tools';
import { generatedOrRefused, throughAndPastSchema } from './injection';

function configsOf(design: Design): BundleFile[] {
  return generateKeepalived({ index: indexDesign(design) });
}

function interfaceOf(design: Design, host: string): string {
  return design.hosts.find((h) => h.id === host)?.interface ?? 'eth0';
}

/** A VRRP instance as our reader sees the file. */
interface Instance {
  name: string;
  state: string;
  interface: string;
  routerId: number;
  priority: number;
  source: string | undefined;
  peers: string[];
  addresses: string[];
  tracks: { script: string; weight: number }[];
}

/** A keepalived statement: its words, and its block when it opens one. */
interface Statement {
  words: string[];
  block: Statement[] | undefined;
}

/** Reads keepalived's syntax: `#` and `!` start comments, double quotes group words, braces nest. */
function readKeepalived(content: string): Statement[] {
  const tokens: string[] = [];
  for (const line of content.split('\n')) {
    const words = line.match(/"[^"]*"|[{}]|[^\s{}"]+/g) ?? [];
    const comment = words.findIndex((word) => word.startsWith('#') || word.startsWith('!'));
    tokens.push(...(comment < 0 ? words : words.slice(0, comment)), '\n');
  }
  let position = 0;
  const readBlock = (): Statement[] => {
    const statements: Statement[] = [];
    let words: string[] = [];
    while (position < tokens.length) {
      const token = tokens[position++]!;
      if (token === '}') break;
      if (token === '{') {
        statements.push({ words, block: readBlock() });
        words = [];
      } else if (token === '\n') {
        if (words.length > 0) statements.push({ words, block: undefined });
        words = [];
      } else {
        words.push(token.replace(/^"(.*)"$/, '$1'));
      }
    }
    return statements;
  };
  return readBlock();
}

function instancesOf(content: string): Instance[] {
  return readKeepalived(content)
    .filter((statement) => statement.words[0] === 'vrrp_instance')
    .map((statement) => {
      const block = statement.block ?? [];
      const value = (key: string): string | undefined => block.find((s) => s.words[0] === key)?.words[1];
      const list = (key: string): Statement[] => block.find((s) => s.words[0] === key)?.block ?? [];
      return {
        name: statement.words[1]!,
        state: value('state')!,
        interface: value('interface')!,
        routerId: Number(value('virtual_router_id')),
        priority: Number(value('priority')),
        source: value('unicast_src_ip'),
        peers: list('unicast_peer').map((s) => s.words[0]!),
        addresses: list('virtual_ipaddress').map((s) => s.words[0]!),
        tracks: list('track_script').map((s) => ({ script: s.words[0]!, weight: Number(s.words[2]) })),
      };
    });
}

/** An instance as keepalived itself parsed it, from its `--dump-conf` output. */
interface DumpedInstance {
  name: string;
  interface: string;
  routerId: number;
  priority: number;
  addresses: string[];
  peers: string[];
  tracks: string[];
}

/**
 * Starts keepalived on `conf` in a private network namespace where `interfaces` exist, waits for
 * its configuration dump and stops it.
 */
async function dumpKeepalived(conf: string, interfaces: string[]): Promise<DumpedInstance[]> {
  const prepared = prepareIsolated(
    ['keepalived', '-n', '-l', '-D', '-d', '--vrrp', '-f', KEEPALIVED_CONFIG_PATH],
    {
      files: { [KEEPALIVED_CONFIG_PATH]: conf },
      tmpfs: ['/run'],
      interfaces,
    },
  );
  const keepalived = startProcess(prepared.command, prepared.args, {
    name: 'keepalived',
    cleanup: prepared.dispose,
  });
  await keepalived.waitForOutput(/------< Interfaces >------/, 10_000);
  keepalived.kill();
  await keepalived.exited;
  const lines = keepalived
    .output()
    .split('\n')
    .map((line) => line.replace(/^\w{3} \w{3} [ \d]\d [\d:]{8} \d{4}: /, ''));
  const instances: DumpedInstance[] = [];
  let current: DumpedInstance | undefined;
  let list: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith('------<')) {
      current = undefined;
      continue;
    }
    const name = /^ VRRP Instance = (.*)$/.exec(line);
    if (name) {
      current = {
        name: name[1]!,
        interface: '',
        routerId: 0,
        priority: 0,
        addresses: [],
        peers: [],
        tracks: [],
      };
      instances.push(current);
      continue;
    }
    if (!current) continue;
    const field = /^ {3}(\S[^=:]*?) ?[=:] ?(.*)$/.exec(line);
    if (field) {
      const [, key, value] = field as unknown as [string, string, string];
      list = undefined;
      if (key === 'Interface') current.interface = value;
      else if (key === 'Virtual Router ID') current.routerId = Number(value);
      else if (key === 'Priority') current.priority = Number(value);
      else if (key.startsWith('Virtual IP')) list = current.addresses;
      else if (key === 'Unicast Peer') list = current.peers;
      else if (key === 'Tracked scripts') list = current.tracks;
      continue;
    }
    const item = /^ {5}(\S.*)$/.exec(line);
    if (item && list) list.push(item[1]!.split(' ')[0]!);
  }
  return instances;
}

describe.skipIf(!requireTool('keepalived'))('keepalived configs of every example', () => {
  test.each(exampleFiles)('%s: every config passes keepalived -t, also as push checks it', async (file) => {
    const design = loadExample(file);
    for (const config of configsOf(design)) {
      const interfaces = [interfaceOf(design, config.host!)];
      const result = await checkKeepalived(config.content, interfaces);
      expect(result.output, `${file} ${config.host}`).toBe('');
      expect(result.ok).toBe(true);

      const temporary = '/etc/keepalived/.keepalived.conf.topoforge-new';
      const manifestCheck = await runIsolated(['sh', '-c', config.check!.replaceAll('{}', temporary)], {
        files: { [temporary]: config.content },
        tmpfs: ['/run'],
        interfaces,
      });
      expect(manifestCheck.output).toBe('');
      expect(manifestCheck.exitCode).toBe(0);
    }
  });
});

describe('what the configs promise', () => {
  const withVip = exampleFiles.filter((file) =>
    (loadExample(file).entrypoints ?? []).some((entrypoint) => entrypoint.via === 'vip'),
  );

  test('the examples with floating addresses are the ones expected', () => {
    expect(withVip).toEqual([
      'helix-teamhub.topo.json',
      'teramind-ha-broken.topo.json',
      'teramind-ha.topo.json',
      'tessera-ha.topo.json',
    ]);
  });

  test.each(withVip)('%s: each target host renders planVrrp for every entrypoint', (file) => {
    const design = loadExample(file);
    const index = indexDesign(design);
    const configs = configsOf(design);
    for (const entrypoint of index.entrypoints.filter((e) => e.via === 'vip')) {
      const address = design.entrypoints!.find((e) => e.id === entrypoint.id)!.address!;
      const plan = planVrrp(index, entrypoint);
      expect(plan.problems).toEqual([]);
      const rendered = plan.members.map((member) => {
        const config = configs.find((c) => c.host === member.host);
        expect(config, `${entrypoint.id} ${member.host}`).toBeDefined();
        expect(config!.path).toBe(KEEPALIVED_CONFIG_PATH);
        expect(config!.check).toBe(KEEPALIVED_CHECK);
        expect(config!.reload).toBe(KEEPALIVED_RELOAD);
        const instance = instancesOf(config!.content).find((i) => i.addresses.includes(address));
        expect(instance, `${entrypoint.id} on ${member.host}`).toBeDefined();
        const host = design.hosts.find((h) => h.id === member.host)!;
        const balancer = design.services.find((s) => s.id === member.service)!;
        expect(instance!.priority).toBe(member.priority);
        expect(instance!.tracks).toEqual([{ script: `check_${balancer.kind}`, weight: plan.weight }]);
        expect(instance!.interface).toBe(host.interface ?? 'eth0');
        expect(instance!.source).toBe(host.address);
        const others = plan.members.filter((m) => m.host !== member.host);
        expect(instance!.peers).toEqual(
          others.map((m) => design.hosts.find((h) => h.id === m.host)!.address),
        );
        expect(config!.content).toContain(`script "/usr/bin/pgrep -x ${balancer.kind}"`);
        return instance!;
      });

      // The address starts on the first target, and moves whenever that target's balancer dies.
      const [master, ...backups] = rendered;
      expect(master!.state).toBe('MASTER');
      for (const backup of backups) {
        expect(backup.state).toBe('BACKUP');
        expect(master!.priority + plan.weight).toBeLessThan(backup.priority);
        expect(backup.priority + plan.weight).toBeLessThan(master!.priority);
      }
      expect(new Set(rendered.map((i) => i.routerId)).size).toBe(1);
    }
    // Entrypoints sharing an address share one instance: one per address in each file.
    for (const config of configs) {
      const instances = instancesOf(config.content);
      expect(new Set(instances.flatMap((i) => i.addresses)).size).toBe(instances.length);
      expect(config.content).not.toMatch(/auth_pass|authentication/);
      // A master that yields after a partition heals sends one more advert, so the higher
      // priority announces the address again instead of leaving clients on the yielding host.
      expect(config.content).toMatch(/^global_defs \{[^}]*^ {4}vrrp_higher_prio_send_advert$/msu);
    }
  });

  test('router ids are distinct per address, and an address keeps its id when others come and go', () => {
    const addresses = Array.from({ length: 60 }, (_, n) => `10.70.${Math.floor(n / 20)}.${(n % 20) + 10}`);
    const build = (chosen: string[]): Design =>
      checkedDesign({
        format: 1,
        name: 'many addresses',
        hosts: chosen.flatMap((_, n) => [
          { id: `lb-${n}-a`, address: `10.80.${n}.1` },
          { id: `lb-${n}-b`, address: `10.80.${n}.2` },
        ]),
        services: chosen.flatMap((_, n) => [
          { id: `proxy-${n}-a`, kind: 'nginx', host: `lb-${n}-a` },
          { id: `proxy-${n}-b`, kind: 'nginx', host: `lb-${n}-b` },
        ]),
        entrypoints: chosen.map((address, n) => ({
          id: `entry-${n}`,
          port: 80,
          via: 'vip',
          address,
          targets: [`proxy-${n}-a`, `proxy-${n}-b`],
        })),
      });
    const all = floatingAddresses(indexDesign(build(addresses)));
    const ids = all.map((floating) => floating.routerId);
    expect(new Set(ids).size).toBe(addresses.length);
    for (const id of ids) expect(id).toBeGreaterThanOrEqual(1);
    for (const id of ids) expect(id).toBeLessThanOrEqual(255);
    const idOf = new Map(all.map((floating) => [floating.address, floating.routerId]));
    const some = floatingAddresses(indexDesign(build(addresses.filter((_, n) => n % 3 === 0))));
    const kept = some.filter((floating) => idOf.get(floating.address) === floating.routerId);
    // Only an address that collided with a dropped one may move.
    expect(kept.length).toBeGreaterThanOrEqual(some.length - 3);
  });

  test('router ids are unique within a site, so a design may float more than 255 addresses over its sites', () => {
    const sites = ['east', 'west'];
    const perSite = 150;
    const design = checkedDesign({
      format: 1,
      name: 'many sites',
      sites: sites.map((id) => ({ id })),
      hosts: sites.flatMap((site, s) =>
        Array.from({ length: perSite }, (_, n) => [
          { id: `${site}-${n}-a`, address: `10.${90 + s}.${n}.1`, site },
          { id: `${site}-${n}-b`, address: `10.${90 + s}.${n}.2`, site },
        ]).flat(),
      ),
      services: sites.flatMap((site) =>
        Array.from({ length: perSite }, (_, n) => [
          { id: `proxy-${site}-${n}-a`, kind: 'nginx', host: `${site}-${n}-a` },
          { id: `proxy-${site}-${n}-b`, kind: 'nginx', host: `${site}-${n}-b` },
        ]).flat(),
      ),
      entrypoints: sites.flatMap((site, s) =>
        Array.from({ length: perSite }, (_, n) => ({
          id: `entry-${site}-${n}`,
          port: 80,
          via: 'vip',
          address: `10.${95 + s}.${Math.floor(n / 200)}.${(n % 200) + 10}`,
          targets: [`proxy-${site}-${n}-a`, `proxy-${site}-${n}-b`],
        })),
      ),
    });
    const all = floatingAddresses(indexDesign(design));
    expect(all).toHaveLength(sites.length * perSite);
    for (const [s, site] of sites.entries()) {
      const inSite = all.filter((floating) => floating.address.startsWith(`10.${95 + s}.`));
      expect(new Set(inSite.map((floating) => floating.routerId)).size, site).toBe(perSite);
    }
  });

  test('examples without floating addresses get no keepalived config', () => {
    for (const file of exampleFiles.filter((f) => !withVip.includes(f))) {
      expect(configsOf(loadExample(file))).toEqual([]);
    }
  });

  test('the same design gives byte-identical configs', () => {
    for (const file of withVip) expect(configsOf(loadExample(file))).toEqual(configsOf(loadExample(file)));
  });

  test('hosts named by DNS fall back to multicast; IPv6 addresses use VRRP version 3', () => {
    const configs = configsOf(
      checkedDesign({
        format: 1,
        name: 'families',
        hosts: [
          { id: 'lb-1', address: 'lb-1.example.com' },
          { id: 'lb-2', address: 'lb-2.example.com' },
          { id: 'lb-3', address: 'fd00::11' },
          { id: 'lb-4', address: 'fd00::12' },
        ],
        services: [
          { id: 'a', kind: 'haproxy', host: 'lb-1' },
          { id: 'b', kind: 'haproxy', host: 'lb-2' },
          { id: 'c', kind: 'nginx', host: 'lb-3' },
          { id: 'd', kind: 'nginx', host: 'lb-4' },
        ],
        entrypoints: [
          { id: 'named', port: 80, via: 'vip', address: '10.0.0.10', targets: ['a', 'b'] },
          { id: 'six', port: 80, via: 'vip', address: 'fd00::10', targets: ['c', 'd'] },
          { id: 'six-again', port: 443, via: 'vip', address: 'FD00:0::10', targets: ['c', 'd'] },
        ],
      }),
    );
    const [first, , third] = configs.map((config) => config.content);
    expect(first).not.toContain('unicast');
    expect(third).toContain('version 3');
    expect(third).toContain('unicast_src_ip fd00::11');
    expect(instancesOf(third!)).toHaveLength(1);
  });
});

const HOSTILE_INTERFACES = [
  'br_lan',
  'eth0.100',
  'en-p1s0',
  'A1',
  'eth0 }',
  'eth0;',
  'eth#0',
  '"eth0"',
  'eth0{',
  'a/b',
  '',
  'sixteen-chars-xx',
  '..',
  'eth!0',
  'eth0\nvrrp_instance',
];

const HOSTILE_NAMES = [
  'ends with a backslash \\',
  'a } vrrp_instance evil { priority 254',
  '# ! $X ${Y} @host ~SEQ(x,1,2) include /etc/passwd',
  '"quoted" \'single\'',
  'line\nvrrp_instance evil {',
];

/** A two-balancer design whose strings are `text` and whose first host uses `interfaceName`. */
function pairDesign(options: { interfaceName?: string; text?: string }): unknown {
  const text = options.text ?? 'plain';
  return {
    format: 1,
    name: text,
    hosts: [
      {
        id: 'lb-1',
        address: '10.90.0.11',
        label: text,
        ...(options.interfaceName === undefined ? {} : { interface: options.interfaceName }),
      },
      { id: 'lb-2', address: '10.90.0.12' },
    ],
    services: [
      { id: 'proxy-a', kind: 'haproxy', host: 'lb-1', label: text },
      { id: 'proxy-b', kind: 'haproxy', host: 'lb-2', label: text },
    ],
    entrypoints: [
      {
        id: 'web',
        label: text,
        port: 443,
        via: 'vip',
        address: '10.90.0.10',
        targets: ['proxy-a', 'proxy-b'],
      },
    ],
  };
}

describe.skipIf(!requireTool('keepalived'))('hostile values', () => {
  /** Generates lb-1's config from `raw` (past the schema, too), or the error that refuses it. */
  function firstConfig(raw: Design): BundleFile | UnsafeValueError {
    return generatedOrRefused(() => configsOf(raw)[0]!);
  }

  test.each(HOSTILE_INTERFACES)('interface %j: refused, or used exactly', async (interfaceName) => {
    const raw = pairDesign({ interfaceName });
    const schema = checkDesign(raw);
    for (const candidate of throughAndPastSchema(raw)) {
      const config = firstConfig(candidate);
      if (config instanceof UnsafeValueError) continue;
      // The lab can create only names Linux accepts; keepalived must then find exactly that one.
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(interfaceName) || /^\.\.?$/.test(interfaceName)) {
        expect(schema.ok, `${interfaceName} passed the schema but is no Linux interface`).toBe(false);
        const result = await checkKeepalived(config.content, ['eth0']);
        expect(result.ok).toBe(false);
        continue;
      }
      const result = await checkKeepalived(config.content, [interfaceName]);
      expect(result.output).toBe('');
      const [dumped] = await dumpKeepalived(config.content, [interfaceName]);
      expect(dumped!.interface).toBe(interfaceName);
      expect(dumped!.priority).toBe(150);
    }
  });

  test.each(HOSTILE_NAMES)('design name and labels %j: comments only', async (text) => {
    const raw = pairDesign({ text });
    for (const candidate of throughAndPastSchema(raw)) {
      const config = firstConfig(candidate);
      if (config instanceof UnsafeValueError) continue;
      const result = await checkKeepalived(config.content, ['eth0']);
      expect(result.output).toBe('');
      const dumped = await dumpKeepalived(config.content, ['eth0']);
      expect(dumped).toEqual([
        {
          name: 'web',
          interface: 'eth0',
          routerId: floatingAddresses(indexDesign(candidate))[0]!.routerId,
          priority: 150,
          addresses: ['10.90.0.10'],
          peers: ['10.90.0.12'],
          tracks: ['check_haproxy'],
        },
      ]);
    }
  });
});

/** Random designs: pairs of balancers behind floating addresses, and apps with commands. */
const randomDesign = fc
  .record({
    pairs: fc.array(
      fc.record({
        kind: fc.constantFrom('nginx', 'haproxy'),
        family: fc.constantFrom('ipv4', 'ipv6', 'named'),
        // Ending in a digit: the lab creates interfaces with `ip link add NAME`, which takes a
        // prefix of one of its keywords (`a`, `br`, `type`) as that keyword.
        interfaceName: fc.stringMatching(/^[a-z][a-z0-9_]{0,9}[0-9]$/),
        entrypoints: fc.integer({ min: 1, max: 3 }),
        label: fc.oneof(
          fc.string({ minLength: 1, maxLength: 30 }),
          fc.constantFrom('100% é ✓ 漢字', 'ends with \\', '} vrrp_instance x {', '# $X ${Y} @z'),
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    commands: fc.array(
      fc.record({
        program: fc.stringMatching(/^[A-Za-z0-9._@+-]{1,12}$/).filter((s) => s !== '.' && s !== '..'),
        words: fc.array(fc.stringMatching(/^[A-Za-z0-9._@+/=:,%-]{1,10}$/), { maxLength: 4 }),
        port: fc.integer({ min: 1, max: 65535 }),
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ pairs, commands }) => {
    const hosts: Record<string, unknown>[] = [];
    const services: Record<string, unknown>[] = [];
    const entrypoints: Record<string, unknown>[] = [];
    pairs.forEach((pair, n) => {
      for (const side of ['a', 'b']) {
        const last = side === 'a' ? 11 : 12;
        const address =
          pair.family === 'ipv4'
            ? `10.91.${n}.${last}`
            : pair.family === 'ipv6'
              ? `fd00:${n}::${last}`
              : `lb-${n}${side}.example.com`;
        hosts.push({ id: `lb-${n}${side}`, address, interface: pair.interfaceName });
        services.push({
          id: `proxy-${n}${side}`,
          kind: pair.kind,
          host: `lb-${n}${side}`,
          label: pair.label,
        });
      }
      const floating = pair.family === 'ipv6' ? `fd00:${n}::10` : `10.91.${n}.10`;
      for (let e = 0; e < pair.entrypoints; e += 1) {
        entrypoints.push({
          id: `entry-${n}-${e}`,
          label: pair.label,
          port: 8000 + e,
          via: 'vip',
          address: floating,
          targets: [`proxy-${n}a`, `proxy-${n}b`],
        });
      }
    });
    commands.forEach((command, n) => {
      hosts.push({ id: `app-${n}`, address: `10.92.0.${n + 1}` });
      services.push({
        id: `job-${n}`,
        kind: 'app',
        host: `app-${n}`,
        port: command.port,
        command: [`/opt/${command.program}/bin/run`, ...command.words].join(' '),
      });
    });
    return { format: 1, name: 'random', hosts, services, entrypoints };
  });

describe.skipIf(!requireTool('keepalived') || !requireTool('systemd-analyze'))('random designs', () => {
  test('every generated keepalived config and unit passes the real tools', async () => {
    await fc.assert(
      fc.asyncProperty(randomDesign, async (raw) => {
        const design = checkedDesign(raw);
        const index = indexDesign(design);
        for (const config of generateKeepalived({ index })) {
          const result = await checkKeepalived(config.content, [interfaceOf(design, config.host!)]);
          expect(result.output).toBe('');
        }
        const units = generateSystemd({ index });
        for (const host of new Set(units.map((unit) => unit.host!))) {
          const files = Object.fromEntries(
            units.filter((unit) => unit.host === host).map((unit) => [basename(unit.path), unit.content]),
          );
          const result = await verifySystemdUnits(files);
          expect(result.output).toBe('');
        }
      }),
      { numRuns: 15, seed: 20_260_422 },
    );
  }, 60_000);
});
