/**
 * Issue 19: the first push to a fresh lab VM succeeds, or stops in the plan with one line per
 * missing prerequisite. Every seed example is generated with its hosts mapped to fresh lab hosts
 * (test/lab/sshd.ts with `ssh.root` `/`: the real paths, in a private overlay over `/etc` and
 * `/var/lib`; nginx, HAProxy, keepalived and Redis installed as on this machine, no vendor
 * software, no certificates, the machine's interfaces) and pushed with `--lab-certs`; the real
 * checks run on each host. A second push changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../core/generate/bundle';
import { generateBundle } from '../../core/generate/index';
import type { Design } from '../../core/model';
import type { HostReport, PushReport } from '../../core/push';
import { nodeSha256 } from '../../deploy/hash';
import { writeBundle } from '../../deploy/write-bundle';
import { checkedDesign, loadExample } from '../fixtures/examples';
import { labInterface, requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab, SshLabHost } from '../lab/sshd';
import { removeTemporaryFolderSync, temporaryFolderSync } from '../lab/temporary';
import { pushCli } from './push-lab';

const enabled = requireSshd();
const scratch = temporaryFolderSync('topoforge-prerequisites-');
afterAll(() => removeTemporaryFolderSync(scratch));
let bundles = 0;

/**
 * Files that put a private overlay over `/etc` and `/var/lib` inside each lab host: push writes
 * the real paths (configs, units, certificates, its lock) and the machine never sees them.
 */
const FRESH_HOST = {
  '/etc/topoforge-lab-host': 'a fresh lab host\n',
  '/var/lib/topoforge-lab-host': 'a fresh lab host\n',
};

/** A lab of `count` fresh hosts, each on its own loopback address. */
async function freshLab(count: number, options: { sudo?: boolean } = {}): Promise<SshLab> {
  return startSshLab({
    hosts: count,
    addresses: Array.from({ length: count }, (_, index) => `127.0.19.${index + 1}`),
    files: FRESH_HOST,
    ...options,
  });
}

/** `design` with its hosts on the lab's: their addresses, root over SSH at `/`, sudo as designed. */
function onLab(design: Design, lab: SshLab): Design {
  const raw = structuredClone(design) as unknown as { hosts: Record<string, unknown>[] };
  raw.hosts.forEach((host, index) => {
    const labHost = lab.hosts[index]!;
    const ssh = (host.ssh ?? {}) as { sudo?: boolean };
    host.address = labHost.address;
    // The VM's interface where the design relies on the default (Tessera names its own, ens192).
    if (host.interface === undefined && labInterface() !== 'eth0') host.interface = labInterface();
    host.ssh = { user: 'root', port: labHost.port, root: '/', sudo: ssh.sudo === true };
  });
  return checkedDesign(raw);
}

/** Generates the bundle as `topoforge generate` does; returns its folder. */
async function bundleOf(design: Design): Promise<string> {
  bundles += 1;
  const directory = join(scratch, `bundle-${bundles}`);
  await writeBundle(generateBundle(design, { sha256: nodeSha256 }), directory);
  return directory;
}

/** `topoforge push BUNDLE --json ARGS…` against the lab. */
async function push(lab: SshLab, directory: string, args: string[] = []): Promise<PushReport> {
  const knownHosts = join(lab.directory, 'known_hosts');
  writeFileSync(knownHosts, lab.knownHosts());
  const run = await pushCli(lab, directory, knownHosts, ['--json', ...args]);
  return JSON.parse(run.stdout) as PushReport;
}

