/**
 * The systemd generator against the real systemd: every unit of every example passes
 * `systemd-analyze verify` (and the manifest's own check command), every service unit rates 4.0
 * or lower in `systemd-analyze security`, and what a user relies on is there: restart limits,
 * daemon paths shared with the config generators, NFS mounts before the services that use them.
 *
 * Hostile values are read back from systemd itself: `systemd --test` (the manager in test mode,
 * run unprivileged) dumps each unit as the manager parsed it, so a test compares the ExecStart argv,
 * Description, What= and Where= that systemd would use with what the design says.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { indexDesign } from '../../core/design-index';
import type { BundleFile } from '../../core/generate/bundle';
import { daemonConfigPath, daemonUnitName } from '../../core/generate/context';
import type { DaemonKind } from '../../core/generate/context';
import { mongodPathsOf } from '../../core/generate/mongodb';
import type { MongodService } from '../../core/generate/mongodb';
import { UnsafeValueError } from '../../core/generate/quote';
import { commandWords } from '../../core/generate/systemd/command';
import { escapeSystemdPath, mountUnitName, simplifyPath } from '../../core/generate/systemd/names';
import { generateSystemd } from '../../core/generate/systemd';
import { checkDesign } from '../../core/load';
import type { Design, Service } from '../../core/model';
import { checkedDesign, exampleFiles, loadExample } from '../fixtures/examples';
import { runCommand, runIsolated } from '../lab/namespace';
import type { LabFiles } from '../lab/namespace';
import { requireTool, systemdSecurityScore, verifySystemdUnits } from '../lab/tools';
import { generatedOrRefused, throughAndPastSchema } from './injection';

function unitsOf(design: Design): BundleFile[] {
  return generateSystemd({ index: indexDesign(design) });
}

function unitNameOf(file: BundleFile): string {
  return basename(file.path);
}

/** The settings of a unit file as `section → key → values`, in file order. */
function readUnit(content: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of content.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const equals = line.indexOf('=');
    if (!current || equals < 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, equals);
    current.set(key, [...(current.get(key) ?? []), line.slice(equals + 1)]);
  }
  return sections;
}

function setting(content: string, section: string, key: string): string[] {
  return readUnit(content).get(section)?.get(key) ?? [];
}

const SYSTEMD_MANAGER = '/lib/systemd/systemd';

/** Like `requireTool`: false locally when the manager binary is missing, an error in CI. */
function requireSystemdManager(): boolean {
  if (existsSync(SYSTEMD_MANAGER)) return true;
  if (process.env.CI === 'true') throw new Error(`${SYSTEMD_MANAGER} is missing: install systemd`);
  return false;
}

/** A unit as systemd's manager parsed it, from the `systemd --test` dump. */
interface ParsedUnit {
  description: string | undefined;
  /** ExecStart argv as it reaches the program: systemd's quoting undone, `$$` already `$`. */
  execStart: string[][];
  what: string | undefined;
  where: string | undefined;
  options: string | undefined;
}

/** Splits a `Command Line:` of the dump: words in double quotes carry `\` escapes. */
function splitDumpedCommand(line: string): string[] {
  const words: string[] = [];
  let position = 0;
  while (position < line.length) {
    if (line[position] === ' ') {
      position += 1;
      continue;
    }
    let word = '';
    if (line[position] === '"') {
      position += 1;
      while (position < line.length && line[position] !== '"') {
        if (line[position] === '\\') position += 1;
        word += line[position];
        position += 1;
      }
      position += 1;
    } else {
      while (position < line.length && line[position] !== ' ') word += line[position++];
    }
    words.push(word);
  }
  return words;
}

/** What systemd does to an argument at exec time: `$$` becomes `$`; any other `$` would expand. */
function expandAtExec(word: string): string {
  if (/\$(?!\$)/.test(word.replace(/\$\$/g, ''))) throw new Error(`${word} would expand a variable`);
  return word.replace(/\$\$/g, '$');
}

