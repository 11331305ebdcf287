/**
 * `topoforge collect TARGET... --out DIR [--identity FILE] [--known-hosts FILE] [--accept-new]
 * [--root DIR] [--json]` (docs/import.md): reads the configs of running hosts over SSH into an
 * import folder for `topoforge import`. Writes nothing on a host.
 *
 * Exit 0 when every host was read, 1 when a host or a file could not be, 2 on bad arguments.
 */
import { homedir } from 'node:os';
import pc from 'picocolors';
import { EXIT, commandOutput, parseOptions } from './support';
import type { CliIo } from './support';
import type { CollectEvent } from '../core/collect';
import { collect, parseTarget, type CollectTarget } from '../deploy/collect/index';
import { CredentialsError } from '../deploy/push/connection';
import { defaultIdentityFiles, defaultKnownHostsFiles } from '../deploy/push/index';

/** Usage of the collect command. */
export const COLLECT_USAGE = `Usage: topoforge collect TARGET... --out DIR [options]

Reads the configs of running hosts over SSH (TARGET is user@address[:port]) into DIR, in the
layout topoforge import reads: the known config paths (nginx, HAProxy, keepalived, Redis and
Sentinel, mongod, systemd units and mounts) and every file their includes name. It only reads:
nothing is written on a host. Host keys are checked as push checks them.

Options:
  --out DIR            the folder to fill (hosts/<host>/..., inventory.json)
  --identity FILE      private key to log in with (default: ssh-agent, then ~/.ssh/id_*)
  --known-hosts FILE   known_hosts to trust and record in (default: ~/.ssh/known_hosts)
  --accept-new         trust a host seen for the first time and record its key (never a changed one)
  --root DIR           read under this path on every host instead of / (a staged copy)
  --json               print {"ok", "hosts": [{"host", "address", "files", "problems"}]}
`;

/** Runs `topoforge collect …`. */
export async function runCollect(args: string[], io: CliIo, home = homedir()): Promise<number> {
  const { json, usage } = commandOutput('collect', COLLECT_USAGE, args.includes('--json'), io);
  let parsed;
  try {
    parsed = parseOptions(args, {
      out: { type: 'string' },
      identity: { type: 'string', short: 'i' },
      'known-hosts': { type: 'string' },
      'accept-new': { type: 'boolean' },
      root: { type: 'string' },
      json: { type: 'boolean' },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(COLLECT_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) return usage('collect needs at least one TARGET (user@address[:port])');
  if (values.out === undefined) return usage('--out DIR is required');
  if (values.root !== undefined && !values.root.startsWith('/'))
    return usage('--root must be an absolute path');
  const targets: CollectTarget[] = [];
  for (const text of positionals) {
    const target = parseTarget(text);
    if (!target) return usage(`'${text}' is not user@address[:port]`);
    targets.push(target);
  }
  const colors = pc.createColors(io.color);
  let hosts;
  const fetched = new Map<string, number>();
  try {
    hosts = await collect({
      targets,
      out: values.out,
      ...(values.root !== undefined ? { root: values.root } : {}),
      authentication: {
        ...(values.identity !== undefined ? { identityFile: values.identity } : {}),
        ...(process.env.SSH_AUTH_SOCK ? { agentSocket: process.env.SSH_AUTH_SOCK } : {}),
        defaultIdentityFiles: defaultIdentityFiles(home),
      },
      hostKeys: {
        knownHosts: values['known-hosts']
          ? { read: [values['known-hosts']], write: values['known-hosts'] }
          : defaultKnownHostsFiles(home),
        acceptNew: values['accept-new'] === true,
      },
      ...(json
        ? {}
        : {
            onEvent: (event: CollectEvent) => {
              if (event.type === 'file') fetched.set(event.host, event.files);
              else if (event.state === 'done')
                io.stdout(`${colors.green('✓')} ${event.host}: ${fetched.get(event.host) ?? 0} files\n`);
            },
          }),
    });
  } catch (error) {
    if (error instanceof CredentialsError) {
      if (json)
        io.stdout(
          `${JSON.stringify({ ok: false, error: { message: error.message, path: '--identity' } })}\n`,
        );
      else io.stderr(`topoforge collect: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
  const ok = hosts.every((host) => host.problems.length === 0);
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok, hosts: hosts.map((host) => ({ host: host.host, address: host.address, files: host.files, problems: host.problems })) })}\n`,
    );
  } else {
    for (const host of hosts) {
      for (const problem of host.problems)
        io.stderr(
          `${colors.red('✗')} ${host.host}${problem.path ? ` ${problem.path}` : ''}: ${problem.message}\n`,
        );
    }
    io.stdout(
      `Wrote ${values.out}: ${hosts.length} hosts; next: topoforge import ${values.out} --out DESIGN\n`,
    );
  }
  return ok ? EXIT.ok : EXIT.failed;
}
