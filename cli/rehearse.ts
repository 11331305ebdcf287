/**
 * `topoforge rehearse DESIGN [--fail ID]... [--partition SIDE]... [--json] [--report FILE]`
 * (docs/rehearse.md, docs/cli.md): the design deployed into a lab, every scenario injected for
 * real and measured against the prediction.
 *
 * Exit 0 when every verdict is `match`; 1 when one is a `mismatch` or the rehearsal could not run
 * (the lab, the push, an entrypoint never served); 2 on bad input or a machine that cannot run a
 * lab; 130/143 when interrupted (the lab is removed first).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pc from 'picocolors';
import { EXIT, commandOutput, parseOptions, readDesignFile } from './support';
import type { CliIo } from './support';
import { describeFileError } from '../core/file-errors';
import { validateDesign } from '../core/rules';
import { didYouMean } from '../core/suggest';
import { DEFAULT_LAB_DIRECTORY, LabAbortedError, labUnsupportedReason } from '../deploy/lab/index';
import { RehearsalError, rehearse } from '../deploy/lab/rehearse';
import type { RehearsalResult } from '../deploy/lab/rehearse';
import { requestedScenarios, streamEvent } from '../deploy/lab/scenarios';
import { rehearsalReport } from '../deploy/lab/report';
import { LAB_DIRECTORY_VARIABLE, labFailure, watchInterrupts } from './lab';
import type { Interrupts } from './lab';

/** Usage of the rehearse command. */
export const REHEARSE_USAGE = `Usage: topoforge rehearse DESIGN [--fail ID]... [--partition SIDE]... [options]

Deploys the design into a lab on this Linux machine (as topoforge lab up --deploy), probes every
entrypoint from the lab's client, injects each scenario for real and compares what clients saw
with the prediction. Without --fail or --partition: every scenario of the single-failure
analysis (as topoforge simulate). Needs root.

Options:
  --fail ID          fail a host, site or service (repeatable; one scenario)
  --partition SIDE   cut the network: comma-separated site and host ids of one side (repeatable)
  --json             the result as JSON
  --events           stream the rehearsal as JSON lines on stdout (progress, probe samples,
                     injections, verdicts, then the result); closing stdin cancels it
  --report FILE      write one self-contained HTML page with a timeline per scenario
  --dir DIR          the lab directory (default: $${LAB_DIRECTORY_VARIABLE}, else ${DEFAULT_LAB_DIRECTORY})
`;

/** The `--json` document of SPEC section 7. */
export function rehearsalJson(result: RehearsalResult) {
  return {
    lab: result.lab,
    standIns: result.standIns,
    seconds: result.seconds,
    scenarios: result.scenarios.map((scenario) => ({
      failed: scenario.failed,
      partition: scenario.partition,
      kind: scenario.kind,
      runbook: scenario.runbook,
      entrypoints: scenario.entrypoints.map((entrypoint) => ({
        id: entrypoint.id,
        predicted: { state: entrypoint.predicted.state, recovery: entrypoint.predicted.recovery },
        measured: entrypoint.measured,
        verdict: entrypoint.verdict,
        differences: entrypoint.differences,
      })),
    })),
  };
}

