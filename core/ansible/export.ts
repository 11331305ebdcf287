/**
 * The Ansible export of docs/ansible.md: a bundle handed to Ansible as an inventory, a playbook and
 * the files, so that `ansible-playbook` puts the same bytes, modes and owners on the same hosts as
 * `topoforge push`, in push's roll-out order.
 *
 * Every YAML file is made by the `yaml` package, and every value that comes from a design or a
 * manifest is tagged `!unsafe`, so Ansible never evaluates a `{{` or `{%` in it: the only Jinja
 * the playbook runs is this module's own, fixed text. Secrets are never in the output: each secret
 * file is rendered on the host from Ansible Vault variables (`vault_<scope>_<secret>`).
 */
import { Document, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { bundlePathOf } from '../bundle-path';
import { DAEMON_RELOAD, UNIT_DIRECTORY } from '../daemons';
import { indexDesign } from '../design-index';
import type { Design } from '../model';
import { canonicalJson, sha256Hex } from '../generate/bundle';
import type { Manifest, ManifestFile, Sha256 } from '../generate/bundle';
import { topologicalOrder } from '../generate/rollout';
import type { SerialGroup } from '../generate/rollout';
import { renderSecretFile, SECRETS } from '../generate/secrets';
import type { SecretFile, SecretName, SecretValues } from '../generate/secrets';
import { GENERATED_MARK } from '../push';
import { shellQuote } from '../shell';

/** What the export reads of a manifest; `serial` and `secrets` may be missing from hand-made ones. */
export type AnsibleManifest = Pick<Manifest, 'design' | 'hosts' | 'files'> & {
  serial?: SerialGroup[];
  secrets?: SecretFile[];
};

/** A file of the export, by its path inside the output folder. */
export interface AnsibleFile {
  path: string;
  content: string | Uint8Array;
}

/** Input of {@link exportAnsible}. */
export interface AnsibleExportInput {
  manifest: AnsibleManifest;
  /** The bytes of a manifest file, as the bundle holds them under `hosts/<host>/<path>`. */
  contentOf(file: ManifestFile): string | Uint8Array;
  /**
   * The design the bundle was generated from, for the groups per site, group kind and role; it
   * must be the bundle's own (the manifest's `design.sha256`), see {@link designMatchesManifest}.
   */
  design?: Design;
}

/** The folder that holds the bundle's files inside the export, beside `site.yml`. */
export const ANSIBLE_FILES_DIRECTORY = 'files';

/** The inventory group of hosts that no roll-out order holds: Ansible updates them all at once. */
export const PARALLEL_GROUP = 'topoforge_parallel';

/** The prefix of the inventory groups updated one host at a time (`serial: 1`), in order. */
export const ROLLOUT_GROUP_PREFIX = 'topoforge_rollout_';

/** The prefix of every Vault variable the export reads. */
export const VAULT_PREFIX = 'vault_';

/** The Vault variable that holds `secret` of the group or service `scope`: `vault_<scope>_<secret>`. */
export function vaultVariableOf(scope: string, secret: SecretName): string {
  return `${VAULT_PREFIX}${identifierOf(scope)}_${identifierOf(secret)}`;
}

/** A name Ansible takes as a variable or group name: ids hold `-`, which it does not. */
function identifierOf(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/gu, '_');
}

/** True when `design` is the one the bundle of `manifest` was generated from. */
export function designMatchesManifest(
  design: Design,
  manifest: AnsibleManifest,
  hash: Sha256 = sha256Hex,
): boolean {
  return hash(canonicalJson(design)) === manifest.design.sha256;
}

/** Where a file goes on a host whose files live under `root` (`ssh.root`), as push puts it there. */
function rootedPath(root: string, path: string): string {
  return root === '/' ? path : `${root.replace(/\/+$/u, '')}${path}`;
}

/**
 * The copy module's `validate` for a manifest check: the same command push runs, through
 * `/bin/sh -c` (checks are shell command lines, and Ansible runs `validate` without a shell),
 * with `%s`, which Ansible replaces by the file it checks, where the check has `{}`. A `%` of the
 * check itself is doubled, as Python's `%` formatting reads it.
 */
export function validateOf(check: string): string {
  const command = check.replaceAll('%', '%%');
  if (!command.includes('{}')) return `/bin/sh -c ${shellQuote(command)} topoforge-check %s`;
  return `/bin/sh -c ${shellQuote(command.replaceAll('{}', '%s'))}`;
}

