/**
 * ARCHITECTURE.md stays true of the code: every file and folder it names exists, and the names its
 * recipes tell a newcomer to edit are defined where it says.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const text = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');

/** Every `code span` that is a repository path: it has a slash and no placeholder. */
function namedPaths(): string[] {
  const spans = [...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!);
  return [...new Set(spans.filter((s) => s.includes('/') && !/[<>]/.test(s) && !s.startsWith('--')))];
}

describe('ARCHITECTURE.md', () => {
  it('names only paths that exist', () => {
    const paths = namedPaths();
    expect(paths.length).toBeGreaterThan(40);
    expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });

  it.each([
    ['SERVICE_KINDS', 'core/model.ts'],
    ['GROUP_DESCRIPTORS', 'core/groups/index.ts'],
    ['GroupKindDescriptor', 'core/groups/descriptor.ts'],
    ['GROUP_KIND_INFO', 'renderer/canvas/kinds.tsx'],
    ['EVALUATION_CODES', 'core/availability/codes.ts'],
    ['DESIGN_FORMAT', 'core/model.ts'],
    ['kindProperties', 'core/schema/design-schema.ts'],
    ['reference', 'core/schema/design-schema.ts'],
    ['DESIGN_MIGRATIONS', 'core/schema/formats/index.ts'],
    ['DesignMigration', 'core/schema/formats/index.ts'],
    ['FILE_ONLY_FIELDS', 'renderer/inspector/schema-fields.ts'],
    ['SERVICE_ID_PREFIX', 'core/edit/ids.ts'],
    ['RULES', 'core/rules/catalogue.ts'],
    ['CHECKS', 'core/rules/index.ts'],
    ['checkDesign', 'core/load/index.ts'],
  ])('finds %s defined in %s, as a recipe says', (name, file) => {
    expect(text).toContain(`\`${name}\``);
    const source = readFileSync(join(root, file), 'utf8');
    expect(source).toMatch(new RegExp(`(const|function|interface|type) ${name}\\b`));
  });
});
