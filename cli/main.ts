/**
 * The `topoforge` command: docs/cli.md. Every command returns its exit code; nothing here
 * calls process.exit, so tests run the CLI in-process with their own output streams.
 */
import { readFile } from 'node:fs/promises';
import pc from 'picocolors';
import packageJson from '../package.json';
import { describeProblem } from '../core/load';
import type { LoadProblem } from '../core/load';
import { validateDesign } from '../core/rules';
import { indexDesign } from '../core/design-index';
import type { Finding } from '../core/rules/catalogue';
import { didYouMean } from '../core/suggest';
import type { Design } from '../core/model';
import type { ItemAvailability } from '../core/availability/types';
import { generateBundle } from '../core/generate/index';
import { bundlePathOf } from '../core/generate/bundle';
import { UnsafeValueError } from '../core/generate/quote';
import { nodeSha256 } from '../deploy/hash';
import { runExport } from './export';
import { runPush } from './push';
import { runSecrets } from './secrets';
import { runAvailability } from './availability';
import { estimatePartitionRecovery } from '../core/recovery/estimate';
import type { Recovery } from '../core/recovery/mechanisms';
import { runImport } from './import';
import { runCollect } from './collect';
import { runRehearse } from './rehearse';
import { runLab } from './lab';
import { BundleWriteError, writeBundle } from '../deploy/write-bundle';
import { EXIT, UsageError, loadDesignFile, parseOptions } from './support';
import type { CliIo } from './support';

export { EXIT } from './support';
export type { CliIo } from './support';

const USAGE = `Usage: topoforge <command> [options]

Commands:
  validate DESIGN [--json]                 check a design; exit 1 on error findings, 2 if it is not a design
  simulate DESIGN [--fail ID]... [--partition SIDE]... [--json]
                                           what survives: the given failures and network partition
                                           (SIDE: comma-separated site and host ids), or every single
                                           host and site failure and every site cut off
  generate DESIGN --out DIR [--force] [--json]
                                           write the config bundle; refuses while error findings remain
  push BUNDLE [--host ID]... [--dry-run] [--accept-new] [--identity FILE] [--known-hosts FILE]
       [--concurrency N] [--design FILE] [--break-lock] [--command-timeout S] [--json]
                                           put a bundle on its hosts over SSH: verified host keys, a diff
                                           first, atomic replace, reload, rollback on failure
  export ansible BUNDLE --out DIR [--design FILE] [--manifest-digest D] [--json]
                                           the bundle as an Ansible inventory and playbook, for fleets
  secrets list [NAME] [--json]             the secrets Topoforge keeps for your deployments (never their values)
  secrets rotate NAME [--finish] [--json]  new values for a group's or service's secrets; the next push rolls them out
  collect TARGET... --out DIR [--identity FILE] [--known-hosts FILE] [--accept-new] [--root DIR] [--json]
                                           read a running deployment's configs over SSH (reads only)
  import DIR --out DESIGN [--partial] [--json]
                                           rebuild a design from a running deployment's configs; lists
                                           every directive it did not use
  lab up DESIGN [--deploy] | lab status | lab exec HOST -- COMMAND | lab down [--dir DIR] [--json]
                                           a lab of the design's hosts on this Linux machine, to look around in
  rehearse DESIGN [--fail ID]... [--partition SIDE]... [--report FILE] [--dir DIR] [--json]
                                           deploy the design into a lab, fail hosts, sites and links for
                                           real and compare what clients see with the prediction

Options:
  --json       machine-readable output
  -h, --help   show this help
  --version    show the version

Examples:
  topoforge validate examples/tealeaf-resilient.topo.json
  topoforge simulate examples/tealeaf-resilient.topo.json --fail rep-1
  topoforge availability examples/tessera-ha.topo.json
  topoforge generate examples/tessera-ha.topo.json --out bundle/
  topoforge push bundle/ --dry-run
  topoforge secrets list
`;