/** `user:group` as the copy module's `owner` and `group`; nothing when the manifest sets no owner. */
function ownerFields(owner: string | undefined): { owner?: string; group?: string } {
  if (owner === undefined) return {};
  // A user name holds no colon: the first one splits user from group, as chown reads it.
  const colon = owner.indexOf(':');
  if (colon < 0) return { owner };
  return { owner: owner.slice(0, colon), group: owner.slice(colon + 1) };
}

/**
 * A value for each secret that no content holds by chance and that its encoding's pattern accepts,
 * so the renderers (core/generate/secrets.ts) lay a file out exactly as for a real value and the
 * places where values go can be found again.
 */
function placeholderOf(name: SecretName): string {
  const known = PLACEHOLDERS.get(name);
  if (known !== undefined) return known;
  const placeholder = makePlaceholder(name);
  PLACEHOLDERS.set(name, placeholder);
  return placeholder;
}

const PLACEHOLDERS = new Map<SecretName, string>();

function makePlaceholder(name: SecretName): string {
  const seed = sha256Hex(`topoforge ansible placeholder ${name}`);
  const { bytes, encoding } = SECRETS[name];
  if (encoding === 'hex') return seed.repeat(Math.ceil((bytes * 2) / seed.length)).slice(0, bytes * 2);
  const length = Math.ceil(bytes / 3) * 4;
  return seed.repeat(Math.ceil(length / seed.length)).slice(0, length);
}

/**
 * A secret file as text between the places its values go: `pieces[i]`, then the value of
 * `variables[i]`, …, then the last piece. Rendered by the file's own renderer, so it is the same
 * file push writes with the same values.
 */
export function secretTemplateOf(file: SecretFile): { pieces: string[]; variables: string[] } {
  const values: SecretValues = {};
  const byPlaceholder = new Map<string, string>();
  for (const name of file.secrets) {
    const placeholder = placeholderOf(name);
    values[name] = { current: placeholder };
    byPlaceholder.set(placeholder, vaultVariableOf(file.scope, name));
  }
  const text = renderSecretFile(file, values);
  const pieces: string[] = [];
  const variables: string[] = [];
  let from = 0;
  for (;;) {
    let next: { at: number; placeholder: string } | undefined;
    for (const placeholder of byPlaceholder.keys()) {
      const at = text.indexOf(placeholder, from);
      if (at >= 0 && (next === undefined || at < next.at)) next = { at, placeholder };
    }
    if (next === undefined) break;
    pieces.push(text.slice(from, next.at));
    variables.push(byPlaceholder.get(next.placeholder)!);
    from = next.at + next.placeholder.length;
  }
  pieces.push(text.slice(from));
  return { pieces, variables };
}

/** Hosts in push's order, split into the ones updated together and chains updated one at a time. */
interface Rollout {
  parallel: string[];
  /** Each a set of hosts that share a roll-out order, in that order; Ansible's `serial: 1`. */
  chains: string[][];
}

/**
 * Push's roll-out order (core/generate/rollout.ts) as Ansible plays: serial groups that share a
 * host are merged into one chain (so one play keeps both their orders), each chain lists its hosts
 * in the order push merges all groups' orders into, and every other host is updated at once.
 */
function rolloutOf(hosts: string[], serial: readonly SerialGroup[]): Rollout {
  const known = new Set(hosts);
  const groups = serial
    .map((group) => group.hosts.filter((host) => known.has(host)))
    .filter((group) => group.length >= 2);
  const order = topologicalOrder(
    hosts,
    groups.flatMap((group) => group.slice(1).map((host, place): [string, string] => [group[place]!, host])),
  );
  const parent = new Map<string, string>();
  const find = (host: string): string => {
    let root = host;
    while (parent.has(root)) root = parent.get(root)!;
    if (root !== host) parent.set(host, root);
    return root;
  };
  for (const group of groups)
    for (const host of group.slice(1)) {
      const [left, right] = [find(group[0]!), find(host)];
      if (left !== right) parent.set(right, left);
    }
  const inChain = new Set(groups.flat());
  const chains = new Map<string, string[]>();
  for (const host of order) {
    if (!inChain.has(host)) continue;
    const root = find(host);
    if (!chains.has(root)) chains.set(root, []);
    chains.get(root)!.push(host);
  }
  return { parallel: hosts.filter((host) => !inChain.has(host)), chains: [...chains.values()] };
}

