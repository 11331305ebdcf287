/**
 * The inspector's forms, read from the design schema (core/schema/design-schema.ts), the same
 * schema the file format is checked against: which fields an item has, their types, choices,
 * descriptions and which are required. Whether a value is valid is still decided by the loader on
 * the whole edited design, so the form and the file can never disagree.
 */
import { GROUP_DESCRIPTORS } from '../../core/groups';
import { designSchema } from '../../core/schema/design-schema';
import { ITEM_COLLECTIONS, referencesOf } from '../../core/schema/references';
import type { ItemCollection } from '../../core/schema/references';
import type { PathSegment } from '../../core/json-path';
import type { Design } from '../../core/model';
import { OBJECTIVE_HELP, OBJECTIVE_LABELS, isObjectiveKind } from '../panels/objectives';
import type { ObjectiveKind } from '../panels/objectives';
import { linkIndexOf, parseEdgeId } from '../state/edge-ids';
import type { LinkId } from '../state/edge-ids';

type JsonSchema = Record<string, unknown>;

/** The lists of the design that hold items. */
export type Collection = ItemCollection;

/** How a field is edited. */
export type Control =
  | 'text'
  | 'multiline'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'reference'
  | 'references'
  | 'object'
  | 'list';

/** One field of a form. */
export interface FieldSpec {
  key: string;
  label: string;
  description?: string;
  required: boolean;
  control: Control;
  /** `enum` choices. */
  choices?: readonly (string | number)[];
  /** `reference(s)`: which lists the id may come from. */
  references?: readonly Collection[];
  /** `object` and `list` (of objects): their fields. */
  fields?: FieldSpec[];
  /** Read-only in the form (a service's kind is changed through its own control). */
  readOnly?: boolean;
  /** What an unset field means (the schema's `default`), e.g. `auth` is on until set false. */
  defaultValue?: unknown;
  /** One of `objectives`: typed as the Resilience view types it (availability in percent). */
  objective?: ObjectiveKind;
}

/** Where a selected item lives in the design. */
export interface ItemLocation {
  collection: Collection;
  index: number;
  /** `[collection, index]`, the prefix of every problem path inside the item. */
  path: PathSegment[];
}

/** Which lists each reference field of an item names, as the schema marks it (`x-references`). */
function referencesFor(collection: Collection): Record<string, readonly Collection[]> {
  return Object.fromEntries([...referencesOf(collection)].map(([key, field]) => [key, field.targets]));
}

const LABELS: Record<string, string> = {
  id: 'Id',
  ssh: 'SSH',
  tls: 'TLS',
  hostKey: 'Host key',
  serverName: 'Server name',
  healthCheck: 'Health check',
  intervalMs: 'Interval (ms)',
  downAfterMs: 'Down after (ms)',
  failoverTimeoutMs: 'Failover timeout (ms)',
  masterName: 'Master name',
  mountPoint: 'Mount point',
  sudo: 'Use sudo',
  ha: 'Externally highly available',
  stats: 'Statistics page',
  listen: 'Listeners',
  cert: 'Certificate',
  key: 'Private key path',
  root: 'Remote root',
  interface: 'Network interface',
  auth: 'Authentication',
  authReason: 'Why without authentication',
  expose: 'Expose beyond loopback',
};

/** `healthCheck` → `Health check`, with the exceptions above. */
export function labelOf(key: string): string {
  if (LABELS[key]) return LABELS[key];
  const words = key.replace(/([A-Z])/g, ' $1').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const root = designSchema as unknown as JsonSchema;
const topProperties = root.properties as Record<string, JsonSchema>;

function itemSchemaOf(collection: Collection): JsonSchema {
  return (topProperties[collection] as JsonSchema).items as JsonSchema;
}

/** The schema branch of one service kind (the `oneOf` branch whose `kind` is that constant). */
function serviceBranchOf(kind: string): JsonSchema | undefined {
  const branches = itemSchemaOf('services').oneOf as JsonSchema[];
  return branches.find(
    (b) => ((b.properties as Record<string, JsonSchema>).kind as JsonSchema).const === kind,
  );
}

function controlOf(
  schema: JsonSchema,
  key: string,
  references: Record<string, readonly Collection[]>,
): Control {
  if (references[key]) return schema.type === 'array' ? 'references' : 'reference';
  if (Array.isArray(schema.enum)) return 'enum';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'integer') return 'integer';
  if (schema.type === 'number') return 'number';
  if (schema.type === 'object') return 'object';
  if (schema.type === 'array') return 'list';
  if (typeof schema.maxLength === 'number' && schema.maxLength > 1000 && key === 'description')
    return 'multiline';
  return 'text';
}

function fieldsOf(
  schema: JsonSchema,
  references: Record<string, readonly Collection[]> = {},
  hidden: ReadonlySet<string> = new Set(),
): FieldSpec[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties)
    .filter(([key]) => !hidden.has(key))
    .map(([key, property]) => {
      const control = controlOf(property, key, references);
      const spec: FieldSpec = { key, label: labelOf(key), required: required.has(key), control };
      if (typeof property.description === 'string') spec.description = property.description;
      if (property.default !== undefined) spec.defaultValue = property.default;
      if (control === 'enum') spec.choices = property.enum as (string | number)[];
      if (control === 'reference' || control === 'references') spec.references = references[key];
      if (control === 'object')
        spec.fields = key === 'objectives' ? objectiveFields(fieldsOf(property)) : fieldsOf(property);
      if (control === 'list') spec.fields = fieldsOf(property.items as JsonSchema);
      return spec;
    });
}

