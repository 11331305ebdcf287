/**
 * docs/rules.md documents every rule of the code, and its examples are true: each "Fails" design
 * fires its rule and each "Passes" design does not, when validated as the CLI would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDesign } from '../../core/load';
import { RULES } from '../../core/rules/catalogue';
import { validateDesign } from '../../core/rules';

const RULES_DOC = join(import.meta.dirname, '..', '..', 'docs', 'rules.md');

interface RuleEntry {
  id: string;
  severity: string;
  body: string;
  fails?: string;
  passes?: string;
}

/** The `### \`rule.id\` (severity)` entries of docs/rules.md with their two JSON examples. */
function ruleEntries(markdown: string): RuleEntry[] {
  const headings = [...markdown.matchAll(/^### `([^`]+)` \((error|warning|info)\)$/gm)];
  return headings.map((heading, i) => {
    const end = headings[i + 1]?.index ?? markdown.length;
    const body = markdown.slice(heading.index! + heading[0].length, end);
    const example = (label: string) =>
      new RegExp(`^${label}:\\n\\n\`\`\`json\\n([\\s\\S]*?)\\n\`\`\`$`, 'm').exec(body)?.[1];
    return {
      id: heading[1]!,
      severity: heading[2]!,
      body,
      fails: example('Fails'),
      passes: example('Passes'),
    };
  });
}

const entries = ruleEntries(readFileSync(RULES_DOC, 'utf8'));

/** Whether an example is a whole design file (it names its format), not a fragment of one. */
function isWholeDesign(text: string | undefined): boolean {
  return text !== undefined && /^\{\s*"format":/.test(text);
}

function rulesFired(text: string): string[] {
  const loaded = parseDesign(text);
  if (!loaded.ok) throw new Error(`the example is not a design: ${JSON.stringify(loaded.problems)}`);
  return validateDesign(loaded.design).findings.map((finding) => finding.rule);
}

describe('docs/rules.md', () => {
  it('has one entry per rule id of the code, with its severity, and none for rules that do not exist', () => {
    const documented = entries.map((entry) => entry.id);
    expect(new Set(documented).size, 'a rule is documented twice').toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(RULES).sort());
    for (const entry of entries) {
      expect(entry.severity, entry.id).toBe(RULES[entry.id as keyof typeof RULES].severity);
    }
  });

  it.each(entries.map((entry) => [entry.id, entry] as const))(
    '%s says what it checks, why, where it comes from and how to fix it',
    (_id, entry) => {
      for (const part of ['**Checks:**', '**Why:**', '**Source:**', '**Fix:**']) {
        expect(entry.body).toContain(part);
      }
      expect(entry.body, 'a source is named in words, not linked').not.toMatch(/https?:\/\//);
    },
  );

  it.each(entries.map((entry) => [entry.id, entry] as const))(
    '%s has a failing and a fixed example',
    (_id, entry) => {
      expect(entry.fails, 'a "Fails:" json block').toBeDefined();
      expect(entry.passes, 'a "Passes:" json block').toBeDefined();
    },
  );

  // Examples that are whole design files are run; a fragment of a design can only be read.
  const runnable = entries.filter((entry) => isWholeDesign(entry.fails) && isWholeDesign(entry.passes));

  it('runs the examples of every rule this page documents with whole designs', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(26);
  });

  it.each(runnable.map((entry) => [entry.id, entry] as const))(
    '%s: the failing example fires the rule and the fixed one does not',
    (id, entry) => {
      expect(rulesFired(entry.fails!)).toContain(id);
      expect(rulesFired(entry.passes!)).not.toContain(id);
    },
  );
});
