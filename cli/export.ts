/**
 * `topoforge export ansible BUNDLE --out DIR [--design FILE] [--manifest-digest D] [--json]`
 * (docs/cli.md and docs/ansible.md): the bundle as an Ansible inventory, playbook and files.
 *
 * The bundle is read and checked exactly as push reads it (deploy/push/bundle.ts), so the export
 * never carries a file, command, mode or owner that push would refuse. Exit 0 when written, 2 on
 * bad input (not a bundle, a design that is not the bundle's, an unknown format, an unwritable DIR).
 */
import { join } from 'node:path';
import pc from 'picocolors';
import { EXIT, commandOutput, parseOptions, readDesignFile } from './support';
import type { CliIo } from './support';
import { designMatchesManifest, exportAnsible, vaultVariablesOf } from '../core/ansible/export';
import type { Design } from '../core/model';
import { didYouMean } from '../core/suggest';
import { nodeSha256 } from '../deploy/hash';
import { loadPushBundle } from '../deploy/push/index';
import { ExportWriteError, writeExportFolder } from '../deploy/write-export';

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

/** Runs `topoforge export …`. */
export async function runExport(args: string[], io: CliIo): Promise<number> {
  const { json, fail, usage } = commandOutput('export', EXPORT_USAGE, args.includes('--json'), io);
  let parsed;
  try {
    parsed = parseOptions(args, {
      out: { type: 'string', short: 'o' },
      design: { type: 'string' },
      'manifest-digest': { type: 'string' },
      json: { type: 'boolean' },
    });
  } catch (error) {
    return usage((error as Error).message);
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
    return fail('export ansible needs --out DIR, the folder to write the playbook to', EXIT.usage, '--out');

  const digest = values['manifest-digest'];
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/u.test(digest))
    return fail(
      `--manifest-digest takes sha256: and 64 hex digits, got '${digest}'`,
      EXIT.usage,
      '--manifest-digest',
    );
  const loaded = await loadPushBundle(
    bundleDirectory,
    digest !== undefined ? { manifestDigest: digest } : {},
  );
  if (!loaded.ok) return fail(loaded.problem.message, EXIT.usage, loaded.problem.path);
  const bundle = loaded.bundle;
  if (bundle.trust.unknown.length > 0 && !bundle.trust.vouched) {
    const [first] = bundle.trust.unknown;
    return fail(
      `${first!.path}: ${first!.message}; export refuses a manifest outside the daemon catalogue unless you pass --manifest-digest ${bundle.trust.digest} once you have reviewed it`,
      EXIT.usage,
      first!.path,
    );
  }

  let design: Design | undefined;
  if (values.design !== undefined) {
    const read = await readDesignFile(values.design, io, fail, '--design');
    if ('exitCode' in read) return read.exitCode;
    if (!designMatchesManifest(read.design, bundle.manifest, nodeSha256))
      return fail(
        `${values.design} is not the design of ${bundleDirectory}: the bundle was generated from another version (generate it again)`,
        EXIT.usage,
        '--design',
      );
    design = read.design;
  }

  const contents = new Map(
    [...bundle.files.values()].flat().map((file) => [`${file.host}\n${file.path}`, file.content]),
  );
  const files = exportAnsible({
    manifest: bundle.manifest,
    contentOf: (file) => contents.get(`${file.host}\n${file.path}`)!,
    ...(design ? { design } : {}),
  });

  try {
    await writeExportFolder(files, values.out, { replace: true });
  } catch (error) {
    if (error instanceof ExportWriteError) return fail(error.message, EXIT.usage, '--out');
    throw error;
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
