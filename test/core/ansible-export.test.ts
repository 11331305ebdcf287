/**
 * Issue 17, items 1 and 3: what the Ansible export writes. The inventory and playbook follow push's
 * roll-out order; every value from a bundle reaches Ansible tagged `!unsafe`, so hostile names,
 * paths and commands (the hostile-string corpus, plus Jinja of every kind) neither break out of
 * YAML nor are evaluated, proven by parsing the output back and by the real Ansible reading it;
 * and no secret value is ever in the output.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isScalar, parseDocument, visit } from 'yaml';
import {
  designMatchesManifest,
  exportAnsible,
  PARALLEL_GROUP,
  ROLLOUT_GROUP_PREFIX,
  secretTemplateOf,
  validateOf,
  vaultVariableOf,
} from '../../core/ansible/export';
import type { AnsibleFile, AnsibleManifest } from '../../core/ansible/export';
import { generateBundle } from '../../core/generate/index';
import { renderSecretFile } from '../../core/generate/secrets';
import { nodeSha256 } from '../../deploy/hash';
import { loadExample } from '../fixtures/examples';
import { COMMON_FRAGMENTS } from '../generate/injection';
import { temporaryFolder } from '../lab/temporary';
import { requireTool } from '../lab/tools';

/** Jinja in every form Ansible would evaluate, and YAML's own syntax. */
const JINJA_FRAGMENTS = [
  "{{ lookup('ansible.builtin.pipe', 'id') }}",
  '{{ 7 * 7 }}',
  '{% raw %}',
  '{% endraw %}{{ 7 * 7 }}',
  '{# comment',
  '!unsafe ',
  '&anchor *alias',
  '- [a, b]: {c: d}',
  '%s %(x)s %%',
];
const FRAGMENTS = [...COMMON_FRAGMENTS, ...JINJA_FRAGMENTS];

function exportOf(manifest: AnsibleManifest, content = 'x\n'): AnsibleFile[] {
  return exportAnsible({ manifest, contentOf: () => content });
}

function textOf(files: AnsibleFile[], path: string): string {
  const file = files.find((candidate) => candidate.path === path);
  if (file === undefined) throw new Error(`no ${path} in the export`);
  return typeof file.content === 'string' ? file.content : new TextDecoder().decode(file.content);
}

/** A YAML file of the export as data, and every string value with whether it is tagged `!unsafe`. */
function parsed(text: string): { data: unknown; strings: { value: string; unsafe: boolean }[] } {
  const document = parseDocument(text, {
    customTags: [{ tag: '!unsafe', resolve: (value: string) => value }],
  });
  expect(document.errors).toEqual([]);
  const strings: { value: string; unsafe: boolean }[] = [];
  visit(document, {
    Scalar(key, node) {
      if (key !== 'key' && isScalar(node) && typeof node.value === 'string')
        strings.push({ value: node.value, unsafe: node.tag === '!unsafe' });
    },
  });
  return { data: document.toJS(), strings };
}

/** A manifest of one host whose every free-text field holds `fragment`. */
function hostileManifest(fragment: string): AnsibleManifest {
  return {
    design: { name: fragment, sha256: '0'.repeat(64) },
    hosts: [
      {
        id: 'web-1',
        address: `10.0.0.1${fragment}`,
        ssh: { user: `deploy${fragment}`, port: 22, root: `/srv/root${fragment}`, sudo: true },
      },
    ],
    files: [
      {
        host: 'web-1',
        path: `/etc/app/${fragment}.conf`,
        sha256: '0'.repeat(64),
        mode: '0644',
        owner: `app${fragment}:app${fragment}`,
        check: `app-check ${fragment} {}`,
        reload: `systemctl reload ${fragment}`,
        policy: 'replace',
      },
    ],
    serial: [],
    secrets: [
      {
        host: 'web-1',
        path: `/etc/redis/${fragment}.auth`,
        owner: 'redis:redis',
        mode: '0600',
        scope: 'cache',
        service: 'cache-1',
        secrets: ['sentinel-auth', 'redis-sentinel'],
        render: { kind: 'sentinel-auth', masterName: `cache${fragment}`, group: true, clientAuth: true },
        reload: `systemctl restart ${fragment}`,
      },
    ],
  };
}

