/**
 * Design formats: a file of every older format still opens, a file of a newer one is refused in
 * the words, and the loader runs migration steps in order before it validates (proved with
 * steps registered only here, as format 1 is the only format so far).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDesign } from '../../core/load';
import { DESIGN_MIGRATIONS, migrateDesign, newerFormatMessage } from '../../core/schema/formats';
import type { DesignMigration } from '../../core/schema/formats';
import { DESIGN_FORMAT } from '../../core/model';
import { runCli } from '../cli/run-cli';

const FORMATS = join(import.meta.dirname, '../fixtures/formats');

/** The oldest format the registered steps reach back to. */
function oldestReadable(): number {
  let format = DESIGN_FORMAT;
  while (DESIGN_MIGRATIONS.some((m) => m.from === format - 1)) format--;
  return format;
}

describe('older formats', () => {
  it('holds a fixture of every format this version reads, and each one opens', () => {
    const fixtures = readdirSync(FORMATS).sort();
    const expected = [];
    for (let format = oldestReadable(); format <= DESIGN_FORMAT; format++)
      expected.push(`format-${format}.topo.json`);
    expect(fixtures).toEqual(expected);
    for (const file of fixtures) {
      const loaded = parseDesign(readFileSync(join(FORMATS, file), 'utf8'));
      if (!loaded.ok) throw new Error(`${file}: ${JSON.stringify(loaded.problems)}`);
      expect(loaded.design.format).toBe(DESIGN_FORMAT);
      expect(loaded.design.services.length).toBeGreaterThan(0);
    }
  });
});

describe('a newer format', () => {
  const newer = JSON.stringify({ format: DESIGN_FORMAT + 1, name: 'From the future', shape: 'unknown' });

  it('is refused with the format it has and the one this version reads', () => {
    const loaded = parseDesign(newer);
    expect(loaded).toEqual({
      ok: false,
      problems: [
        {
          path: 'format',
          segments: ['format'],
          message: `saved by a newer Topoforge, format ${DESIGN_FORMAT + 1}; this version reads up to format ${DESIGN_FORMAT}`,
          line: 1,
          column: 2,
        },
      ],
    });
  });

  it('makes the CLI exit 2 with that message', async () => {
    const result = await runCli(['validate', 'future.topo.json'], { readText: async () => newer });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('future.topo.json is not a design');
    expect(result.stderr).toContain(newerFormatMessage(DESIGN_FORMAT + 1, DESIGN_FORMAT));
  });
});

describe('the migration chain', () => {
  /** A format 0 that never shipped: `title` for name, `machines` with `ip` for hosts. */
  const renameTitle: DesignMigration = {
    from: 0,
    description: 'title becomes name',
    up: ({ title, ...file }) => ({ ...file, name: title }),
  };
  const machinesToHosts: DesignMigration = {
    from: -1,
    description: 'machines with ip become hosts with address',
    up: ({ machines, ...file }) => ({
      ...file,
      hosts: (machines as { id: string; ip: string }[]).map(({ id, ip }) => ({ id, address: ip })),
    }),
  };
  const oldest = {
    format: -1,
    title: 'Old shop',
    machines: [{ id: 'web-1', ip: '10.0.0.1' }],
    services: [{ id: 'web', kind: 'nginx', host: 'web-1' }],
  };

  it('loads an old file through every step, in order, before validating it', () => {
    // Registered out of order: the chain is found by format, not by position.
    const loaded = parseDesign(JSON.stringify(oldest), { migrations: [renameTitle, machinesToHosts] });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.design).toEqual({
      format: 1,
      name: 'Old shop',
      hosts: [{ id: 'web-1', address: '10.0.0.1' }],
      services: [{ id: 'web', kind: 'nginx', host: 'web-1' }],
    });
  });

  it('validates the migrated file: a problem a step leaves is reported at its new path', () => {
    const bad = { ...oldest, machines: [{ id: 'web-1', ip: '10.0.0.300' }] };
    const loaded = parseDesign(JSON.stringify(bad), { migrations: [renameTitle, machinesToHosts] });
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problems.map((p) => p.path)).toEqual(['hosts[0].address']);
  });

  it('starts from the file format, so a step already taken is not run again', () => {
    const steps: number[] = [];
    const record = (from: number): DesignMigration => ({
      from,
      description: `step from ${from}`,
      up: (file) => {
        steps.push(from);
        return file;
      },
    });
    const chain = [record(3), record(1), record(2)];
    const file = { format: 2, name: 'x' };
    const result = migrateDesign(file, chain, 4);
    expect(result).toEqual({ ok: true, file: { format: 4, name: 'x' }, from: 2 });
    expect(steps).toEqual([2, 3]);
    // The steps work on a copy: the caller's file is as it was.
    expect(file).toEqual({ format: 2, name: 'x' });
  });

  it('without the steps, the same old file is refused by the schema of the current format', () => {
    const loaded = parseDesign(JSON.stringify({ ...oldest, format: 0 }));
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problems).toContainEqual(
      expect.objectContaining({
        path: 'format',
        message: 'must be 1: this version of Topoforge reads design format 1',
      }),
    );
  });
});