/**
 * Loads `units` into systemd's manager in test mode (`systemd --test --system`, which refuses to
 * run as root: it runs as nobody) and returns how it parsed `unitName`.
 */
async function parseWithSystemd(units: Record<string, string>, unitName: string): Promise<ParsedUnit> {
  const directory = mkdtempSync(join(tmpdir(), 'topoforge-units-'));
  try {
    chmodSync(directory, 0o755);
    for (const [name, content] of Object.entries(units))
      writeFileSync(join(directory, name), content, { mode: 0o644 });
    const result = await runCommand('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'env',
      'SYSTEMD_LOG_TARGET=console',
      `SYSTEMD_UNIT_PATH=${directory}:`,
      SYSTEMD_MANAGER,
      '--test',
      '--system',
      `--unit=${unitName}`,
      '--no-pager',
    ]);
    const lines = result.stdout.split('\n');
    const start = lines.findIndex((line) => line === `\t-> Unit ${unitName}:`);
    if (start < 0) throw new Error(`systemd did not load ${unitName}:\n${result.output.slice(-3000)}`);
    const end = lines.findIndex((line, index) => index > start && /^\t-> Unit /.test(line));
    const block = lines.slice(start + 1, end < 0 ? undefined : end);
    const field = (name: string): string | undefined =>
      block.find((line) => line.startsWith(`\t\t${name}: `))?.slice(name.length + 4);
    const execStart: string[][] = [];
    block.forEach((line, index) => {
      if (line !== '\t\t-> ExecStart:') return;
      for (const next of block.slice(index + 1)) {
        const command = /^\t\t\tCommand Line: (.*)$/.exec(next);
        if (command) execStart.push(splitDumpedCommand(command[1]!).map(expandAtExec));
        else if (!next.startsWith('\t\t\t')) break;
      }
    });
    return {
      description: field('Description'),
      execStart,
      what: field('What'),
      where: field('Where'),
      options: field('Options'),
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Absolute ExecStart programs of a unit that this machine lacks, stubbed for a check. */
function stubsFor(content: string): LabFiles {
  const stubs: LabFiles = {};
  for (const value of setting(content, 'Service', 'ExecStart')) {
    const program = value.split(' ')[0]!;
    if (program.startsWith('/') && !existsSync(program))
      stubs[program] = { content: '#!/bin/sh\n', mode: 0o755 };
  }
  return stubs;
}

/**
 * Runs a file's manifest `check` as push does: on a temporary file beside its destination, whose
 * name lacks the unit suffix.
 */
async function runManifestCheck(
  file: BundleFile,
  extraFiles: LabFiles = {},
): Promise<{ ok: boolean; output: string }> {
  const temporary = `${file.path.slice(0, file.path.lastIndexOf('/'))}/.topoforge-check-${file.path.length}.new`;
  const command = file.check!.replaceAll('{}', temporary);
  const result = await runIsolated(['sh', '-c', command], {
    files: { ...extraFiles, ...stubsFor(file.content), [temporary]: file.content },
  });
  return { ok: result.exitCode === 0 && result.stderr.trim() === '', output: result.output };
}

function design(services: Record<string, unknown>[], extra: Record<string, unknown> = {}): unknown {
  const hosts = [...new Set(services.map((s) => s.host).filter((h): h is string => typeof h === 'string'))];
  return {
    format: 1,
    name: 'injection',
    hosts: hosts.map((id, position) => ({ id, address: `10.9.0.${position + 1}` })),
    services,
    ...extra,
  };
}

describe('escapeSystemdPath', () => {
  test.skipIf(!requireTool('systemd-analyze'))(
    'names mount units exactly as `systemd-escape --path` does',
    async () => {
      const fixed = [
        '/var/opt/hth/shared',
        '/mnt/teramind',
        '/mnt/my-share',
        '/srv/.hidden',
        '/.dot',
        '/srv/a@b+c',
        '/mnt//x/./y/',
        '/mnt/a:b_c.d',
        '/',
        '/mnt/ünï',
      ];
      const random = fc.sample(
        fc
          .array(fc.stringMatching(/^[A-Za-z0-9._@+-]{1,12}$/), { minLength: 1, maxLength: 4 })
          .filter((segments) => !segments.includes('..'))
          .map((segments) => `/${segments.join('/')}`),
        { numRuns: 150, seed: 7 },
      );
      const paths = [...fixed, ...random];
      const result = await runCommand('systemd-escape', ['--path', '--', ...paths]);
      expect(result.stderr).toBe('');
      expect(paths.map(escapeSystemdPath)).toEqual(result.stdout.trim().split(' '));
    },
  );

  test('simplifies as systemd does and refuses what systemd refuses', () => {
    expect(simplifyPath('/mnt//x/./y/')).toBe('/mnt/x/y');
    expect(mountUnitName('/var/opt/hth/shared')).toBe('var-opt-hth-shared.mount');
    expect(() => escapeSystemdPath('/mnt/../etc')).toThrow(UnsafeValueError);
    expect(() => escapeSystemdPath('mnt/x')).toThrow(UnsafeValueError);
    expect(() => mountUnitName(`/${'-'.repeat(70)}`)).toThrow(UnsafeValueError);
  });
});

describe.skipIf(!requireTool('systemd-analyze'))('systemd units of every example', () => {
  const stubbedPrograms = new Set<string>();

  test.each(exampleFiles)('%s: every unit passes systemd-analyze verify', async (file) => {
    const units = unitsOf(loadExample(file));
    const hosts = [...new Set(units.map((unit) => unit.host!))];
    for (const host of hosts) {
      const files = Object.fromEntries(
        units.filter((unit) => unit.host === host).map((unit) => [unitNameOf(unit), unit.content]),
      );
      const result = await verifySystemdUnits(files);
      expect(result.output, `${file} ${host}`).toBe('');
      expect(result.ok).toBe(true);
      for (const program of result.stubbed) stubbedPrograms.add(program);
    }
    // The programs of the examples that this lab lacks, stubbed by the harness: an app's own
    // binary, Docker and MongoDB (which cannot be installed here). Redis is real.
    for (const program of stubbedPrograms) {
      expect([
        '/opt/teramind/bin/appserver',
        '/opt/tessera/bin/tessera',
        '/usr/bin/docker',
        '/usr/bin/mongod',
      ]).toContain(program);
    }
  });

  test.each(exampleFiles)('%s: the manifest check passes on the file as push places it', async (file) => {
    for (const unit of unitsOf(loadExample(file))) {
      const result = await runManifestCheck(unit);
      expect(result.output, `${file} ${unit.host} ${unit.path}`).toBe('');
      expect(result.ok).toBe(true);
    }
  });

  test.each(exampleFiles)(
    '%s: every service unit rates 4.0 or lower in systemd-analyze security',
    async (file) => {
      for (const unit of unitsOf(loadExample(file)).filter((u) => u.path.endsWith('.service'))) {
        const score = await systemdSecurityScore(unitNameOf(unit), unit.content);
        expect(score, `${file} ${unit.host} ${unit.path}`).toBeLessThanOrEqual(4);
      }
    },
  );
});

describe('what the units promise', () => {
  test('every hosted service with a command gets <id>.service running that command, restarted with a limit', () => {
    for (const file of exampleFiles) {
      const example = loadExample(file);
      const units = unitsOf(example);
      for (const service of example.services) {
        if (!('command' in service) || service.command === undefined || service.host === undefined) continue;
        if (service.kind === 'sentinel') continue;
        const unit = units.find(
          (u) => u.host === service.host && u.path === `/etc/systemd/system/${service.id}.service`,
        );
        expect(unit, `${file} ${service.id}`).toBeDefined();
        const content = unit!.content;
        expect(setting(content, 'Service', 'ExecStart')).toEqual([service.command]);
        expect(setting(content, 'Service', 'Restart')).toEqual(['on-failure']);
        expect(setting(content, 'Service', 'RestartSec')).toEqual(['5s']);
        expect(setting(content, 'Unit', 'StartLimitIntervalSec')).toEqual(['300s']);
        expect(setting(content, 'Unit', 'StartLimitBurst')).toEqual(['5']);
        expect(setting(content, 'Unit', 'Description')).toEqual([
          service.label ?? `${service.kind} ${service.id}`,
        ]);
        expect(content).toContain(
          `# Runs the command of ${service.kind} ${service.id} on host ${service.host}.`,
        );
        expect(unit!.check).toBe(`systemd-analyze verify --man=no {}:${service.id}.service`);
      }
    }
  });

  test('mongod, Redis and Sentinel units use the shared unit names and config paths', () => {
    const teramind = indexDesign(loadExample('teramind-ha.topo.json'));
    const expertflow = indexDesign(loadExample('expertflow-two-sites.topo.json'));
    for (const index of [teramind, expertflow]) {
      const units = generateSystemd({ index });
      for (const service of index.design.services) {
        if (!['mongodb', 'arbiter', 'redis', 'sentinel'].includes(service.kind)) continue;
        const daemon = service as Service & { kind: DaemonKind };
        const unit = units.find(
          (u) => u.host === service.host && u.path === `/etc/systemd/system/${daemonUnitName(index, daemon)}`,
        );
        expect(unit, service.id).toBeDefined();
        const config = daemonConfigPath(index, daemon);
        const execStart = {
          mongodb: `/usr/bin/mongod --config ${config}`,
          arbiter: `/usr/bin/mongod --config ${config}`,
          redis: `/usr/bin/redis-server ${config} --supervised systemd --daemonize no`,
          sentinel: `/usr/bin/redis-sentinel ${config} --supervised systemd --daemonize no`,
        }[daemon.kind];
        expect(setting(unit!.content, 'Service', 'ExecStart')).toEqual([execStart]);
        if (daemon.kind === 'redis' || daemon.kind === 'sentinel') {
          // Both rewrite their config file at run time: its directory must stay writable.
          expect(setting(unit!.content, 'Service', 'ReadWritePaths')).toEqual(['/etc/redis']);
          expect(setting(unit!.content, 'Service', 'StateDirectory')).toEqual(['redis']);
          expect(setting(unit!.content, 'Service', 'Type')).toEqual(['notify']);
          expect(setting(unit!.content, 'Service', 'User')).toEqual(['redis']);
        } else {
          // systemd creates the dbPath the mongodb generator chose and gives it to mongodb.
          const paths = mongodPathsOf(index, daemon as MongodService);
          expect(setting(unit!.content, 'Service', 'StateDirectory')).toEqual([
            paths.dbPath.replace('/var/lib/', ''),
          ]);
          expect(setting(unit!.content, 'Service', 'LogsDirectory')).toEqual(['mongodb']);
          expect(paths.logPath.startsWith('/var/log/mongodb/')).toBe(true);
          expect(setting(unit!.content, 'Service', 'User')).toEqual(['mongodb']);
        }
      }
    }
  });

  test('two Redis servers on one host get one unit each, named after the service', () => {
    const index = indexDesign(
      checkedDesign(
        design(
          [
            { id: 'cache-a', kind: 'redis', host: 'node-1', group: 'cache', primary: true },
            { id: 'cache-b', kind: 'redis', host: 'node-1', group: 'cache', port: 6380 },
          ],
          { groups: [{ id: 'cache', kind: 'redis-sentinel' }] },
        ),
      ),
    );
    const names = generateSystemd({ index }).map((unit) => unit.path);
    expect(names).toEqual([
      '/etc/systemd/system/redis-cache-a.service',
      '/etc/systemd/system/redis-cache-b.service',
    ]);
  });

  test('Helix web servers mount the shared storage; a service that uses it requires the mount', () => {
    const helix = loadExample('helix-teamhub.topo.json');
    const units = unitsOf(helix);
    for (const host of ['web-1', 'web-2']) {
      const mount = units.find(
        (u) => u.host === host && u.path === '/etc/systemd/system/var-opt-hth-shared.mount',
      );
      expect(mount, host).toBeDefined();
      expect(setting(mount!.content, 'Mount', 'What')).toEqual(['10.60.5.10:/export/hth-shared']);
      expect(setting(mount!.content, 'Mount', 'Where')).toEqual(['/var/opt/hth/shared']);
      expect(setting(mount!.content, 'Mount', 'Type')).toEqual(['nfs']);
      expect(setting(mount!.content, 'Mount', 'Options')[0]!.split(',')).toContain('_netdev');
      expect(mount!.reload).toBe('systemctl enable --now var-opt-hth-shared.mount');
    }
    expect(units.filter((u) => u.host === 'lb-1' || u.host === 'lb-2')).toEqual([]);

    // The example's web servers are installed by their package and have no command; with one,
    // their unit waits for the share and may write to it.
    const withCommands = structuredClone(helix);
    for (const service of withCommands.services) {
      if (service.kind === 'app') service.command = '/opt/hth/bin/hth-web --port 80';
    }
    const web = unitsOf(withCommands).find((u) => u.host === 'web-1' && u.path.endsWith('/web-a.service'));
    expect(setting(web!.content, 'Unit', 'RequiresMountsFor')).toEqual(['/var/opt/hth/shared']);
    expect(setting(web!.content, 'Service', 'ReadWritePaths')).toContain('/var/opt/hth/shared');
    expect(setting(web!.content, 'Service', 'CapabilityBoundingSet')).toEqual(['CAP_NET_BIND_SERVICE']);
  });

  test('Teramind nodes require /mnt/teramind before they start', () => {
    const units = unitsOf(loadExample('teramind-ha.topo.json'));
    for (const host of ['tm-1', 'tm-2', 'tm-3', 'tm-4', 'tm-5']) {
      expect(units.some((u) => u.host === host && u.path === '/etc/systemd/system/mnt-teramind.mount')).toBe(
        true,
      );
      const node = units.find((u) => u.host === host && /\/node-\d\.service$/.test(u.path));
      expect(setting(node!.content, 'Unit', 'RequiresMountsFor')).toEqual(['/mnt/teramind']);
    }
  });

  test('a cold standby is not enabled: push only restarts it if a person has started it', () => {
    const index = indexDesign(
      checkedDesign(
        design([
          { id: 'rep-a', kind: 'reporting', host: 'rep-1', command: '/opt/rep/bin/serve' },
          {
            id: 'rep-b',
            kind: 'reporting',
            host: 'rep-2',
            command: '/opt/rep/bin/serve',
            mode: 'cold-standby',
          },
        ]),
      ),
    );
    const [active, standby] = generateSystemd({ index });
    expect(active!.reload).toBe(`sh -c 'systemctl enable rep-a.service && systemctl restart rep-a.service'`);
    expect(standby!.reload).toBe('systemctl try-restart rep-b.service');
    expect(standby!.content).toContain('# Cold standby: not enabled');
  });

  test('a service behind nginx or HAProxy may hold as many connections as the balancers open to it', () => {
    const index = indexDesign(
      checkedDesign(
        design(
          [
            { id: 'edge', kind: 'nginx', host: 'lb-1' },
            { id: 'web', kind: 'app', host: 'app-1', port: 8080, command: '/opt/web/bin/serve' },
            { id: 'pool-a', kind: 'app', host: 'app-2', port: 8080, group: 'workers', command: '/opt/w/run' },
            { id: 'queue', kind: 'app', host: 'app-3', port: 5672, command: '/opt/queue/bin/run' },
          ],
          {
            groups: [{ id: 'workers', kind: 'pool' }],
            links: [
              { from: 'edge', to: 'web' },
              { from: 'edge', to: 'workers' },
              { from: 'web', to: 'queue' },
            ],
          },
        ),
      ),
    );
    const limits = new Map(
      generateSystemd({ index }).map((unit) => [
        unitNameOf(unit),
        setting(unit.content, 'Service', 'LimitNOFILE'),
      ]),
    );
    expect(limits).toEqual(
      new Map([
        ['web.service', ['65536']],
        ['pool-a.service', ['65536']],
        // Only the web app talks to the queue: the default limit is enough there.
        ['queue.service', []],
      ]),
    );
    const web = generateSystemd({ index }).find((unit) => unitNameOf(unit) === 'web.service')!;
    expect(web.content).toContain('# LimitNOFILE=65536: balancers send it traffic');
  });

  test('the same design gives byte-identical units', () => {
    for (const file of exampleFiles) {
      const first = unitsOf(loadExample(file));
      const second = unitsOf(loadExample(file));
      expect(second).toEqual(first);
    }
  });
});

const HOSTILE_COMMANDS = [
  '/opt/app/bin/run --format 100%n %h %% --rate=50%',
  '/opt/app/bin/run $HOME ${PATH} $$ a$b',
  `/opt/app/bin/run "quoted arg" 'single quoted'`,
  '/opt/app/bin/run a;b ; /bin/sh -c reboot',
  '/opt/app/bin/run\nExecStartPre=/bin/sh -c reboot',
  '/opt/app/bin/run a\\b \\; \\x41 \\',
  '/opt/app/bin/run `id` $(id)',
  '/opt/app/bin/run\ttab',
  '/opt/app/bin/run é ✓',
  '/opt/app/bin/run --opt=a,b:c -x',
  '-/opt/app/bin/run',
  '@/bin/sh sh -c reboot',
  'run-relative --x',
];

const HOSTILE_TEXT = [
  '100% sure: %n %H %%',
  '$HOME ${PATH} $$',
  'a\\b and c\\\\d',
  'ends with a backslash \\',
  '"quoted" and \'single\'',
  '[Service]',
  'ExecStartPre=/bin/sh -c reboot',
  '# not a comment ; nor this',
  'line\nExecStartPre=/bin/sh',
  'separator\u2028ExecStartPre=/bin/sh',
  'unicode é ✓ 漢字',
];

describe.skipIf(!requireTool('systemd-analyze') || !requireSystemdManager())('hostile values', () => {
  /** Generates the command unit of an app, or the error that refuses it. */
  function commandUnit(value: Design): BundleFile | UnsafeValueError {
    return generatedOrRefused(() => {
      const unit = unitsOf(value).find((u) => u.path.endsWith('/app.service'));
      if (!unit) throw new Error('no unit');
      return unit;
    });
  }

  test.each(HOSTILE_COMMANDS)('command %j: refused, or run with exactly its words', async (command) => {
    const raw = design([{ id: 'app', kind: 'app', host: 'node-1', command }]);
    for (const candidate of throughAndPastSchema(raw)) {
      const unit = commandUnit(candidate);
      if (unit instanceof UnsafeValueError) continue;
      const check = await runManifestCheck(unit);
      expect(check.output).toBe('');
      const parsed = await parseWithSystemd({ 'app.service': unit.content }, 'app.service');
      expect(parsed.execStart).toEqual([commandWords(command)]);
    }
    const schema = checkDesign(raw);
    if (schema.ok) expect(commandUnit(schema.design)).not.toBeInstanceOf(UnsafeValueError);
  });

  test.each(HOSTILE_TEXT)('label and design name %j: refused, or shown as text only', async (text) => {
    const raw = {
      ...(design([
        { id: 'app', kind: 'app', host: 'node-1', command: '/opt/app/bin/run', label: text },
      ]) as object),
      name: text,
    };
    for (const candidate of throughAndPastSchema(raw)) {
      const unit = commandUnit(candidate);
      if (unit instanceof UnsafeValueError) continue;
      const check = await runManifestCheck(unit);
      expect(check.output).toBe('');
      const parsed = await parseWithSystemd({ 'app.service': unit.content }, 'app.service');
      expect(parsed.execStart).toEqual([['/opt/app/bin/run']]);
      // Description= expands specifiers but does not unescape: systemdText doubles `\` (which
      // keeps a trailing one from continuing the line), so a backslash shows doubled.
      expect(parsed.description).toBe(text.replace(/\\/g, '\\\\'));
    }
  });

  const MOUNT_POINTS = [
    '/mnt/my-share',
    '/srv/.hidden',
    '/srv/a@b+c',
    '/mnt//x/./y/',
    '/mnt/a b',
    '/mnt/$x',
    '/mnt/%n',
    '/mnt/../etc',
    '/mnt/a\\b',
    '/mnt/a"b',
    '/mnt/a;b',
    'mnt/relative',
    '/',
  ];

  test.each(MOUNT_POINTS)('mountPoint %j: refused, or mounted exactly there', async (mountPoint) => {
    const raw = design(
      [
        { id: 'share', kind: 'storage', type: 'nfs', endpoint: '10.9.5.1:/export/share', mountPoint },
        { id: 'app', kind: 'app', host: 'node-1', command: '/opt/app/bin/run' },
      ],
      { links: [{ from: 'app', to: 'share', kind: 'uses' }] },
    );
    for (const candidate of throughAndPastSchema(raw)) {
      const units = generatedOrRefused(() => unitsOf(candidate));
      if (units instanceof UnsafeValueError) continue;
      const mount = units.find((u) => u.path.endsWith('.mount'))!;
      const app = units.find((u) => u.path.endsWith('/app.service'))!;
      const name = unitNameOf(mount);
      const escaped = await runCommand('systemd-escape', ['--path', '--suffix=mount', '--', mountPoint]);
      expect(name).toBe(escaped.stdout.trim());
      for (const file of [mount, app]) {
        const check = await runManifestCheck(file);
        expect(check.output).toBe('');
      }
      const parsed = await parseWithSystemd({ [name]: mount.content }, name);
      expect(parsed.where).toBe(simplifyPath(mountPoint));
      expect(parsed.what).toBe('10.9.5.1:/export/share');
      expect(parsed.options).toBe('_netdev,nofail,hard,noatime');
      expect(setting(app.content, 'Unit', 'RequiresMountsFor')).toEqual([simplifyPath(mountPoint)]);
    }
  });

  const ENDPOINTS = [
    '[fd00::5]:/export/a',
    'nfs.example.com:/export/a-b@c+d',
    '10.9.5.1:/',
    '10.9.5.1:/x y',
    '10.9.5.1:/x%n',
    '10.9.5.1:/x;y',
    'host:/a$b',
    '10.9.5.1:/a\nWhat=/dev/sda',
    'host:/a\\b',
  ];

  test.each(ENDPOINTS)('endpoint %j: refused, or mounted from exactly there', async (endpoint) => {
    const raw = design(
      [
        { id: 'share', kind: 'storage', type: 'nfs', endpoint },
        { id: 'app', kind: 'app', host: 'node-1' },
      ],
      { links: [{ from: 'app', to: 'share', kind: 'uses' }] },
    );
    for (const candidate of throughAndPastSchema(raw)) {
      const units = generatedOrRefused(() => unitsOf(candidate));
      if (units instanceof UnsafeValueError) continue;
      const [mount] = units;
      expect(unitNameOf(mount!)).toBe('mnt-share.mount');
      const check = await runManifestCheck(mount!);
      expect(check.output).toBe('');
      const parsed = await parseWithSystemd({ 'mnt-share.mount': mount!.content }, 'mnt-share.mount');
      expect(parsed.what).toBe(endpoint);
      expect(parsed.where).toBe('/mnt/share');
    }
  });
});