describe('the export of an example bundle', () => {
  const design = loadExample('expertflow-two-sites.topo.json');
  const bundle = generateBundle(design, { sha256: nodeSha256 });
  const contents = new Map(bundle.files.map((file) => [`${file.host}:${file.path}`, file.content]));
  const files = exportAnsible({
    manifest: bundle.manifest,
    contentOf: (file) => contents.get(`${file.host}:${file.path}`)!,
    design,
  });

  it('puts every bundle file under files/<host>/ with its bytes, and its copy settings in host_vars', () => {
    for (const file of bundle.manifest.files) {
      const exported = files.find((candidate) => candidate.path === `files/${file.host}${file.path}`);
      expect(exported?.content, `${file.host}:${file.path}`).toBe(contents.get(`${file.host}:${file.path}`));
      const host = bundle.manifest.hosts.find((candidate) => candidate.id === file.host)!;
      const vars = parsed(textOf(files, `host_vars/${file.host}.yml`)).data as {
        topoforge_files: Record<string, unknown>[];
      };
      const entry = vars.topoforge_files.find(
        (candidate) => candidate.src === `files/${file.host}${file.path}`,
      );
      expect(entry).toMatchObject({
        dest: host.ssh.root === '/' ? file.path : `${host.ssh.root}${file.path}`,
        mode: file.mode,
        force: file.policy !== 'create-only',
      });
      if (file.owner) expect(`${entry!.owner}:${entry!.group}`).toBe(file.owner);
      else expect(entry!.owner).toBeUndefined();
      expect(entry!.validate).toBe(file.check ? validateOf(file.check) : undefined);
      expect(entry!.reload).toBe(file.reload);
    }
  });

  it('lists every host with its SSH settings, and groups per site, group kind and role', () => {
    const inventory = parsed(textOf(files, 'inventory.yml')).data as {
      all: { hosts: Record<string, Record<string, unknown>>; children: Record<string, { hosts: object }> };
    };
    for (const host of bundle.manifest.hosts)
      expect(inventory.all.hosts[host.id]).toEqual({
        ansible_host: host.address,
        ansible_port: host.ssh.port,
        ansible_user: host.ssh.user,
        ...(host.ssh.sudo ? { ansible_become: true } : {}),
      });
    const groups = Object.keys(inventory.all.children);
    for (const site of design.sites ?? []) expect(groups).toContain(`site_${site.id.replaceAll('-', '_')}`);
    for (const group of design.groups ?? [])
      if (design.services.some((service) => service.group === group.id && service.host !== undefined))
        expect(groups).toContain(`kind_${group.kind.replaceAll('-', '_')}`);
    for (const service of design.services)
      if (service.host !== undefined) expect(groups).toContain(`role_${service.kind}`);
  });

  it("updates push's serial groups one host at a time, in push's order, and the others together", () => {
    const inventory = parsed(textOf(files, 'inventory.yml')).data as {
      all: { children: Record<string, { hosts: Record<string, null> }> };
    };
    const plays = parsed(textOf(files, 'site.yml')).data as { hosts: string; serial?: number }[];
    const chains = Object.entries(inventory.all.children).filter(([name]) =>
      name.startsWith(ROLLOUT_GROUP_PREFIX),
    );
    expect(chains.length).toBeGreaterThan(0);
    for (const group of bundle.manifest.serial) {
      const chain = chains.find(([, members]) => group.hosts[0]! in members.hosts);
      expect(chain, group.id).toBeDefined();
      const order = Object.keys(chain![1].hosts);
      const positions = group.hosts.map((host) => order.indexOf(host));
      expect(positions, group.id).toEqual([...positions].sort((a, b) => a - b));
      expect(plays.find((play) => play.hosts === chain![0])?.serial).toBe(1);
    }
    const parallel = inventory.all.children[PARALLEL_GROUP];
    const serialHosts = new Set(bundle.manifest.serial.flatMap((group) => group.hosts));
    for (const host of bundle.manifest.hosts)
      if (!serialHosts.has(host.id)) expect(Object.keys(parallel?.hosts ?? {})).toContain(host.id);
    expect(plays.find((play) => play.hosts === PARALLEL_GROUP)?.serial).toBeUndefined();
  });

  it('refuses to take another version of the design for the bundle', () => {
    expect(designMatchesManifest(design, bundle.manifest, nodeSha256)).toBe(true);
    expect(designMatchesManifest({ ...design, name: `${design.name} v2` }, bundle.manifest, nodeSha256)).toBe(
      false,
    );
  });

  it('is deterministic', () => {
    const again = exportAnsible({
      manifest: bundle.manifest,
      contentOf: (file) => contents.get(`${file.host}:${file.path}`)!,
      design,
    });
    expect(again).toEqual(files);
  });
});