/**
 * A reader that stops early (`topoforge simulate … | head`) closes the pipe: the rest of the output
 * has nowhere to go, which is no error of ours. Exit quietly instead of with a stack trace.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
      throw error;
    });
  }
}

function defaultIo(): CliIo {
  quietOnClosedPipe();
  const color =
    process.env.FORCE_COLOR !== undefined || (process.stdout.isTTY === true && !process.env.NO_COLOR);
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readText: (path) => readFile(path, 'utf8'),
    color,
  };
}

/** Runs the CLI with its arguments (without `node topoforge`) and returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    // Nothing asked: the usage is an error message here, so it goes where errors go.
    io.stderr(USAGE);
    return EXIT.usage;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    io.stdout(`topoforge ${packageJson.version}\n`);
    return EXIT.ok;
  }
  const commands: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
    validate: runValidate,
    simulate: runSimulate,
    availability: (args, io) => runAvailability(args, io, cliSupport),
    generate: runGenerate,
    push: runPush,
    export: runExport,
    secrets: runSecrets,
    import: runImport,
    collect: runCollect,
    lab: runLab,
    rehearse: runRehearse,
  };
  const run = commands[command];
  if (!run) {
    io.stderr(
      `topoforge: unknown command '${command}'${didYouMean(command, Object.keys(commands))}\n\n${USAGE}`,
    );
    return EXIT.usage;
  }
  return run(rest, io);
}

async function withUsage(args: string[], io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // A script that asked for JSON gets JSON, even when its arguments are wrong.
    if (args.includes('--json'))
      io.stdout(`${JSON.stringify({ ok: false, error: { message: error.message, path: '(arguments)' } })}\n`);
    else io.stderr(`topoforge: ${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
}

function reportLoadFailure(problems: LoadProblem[], file: string, json: boolean, io: CliIo): number {
  const colors = pc.createColors(io.color);
  if (json) {
    const [first] = problems;
    io.stdout(
      `${JSON.stringify({
        ok: false,
        error: {
          message: describeProblem(first!),
          path: first!.path,
          line: first!.line,
          column: first!.column,
        },
        problems: problems.map((p) => ({
          message: describeProblem(p),
          path: p.path,
          line: p.line,
          column: p.column,
        })),
      })}\n`,
    );
  } else {
    io.stderr(
      `${colors.red(colors.bold(`${file} is not a design`))} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n`,
    );
    for (const problem of problems) io.stderr(`  ${colors.red('✗')} ${describeProblem(problem)}\n`);
  }
  return EXIT.usage;
}

function positionalDesign(positionals: string[], command: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? `${command} needs a design file`
        : `${command} takes one design file, got ${positionals.length}`,
    );
  }
  return positionals[0]!;
}

// ---------------------------------------------------------------------------------------------
// validate

async function runValidate(args: string[], io: CliIo): Promise<number> {
  return withUsage(args, io, async () => {
    const { values, positionals } = parseOptions(args, { json: { type: 'boolean' } });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    const file = positionalDesign(positionals, 'validate');
    const loaded = await loadDesignFile(file, io);
    if (!loaded.ok) return reportLoadFailure(loaded.problems, file, values.json === true, io);
    const { findings } = validateDesign(loaded.design);
    const errors = findings.filter((f) => f.severity === 'error').length;
    if (values.json) {
      io.stdout(`${JSON.stringify({ ok: errors === 0, findings })}\n`);
    } else {
      printFindings(loaded.design, file, findings, io);
    }
    return errors === 0 ? EXIT.ok : EXIT.findings;
  });
}

function printFindings(design: Design, file: string, findings: Finding[], io: CliIo): void {
  const c = pc.createColors(io.color);
  const badge = { error: c.red('error  '), warning: c.yellow('warning'), info: c.cyan('info   ') };
  io.stdout(`${c.bold(design.name)} ${c.dim(`(${file})`)}\n`);
  for (const finding of findings) {
    io.stdout(`  ${badge[finding.severity]} ${c.bold(finding.rule)}  ${finding.message}\n`);
    io.stdout(`          ${c.dim(`subjects: ${finding.subjects.join(', ')}`)}\n`);
  }
  const count = (severity: Finding['severity']) => findings.filter((f) => f.severity === severity).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary = `${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${count('info')} info`;
  io.stdout(count('error') === 0 ? `${c.green('✓')} ${summary}\n` : `${c.red('✗')} ${summary}\n`);
}

// ---------------------------------------------------------------------------------------------
// simulate

async function runSimulate(args: string[], io: CliIo): Promise<number> {
  return withUsage(args, io, async () => {
    const { values, positionals } = parseOptions(args, {
      json: { type: 'boolean' },
      fail: { type: 'string', multiple: true },
      partition: { type: 'string', multiple: true },
    });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    const file = positionalDesign(positionals, 'simulate');
    const json = values.json === true;
    const loaded = await loadDesignFile(file, io);
    if (!loaded.ok) return reportLoadFailure(loaded.problems, file, json, io);
    const { model } = validateDesign(loaded.design);
    const failed = values.fail ?? [];

    for (const id of failed) {
      if (model.failureKind(id) !== undefined) continue;
      const what = model.index.groups.has(id)
        ? `'${id}' is a group`
        : (loaded.design.entrypoints ?? []).some((e) => e.id === id)
          ? `'${id}' is an entrypoint`
          : `there is no host, site or service '${id}'${didYouMean(id, [...model.index.hosts.keys(), ...model.index.sites.keys(), ...model.index.services.keys()])}`;
      const message = `--fail ${id}: ${what}; --fail takes host, site and service ids`;
      if (json) io.stdout(`${JSON.stringify({ ok: false, error: { message, path: '--fail' } })}\n`);
      else io.stderr(`topoforge: ${message}\n`);
      return EXIT.usage;
    }

    const partition = (values.partition ?? []).map((side) => side.split(',').map((id) => id.trim()));
    const partitionProblem = model.partitionProblem(partition);
    if (partitionProblem !== undefined) {
      const message = `--partition: ${partitionProblem}`;
      if (json) io.stdout(`${JSON.stringify({ ok: false, error: { message, path: '--partition' } })}\n`);
      else io.stderr(`topoforge: ${message}\n`);
      return EXIT.usage;
    }

    if (failed.length > 0 || partition.length > 0) {
      const evaluation = model.evaluatePartition(partition, failed);
      const recoveries = new Map(estimatePartitionRecovery(model, evaluation).map((e) => [e.id, e.recovery]));
      const entrypoints = evaluation.entrypoints().map((e) => ({
        ...e,
        recovery: recoveries.get(e.id) ?? null,
        reason: evaluation.explain(e.id),
      }));
      const { splitBrain } = evaluation;
      if (json) io.stdout(`${JSON.stringify({ failed, partition, entrypoints, splitBrain })}\n`);
      else {
        const sides = evaluation.sides.map((side) =>
          side.ids.length > 0 ? side.ids.join(', ') : 'the other hosts',
        );
        printScenario(failed, partition.length > 0 ? sides : [], entrypoints, splitBrain, io);
      }
      return EXIT.ok;
    }

    const scenarios = [
      ...model.singleFailures().map((s) => ({
        failed: [s.failed],
        partition: [] as string[][],
        kind: s.kind as string,
        entrypoints: s.entrypoints,
        splitBrain: [] as string[],
      })),
      ...model.sitePartitions().map((s) => ({
        failed: [] as string[],
        partition: [[s.site]],
        kind: 'partition',
        entrypoints: s.entrypoints,
        splitBrain: s.splitBrain,
      })),
    ];
    if (json) {
      const withRecovery = scenarios.map((scenario) => {
        const evaluation = model.evaluatePartition(scenario.partition, scenario.failed);
        const recoveries = new Map(
          estimatePartitionRecovery(model, evaluation).map((e) => [e.id, e.recovery]),
        );
        return {
          ...scenario,
          entrypoints: scenario.entrypoints.map((e) => ({ ...e, recovery: recoveries.get(e.id) ?? null })),
        };
      });
      io.stdout(`${JSON.stringify({ scenarios: withRecovery })}\n`);
      return EXIT.ok;
    }
    const c = pc.createColors(io.color);
    const cuts = scenarios.some((s) => s.kind === 'partition') ? ', every site cut off' : '';
    io.stdout(`${c.bold(loaded.design.name)}: every single host and site failure${cuts}\n`);
    const labelOf = (s: (typeof scenarios)[number]) =>
      s.kind === 'partition' ? `${s.partition[0]!.join(',')} cut off` : `${s.kind} ${s.failed.join(',')}`;
    const width = Math.max(...scenarios.map((s) => labelOf(s).length), 10);
    for (const scenario of scenarios) {
      const hurt = scenario.entrypoints.filter((e) => e.state !== 'up' || e.degraded);
      const outcome =
        hurt.length === 0 ? c.green('all entrypoints up') : hurt.map((e) => stateBadge(e, io)).join(', ');
      const split = scenario.splitBrain.map((id) => c.red(`${id} split brain`)).join(', ');
      io.stdout(`  ${labelOf(scenario).padEnd(width)}  ${outcome}${split ? `; ${split}` : ''}\n`);
    }
    return EXIT.ok;
  });
}

function stateBadge(item: ItemAvailability, io: CliIo): string {
  return colorState(item, `${item.id} ${item.state}${item.degraded ? ' (degraded)' : ''}`, io);
}

function printScenario(
  failed: string[],
  sides: string[],
  entrypoints: (ItemAvailability & { reason: string; recovery: Recovery | null })[],
  splitBrain: string[],
  io: CliIo,
): void {
  const c = pc.createColors(io.color);
  if (failed.length > 0) io.stdout(`${c.bold(`Failed: ${failed.join(', ')}`)}\n`);
  if (sides.length > 0) io.stdout(`${c.bold(`Partition: ${sides.join(' | ')}`)}\n`);
  const width = Math.max(...entrypoints.map((e) => e.id.length), 4);
  for (const entrypoint of entrypoints) {
    const state = `${entrypoint.state}${entrypoint.degraded ? ' (degraded)' : ''}`.padEnd(17);
    io.stdout(
      `  ${entrypoint.id.padEnd(width)}  ${colorState(entrypoint, state, io)}  ${c.dim(entrypoint.reason)}\n`,
    );
    const recovery = entrypoint.recovery;
    if (recovery !== null && recovery.by !== 'none')
      io.stdout(
        `  ${''.padEnd(width)}  ${''.padEnd(17)}  ${c.dim(`recovers in ${recovery.seconds === null ? 'a time not known' : `${recovery.seconds} s`}: ${recovery.detail}`)}\n`,
      );
  }
  for (const group of splitBrain)
    io.stdout(
      `  ${c.red(`${group} split brain`)}  ${c.dim(`${group} accepts writes on two sides; the writes on the losing side are lost when the network heals (set minReplicasToWrite)`)}\n`,
    );
}

/** What the commands in other files share with this one. */
const cliSupport = {
  withUsage: (args: string[], io: CliIo, body: () => Promise<number>) => withUsage(args, io, body),
  parse: (args: string[]) => parseOptions(args, { json: { type: 'boolean' } }),
  positionalDesign: (positionals: string[], command: string) => positionalDesign(positionals, command),
  loadFile: (path: string, io: CliIo) => loadDesignFile(path, io),
  reportLoadFailure,
  usage: USAGE,
};

