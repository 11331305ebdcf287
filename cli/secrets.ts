/**
 * `topoforge secrets list|rotate [NAME]` (docs/cli.md and docs/push.md): what the secret store on this
 * machine holds for each deployment, and rotation. Values are never printed, in text or JSON.
 *
 * Exit 0 on success, 1 when the store cannot be read or written, 2 on bad input (an unknown
 * subcommand, a name the store does not hold, a name held for several designs without --design).
 */
import pc from 'picocolors';
import { EXIT, UsageError, commandOutput, parseOptions } from './support';
import type { CliIo, Fail } from './support';
import { didYouMean } from '../core/suggest';
import { SECRETS_DIRECTORY_VARIABLE, SecretStore, SecretStoreError } from '../deploy/secrets/index';
import type { SecretStoreOptions, SecretSummary } from '../deploy/secrets/index';

/** Usage of the secrets command. */
export const SECRETS_USAGE = `Usage: topoforge secrets list [NAME] [options]
       topoforge secrets rotate NAME [--finish] [options]

The passwords and key files Topoforge creates for the datastores of a deployment live in a secret
store on this machine, never in a design or a bundle: push creates each one on first deploy and
uploads it to the hosts that need it. NAME is a group (its members share its secrets) or a service
in no group. Values are never printed.

  list            every stored secret: design, name, hosts, created and rotated dates
  rotate NAME     new values for NAME's secrets; the next push rolls them out, and hosts accept
                  the old and the new value meanwhile
  rotate NAME --finish
                  retire the old values once every client uses the new ones; push again

Options:
  --design NAME   the design the secrets belong to (its "name"), when several hold NAME
  --store DIR     the secret store (default: $${SECRETS_DIRECTORY_VARIABLE}, else secrets/ in the app's data folder)
  --json          machine-readable output
`;

/** Runs `topoforge secrets …`; `options` places the store (tests pass a folder of their own). */
export async function runSecrets(
  args: string[],
  io: CliIo,
  options: SecretStoreOptions = {},
): Promise<number> {
  const output = commandOutput('secrets', SECRETS_USAGE, args.includes('--json'), io);
  const { json, fail } = output;
  try {
    const { values, positionals } = parseOptions(args, {
      json: { type: 'boolean' },
      finish: { type: 'boolean' },
      design: { type: 'string' },
      store: { type: 'string' },
    });
    if (values.help) {
      io.stdout(SECRETS_USAGE);
      return EXIT.ok;
    }
    const [subcommand, ...names] = positionals;
    const store = new SecretStore({ ...options, ...(values.store ? { directory: values.store } : {}) });
    if (subcommand === 'list') {
      if (names.length > 1) throw new UsageError(`list takes at most one name, got ${names.length}`);
      if (values.finish) throw new UsageError('--finish goes with rotate');
      return await list(store, names[0], values.design, json, io);
    }
    if (subcommand === 'rotate') {
      if (names.length !== 1)
        throw new UsageError('rotate takes one name: the group or service whose secrets to rotate');
      return await rotate(store, names[0]!, values.design, values.finish === true, json, io, fail);
    }
    throw new UsageError(
      subcommand === undefined
        ? 'secrets needs a subcommand: list or rotate'
        : `unknown subcommand '${subcommand}'${didYouMean(subcommand, ['list', 'rotate'])}`,
    );
  } catch (error) {
    if (error instanceof UsageError) return output.usage(error.message);
    if (error instanceof SecretStoreError) return fail(error.message, EXIT.failed, error.path);
    throw error;
  }
}

/** A summary as JSON shows it: everything but the file's own folder layout. */
function summaryJson(summary: SecretSummary): Record<string, unknown> {
  return {
    design: summary.design,
    name: summary.scope,
    secret: summary.name,
    about: summary.about,
    hosts: summary.hosts,
    created: summary.created,
    rotated: summary.rotated,
    rotation: summary.rotation,
    file: summary.file,
  };
}