describe('secrets', () => {
  const design = loadExample('teramind-ha.topo.json');
  const bundle = generateBundle(design, { sha256: nodeSha256 });

  it('renders every secret file from Vault variables exactly as push renders it from values', () => {
    expect(bundle.manifest.secrets.length).toBeGreaterThan(0);
    for (const file of bundle.manifest.secrets) {
      const { pieces, variables } = secretTemplateOf(file);
      expect(variables.length).toBeGreaterThan(0);
      const values = Object.fromEntries(
        file.secrets.map((name, index) => [
          name,
          {
            current: String(index + 1)
              .repeat(64)
              .slice(0, 64),
          },
        ]),
      );
      if (file.secrets.includes('mongodb-keyfile')) continue;
      const byVariable = new Map(
        file.secrets.map((name) => [vaultVariableOf(file.scope, name), values[name]!.current]),
      );
      const rendered = pieces
        .map((piece, index) => piece + (byVariable.get(variables[index]!) ?? ''))
        .join('');
      expect(rendered).toBe(renderSecretFile(file, values));
    }
  });

  it('writes no value, and names the Vault variables vault_<scope>_<secret>', () => {
    const files = exportAnsible({ manifest: bundle.manifest, contentOf: () => '' });
    const yaml = files.filter((file) => file.path.endsWith('.yml')).map((file) => String(file.content));
    for (const text of yaml) expect(text).not.toMatch(/[0-9a-f]{64}/u);
    expect(yaml.join('\n')).toContain('vault_redis_ha_sentinel_auth');
    const playbook = textOf(files, 'site.yml');
    // The task that writes them never shows them: not in its output, not in --diff.
    expect(playbook).toMatch(
      /Place the secret files from Vault variables[\s\S]*no_log: true[\s\S]*diff: false/u,
    );
  });
});

