/**
 * The compile-time check that the design schema (`./design-schema.ts`, what a file is checked
 * against) and the model's types (`../model.ts`, what the code reads) name the same fields, item
 * by item and service kind by service kind. A field added to one and not the other fails
 * `npm run typecheck` here, naming the field.
 *
 * Why a check rather than types derived from the schema: the schema carries our own annotations
 * (`x-message`, `x-references`) and is built by helpers, which keeps it readable but beyond what
 * schema-to-type tools infer; the model keeps its branded ids. Both stay hand-written and this file
 * holds them equal. Nothing here exists at run time.
 */
import type { CommonServiceProperties, designSchema, KindProperties } from './design-schema';
import type {
  Design,
  Entrypoint,
  Group,
  HealthCheck,
  Host,
  HostSsh,
  LayoutPosition,
  Link,
  Listener,
  Service,
  ServiceKind,
  Site,
  StatsPage,
  TlsFiles,
} from '../model';

/** The keys of an object schema's `properties`. */
type SchemaKeys<S> = S extends { properties: infer P } ? Extract<keyof P, string> : never;
type ModelKeys<T> = Extract<keyof T, string>;
/** The keys of every member of a union (a group of any kind), not only the keys they share. */
type UnionKeys<T> = T extends unknown ? Extract<keyof T, string> : never;

/** `true` when both name the same keys; otherwise the keys each has alone, shown in the error. */
type SameKeys<FromSchema extends string, FromModel extends string> = [
  Exclude<FromSchema, FromModel>,
  Exclude<FromModel, FromSchema>,
] extends [never, never]
  ? true
  : { onlyInSchema: Exclude<FromSchema, FromModel>; onlyInModel: Exclude<FromModel, FromSchema> };

type Expect<T extends true> = T;

type Top = (typeof designSchema)['properties'];
type HostSchema = Top['hosts']['items'];
type ItemOf<C extends keyof Top> = Top[C] extends { items: infer I } ? I : never;

/**
 * Fields the model's types admit on a service kind whose schema does not: the model shares one
 * interface between kinds (nginx and haproxy are one `BalancerService`), so it is looser there.
 * The schema decides what a file may hold; these only widen what code may read.
 */
interface SharedModelFields {
  nginx: 'stats' | 'auth' | 'authReason';
  haproxy: 'serverName';
  router: 'auth' | 'authReason';
  processing: 'auth' | 'authReason';
  reporting: 'auth' | 'authReason';
}
type SharedOf<K extends ServiceKind> = K extends keyof SharedModelFields ? SharedModelFields[K] : never;

type ServiceSchemaKeys<K extends ServiceKind> =
  Extract<keyof CommonServiceProperties, string> | SchemaKeys<KindProperties[K]> | 'kind';
/** The model's type of one kind, also when one interface covers several kinds. */
type ServiceOf<K extends ServiceKind> = Service extends infer S
  ? S extends { kind: infer Kinds }
    ? K extends Kinds
      ? S
      : never
    : never
  : never;
type ServiceChecks = {
  [K in ServiceKind]: SameKeys<ServiceSchemaKeys<K> | SharedOf<K>, ModelKeys<ServiceOf<K>>>;
};
/** `true` when every kind is; otherwise the checks of every kind, the failing ones not `true`. */
type AllTrue<T> = T[keyof T] extends true ? true : T;

/** Each line fails to compile when the schema and the model disagree on that item's fields. */
export type ShapeChecks = [
  Expect<SameKeys<SchemaKeys<typeof designSchema>, ModelKeys<Design>>>,
  Expect<SameKeys<SchemaKeys<ItemOf<'sites'>>, ModelKeys<Site>>>,
  Expect<SameKeys<SchemaKeys<HostSchema>, ModelKeys<Host>>>,
  Expect<SameKeys<SchemaKeys<HostSchema['properties']['ssh']>, ModelKeys<HostSsh>>>,
  Expect<AllTrue<ServiceChecks>>,
  Expect<SameKeys<SchemaKeys<KindProperties['nginx']['properties']['listen']['items']>, ModelKeys<Listener>>>,
  Expect<SameKeys<SchemaKeys<KindProperties['nginx']['properties']['tls']>, ModelKeys<TlsFiles>>>,
  Expect<SameKeys<SchemaKeys<KindProperties['haproxy']['properties']['stats']>, ModelKeys<StatsPage>>>,
  Expect<SameKeys<SchemaKeys<KindProperties['app']['properties']['healthCheck']>, ModelKeys<HealthCheck>>>,
  Expect<SameKeys<SchemaKeys<ItemOf<'groups'>>, UnionKeys<Group>>>,
  Expect<SameKeys<SchemaKeys<ItemOf<'links'>>, ModelKeys<Link>>>,
  Expect<SameKeys<SchemaKeys<ItemOf<'entrypoints'>>, ModelKeys<Entrypoint>>>,
  Expect<SameKeys<SchemaKeys<Top['layout']['additionalProperties']>, ModelKeys<LayoutPosition>>>,
];
