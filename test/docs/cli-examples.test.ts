/**
 * The command-line examples in the README and docs/cli.md are real: each `$ npx topoforge …` shown
 * with its output prints exactly that output today, with no line dropped, and every option the CLI
 * takes appears in its reference and in the README's synopsis.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUSH_USAGE } from '../../cli/push';
import { runCli } from '../cli/run-cli';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PAGES = ['README.md', 'docs/cli.md'];

interface Example {
  page: string;
  command: string[];
  output: string;
  /** Files the example shows with `$ cat FILE` before it. */
  files: Map<string, string>;
}

/** Every `$ npx topoforge` line of a page's code blocks, with the lines printed after it. */
function examplesOf(page: string): Example[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const examples: Example[] = [];
  for (const [, block] of text.matchAll(/^```\n([\s\S]*?)^```$/gm)) {
    const files = new Map<string, string>();
    const runs = block!.split(/^(?=\$ )/m).filter((run) => run.startsWith('$ '));
    for (const run of runs) {
      const [commandLine, ...printed] = run.trimEnd().split('\n');
      const words = commandLine!.slice(2).split(' ');
      if (words[0] === 'cat') files.set(words[1]!, `${printed.join('\n')}\n`);
      else if (words[0] === 'npx' && words[1] === 'topoforge')
        examples.push({ page, command: words.slice(2), output: `${printed.join('\n')}\n`, files });
    }
  }
  return examples;
}

const examples = PAGES.flatMap(examplesOf).filter((example) => example.command[0] !== 'generate');

describe('command-line examples', () => {
  it('finds the examples', () => {
    expect(examples.map((example) => example.command[0])).toEqual(
      expect.arrayContaining(['validate', 'simulate']),
    );
  });

  it.each(examples.map((example) => [`${example.page}: ${example.command.join(' ')}`, example] as const))(
    '%s prints what the page shows',
    async (_name, example) => {
      const readText = async (path: string) =>
        example.files.get(path) ?? readFileSync(join(ROOT, path), 'utf8');
      const { stdout, stderr } = await runCli(example.command, { readText });
      expect(example.output).not.toContain('…\n');
      expect(stdout + stderr).toBe(example.output);
    },
  );
});

describe('the options of the command line', () => {
  it('are all in docs/cli.md and in the README synopsis', async () => {
    const { stdout: usage } = await runCli(['--help']);
    const options = new Set(
      [...`${usage}\n${PUSH_USAGE}`.matchAll(/(?<![\w-])--[a-z][a-z-]+/g)].map((m) => m[0]),
    );
    expect([...options]).toEqual(
      expect.arrayContaining(['--json', '--fail', '--out', '--force', '--design']),
    );
    const reference = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const synopsis = /## The command line\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    for (const option of options) {
      if (option === '--help' || option === '--version') continue;
      expect(reference, `docs/cli.md lacks ${option}`).toContain(option);
      expect(synopsis, `the README synopsis lacks ${option}`).toContain(option);
    }
    for (const command of ['validate', 'simulate', 'generate', 'push']) {
      expect(synopsis).toMatch(new RegExp(`^topoforge ${command} `, 'm'));
      expect(reference).toContain(`## \`${command}\``);
    }
  });
});
