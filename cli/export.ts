/**
 * `topoforge export ansible BUNDLE --out DIR [--design FILE] [--manifest-digest D] [--json]`
 * (docs/cli.md and docs/ansible.md): the bundle as an Ansible inventory, playbook and files.
 *
 * The bundle is read and checked exactly as push reads it (deploy/push/bundle.ts), so the export
 * never carries a file, command, mode or owner that push would refuse. Exit 0 when written, 2 on
 * bad input (not a bundle, a design that is not the bundle's, an unknown format, an unwritable DIR).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import type { CliIo } from './main';
import { designMatchesManifest, exportAnsible, vaultVariablesOf } from '../core/ansible/export';
import { describeFileError } from '../core/file-errors';
import { parseDesign } from '../core/load';
import type { Design } from '../core/model';
import { didYouMean } from '../core/suggest';
import { nodeSha256 } from '../deploy/hash';
import { loadPushBundle } from '../deploy/push/index';

/** Exit codes of docs/cli.md, as in cli/main.ts (kept here so main can import this file). */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The formats `export` writes. */
const FORMATS = ['ansible'];

/** Usage of the export command. */
export const EXPORT_USAGE = `Usage: topoforge export ansible BUNDLE --out DIR [options]

Writes the bundle as an Ansible inventory (inventory.yml), playbook (site.yml), host_vars/ and
files/, for teams that roll out with Ansible or AWX: ansible-playbook -i DIR/inventory.yml
DIR/site.yml puts the same bytes, modes and owners on the same hosts as topoforge push, in push's
order. Secrets are read from Ansible Vault variables; none is ever written.

Options:
  --out DIR           the folder to write (files of a previous export are replaced; nothing else is removed)
  --design FILE       the bundle's design: adds inventory groups per site, group kind, role and group
  --manifest-digest D export a hand-made manifest whose commands, modes, owners or paths are not
                      the catalogue's, once reviewed (topoforge push --dry-run prints the digest)
  --json              machine-readable output
`;

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      out: { type: 'string', short: 'o' },
      design: { type: 'string' },
      'manifest-digest': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

/** Runs `topoforge export …`. */
export async function runExport(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const fail = (message: string, path = '(arguments)', code: number = EXIT.usage): number => {
    if (json) io.stdout(`${JSON.stringify({ ok: false, error: { message, path } })}\n`);
    else io.stderr(`topoforge export: ${message}\n`);
    return code;
  };
  let parsed;
  try {
    parsed = parse(args);
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${EXPORT_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(EXPORT_USAGE);
    return EXIT.ok;
  }
  const [format, bundleDirectory, ...extra] = positionals;
  if (format === undefined) return fail(`export needs a format (${FORMATS.join(', ')}) and a bundle`);
  if (!FORMATS.includes(format))
    return fail(
      `unknown export format '${format}'${didYouMean(format, FORMATS)}; export writes ${FORMATS.join(', ')}`,
    );
  if (bundleDirectory === undefined)
    return fail('export ansible needs a bundle folder (topoforge generate writes one)');
  if (extra.length > 0) return fail(`export ansible takes one bundle folder, got ${extra.length + 1}`);
  if (!values.out)
    return fail('export ansible needs --out DIR, the folder to write the playbook to', '--out');

  const digest = values['manifest-digest'];
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/u.test(digest))
    return fail(`--manifest-digest takes sha256: and 64 hex digits, got '${digest}'`, '--manifest-digest');
  const loaded = await loadPushBundle(
    bundleDirectory,
    digest !== undefined ? { manifestDigest: digest } : {},
  );
  if (!loaded.ok) return fail(loaded.problem.message, loaded.problem.path);
  const bundle = loaded.bundle;
  if (bundle.trust.unknown.length > 0 && !bundle.trust.vouched) {
    const [first] = bundle.trust.unknown;
    return fail(
      `${first!.path}: ${first!.message}; export refuses a manifest outside the daemon catalogue unless you pass --manifest-digest ${bundle.trust.digest} once you have reviewed it`,
      first!.path,
    );
  }

  let design: Design | undefined;
  if (values.design !== undefined) {
    let text: string;
    try {
      text = await io.readText(values.design);
    } catch (error) {
      return fail(`cannot read ${values.design}: ${describeFileError(error)}`, '--design');
    }
    const result = parseDesign(text);
    if (!result.ok)
      return fail(`${values.design} is not a design: ${result.problems[0]?.message}`, '--design');
    if (!designMatchesManifest(result.design, bundle.manifest, nodeSha256))
      return fail(
        `${values.design} is not the design of ${bundleDirectory}: the bundle was generated from another version (generate it again)`,
        '--design',
      );
    design = result.design;
  }

  const contents = new Map(
    [...bundle.files.values()].flat().map((file) => [`${file.host}\n${file.path}`, file.content]),
  );
  const files = exportAnsible({
    manifest: bundle.manifest,
    contentOf: (file) => contents.get(`${file.host}\n${file.path}`)!,
    ...(design ? { design } : {}),
  });

  const out = resolve(values.out);
  try {
    for (const file of files) {
      const path = join(out, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
  } catch (error) {
    return fail(`cannot write ${values.out}: ${describeFileError(error)}`, '--out');
  }

  const variables = vaultVariablesOf(bundle.manifest);
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: true, out: values.out, hosts: bundle.hosts.length, files: files.length, vaultVariables: variables })}\n`,
    );
    return EXIT.ok;
  }
  const c = pc.createColors(io.color);
  io.stdout(
    `${c.green('✓')} ${bundle.manifest.design.name}: ${bundle.hosts.length} hosts, ${files.length} files in ${values.out}\n`,
  );
  io.stdout(
    `  run: ansible-playbook -i ${join(values.out, 'inventory.yml')} ${join(values.out, 'site.yml')}\n`,
  );
  if (variables.length > 0)
    io.stdout(
      `  Vault variables the secret files read (a file whose variable is undefined is skipped): ${variables.join(', ')}\n`,
    );
  return EXIT.ok;
}
