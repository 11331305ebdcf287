/**
 * `topoforge availability DESIGN [--json]`: docs/cli.md. Each entrypoint's yearly availability
 * in nines and what costs it; exit 1 when an availability objective is missed.
 */
import pc from 'picocolors';
import { compileAvailability } from '../core/availability';
import { checkAvailabilityObjectives, formatAvailability, objectivesOf } from '../core/objectives';
import { computeYearlyAvailability } from '../core/reliability/yearly';
import type { CliIo, CliSupport } from './main';

/** How many contributors the table shows per entrypoint; `--json` lists them all. */
const SHOWN_CONTRIBUTORS = 3;

/** Runs `availability` and returns its exit code. */
export async function runAvailability(args: string[], io: CliIo, cli: CliSupport): Promise<number> {
  return cli.withUsage(args, io, async () => {
    const { values, positionals } = cli.parse(args);
    if (values.help) {
      io.stdout(cli.usage);
      return 0;
    }
    const file = cli.positionalDesign(positionals, 'availability');
    const json = values.json === true;
    const loaded = await cli.loadFile(file, io);
    if (!loaded.ok) return cli.reportLoadFailure(loaded.problems, file, json, io);
    const model = compileAvailability(loaded.design);
    const yearly = computeYearlyAvailability(model);
    const missed: string[] = [];
    checkAvailabilityObjectives(
      { index: model.index, model, report: (_rule, subjects) => missed.push(subjects[0]!) },
      yearly,
    );

    if (json) {
      io.stdout(
        `${JSON.stringify({
          entrypoints: yearly.entrypoints.map((e) => ({
            id: e.id,
            availability: e.availability,
            nines: Number.isFinite(e.nines) ? e.nines : null,
            downtimeMinutesPerYear: e.downtimeMinutesPerYear,
            static: e.static,
            failover: e.failover,
            bound: e.bound,
            objective: objectivesOf(model.index, e.id).availability ?? null,
            contributors: e.contributors,
            unknownRecovery: e.unknownRecovery,
          })),
          assumed: yearly.assumed,
        })}\n`,
      );
      return missed.length > 0 ? 1 : 0;
    }

    const c = pc.createColors(io.color);
    io.stdout(`${c.bold(loaded.design.name)}: availability over a year\n`);
    for (const e of yearly.entrypoints) {
      const objective = objectivesOf(model.index, e.id).availability;
      const verdict =
        objective === undefined
          ? ''
          : missed.includes(e.id)
            ? `  ${c.red(`✗ objective ${formatAvailability(objective)}`)}`
            : `  ${c.green(`✓ objective ${formatAvailability(objective)}`)}`;
      const nines = Number.isFinite(e.nines) ? e.nines.toFixed(2) : '∞';
      io.stdout(
        `  ${c.bold(e.id)}  ${formatAvailability(e.availability)}  ${nines} nines  ${e.downtimeMinutesPerYear.toFixed(1)} min/year down${verdict}\n`,
      );
      io.stdout(
        c.dim(
          `      failures ${(e.static * 525_600).toFixed(2)} min + failovers ${(e.failover * 525_600).toFixed(2)} min; error bound ${e.bound === 0 ? '0' : e.bound.toExponential(1)}\n`,
        ),
      );
      for (const contributor of e.contributors.slice(0, SHOWN_CONTRIBUTORS)) {
        const what =
          contributor.kind === 'failover'
            ? `failover after ${contributor.failed.join(' + ')}`
            : contributor.failed.join(' + ');
        io.stdout(
          `      ${String(Math.round(contributor.share * 100)).padStart(3)}%  ${contributor.downtimeMinutesPerYear.toFixed(2)} min  ${what}\n`,
        );
      }
      if (e.unknownRecovery.length > 0)
        io.stdout(
          c.yellow(
            `      recovery time not known after ${e.unknownRecovery.join(', ')} (counted as 0): set failoverSeconds\n`,
          ),
        );
    }
    if (yearly.assumed.length > 0)
      io.stdout(`${c.yellow('!')} taken as always up (no availability set): ${yearly.assumed.join(', ')}\n`);
    return missed.length > 0 ? 1 : 0;
  });
}
