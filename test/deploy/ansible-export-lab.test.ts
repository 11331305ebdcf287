/**
 * Issue 17, item 2: the Ansible export run by Debian's real `ansible-playbook` against OpenSSH lab
 * hosts puts on every host the same bytes, modes and owners as `topoforge push`; a second run
 * changes nothing; `--check --diff` shows a design edit and changes nothing; a file whose check
 * fails is not replaced, and the roll-out stops there as push's does. `ansible-lint` passes on the
 * export. Secrets come from Vault variables and an undefined one is named and skipped.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vaultVariableOf } from '../../core/ansible/export';
import { buildManifest } from '../../core/generate/bundle';
import { generateBundle } from '../../core/generate/index';
import { renderSecretFile, SECRETS } from '../../core/generate/secrets';
import type { SecretValues } from '../../core/generate/secrets';
import type { Design } from '../../core/model';
import { nodeSha256 } from '../../deploy/hash';
import { writeBundle } from '../../deploy/write-bundle';
import { runCli } from '../cli/run-cli';
import { checkedDesign } from '../fixtures/examples';
import { requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab } from '../lab/sshd';
import { temporaryFolder } from '../lab/temporary';
import { requireTool } from '../lab/tools';
import { ansibleEnvironment, hostFileState, recapOf, runPlaybook } from './ansible-lab';
import type { HostFileState } from './ansible-lab';
import { pushLab } from './push-lab';

/** Two hosts with a Redis Sentinel group (create-only files, units, secrets) and a balancer each. */
function labDesign(lab: SshLab, port = 7000): Design {
  return checkedDesign({
    format: 1,
    name: 'ansible lab',
    sites: [{ id: 'dc-1' }],
    hosts: lab.hosts.map((host) => ({
      id: host.id,
      address: host.address,
      site: 'dc-1',
      ssh: { user: 'root', port: host.port, root: host.root, hostKey: host.hostKeyFingerprint },
    })),
    services: [
      { id: 'cache-1', kind: 'redis', host: 'ans-1', port: 6379, group: 'cache', primary: true },
      { id: 'cache-2', kind: 'redis', host: 'ans-2', port: 6379, group: 'cache' },
      { id: 'watch-1', kind: 'sentinel', host: 'ans-1', group: 'cache' },
      { id: 'watch-2', kind: 'sentinel', host: 'ans-2', group: 'cache' },
      { id: 'lb-1', kind: 'haproxy', host: 'ans-1', listen: [{ port, protocol: 'tcp' }] },
      { id: 'lb-2', kind: 'haproxy', host: 'ans-2', listen: [{ port, protocol: 'tcp' }] },
    ],
    groups: [{ id: 'cache', kind: 'redis-sentinel', quorum: 2, masterName: 'cache' }],
    links: [
      { from: 'lb-1', to: 'cache-1', kind: 'traffic' },
      { from: 'lb-2', to: 'cache-1', kind: 'traffic' },
    ],
    entrypoints: [{ id: 'front', port, targets: ['lb-1', 'lb-2'], via: 'direct' }],
  });
}

/** A value of the right shape for every secret: what a person keeps in their vault. */
function secretValue(name: keyof typeof SECRETS, seed: number): string {
  const { bytes, encoding } = SECRETS[name];
  const hex = Buffer.alloc(bytes, seed).toString('hex');
  return encoding === 'hex' ? hex : Buffer.alloc(bytes, seed).toString('base64');
}