/** The objectives' fields, named, typed and ordered as in the Resilience view. */
function objectiveFields(fields: FieldSpec[]): FieldSpec[] {
  const order = Object.keys(OBJECTIVE_LABELS);
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  return [...fields]
    .sort((a, b) => rank(a.key) - rank(b.key))
    .map((field) =>
      isObjectiveKind(field.key)
        ? {
            ...field,
            label: OBJECTIVE_LABELS[field.key],
            description: OBJECTIVE_HELP[field.key],
            objective: field.key,
          }
        : field,
    );
}

/**
 * Group fields that mean something for each kind (the schema admits all of them on every group;
 * the generators read only these).
 */
function groupKindFields(kind: string): readonly string[] {
  return Object.hasOwn(GROUP_DESCRIPTORS, kind)
    ? GROUP_DESCRIPTORS[kind as keyof typeof GROUP_DESCRIPTORS].inspectorFields
    : [];
}

/** The fields of an item of a list; for services, of its kind. */
export function fieldsOfItem(collection: Collection, item: Record<string, unknown>): FieldSpec[] {
  const references = referencesFor(collection);
  if (collection === 'services') {
    const branch = serviceBranchOf(String(item.kind));
    if (!branch) return [];
    return fieldsOf(branch, references).map((field) =>
      field.key === 'kind' ? { ...field, control: 'enum', choices: serviceKindChoices() } : field,
    );
  }
  const fields = fieldsOf(itemSchemaOf(collection), references);
  if (collection !== 'groups') return fields;
  const relevant = new Set(groupKindFields(String(item.kind)));
  const specific = new Set(
    Object.values(GROUP_DESCRIPTORS).flatMap((d) => d.inspectorFields as readonly string[]),
  );
  // A field set in the file stays visible even when its kind ignores it, so it can be cleared.
  return fields.filter((f) => !specific.has(f.key) || relevant.has(f.key) || item[f.key] !== undefined);
}

function serviceKindChoices(): string[] {
  return (itemSchemaOf('services').oneOf as JsonSchema[]).map(
    (b) => ((b.properties as Record<string, JsonSchema>).kind as JsonSchema).const as string,
  );
}

/** The fields of the design itself: its name and description. */
export function fieldsOfDesign(): FieldSpec[] {
  return fieldsOf(root, {}, new Set(FILE_ONLY_FIELDS));
}

/**
 * Top-level keys of the design that have no field in the design's form: the format, the lists
 * (edited on the canvas, each item in its own form) and the canvas positions. Every other key of
 * the schema has an inspector field; a test holds the two lists together.
 */
export const FILE_ONLY_FIELDS: readonly string[] = ['format', ...ITEM_COLLECTIONS, 'layout'];

/**
 * Finds a selected id in the design: an item by its id, a link by its identity (`linkIds` are the
 * identities of `design.links`, index for index).
 */
export function locateItem(
  design: Design,
  id: string,
  linkIds: readonly LinkId[] = [],
): ItemLocation | undefined {
  const edge = parseEdgeId(id);
  if (edge) {
    const index = edge.role === 'link' ? linkIndexOf(linkIds, edge.link) : undefined;
    return index !== undefined && index < (design.links?.length ?? 0)
      ? { collection: 'links', index, path: ['links', index] }
      : undefined;
  }
  const lists: [Collection, { id: string }[] | undefined][] = [
    ['sites', design.sites],
    ['hosts', design.hosts],
    ['services', design.services],
    ['groups', design.groups],
    ['entrypoints', design.entrypoints],
  ];
  for (const [collection, list] of lists) {
    const index = (list ?? []).findIndex((item) => item.id === id);
    if (index >= 0) return { collection, index, path: [collection, index] };
  }
  return undefined;
}

/** True when `path` starts with `prefix`. */
export function isUnder(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.every((segment, i) => path[i] === segment);
}

/** Ids an item may reference, with a word on what each is. */
export function referenceChoices(
  design: Pick<Design, 'sites' | 'hosts' | 'services' | 'groups'>,
  collections: readonly Collection[],
): { id: string; hint: string }[] {
  const choices: { id: string; hint: string }[] = [];
  for (const collection of collections) {
    if (collection === 'sites')
      for (const s of design.sites ?? []) choices.push({ id: s.id, hint: s.label ?? 'site' });
    if (collection === 'hosts') for (const h of design.hosts) choices.push({ id: h.id, hint: h.address });
    if (collection === 'services') for (const s of design.services) choices.push({ id: s.id, hint: s.kind });
    if (collection === 'groups')
      for (const g of design.groups ?? []) choices.push({ id: g.id, hint: g.kind });
  }
  return choices;
}
