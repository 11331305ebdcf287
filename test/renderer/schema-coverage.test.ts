/**
 * Every field of the design schema can be edited in the inspector, or is listed as file-only: a
 * field added to the schema that the forms cannot show fails here. And the reference fields the
 * schema marks are the inspector's pickers.
 */
import { describe, expect, it } from 'vitest';
import { designSchema } from '../../core/schema/design-schema';
import { DESIGN_REFERENCES } from '../../core/schema/references';
import { GROUP_KINDS, SERVICE_KINDS } from '../../core/model';
import { FILE_ONLY_FIELDS, fieldsOfDesign, fieldsOfItem } from '../../renderer/inspector/schema-fields';
import type { Collection, FieldSpec } from '../../renderer/inspector/schema-fields';

type JsonSchema = Record<string, unknown>;
const top = designSchema.properties as unknown as Record<string, JsonSchema>;

/** Every key path below an object schema: `ssh.hostKey`, `listen.port`. */
function schemaPaths(schema: JsonSchema, prefix = ''): string[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).flatMap(([key, property]) => {
    const path = `${prefix}${key}`;
    const nested =
      property.type === 'object'
        ? property
        : property.type === 'array' && (property.items as JsonSchema).type === 'object'
          ? (property.items as JsonSchema)
          : undefined;
    return [path, ...(nested ? schemaPaths(nested, `${path}.`) : [])];
  });
}

function formPaths(fields: FieldSpec[], prefix = ''): string[] {
  return fields.flatMap((f) => [`${prefix}${f.key}`, ...formPaths(f.fields ?? [], `${prefix}${f.key}.`)]);
}

describe('schema fields and inspector fields', () => {
  it('gives the design every top-level field that is not file-only', () => {
    const shown = new Set(formPaths(fieldsOfDesign()));
    const missing = Object.keys(top).filter((key) => !shown.has(key) && !FILE_ONLY_FIELDS.includes(key));
    expect(missing).toEqual([]);
  });

  it('gives every service kind every field of its schema branch', () => {
    const branches = (top.services!.items as JsonSchema).oneOf as JsonSchema[];
    for (const kind of SERVICE_KINDS) {
      const branch = branches.find((b) => (b.properties as Record<string, JsonSchema>).kind!.const === kind)!;
      const shown = new Set(formPaths(fieldsOfItem('services', { kind })));
      expect({ kind, missing: schemaPaths(branch).filter((p) => !shown.has(p)) }).toEqual({
        kind,
        missing: [],
      });
    }
  });

  it('gives sites, hosts, links and entrypoints every field, and groups every field across kinds', () => {
    for (const collection of ['sites', 'hosts', 'links', 'entrypoints'] as const) {
      const shown = new Set(formPaths(fieldsOfItem(collection, {})));
      const missing = schemaPaths(top[collection]!.items as JsonSchema).filter((p) => !shown.has(p));
      expect({ collection, missing }).toEqual({ collection, missing: [] });
    }
    const shown = new Set(GROUP_KINDS.flatMap((kind) => formPaths(fieldsOfItem('groups', { kind }))));
    expect(schemaPaths(top.groups!.items as JsonSchema).filter((p) => !shown.has(p))).toEqual([]);
  });

  it('shows each reference the schema marks as a picker of the lists it names', () => {
    expect(DESIGN_REFERENCES.map((r) => `${r.collection}.${r.key}`)).toEqual([
      'hosts.site',
      'services.host',
      'services.group',
      'links.from',
      'links.to',
      'entrypoints.targets',
    ]);
    for (const { collection, key, targets, many } of DESIGN_REFERENCES) {
      const item = collection === 'services' ? { kind: 'app' } : {};
      const field = fieldsOfItem(collection as Collection, item).find((f) => f.key === key);
      expect(field).toMatchObject({ control: many ? 'references' : 'reference', references: targets });
    }
  });
});