/** Runs `topoforge rehearse …`. */
export async function runRehearse(args: string[], io: CliIo): Promise<number> {
  // A stream's reader parses every line, failures included.
  const events = args.includes('--events');
  const output = commandOutput('rehearse', REHEARSE_USAGE, args.includes('--json') || events, io);
  const { json, fail } = output;
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseOptions(args, {
      json: { type: 'boolean' },
      events: { type: 'boolean' },
      fail: { type: 'string', multiple: true },
      partition: { type: 'string', multiple: true },
      report: { type: 'string' },
      dir: { type: 'string' },
    }));
  } catch (error) {
    return output.usage((error as Error).message);
  }
  if (values.help) {
    io.stdout(REHEARSE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1)
    return output.usage(
      positionals.length === 0 ? 'rehearse needs a design file' : 'rehearse takes one design file',
    );
  const file = positionals[0]!;
  const loaded = await readDesignFile(file, io, fail);
  if ('exitCode' in loaded) return loaded.exitCode;
  const { model } = validateDesign(loaded.design);
  const failed = values.fail ?? [];
  for (const id of failed)
    if (model.failureKind(id) === undefined)
      return fail(
        `--fail ${id}: there is no host, site or service '${id}'${didYouMean(id, [...model.index.hosts.keys(), ...model.index.sites.keys(), ...model.index.services.keys()])}`,
        EXIT.usage,
        '--fail',
      );
  const partition = (values.partition ?? []).map((side) => side.split(',').map((id) => id.trim()));
  const partitionProblem = model.partitionProblem(partition);
  if (partitionProblem !== undefined)
    return fail(`--partition: ${partitionProblem}`, EXIT.usage, '--partition');
  const unsupported = labUnsupportedReason();
  if (unsupported !== undefined) return fail(unsupported, EXIT.usage, '(machine)');

  const scenarios = requestedScenarios(model, failed, partition);
  const directory = resolve(values.dir ?? process.env[LAB_DIRECTORY_VARIABLE] ?? DEFAULT_LAB_DIRECTORY);
  const interrupts = watchInterrupts();
  const stopWatchingReader = events ? cancelWhenReaderLeaves(interrupts) : () => undefined;
  const c = pc.createColors(io.color);
  try {
    const result = await rehearse({
      design: loaded.design,
      model,
      designFile: file,
      directory,
      scenarios,
      signal: interrupts.signal,
      onEvent: events
        ? (event) => io.stdout(`${JSON.stringify(streamEvent(event))}\n`)
        : json
          ? undefined
          : (event) => {
              if (event.type === 'progress') io.stderr(`${c.dim(event.line)}\n`);
              else if (event.type === 'scenario')
                io.stderr(c.dim(`scenario ${event.index + 1}/${event.count}: ${event.label}\n`));
            },
    });
    if (interrupts.received() !== undefined) throw new LabAbortedError();
    if (values.report !== undefined) {
      try {
        writeFileSync(values.report, rehearsalReport(loaded.design.name, result));
      } catch (error) {
        return fail(`cannot write ${values.report}: ${describeFileError(error)}`, EXIT.failed, '--report');
      }
    }
    const mismatches = result.scenarios.flatMap((scenario) =>
      scenario.entrypoints.filter((entrypoint) => entrypoint.verdict === 'mismatch'),
    ).length;
    if (events) io.stdout(`${JSON.stringify({ type: 'result', ...rehearsalJson(result) })}\n`);
    else if (json) io.stdout(`${JSON.stringify(rehearsalJson(result))}\n`);
    else printTable(loaded.design.name, result, io);
    return mismatches === 0 ? EXIT.ok : EXIT.failed;
  } catch (error) {
    if (interrupts.received() === undefined && error instanceof RehearsalError)
      return fail(error.message, EXIT.failed, '(lab)');
    return labFailure(error, file, interrupts, fail);
  } finally {
    stopWatchingReader();
    interrupts.stop();
  }
}

/**
 * With `--events` the reader is a program (the desktop app's main process, which cannot signal a
 * rehearsal that runs as root): standard input closing, or standard output breaking, cancels as
 * SIGTERM does, so the lab is removed when the reader cancels or goes away. Returns the stop.
 */
function cancelWhenReaderLeaves(interrupts: Interrupts): () => void {
  const cancel = (): void => interrupts.interrupt('SIGTERM');
  process.stdin.on('end', cancel);
  process.stdin.on('error', cancel);
  process.stdout.on('error', cancel);
  process.stdin.resume();
  return () => {
    process.stdin.off('end', cancel);
    process.stdin.off('error', cancel);
    process.stdout.off('error', cancel);
    process.stdin.destroy();
  };
}

function printTable(name: string, result: RehearsalResult, io: CliIo): void {
  const c = pc.createColors(io.color);
  io.stdout(
    `${c.bold(`Rehearsal of ${name}`)}: ${result.scenarios.length} scenario(s) in ${result.seconds.toFixed(0)} s\n`,
  );
  if (result.standIns.length > 0) {
    io.stdout('Stand-ins (the program is not installed here):\n');
    for (const standIn of result.standIns)
      io.stdout(`  ${standIn.service} (${standIn.kind}) on ${standIn.host}: ${standIn.reason}\n`);
  }
  const rows = result.scenarios.flatMap((scenario) =>
    scenario.entrypoints.map((entrypoint) => {
      const recovery = entrypoint.predicted.recovery;
      return [
        scenario.label,
        entrypoint.id,
        `${entrypoint.predicted.state}${recovery?.seconds != null && entrypoint.predicted.state === 'up' ? ` ${recovery.seconds} s` : ''}`,
        `${entrypoint.measured.state}${entrypoint.measured.interruptionSeconds === null ? '' : ` ${entrypoint.measured.interruptionSeconds.toFixed(2)} s`}`,
        String(entrypoint.measured.failedRequests),
        entrypoint.verdict === 'match'
          ? c.green('match')
          : c.red(`mismatch: ${entrypoint.differences.join('; ')}`),
      ];
    }),
  );
  const header = ['scenario', 'entrypoint', 'predicted', 'measured', 'failed', 'verdict'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (column === 5 ? 0 : row[column]!.length))),
  );
  const line = (cells: string[]) =>
    `  ${cells.map((cell, column) => (column === 5 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`;
  io.stdout(c.dim(line(header)));
  for (const row of rows) io.stdout(line(row));
  const mismatches = rows.filter((row) => !row[5]!.includes('match') || row[5]!.includes('mismatch')).length;
  io.stdout(
    mismatches === 0
      ? `${c.green('✓')} every entrypoint as predicted\n`
      : `${c.red('✗')} ${mismatches} mismatch(es)\n`,
  );
}