describe.skipIf(!requireSshd() || !requireTool('ansible-playbook'))(
  'the Ansible export with the real ansible-playbook on lab hosts',
  () => {
    let lab: SshLab;
    let scratch: string;
    let environment: NodeJS.ProcessEnv;
    let exports = 0;

    beforeAll(async () => {
      lab = await startSshLab({ hosts: ['ans-1', 'ans-2'], addresses: ['127.0.0.41', '127.0.0.42'] });
      scratch = await temporaryFolder('topoforge-ansible-');
      environment = ansibleEnvironment(lab, scratch);
    });
    afterAll(async () => {
      await lab?.stop();
    });

    /** Writes the bundle of `design` (its files changed by `edit`) and its export; returns both folders. */
    async function bundleAndExport(
      design: Design,
      edit: (host: string, path: string, content: string) => string = (_host, _path, content) => content,
    ): Promise<{ bundle: string; playbook: string }> {
      const folder = join(scratch, `run-${++exports}`);
      const generated = generateBundle(design, { sha256: nodeSha256 });
      const files = generated.files.map((file) =>
        file.host === undefined ? file : { ...file, content: edit(file.host, file.path, file.content) },
      );
      const manifest = { ...buildManifest(design, files, nodeSha256), serial: generated.manifest.serial };
      await writeBundle({ files, manifest }, join(folder, 'bundle'));
      const exported = await runCli([
        'export',
        'ansible',
        join(folder, 'bundle'),
        '--out',
        join(folder, 'ansible'),
      ]);
      expect(exported.code, exported.stdout + exported.stderr).toBe(0);
      return { bundle: join(folder, 'bundle'), playbook: join(folder, 'ansible') };
    }

    /** Every manifest file as the lab hosts have it. */
    function snapshot(design: Design): Map<string, HostFileState | undefined> {
      const bundle = generateBundle(design, { sha256: nodeSha256 });
      const roots = new Map(lab.hosts.map((host) => [host.id, host.root]));
      return new Map(
        bundle.manifest.files.map((file) => [
          `${file.host}:${file.path}`,
          hostFileState(roots.get(file.host)!, file.path),
        ]),
      );
    }

    /** The values of every Vault variable but `left out`, as an extra vars file. */
    function vaultFile(design: Design, leftOut: string): { path: string; values: Map<string, SecretValues> } {
      const manifest = generateBundle(design, { sha256: nodeSha256 }).manifest;
      const variables: Record<string, string> = {};
      const values = new Map<string, SecretValues>();
      let seed = 1;
      for (const file of manifest.secrets) {
        const scoped: SecretValues = values.get(file.scope) ?? {};
        for (const name of file.secrets) {
          const variable = vaultVariableOf(file.scope, name);
          if (variables[variable] === undefined) variables[variable] = secretValue(name, seed++);
          if (variable !== leftOut) scoped[name] = { current: variables[variable] };
        }
        values.set(file.scope, scoped);
      }
      delete variables[leftOut];
      const path = join(scratch, `vault-${exports}.json`);
      writeFileSync(path, JSON.stringify(variables));
      return { path, values };
    }

    it('puts the bytes, modes and owners push puts, in push order, and a second run changes nothing', async () => {
      const design = labDesign(lab);
      const { bundle, playbook } = await bundleAndExport(design);

      // As on a host where Debian's redis-server came first: its stock redis.conf where the
      // bundle's create-only one goes. Push and the playbook both replace it, once.
      const stockRedis = () => {
        const path = join(lab.hosts[1]!.root, 'etc/redis/redis.conf');
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, 'bind 127.0.0.1 -::1\nport 6379\n');
      };
      lab.reset();
      stockRedis();
      const pushed = await pushLab(lab, bundle, join(scratch, 'known_hosts'));
      expect(pushed.summary.failed, JSON.stringify(pushed.hosts)).toBe(0);
      const byPush = snapshot(design);
      const pushCalls = lab.hosts[0]!.systemctlCalls();
      for (const [file, state] of byPush) expect(state, `push placed ${file}`).toBeDefined();

      lab.reset();
      stockRedis();
      const leftOut = vaultVariableOf('cache', 'redis-admin');
      const vault = vaultFile(design, leftOut);
      const first = await runPlaybook(playbook, environment, ['-e', `@${vault.path}`]);
      expect(first.code, first.output).toBe(0);
      expect(snapshot(design)).toEqual(byPush);

      // Push's order: the Sentinel group's replica host before its primary's.
      expect(first.output.indexOf('changed: [ans-2]')).toBeGreaterThan(-1);
      expect(first.output.indexOf('changed: [ans-2]')).toBeLessThan(first.output.indexOf('changed: [ans-1]'));
      // Reloads as push runs them: daemon-reload first, then the same commands.
      const calls = lab.hosts[0]!.systemctlCalls();
      expect(calls[0]).toBe('daemon-reload');
      expect(calls).toContain('reload haproxy');
      expect(new Set(calls)).toEqual(new Set(pushCalls));

      // Secret files: rendered from the Vault variables, as push renders them from its store; the
      // one whose variable is undefined is skipped, named, and never written.
      const manifest = generateBundle(design, { sha256: nodeSha256 }).manifest;
      for (const file of manifest.secrets) {
        const root = lab.hosts.find((host) => host.id === file.host)!.root;
        const state = hostFileState(root, file.path);
        if (file.secrets.includes('redis-admin')) {
          expect(state, `${file.host}:${file.path}`).toBeUndefined();
          continue;
        }
        expect(state, `${file.host}:${file.path}`).toBeDefined();
        expect(Buffer.from(state!.content, 'base64').toString('utf8')).toBe(
          renderSecretFile(file, vault.values.get(file.scope)!),
        );
        expect(state!.mode).toBe(file.mode);
      }
      expect(first.output).toContain(`Skipped ${join(lab.hosts[0]!.root, '/etc/redis/redis.acl')}`);
      expect(first.output).toContain(`Vault variable ${leftOut} is not defined`);
      for (const value of Object.values(JSON.parse(JSON.stringify(vault.values.get('cache'))) as object))
        expect(first.output).not.toContain((value as { current: string }).current);

      const second = await runPlaybook(playbook, environment, ['-e', `@${vault.path}`]);
      expect(second.code, second.output).toBe(0);
      const recap = recapOf(second.output);
      expect([...recap.keys()].sort()).toEqual(['ans-1', 'ans-2']);
      for (const [host, counters] of recap) expect(counters.changed, `${host}\n${second.output}`).toBe(0);
      expect(snapshot(design)).toEqual(byPush);
    }, 480_000);

    // Starts from the hosts as the test above leaves them (ansible-playbook is slow: ~30 s a run
    // on a loaded 2-core machine), so it runs after it.
    it('--check --diff shows a design edit and changes nothing; a failing check replaces nothing and stops the roll-out', async () => {
      const design = labDesign(lab);
      const before = snapshot(design);
      for (const [file, state] of before) expect(state, `the test above placed ${file}`).toBeDefined();

      const edited = await bundleAndExport(labDesign(lab, 7001));
      const checked = await runPlaybook(edited.playbook, environment, ['--check', '--diff']);
      expect(checked.code, checked.output).toBe(0);
      expect(checked.output).toMatch(/^-.*\b7000\b/mu);
      expect(checked.output).toMatch(/^\+.*\b7001\b/mu);
      expect(recapOf(checked.output).get('ans-2')?.changed).toBeGreaterThan(0);
      expect(snapshot(design)).toEqual(before);

      // ans-2 goes first (the Sentinel group's replica): its HAProxy config now fails its check.
      const broken = await bundleAndExport(labDesign(lab, 7001), (host, path, content) =>
        host === 'ans-2' && path === '/etc/haproxy/haproxy.cfg'
          ? `${content}no-such-keyword here\n`
          : content,
      );
      const failed = await runPlaybook(broken.playbook, environment);
      expect(failed.code, failed.output).not.toBe(0);
      expect(failed.output).toContain('no-such-keyword');
      expect(recapOf(failed.output).get('ans-2')?.failed).toBe(1);
      // Nothing replaced on ans-2, and ans-1, after it in the roll-out, was not touched at all.
      expect(snapshot(design)).toEqual(before);
      expect(recapOf(failed.output).get('ans-1')?.changed ?? 0).toBe(0);
    }, 480_000);

    it.skipIf(!requireTool('ansible-lint'))(
      'ansible-lint passes on the export (production profile)',
      async () => {
        const design = labDesign(lab);
        const { playbook } = await bundleAndExport(design);
        const lint = await new Promise<{ code: number; output: string }>((resolve) => {
          execFile(
            'ansible-lint',
            ['--offline', '--nocolor', '-p', '--profile', 'production', 'site.yml', 'inventory.yml'],
            { cwd: playbook, env: environment, timeout: 180_000 },
            (error, stdout, stderr) =>
              resolve({ code: error === null ? 0 : Number(error.code ?? 1), output: `${stdout}${stderr}` }),
          );
        });
        expect(lint.code, lint.output).toBe(0);
      },
      200_000,
    );
  },
);