describe('hostile strings from a bundle', () => {
  it.each(FRAGMENTS.map((fragment) => [JSON.stringify(fragment).slice(0, 40), fragment]))(
    '%s stays a value: tagged !unsafe, read back exactly, never in the playbook',
    (_label, fragment) => {
      const manifest = hostileManifest(fragment);
      const files = exportOf(manifest);
      const vars = parsed(textOf(files, 'host_vars/web-1.yml'));
      const inventory = parsed(textOf(files, 'inventory.yml'));
      for (const { value, unsafe } of [...vars.strings, ...inventory.strings])
        expect(unsafe, value).toBe(true);

      const data = vars.data as {
        topoforge_files: Record<string, string>[];
        topoforge_secret_files: Record<string, unknown>[];
      };
      // An owner is user:group: only its first colon splits it, as chown reads it.
      expect(`${data.topoforge_files[0]!.owner}:${data.topoforge_files[0]!.group}`).toBe(
        `app${fragment}:app${fragment}`,
      );
      expect(data.topoforge_files[0]).toMatchObject({
        dest: `${`/srv/root${fragment}`.replace(/\/+$/u, '')}/etc/app/${fragment}.conf`,
        validate: validateOf(`app-check ${fragment} {}`),
        reload: `systemctl reload ${fragment}`,
      });
      const secret = data.topoforge_secret_files[0] as { pieces: string[] };
      expect(secret.pieces.join('')).toContain(`cache${fragment}`);
      const hosts = (inventory.data as { all: { hosts: Record<string, Record<string, unknown>> } }).all.hosts;
      expect(hosts['web-1']).toMatchObject({
        ansible_host: `10.0.0.1${fragment}`,
        ansible_user: `deploy${fragment}`,
      });

      // site.yml is the same whatever the bundle holds: no value of it reaches the playbook.
      expect(textOf(files, 'site.yml')).toBe(textOf(exportOf(hostileManifest('plain')), 'site.yml'));
    },
  );

  it('a check keeps its words through validate: % is doubled for Python, {} becomes the file', () => {
    expect(validateOf('nginx -t -q -c {}')).toBe("/bin/sh -c 'nginx -t -q -c %s'");
    expect(validateOf("printf '%d' 5 {}")).toBe(`/bin/sh -c 'printf '\\''%%d'\\'' 5 %s'`);
    expect(validateOf('true')).toBe('/bin/sh -c true topoforge-check %s');
  });

  it.skipIf(!requireTool('ansible-playbook'))(
    'the real Ansible reads every hostile value back as written, Jinja unevaluated',
    async () => {
      const folder = await temporaryFolder('topoforge-ansible-unsafe-');
      const manifests = JINJA_FRAGMENTS.map((fragment) => hostileManifest(fragment));
      // One host per fragment, all in one inventory: one ansible-playbook run reads them all.
      const manifest: AnsibleManifest = {
        ...manifests[0]!,
        hosts: manifests.map((one, index) => ({ ...one.hosts[0]!, id: `web-${index + 1}` })),
        files: manifests.map((one, index) => ({ ...one.files[0]!, host: `web-${index + 1}` })),
        secrets: manifests.map((one, index) => ({ ...one.secrets![0]!, host: `web-${index + 1}` })),
      };
      for (const file of exportOf(manifest)) {
        const path = join(folder, file.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.content);
      }
      const probe = join(folder, 'probe.yml');
      writeFileSync(
        probe,
        [
          '- name: Show what Ansible reads',
          '  hosts: all',
          '  gather_facts: false',
          '  connection: local',
          '  tasks:',
          '    - name: Write it down',
          '      ansible.builtin.copy:',
          '        content: "{{ [ansible_host, ansible_user, topoforge_files, topoforge_secret_files] | to_json }}"',
          `        dest: "${folder}/read-{{ inventory_hostname }}.json"`,
          "        mode: '0600'",
          '',
        ].join('\n'),
      );
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          'ansible-playbook',
          ['-i', join(folder, 'inventory.yml'), probe],
          {
            cwd: folder,
            env: {
              PATH: process.env.PATH,
              HOME: folder,
              ANSIBLE_HOME: join(folder, 'ansible-home'),
              ANSIBLE_LOCAL_TEMP: join(folder, 'ansible-home', 'tmp'),
              ANSIBLE_NOCOLOR: '1',
              ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
            },
            timeout: 120_000,
            maxBuffer: 16 * 1024 * 1024,
          },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stdout}${stderr}`)) : resolve(stdout),
        );
      });
      expect(output).toMatch(/failed=0/u);
      JINJA_FRAGMENTS.forEach((fragment, index) => {
        const read = readFileSync(join(folder, `read-web-${index + 1}.json`), 'utf8');
        const [address, user, files, secrets] = JSON.parse(read) as [
          string,
          string,
          Record<string, string>[],
          { pieces: string[] }[],
        ];
        expect(address).toBe(`10.0.0.1${fragment}`);
        expect(user).toBe(`deploy${fragment}`);
        expect(files[0]!.dest).toBe(`/srv/root${fragment}/etc/app/${fragment}.conf`);
        expect(files[0]!.validate).toBe(validateOf(`app-check ${fragment} {}`));
        expect(secrets[0]!.pieces.join('')).toContain(`cache${fragment}`);
      });
    },
    150_000,
  );
});
