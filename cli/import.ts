/**
 * `topoforge import DIR --out DESIGN [--json] [--partial]` (docs/import.md): the configs of a
 * running deployment, in the bundle layout, become a design; every directive and file not used is
 * listed with its host, file, line and reason, and what no config carries is listed as missing.
 *
 * Exit 0 when the design was written, 1 when a file could not be read (nothing written unless
 * --partial), 2 on bad arguments or a folder that cannot be read.
 */
import { writeFile } from 'node:fs/promises';
import pc from 'picocolors';
import { EXIT, commandOutput, parseOptions } from './support';
import type { CliIo } from './support';
import { buildDesign } from '../core/import/build-design';
import { checkDesign, describeProblem } from '../core/load';
import { readImportFolder } from '../deploy/collect/folder';

/** Usage of the import command. */
export const IMPORT_USAGE = `Usage: topoforge import DIR --out DESIGN [--json] [--partial]

Reads the configs of a running deployment from DIR (the bundle layout: hosts/<host>/<path on the
host>, plus an optional inventory.json [{host, address, ssh?}]; topoforge collect fills it over
SSH) and writes the design they describe to DESIGN. Every directive and file it did not use is
listed with host, file, line and reason; what no config carries is listed as missing.

Options:
  --out DESIGN   where to write the design (*.topo.json)
  --partial      write the design even when a file could not be read (the file is left out)
  --json         print {"ok", "design", "unused", "missing", "problems"}
`;

function where(problem: { host?: string; file: string; line?: number }): string {
  return `${problem.file}${problem.line === undefined ? '' : `:${problem.line}`}`;
}

/** Runs `topoforge import …`. */
export async function runImport(args: string[], io: CliIo): Promise<number> {
  const output = commandOutput('import', IMPORT_USAGE, args.includes('--json'), io);
  const json = output.json;
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseOptions(args, {
      out: { type: 'string' },
      json: { type: 'boolean' },
      partial: { type: 'boolean' },
    }));
  } catch (error) {
    return output.usage((error as Error).message);
  }
  if (values.help) {
    io.stdout(IMPORT_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) return output.usage('import takes one folder');
  if (values.out === undefined) return output.usage('--out DESIGN is required');
  const folder = positionals[0]!;
  let read: Awaited<ReturnType<typeof readImportFolder>>;
  try {
    read = await readImportFolder(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return output.fail(`cannot read the folder ${folder}: ${code}`, EXIT.usage, folder);
  }
  const result = buildDesign(read.files);
  const problems = [...read.problems, ...result.problems];
  const checked = checkDesign(result.design);
  if (!checked.ok) {
    for (const problem of checked.problems)
      problems.push({ file: '(the imported design)', message: describeProblem(problem) });
  }
  const ok = problems.length === 0;
  const write = ok || values.partial === true;
  if (write) await writeFile(values.out, `${JSON.stringify(result.design, null, 2)}\n`);
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok, written: write, design: result.design, unused: result.unused, missing: result.missing, problems })}\n`,
    );
  } else {
    const color = io.color ? pc : pc.createColors(false);
    for (const problem of problems)
      io.stderr(`${color.red('error')} ${where(problem)}: ${problem.message}\n`);
    const design = result.design;
    io.stdout(
      `${write ? `Wrote ${values.out}` : 'Wrote nothing (a file could not be read; --partial writes the rest)'}: ` +
        `${design.hosts.length} hosts, ${design.services.length} services, ${(design.groups ?? []).length} groups, ` +
        `${(design.links ?? []).length} links, ${(design.entrypoints ?? []).length} entrypoints.\n`,
    );
    if (result.unused.length > 0) {
      io.stdout(`\nNot used (${result.unused.length}):\n`);
      for (const item of result.unused)
        io.stdout(`  ${item.host ?? '-'}  ${where(item)}  ${item.text}  ${color.dim(`(${item.reason})`)}\n`);
    }
    if (result.missing.length > 0) {
      io.stdout(`\nNot in any config (${result.missing.length}):\n`);
      for (const item of result.missing) io.stdout(`  ${item.what}: ${item.reason}\n`);
    }
  }
  return ok ? EXIT.ok : EXIT.failed;
}
