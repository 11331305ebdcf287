import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

const examplesDir = join(import.meta.dirname, '../../examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.topo.json'))
  .map((f) => JSON.parse(readFileSync(join(examplesDir, f), 'utf8')) as unknown);

const hostile = fc.constantFrom(
  '',
  'a\nb',
  '}; include /etc/passwd; {',
  '"quoted"',
  "it's",
  '$(reboot)',
  '# comment',
  '../../etc/shadow',
  'x'.repeat(100_000),
  '\u0000',
  '\u202e',
  '🦄',
  -1,
  0,
  1e308,
  -0,
  null,
  true,
  [],
  {},
);

/** Replaces the value at a random path of `value` with `replacement`. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const [step, ...rest] = path;
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const i = step! % value.length;
    const copy = [...value];
    if (rest.length === 0 && step! % 5 === 0) copy.splice(i, 1);
    else if (rest.length === 0 && step! % 7 === 0) copy.push(copy[i]);
    else copy[i] = mutate(value[i], rest, replacement);
    return copy;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[step! % keys.length]!;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && step! % 5 === 0) delete copy[key];
  else copy[key] = mutate(copy[key], rest, replacement);
  return copy;
}

const mutatedDesign = fc
  .record({
    example: fc.nat(),
    mutations: fc.array(
      fc.record({
        path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        value: fc.oneof(hostile, fc.jsonValue()),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ example, mutations, cut }) => {
    let design = examples[example % examples.length];
    for (const m of mutations) design = mutate(design, m.path, m.value);
    const text = JSON.stringify(design, null, 2) ?? 'undefined';
    return cut === undefined ? text : text.slice(0, cut % (text.length + 1));
  });

const anyText = fc.oneof(
  mutatedDesign,
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);

const run = (args: string[], text: string) => runCli(args, { readText: async () => text });

const STACK_TRACE = /\n\s+at .+:\d+:\d+\)?/;

describe('the CLI under random and mutated design files', () => {
  it('validate always ends in a result or a load error, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const { code, stdout, stderr } = await run(['validate', 'fuzz.topo.json', '--json'], text);
        expect([0, 1, 2]).toContain(code);
        expect(stdout + stderr).not.toMatch(STACK_TRACE);
        const report = JSON.parse(stdout);
        if (code === 2) {
          expect(report.ok).toBe(false);
          expect(typeof report.error.message).toBe('string');
          expect(report.error.message).not.toMatch(/\[object Object\]|#\/properties/);
          expect(typeof report.error.path).toBe('string');
        } else {
          expect(report.ok).toBe(code === 0);
          expect(Array.isArray(report.findings)).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('simulate with random --fail ids always ends in states, an unknown-id error or a load error', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedDesign,
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
        async (text, ids) => {
          const parsed = (() => {
            try {
              return JSON.parse(text) as { hosts?: { id?: unknown }[] };
            } catch {
              return undefined;
            }
          })();
          const known = Array.isArray(parsed?.hosts) ? parsed.hosts.map((h) => String(h?.id)) : [];
          const fails = [...ids, ...known.slice(0, 1)].flatMap((id) => ['--fail', id]);
          const { code, stdout, stderr } = await run(
            ['simulate', 'fuzz.topo.json', ...fails, '--json'],
            text,
          );
          expect([0, 2]).toContain(code);
          expect(stdout + stderr).not.toMatch(STACK_TRACE);
          const report = JSON.parse(stdout);
          if (code === 0)
            expect(Array.isArray(report.entrypoints) || Array.isArray(report.scenarios)).toBe(true);
          else expect(report.ok).toBe(false);
        },
      ),
      { numRuns: 600 },
    );
  });
});