/** Inventory groups from the design: per site, per group kind, per service kind (role), per group. */
function designGroups(design: Design, hosts: ReadonlySet<string>): Map<string, string[]> {
  const index = indexDesign(design);
  const groups = new Map<string, Set<string>>();
  const add = (name: string, host: string | undefined) => {
    if (host === undefined || !hosts.has(host)) return;
    if (!groups.has(name)) groups.set(name, new Set());
    groups.get(name)!.add(host);
  };
  for (const host of design.hosts)
    if (host.site !== undefined) add(`site_${identifierOf(host.site)}`, host.id);
  for (const service of design.services) add(`role_${identifierOf(service.kind)}`, service.host);
  for (const group of design.groups ?? [])
    for (const member of index.membersByGroup.get(group.id) ?? []) {
      add(`kind_${identifierOf(group.kind)}`, member.host);
      add(`group_${identifierOf(group.id)}`, member.host);
    }
  const order = new Map(design.hosts.map((host, place) => [host.id as string, place]));
  return new Map(
    [...groups]
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([name, members]) => [name, [...members].sort((a, b) => order.get(a)! - order.get(b)!)]),
  );
}

/**
 * The YAML node of `value`, every string value (never a key) tagged `!unsafe` unless `trusted`
 * says so. Built directly rather than through `createNode` and a `visit`: a 1,000-host export
 * makes thousands of these documents.
 */
function nodeOf(value: unknown, trusted: (text: string) => boolean): unknown {
  if (typeof value === 'string') {
    const scalar = new Scalar(value);
    if (value === FOLDERS_TASK) scalar.comment = ' noqa: risky-file-permissions';
    if (!trusted(value)) scalar.tag = '!unsafe';
    return scalar;
  }
  if (Array.isArray(value)) {
    const sequence = new YAMLSeq();
    sequence.items = value.map((item) => nodeOf(item, trusted));
    return sequence;
  }
  if (value !== null && typeof value === 'object') {
    const map = new YAMLMap();
    map.items = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => new Pair(new Scalar(key), nodeOf(item, trusted)));
    return map;
  }
  return new Scalar(value);
}

/**
 * YAML text of `value` (see {@link nodeOf}). Strings are double-quoted: every escape is YAML's
 * own, and the yaml package writes them faster than it decides whether a plain scalar is safe.
 */
function yamlOf(value: unknown, trusted: (text: string) => boolean = () => false, lineWidth = 0): string {
  const document = new Document();
  document.contents = nodeOf(value, trusted) as Document['contents'];
  return `---\n${document.toString({ lineWidth, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' })}`;
}

/** Play variables: the longer expressions of the tasks and handlers, by name (Jinja is lazy). */
const PLAY_VARIABLES = {
  // The Vault variables a secret file (`item`) needs that are not defined.
  topoforge_missing_variables: `{{ item.variables | difference(query('ansible.builtin.varnames', '^${VAULT_PREFIX}')) }}`,
  // What both copy tasks placed and changed, in file order.
  topoforge_changed: `{{ (topoforge_placed.results | default([]) + topoforge_secrets_placed.results | default([])) | selectattr('changed') | map(attribute='item') | list }}`,
  // Push's reloads: each once, in file order.
  topoforge_reloads:
    "{{ topoforge_changed | selectattr('reload', 'defined') | map(attribute='reload') | unique | list }}",
};

/** Whether a file's content begins with Topoforge's mark (core/push.ts). */
function startsWithMark(content: string | Uint8Array): boolean {
  const text =
    typeof content === 'string'
      ? content
      : new TextDecoder().decode(content.subarray(0, GENERATED_MARK.length));
  return text.startsWith(GENERATED_MARK);
}

/** The task that makes missing folders; ansible-lint is told why it sets no mode. */
const FOLDERS_TASK = 'Create the folders the files go in';

