/**
 * The references between items of a design, read from the `x-references` marks of the design
 * schema: a service's `host`, a host's `site`, a link's `from` and `to`, an entrypoint's `targets`.
 * The loader's dangling-reference problems, rename (`core/edit/rename.ts`) and the inspector's pickers all
 * read this one list, so a new reference field is marked once, in `./design-schema.ts`.
 */
import { designSchema } from './design-schema';
import type { IdCollection } from './design-schema';

export { ID_COLLECTIONS } from './design-schema';
export type { IdCollection } from './design-schema';

/** A list of the design that holds items: the lists with ids, and links. */
export type ItemCollection = IdCollection | 'links';

/** A field of the items of one list that names other items by id. */
export interface ReferenceField {
  /** The list whose items have the field. */
  collection: ItemCollection;
  /** The field's key in the item. */
  key: string;
  /** The lists the named item may be in. */
  targets: readonly IdCollection[];
  /** True when the field is a list of ids rather than one id. */
  many: boolean;
}

type JsonSchema = Record<string, unknown>;

/** The lists of the design that hold items, in the order of the file format. */
export const ITEM_COLLECTIONS: readonly ItemCollection[] = [
  'sites',
  'hosts',
  'services',
  'groups',
  'links',
  'entrypoints',
];

function referenceTargets(schema: JsonSchema | undefined): readonly IdCollection[] | undefined {
  const targets = schema?.['x-references'];
  return Array.isArray(targets) ? (targets as IdCollection[]) : undefined;
}

/** Every property of an item schema, including each `oneOf` branch's (service kinds). */
function itemProperties(item: JsonSchema): [string, JsonSchema][] {
  const branches = Array.isArray(item.oneOf) ? (item.oneOf as JsonSchema[]) : [item];
  const seen = new Map<string, JsonSchema>();
  for (const branch of branches) {
    for (const [key, property] of Object.entries((branch.properties ?? {}) as Record<string, JsonSchema>))
      if (!seen.has(key)) seen.set(key, property);
  }
  return [...seen];
}

function findReferences(): ReferenceField[] {
  const top = designSchema.properties as unknown as Record<string, JsonSchema>;
  const fields: ReferenceField[] = [];
  for (const collection of ITEM_COLLECTIONS) {
    const item = top[collection]?.items as JsonSchema | undefined;
    if (!item) continue;
    for (const [key, property] of itemProperties(item)) {
      const one = referenceTargets(property);
      const many = property.type === 'array' ? referenceTargets(property.items as JsonSchema) : undefined;
      if (one) fields.push({ collection, key, targets: one, many: false });
      else if (many) fields.push({ collection, key, targets: many, many: true });
    }
  }
  return fields;
}

/** Every reference field of the design, list by list in the loader's order. */
export const DESIGN_REFERENCES: readonly ReferenceField[] = findReferences();

/** The reference fields of the items of one list, by key. */
export function referencesOf(collection: ItemCollection): ReadonlyMap<string, ReferenceField> {
  return new Map(DESIGN_REFERENCES.filter((f) => f.collection === collection).map((f) => [f.key, f]));
}