/** Runs `command` on a lab host over SSH (the system's ssh client) and returns its stdout. */
function onHost(lab: SshLab, host: SshLabHost, command: string): string {
  const knownHosts = join(lab.directory, 'known_hosts');
  writeFileSync(knownHosts, lab.knownHosts());
  return execFileSync(
    'ssh',
    [
      ...['-i', lab.identityFile, '-p', String(host.port), '-o', `UserKnownHostsFile=${knownHosts}`],
      ...['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${host.address}`, command],
    ],
    { encoding: 'utf8' },
  );
}

/** The sha256 of each path on the host (or `-` for none), and every push temporary file in /etc. */
function remoteTree(lab: SshLab, host: SshLabHost, paths: string[]): string {
  const quoted = paths.map((path) => `'${path}'`).join(' ');
  return onHost(
    lab,
    host,
    `for f in ${quoted}; do if [ -e "$f" ]; then sha256sum "$f"; else echo "- $f"; fi; done; ` +
      "find /etc /var/lib/topoforge -name '*.topoforge-*' 2>/dev/null; true",
  );
}

function hostOf(report: PushReport, id: string): HostReport {
  const host = report.hosts.find((candidate) => candidate.host === id);
  if (!host) throw new Error(`no host ${id} in the report`);
  return host;
}

function failures(report: PushReport): string {
  return report.hosts
    .filter((host) => host.status === 'failed')
    .map((host) => `${host.host}: ${host.failure?.message}\n${host.failure?.stderr ?? ''}`)
    .join('\n');
}

const SEEDS = [
  'expertflow-two-sites.topo.json',
  'helix-teamhub.topo.json',
  'tealeaf-resilient.topo.json',
  'teramind-ha.topo.json',
  'tessera-ha.topo.json',
];

describe.skipIf(!enabled)('the first push of every seed example to fresh lab hosts (issue 19)', () => {
  for (const seed of SEEDS) {
    it(
      `${seed}: pushes with --lab-certs where the lab can provide everything; a second push changes nothing`,
      {
        timeout: 180_000,
      },
      async () => {
        const design = loadExample(seed);
        const lab = await freshLab(design.hosts.length);
        try {
          const labDesign = onLab(design, lab);
          const directory = await bundleOf(labDesign);
          // Tessera names interface ens192 for its balancers; the lab's hosts have the machine's. A
          // dry run shows each balancer's line; a push stops the first in its plan, and the hosts
          // behind the same entrypoints after it are not started (docs/push.md, order). The other
          // hosts are then pushed on their own.
          const stopped = seed === 'tessera-ha.topo.json' ? ['lb-1', 'lb-2'] : [];
          const selected =
            stopped.length === 0 ? [] : labDesign.hosts.filter((host) => !stopped.includes(host.id));
          const only = selected.flatMap((host) => ['--host', host.id]);
          if (stopped.length > 0) {
            const dry = await push(lab, directory, ['--lab-certs', '--dry-run']);
            for (const id of stopped) {
              const host = hostOf(dry, id);
              expect(host.failure?.step).toBe('planning');
              expect(host.prerequisites?.missing).toEqual([
                expect.stringMatching(
                  new RegExp(
                    `^interface ens192 does not exist on ${id}; it has [^:]*${labInterface()}[^:]*: set hosts\\[${id}\\]\\.interface ` +
                      '\\(keepalived holds the floating address 10\\.40\\.0\\.10 on it\\)$',
                  ),
                ),
              ]);
              expect(host.failure?.message).toContain(
                `1 prerequisite missing on ${id}, so nothing was uploaded`,
              );
            }
            const whole = await push(lab, directory, ['--lab-certs']);
            expect(hostOf(whole, 'lb-1').failure?.step).toBe('planning');
            expect(hostOf(whole, 'lb-1').prerequisites?.missing).toEqual(
              hostOf(dry, 'lb-1').prerequisites?.missing,
            );
          }
          const first = await push(lab, directory, ['--lab-certs', ...only]);
          // Every host that receives files (Tealeaf's design gives none: its services run no command).
          const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Manifest;
          expect(first.hosts.map((host) => host.host)).toEqual(
            manifest.hosts.map((host) => host.id).filter((id) => !stopped.includes(id)),
          );
          for (const host of first.hosts) expect(host.status, failures(first)).toBe('changed');
          const second = await push(lab, directory, ['--lab-certs', ...only]);
          for (const host of second.hosts) {
            expect(host.status, failures(second)).toBe('unchanged');
            expect(host.prerequisites?.labCertificates ?? []).toEqual([]);
          }
        } finally {
          await lab.stop();
        }
      },
    );
  }
});

describe.skipIf(!enabled)('prerequisites stop a host with one line each, before anything is uploaded', () => {
  let lab: SshLab;
  let design: Design;
  let directory: string;
  const paths = [
    '/etc/nginx/nginx.conf',
    '/etc/nginx/tls/hybrid-chat-a.crt',
    '/etc/nginx/tls/hybrid-chat-a.key',
    '/etc/mongod.conf',
    '/etc/systemd/system/mongod.service',
    '/etc/systemd/system/chat-a.service',
  ];

  beforeAll(async () => {
    lab = await freshLab(3);
    design = onLab(loadExample('expertflow-two-sites.topo.json'), lab);
    directory = await bundleOf(design);
  });
  afterAll(async () => lab?.stop());

  it('a missing certificate and key: one line each, naming the host, the file, why and how; nothing uploaded', async () => {
    const efA = lab.hosts[0]!;
    const before = remoteTree(lab, efA, paths);
    const dry = await push(lab, directory, ['--dry-run', '--host', 'ef-a']);
    const report = await push(lab, directory, ['--host', 'ef-a']);
    const expected = [
      'certificate /etc/nginx/tls/hybrid-chat-a.crt does not exist on ef-a: nginx gw-a serves HTTPS on port 443 with it; ' +
        'copy it there (bundle README, "Prerequisites"), or push with --lab-certs for a self-signed one in a lab',
      'key /etc/nginx/tls/hybrid-chat-a.key does not exist on ef-a: nginx gw-a serves HTTPS on port 443 with it; ' +
        'copy it there (bundle README, "Prerequisites"), or push with --lab-certs for a self-signed one in a lab',
    ];
    for (const run of [dry, report]) {
      const host = hostOf(run, 'ef-a');
      expect(host.status).toBe('failed');
      expect(host.failure?.step).toBe('planning');
      expect(host.prerequisites?.missing).toEqual(expected);
      expect(host.failure?.message).toBe(
        `2 prerequisites missing on ef-a, so nothing was uploaded:\n- ${expected[0]}\n- ${expected[1]}`,
      );
    }
    expect(remoteTree(lab, efA, paths)).toBe(before);
    expect(efA.systemctlCalls()).toEqual([]);
  });

  it('the human report shows the same lines', async () => {
    const knownHosts = join(lab.directory, 'known_hosts');
    writeFileSync(knownHosts, lab.knownHosts());
    const run = await pushCli(lab, directory, knownHosts, ['--host', 'ef-a', '--dry-run']);
    expect(run.stdout).toContain(
      '- key /etc/nginx/tls/hybrid-chat-a.key does not exist on ef-a: nginx gw-a serves HTTPS on port 443 with it;',
    );
  });

  it('--lab-certs creates the pair, create-only; missing programs install their units but enable and start nothing', async () => {
    const efA = lab.hosts[0]!;
    const report = await push(lab, directory, ['--host', 'ef-a', '--lab-certs']);
    const host = hostOf(report, 'ef-a');
    expect(host.status, failures(report)).toBe('changed');
    expect(host.prerequisites?.labCertificates).toEqual([
      'created a self-signed lab certificate /etc/nginx/tls/hybrid-chat-a.crt and key /etc/nginx/tls/hybrid-chat-a.key ' +
        'on ef-a for chat.example.com (--lab-certs: fit for a lab only)',
    ]);
    expect(host.prerequisites?.notInstalled).toEqual([
      '/usr/bin/docker is not installed on ef-a: amq-a.service is installed but neither enabled nor started; ' +
        'install the software of amq-a, then run systemctl enable --now amq-a.service',
      '/usr/bin/docker is not installed on ef-a: chat-a.service is installed but neither enabled nor started; ' +
        'install the software of chat-a, then run systemctl enable --now chat-a.service',
      '/usr/bin/mongod is not installed on ef-a: mongod.service is installed but neither enabled nor started; ' +
        'install MongoDB (package mongodb-org), then run systemctl enable --now mongod.service',
    ]);
    // The units are on the host, checked with their programs stood in for; none is enabled or started.
    expect(host.commands?.filter((command) => command.path === '/etc/systemd/system/mongod.service')).toEqual(
      [
        {
          step: 'checking',
          command: expect.stringContaining('unshare -m'),
          path: '/etc/systemd/system/mongod.service',
        },
      ],
    );
    expect(efA.systemctlCalls()).toEqual(['daemon-reload', 'reload nginx']);
    const subject = onHost(lab, efA, 'openssl x509 -noout -subject -in /etc/nginx/tls/hybrid-chat-a.crt');
    expect(subject).toMatch(/CN ?= ?chat\.example\.com/u);
    // Create-only: a second push with --lab-certs never replaces the pair.
    const key = onHost(lab, efA, 'sha256sum /etc/nginx/tls/hybrid-chat-a.key');
    const again = hostOf(await push(lab, directory, ['--host', 'ef-a', '--lab-certs']), 'ef-a');
    expect(again.status).toBe('unchanged');
    expect(again.prerequisites?.labCertificates).toEqual([]);
    expect(onHost(lab, efA, 'sha256sum /etc/nginx/tls/hybrid-chat-a.key')).toBe(key);
  });
});

describe.skipIf(!enabled)('sudo where ssh.sudo is set', () => {
  it('a host without sudo says so in words, and nothing is uploaded', async () => {
    const lab = await freshLab(1, { sudo: false });
    try {
      const design = checkedDesign({
        format: 1,
        name: 'No sudo',
        hosts: [
          {
            id: 'lb-1',
            address: lab.hosts[0]!.address,
            ssh: { user: 'root', port: lab.hosts[0]!.port, root: '/', sudo: true },
          },
        ],
        services: [{ id: 'lb', kind: 'haproxy', host: 'lb-1' }],
      });
      const directory = await bundleOf(design);
      const before = remoteTree(lab, lab.hosts[0]!, ['/etc/haproxy/haproxy.cfg']);
      const report = await push(lab, directory);
      const host = hostOf(report, 'lb-1');
      expect(host.status).toBe('failed');
      expect(host.failure?.step).toBe('planning');
      expect(host.failure?.message).toBe(
        'sudo is not installed on lb-1, and ssh.sudo is set: push runs every command there through sudo -n: ' +
          'install sudo and let root run commands as root without a password, or log in as root and set ' +
          'hosts[lb-1].ssh.sudo to false',
      );
      expect(host.prerequisites?.missing).toEqual([host.failure?.message]);
      expect(remoteTree(lab, lab.hosts[0]!, ['/etc/haproxy/haproxy.cfg'])).toBe(before);
    } finally {
      await lab.stop();
    }
  });
});

describe.skipIf(!enabled)('users and groups the units run as', () => {
  it("a group the unit's Group= names, missing: the unit is installed, neither enabled nor started, and the report says so", async () => {
    const lab = await freshLab(1);
    try {
      const design = onLab(
        checkedDesign({
          format: 1,
          name: 'One Redis',
          hosts: [{ id: 'cache-1', address: '10.0.0.1' }],
          services: [{ id: 'cache', kind: 'redis', host: 'cache-1' }],
        }),
        lab,
      );
      const directory = await bundleOf(design);
      // The redis user stays; its group goes (the host's /etc is the lab's own overlay).
      onHost(lab, lab.hosts[0]!, "sed -i '/^redis:/d' /etc/group && ! getent group redis");
      const report = await push(lab, directory, ['--dry-run']);
      const host = hostOf(report, 'cache-1');
      expect(host.prerequisites?.missing).toEqual([]);
      expect(host.prerequisites?.notInstalled).toEqual([
        'group redis does not exist on cache-1: redis-server.service runs as it; it is installed but neither ' +
          'enabled nor started: create the group (or reinstall Redis (package redis-server)), then run ' +
          'systemctl enable --now redis-server.service',
      ]);
      expect(host.reloads).not.toContain('restart redis-server.service');
    } finally {
      await lab.stop();
    }
  });
});