/** The tasks of every play: the same for every host, driven by its host_vars. */
function tasks(): unknown[] {
  return [
    {
      // As push does: a missing folder is made (0755 under the default umask); an existing one is
      // left as it is, its mode and owner included, which is why no mode is given.
      name: FOLDERS_TASK,
      'ansible.builtin.file': { path: '{{ item }}', state: 'directory' },
      loop: "{{ (topoforge_files | default([]) + topoforge_secret_files | default([])) | map(attribute='dest') | map('dirname') | unique | list }}",
    },
    {
      // Read only, in --check too: a generated create-only file is kept on the host only when the
      // host's copy is Topoforge's, not a package's stock file (docs/push.md, step 3).
      name: 'Read the first line of the generated files the services rewrite',
      'ansible.builtin.command': { argv: ['head', '-n', '1', '--', '{{ item.dest }}'] },
      loop: "{{ topoforge_files | default([]) | selectattr('generated', 'defined') | list }}",
      loop_control: { label: '{{ item.dest }}' },
      register: 'topoforge_first_lines',
      changed_when: false,
      failed_when: false,
      check_mode: false,
    },
    {
      name: 'Place the files of the bundle',
      'ansible.builtin.copy': {
        src: `{{ playbook_dir }}/{{ item.src }}`,
        dest: '{{ item.dest }}',
        mode: '{{ item.mode }}',
        owner: '{{ item.owner | default(omit) }}',
        group: '{{ item.group | default(omit) }}',
        force: `{{ item.force or (item.generated is defined and not ((topoforge_first_lines.results | selectattr('item.dest', 'equalto', item.dest) | map(attribute='stdout') | first | default('')) is match('${GENERATED_MARK}'))) }}`,
        backup: true,
        validate: '{{ item.validate | default(omit) }}',
      },
      loop: '{{ topoforge_files | default([]) }}',
      loop_control: { label: '{{ item.dest }}' },
      register: 'topoforge_placed',
      notify: ['Topoforge daemon-reload', 'Topoforge reload'],
    },
    {
      name: 'Name the secret files whose Vault variables are undefined',
      'ansible.builtin.debug': {
        msg: "Skipped {{ item.dest }}: Vault variable {{ topoforge_missing_variables | join(', ') }} is not defined",
      },
      loop: '{{ topoforge_secret_files | default([]) }}',
      loop_control: { label: '{{ item.dest }}' },
      when: 'topoforge_missing_variables | length > 0',
    },
    {
      name: 'Place the secret files from Vault variables',
      'ansible.builtin.copy': {
        content:
          "{% for piece in item.pieces %}{{ piece }}{% if not loop.last %}{{ lookup('ansible.builtin.vars', item.variables[loop.index0]) }}{% endif %}{% endfor %}",
        dest: '{{ item.dest }}',
        mode: '{{ item.mode }}',
        owner: '{{ item.owner }}',
        group: '{{ item.group }}',
        force: false,
        backup: true,
      },
      loop: '{{ topoforge_secret_files | default([]) }}',
      loop_control: { label: '{{ item.dest }}' },
      when: 'topoforge_missing_variables | length == 0',
      // The content holds the values: never shown, not even by --diff or -v.
      no_log: true,
      diff: false,
      register: 'topoforge_secrets_placed',
      notify: ['Topoforge reload'],
    },
  ];
}

/**
 * Handlers run in the order they are listed: `systemctl daemon-reload` first, then each reload once,
 * as push does. Both run through `/bin/sh -c`, as push runs them (reloads are shell command lines).
 */
function handlers(): unknown[] {
  return [
    {
      name: 'Topoforge daemon-reload',
      'ansible.builtin.command': { argv: ['/bin/sh', '-c', DAEMON_RELOAD] },
      when: "topoforge_changed | selectattr('unit', 'defined') | list | length > 0",
      changed_when: true,
    },
    {
      name: 'Topoforge reload',
      'ansible.builtin.command': { argv: ['/bin/sh', '-c', '{{ item }}'] },
      loop: '{{ topoforge_reloads }}',
      changed_when: true,
    },
  ];
}

/** One play: its hosts, and `serial: 1` when they go one at a time, in the inventory group's order. */
function play(name: string, group: string, oneAtATime: boolean): unknown {
  return {
    name,
    hosts: group,
    gather_facts: false,
    ...(oneAtATime ? { serial: 1, max_fail_percentage: 0 } : {}),
    vars: PLAY_VARIABLES,
    tasks: tasks(),
    handlers: handlers(),
  };
}

/**
 * The export of a bundle: `inventory.yml`, `site.yml`, `host_vars/<host>.yml` and the files under
 * `files/<host>/<path>`. Pure and deterministic: the same bundle gives the same bytes.
 */
