/**
 * The repository's documentation stands alone: every Markdown link, every "see <path>" and every
 * mention of a Markdown file, in the docs and in code comments, resolves to a file inside the
 * repository, and nothing points at the machine it was written on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDesign } from '../../core/load';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Text files of the repository, committed or new, as git sees them (so never node_modules). */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(ROOT, file)))
    .filter((file) => !file.startsWith('test/fixtures/golden/') && file !== 'package-lock.json')
    .filter((file) => TEXT_FILE.test(file));
}

const TEXT_FILE = /(\.(md|ts|tsx|js|cjs|mjs|json|ya?ml|hbs|html|css|sh)|^\.ci\/run)$/;
const FILES = repositoryFiles();
const MARKDOWN = FILES.filter((file) => file.endsWith('.md'));

/** Markdown without its code: links and paths in examples are not claims about this repository. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/^(```|~~~)[\s\S]*?^\1/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1]!)));
}

/** Why `target`, written in `from`, does not resolve inside the repository; undefined when it does. */
function unresolved(from: string, target: string, bases: string[]): string | undefined {
  const [path, anchor] = target.split('#') as [string, string | undefined];
  if (isAbsolute(path)) return 'is an absolute path';
  const candidates = path === '' ? [join(ROOT, from)] : bases.map((base) => resolve(base, path));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) return 'does not exist';
  const inside = relative(ROOT, found);
  if (inside.startsWith('..')) return 'is outside the repository';
  if (anchor && found.endsWith('.md') && statSync(found).isFile() && !anchorsOf(found).has(anchor))
    return `has no heading for #${anchor}`;
  return undefined;
}

/** What a file says to people: Markdown as it is, and the comment lines of code (not its strings). */
function commentary(file: string, text: string): string {
  if (file.endsWith('.md')) return text;
  return text
    .split('\n')
    .filter((line) => /^\s*(\/\/|\/\*|\*|#|<!--)/.test(line))
    .join('\n');
}

const ROOT_ENTRIES = new Set(FILES.map((file) => file.split('/')[0]!));
const PATH_EXTENSIONS = /\.(md|ts|tsx|js|cjs|mjs|json|ya?ml|hbs|html|css|sh|png)$/;

/** Whether a word after "see" names a file of this repository rather than a thing or a sentence. */
function looksLikeRepositoryPath(word: string): boolean {
  if (word.startsWith('./') || word.startsWith('../')) return true;
  if (word.includes('/')) return ROOT_ENTRIES.has(word.split('/')[0]!);
  return PATH_EXTENSIONS.test(word);
}

describe('documentation links', () => {
  it('finds the Markdown files to check', () => {
    expect(MARKDOWN).toEqual(expect.arrayContaining(['README.md', 'docs/README.md', 'examples/README.md']));
  });

  it.each(MARKDOWN)('every link in %s resolves inside the repository', (file) => {
    const text = prose(readFileSync(join(ROOT, file), 'utf8'));
    const links = [
      ...[...text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!),
      ...[...text.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm)].map((match) => match[1]!),
    ].filter((target) => !/^(https?|mailto):/.test(target));
    const broken = links.flatMap((target) => {
      const why = unresolved(file, target, [dirname(join(ROOT, file))]);
      return why ? [`${target} ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it.each(FILES)('every "see <path>" and Markdown file named in %s exists in the repository', (file) => {
    const text = commentary(file, readFileSync(join(ROOT, file), 'utf8'));
    const named = [
      ...[...text.matchAll(/\bsee\s+[`'"(]?([A-Za-z0-9_./@-]+)/gi)].map((match) => match[1]!),
      ...[...text.matchAll(/(?<![\w./-])((?:\.{1,2}\/)?[\w./-]*[\w-]\.md)\b/g)].map((match) => match[1]!),
    ]
      .map((word) => word.replace(/[.,;:]+$/, ''))
      .filter((word) => !/^https?:/.test(word) && looksLikeRepositoryPath(word));
    const broken = [...new Set(named)].flatMap((word) => {
      const why = unresolved(file, word, [dirname(join(ROOT, file)), ROOT]);
      return why ? [`${word} ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it('names no folder of the machine it was written on, nor documents outside the repository', () => {
    const offenders = FILES.flatMap((file) => {
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
      return lines.flatMap((line, i) =>
        /\.\.\/shared\b|\/work\/|\bshared\/(SPEC|LAB|STYLE)\b/.test(line)
          ? [`${file}:${i + 1}: ${line.trim()}`]
          : [],
      );
    });
    expect(offenders).toEqual([]);
  });

  it('refers to this documentation, not to a specification it does not ship', () => {
    const offenders = MARKDOWN.flatMap((file) => {
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
      return lines.flatMap((line, i) => (/\bSPEC\b/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(offenders).toEqual([]);
  });
});

describe('designs in the documentation', () => {
  const designs = MARKDOWN.filter((file) => file.startsWith('docs/')).flatMap((file) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^```json\n([\s\S]*?)^```/gm)]
      .map((match) => match[1]!)
      .filter((block) => /^\{\s*"format": 1,/.test(block) && /"services":/.test(block))
      .map((block, i) => [`${file} #${i + 1}`, block] as const),
  );

  it.each(designs)('%s is a design that loads', (_name, block) => {
    const loaded = parseDesign(block);
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
  });
});