async function list(
  store: SecretStore,
  name: string | undefined,
  design: string | undefined,
  json: boolean,
  io: CliIo,
): Promise<number> {
  const summaries = await store.list({
    ...(name === undefined ? {} : { scope: name }),
    ...(design === undefined ? {} : { design }),
  });
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: true, store: store.directory, secrets: summaries.map(summaryJson) })}\n`,
    );
    return EXIT.ok;
  }
  const c = pc.createColors(io.color);
  io.stdout(`${c.bold('Secret store')} ${store.directory}\n`);
  if (summaries.length === 0) {
    io.stdout(
      name === undefined
        ? '  No secrets yet: push creates them on first deploy.\n'
        : `  No secrets of ${name}${design === undefined ? '' : ` for "${design}"`}.\n`,
    );
    return EXIT.ok;
  }
  let current = '';
  const scopeWidth = Math.max(...summaries.map((summary) => summary.scope.length), 4);
  const nameWidth = Math.max(...summaries.map((summary) => summary.name.length), 6);
  for (const summary of summaries) {
    if (summary.design !== current) {
      current = summary.design;
      io.stdout(`\n${c.bold(summary.design)}\n`);
    }
    const rotated = summary.rotated === null ? 'never rotated' : `rotated ${day(summary.rotated)}`;
    const state = summary.rotation === 'done' ? '' : `  ${c.yellow(rotationText(summary))}`;
    io.stdout(
      `  ${summary.scope.padEnd(scopeWidth)}  ${summary.name.padEnd(nameWidth)}  created ${day(summary.created)}, ${rotated}  ${c.dim(`hosts ${summary.hosts.join(', ') || '(none yet)'}`)}${state}\n`,
    );
  }
  io.stdout(
    `\n${c.dim('Values stay in the store files (readable by you only) and the hosts; they are never printed.')}\n`,
  );
  return EXIT.ok;
}

function day(timestamp: string): string {
  return timestamp.slice(0, 10);
}

function rotationText(summary: SecretSummary): string {
  switch (summary.rotation) {
    case 'rolling-out':
      return 'rotated: the next push rolls it out';
    case 'awaiting-finish':
      return `rolled out: run rotate ${summary.scope} --finish once clients use the new value`;
    case 'finishing':
      return 'finished: the next push retires the old value';
    case 'done':
      return '';
  }
}

async function rotate(
  store: SecretStore,
  name: string,
  design: string | undefined,
  finish: boolean,
  json: boolean,
  io: CliIo,
  fail: Fail,
): Promise<number> {
  const held = await store.list({ scope: name, ...(design === undefined ? {} : { design }) });
  const designs = [...new Set(held.map((summary) => summary.design))];
  if (designs.length === 0) {
    const known = [...new Set((await store.list()).map((summary) => summary.scope))];
    return fail(
      `the store holds no secrets of ${name}${design === undefined ? '' : ` for "${design}"`}${didYouMean(name, known)}; push creates them on first deploy`,
      EXIT.usage,
    );
  }
  if (designs.length > 1) {
    return fail(
      `${name} has secrets for several designs (${designs.map((each) => `"${each}"`).join(', ')}): pick one with --design`,
      EXIT.usage,
    );
  }
  const rotated = await store.rotate(designs[0]!, name, { finish });
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: true, store: store.directory, finish, secrets: rotated.map(summaryJson) })}\n`,
    );
    return EXIT.ok;
  }
  const c = pc.createColors(io.color);
  const hosts = rotated[0]?.hosts.join(', ') ?? '';
  const secrets = rotated.map((summary) => summary.name).join(', ');
  if (finish) {
    io.stdout(
      `${c.green('✓')} Retired the old values of ${name} (${secrets}) for "${designs[0]}".\n` +
        `  The next push removes them from ${hosts}, one host at a time in push order.\n`,
    );
  } else {
    io.stdout(
      `${c.green('✓')} New values for ${name} (${secrets}) for "${designs[0]}".\n` +
        `  The next push rolls them out to ${hosts}, one host at a time in push order. Until then, and\n` +
        '  while it runs, every host accepts the old and the new value where its daemon takes two, and\n' +
        '  whatever logs in (replicas, Sentinels, replica set members) keeps using the old one.\n' +
        `  Once your applications use the new values, run \`topoforge secrets rotate ${name} --finish\` and push again.\n`,
    );
  }
  return EXIT.ok;
}