export function exportAnsible(input: AnsibleExportInput): AnsibleFile[] {
  const { manifest } = input;
  const hostIds = manifest.hosts.map((host) => host.id);
  const rollout = rolloutOf(hostIds, manifest.serial ?? []);
  const output: AnsibleFile[] = [];

  const children: Record<string, { hosts: Record<string, null> }> = {};
  const membersOf = (hosts: string[]) => ({ hosts: Object.fromEntries(hosts.map((host) => [host, null])) });
  if (rollout.parallel.length > 0) children[PARALLEL_GROUP] = membersOf(rollout.parallel);
  rollout.chains.forEach(
    (chain, place) => (children[`${ROLLOUT_GROUP_PREFIX}${place + 1}`] = membersOf(chain)),
  );
  if (input.design)
    for (const [name, hosts] of designGroups(input.design, new Set(hostIds)))
      children[name] = membersOf(hosts);

  const inventory = {
    all: {
      hosts: Object.fromEntries(
        manifest.hosts.map((host) => [
          host.id,
          {
            ansible_host: host.address,
            ansible_port: host.ssh.port,
            ansible_user: host.ssh.user,
            ...(host.ssh.sudo ? { ansible_become: true } : {}),
          },
        ]),
      ),
      children,
    },
  };
  output.push({ path: 'inventory.yml', content: yamlOf(inventory) });

  const plays = [
    ...(rollout.parallel.length > 0 ? [play('Hosts updated together', PARALLEL_GROUP, false)] : []),
    ...rollout.chains.map((_chain, place) => {
      const group = `${ROLLOUT_GROUP_PREFIX}${place + 1}`;
      return play(`Hosts updated one at a time, in order (${group})`, group, true);
    }),
  ];
  // site.yml holds no value from the bundle, only this module's own text and Jinja.
  output.push({ path: 'site.yml', content: yamlOf(plays, () => true, 150) });

  const rootOf = new Map(manifest.hosts.map((host) => [host.id, host.ssh.root]));
  const filesOf = new Map<string, unknown[]>(hostIds.map((host) => [host, []]));
  for (const file of manifest.files) {
    const source = `${ANSIBLE_FILES_DIRECTORY}/${bundlePathOf(file).slice('hosts/'.length)}`;
    const content = input.contentOf(file);
    output.push({ path: source, content });
    filesOf.get(file.host)?.push({
      src: source,
      dest: rootedPath(rootOf.get(file.host) ?? '/', file.path),
      mode: file.mode,
      ...ownerFields(file.owner),
      force: file.policy !== 'create-only',
      // As push: a generated create-only file replaces a host copy that is not Topoforge's.
      ...(file.policy === 'create-only' && startsWithMark(content) ? { generated: true } : {}),
      ...(file.check !== undefined ? { validate: validateOf(file.check) } : {}),
      ...(file.reload !== undefined ? { reload: file.reload } : {}),
      ...(file.path.startsWith(`${UNIT_DIRECTORY}/`) ? { unit: true } : {}),
    });
  }
  const secretsOf = new Map<string, unknown[]>();
  for (const file of manifest.secrets ?? []) {
    const template = secretTemplateOf(file);
    if (!secretsOf.has(file.host)) secretsOf.set(file.host, []);
    secretsOf.get(file.host)!.push({
      dest: rootedPath(rootOf.get(file.host) ?? '/', file.path),
      mode: file.mode,
      ...ownerFields(file.owner),
      pieces: template.pieces,
      variables: template.variables,
      reload: file.reload,
    });
  }
  for (const host of hostIds) {
    const files = filesOf.get(host)!;
    const secrets = secretsOf.get(host) ?? [];
    output.push({
      path: `host_vars/${host}.yml`,
      content: yamlOf({
        topoforge_files: files,
        ...(secrets.length > 0 ? { topoforge_secret_files: secrets } : {}),
      }),
    });
  }
  return output;
}

/** The Vault variables a bundle's secret files read, sorted: what the person defines in a vault. */
export function vaultVariablesOf(manifest: AnsibleManifest): string[] {
  return [
    ...new Set(
      (manifest.secrets ?? []).flatMap((file) =>
        file.secrets.map((name) => vaultVariableOf(file.scope, name)),
      ),
    ),
  ].sort();
}

/**
 * The Ansible export of a bundle generated in this process (the designer's File › Export Ansible
 * playbook): its files' contents come from the bundle itself, and the design given must be the
 * one it was generated from.
 */
export function exportBundleToAnsible(
  bundle: { manifest: AnsibleManifest; files: readonly { host?: string; path: string; content: string }[] },
  design?: Design,
): AnsibleFile[] {
  const contents = new Map(
    bundle.files
      .filter((file) => file.host !== undefined)
      .map((file) => [`${file.host}\n${file.path}`, file.content]),
  );
  return exportAnsible({
    manifest: bundle.manifest,
    contentOf: (file) => {
      const content = contents.get(`${file.host}\n${file.path}`);
      if (content === undefined) throw new Error(`the bundle has no ${file.path} for ${file.host}`);
      return content;
    },
    ...(design ? { design } : {}),
  });
}