/** The helpers {@link cliSupport} hands to commands defined in other files. */
export type CliSupport = typeof cliSupport;

function colorState(item: ItemAvailability, text: string, io: CliIo): string {
  const c = pc.createColors(io.color);
  if (item.state === 'down') return c.red(text);
  if (item.state === 'manual' || item.degraded) return c.yellow(text);
  return c.green(text);
}

// ---------------------------------------------------------------------------------------------
// generate

async function runGenerate(args: string[], io: CliIo): Promise<number> {
  return withUsage(args, io, async () => {
    const { values, positionals } = parseOptions(args, {
      json: { type: 'boolean' },
      out: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    const file = positionalDesign(positionals, 'generate');
    if (!values.out) throw new UsageError('generate needs --out DIR, the folder to write the bundle to');
    const json = values.json === true;
    const c = pc.createColors(io.color);
    const loaded = await loadDesignFile(file, io);
    if (!loaded.ok) return reportLoadFailure(loaded.problems, file, json, io);

    // One index for the rules and the generators: the design is indexed once.
    const index = indexDesign(loaded.design);
    const { findings } = validateDesign(index);
    const errors = findings.filter((f) => f.severity === 'error');
    if (errors.length > 0 && !values.force) {
      const message = `refusing to generate: ${errors.length} error finding${errors.length === 1 ? '' : 's'} remain; fix them or pass --force`;
      if (json)
        io.stdout(`${JSON.stringify({ ok: false, error: { message, path: '$' }, findings: errors })}\n`);
      else {
        for (const finding of errors)
          io.stderr(`  ${c.red('error')} ${c.bold(finding.rule)}  ${finding.message}\n`);
        io.stderr(`${c.red('✗')} ${message}. Nothing was written.\n`);
      }
      return EXIT.findings;
    }

    const failWith = (message: string): number => {
      if (json) io.stdout(`${JSON.stringify({ ok: false, error: { message, path: '--out' } })}\n`);
      else io.stderr(`topoforge: ${message}\n`);
      return EXIT.usage;
    };
    let bundle;
    try {
      bundle = generateBundle(index, { sha256: nodeSha256 });
    } catch (error) {
      if (error instanceof UnsafeValueError) return failWith(error.message);
      throw error;
    }
    let report;
    try {
      report = await writeBundle(bundle, values.out);
    } catch (error) {
      if (error instanceof BundleWriteError) return failWith(error.message);
      throw error;
    }

    if (json) {
      io.stdout(`${JSON.stringify({ ok: true, out: values.out, ...report })}\n`);
      return EXIT.ok;
    }
    io.stdout(`${c.bold(loaded.design.name)}: ${bundle.files.length + 1} files in ${values.out}\n`);
    const byHost = new Map<string, string[]>();
    const add = (key: string, path: string): void => {
      const paths = byHost.get(key);
      if (paths) paths.push(path);
      else byHost.set(key, [path]);
    };
    for (const f of bundle.files) add(f.host ?? '(bundle)', f.host === undefined ? bundlePathOf(f) : f.path);
    add('(bundle)', 'manifest.json');
    const width = Math.max(...[...byHost.keys()].map((k) => k.length));
    for (const [host, paths] of byHost) io.stdout(`  ${host.padEnd(width)}  ${paths.join(', ')}\n`);
    const summary = [
      `${report.written.length} written`,
      `${report.unchanged.length} unchanged`,
      ...(report.removed.length > 0 ? [`${report.removed.length} removed (no longer generated)`] : []),
    ].join(', ');
    io.stdout(`${c.green('✓')} ${summary}\n`);
    for (const kept of report.kept) {
      io.stdout(`  ${c.yellow('kept')} ${kept}: no longer generated, but edited since it was written\n`);
    }
    if (errors.length > 0)
      io.stdout(`${c.yellow('!')} generated with --force despite ${errors.length} error findings\n`);
    return EXIT.ok;
  });
}
