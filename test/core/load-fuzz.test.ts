/**
 * Property tests of the loader: whatever text arrives (random JSON, random characters, valid designs
 * mangled in every way a hand edit or a broken tool could), `parseDesign` returns a design or a
 * list of problems a person can read. It never throws, never loads something that is not a
 * design, and never shows an ajv internal, "undefined" or "[object Object]".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntheticDesign } from '../../bench/synthetic';
import { parseDesign } from '../../core/load';
import type { LoadProblem, LoadResult } from '../../core/load';
import type { Design } from '../../core/model';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Segment = string | number;

// ---------------------------------------------------------------------------------------------
// What every result must look like

/** Words that betray a message built from the wrong value or copied from ajv. */
const LEAKS = [
  '[object Object]',
  'undefined',
  'NaN',
  '#/',
  '/properties',
  'must NOT',
  'must match',
  'must have required property',
  'must be equal to',
  'must pass',
  'schemaPath',
  'instancePath',
];

/** Control characters (C0, DEL, C1) and Unicode line separators. */
function breaksLine(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/**
 * What is wrong with how a problem reads, as a list that is empty when nothing is (one `expect`
 * per result keeps thousands of runs fast). `leaks`: the words of {@link LEAKS} that the file
 * itself does not hold, so that no message can have quoted them from it.
 */
function problemDefects(problem: LoadProblem, leaks: readonly string[]): string[] {
  const defects: string[] = [];
  const { message, path, segments, line, column } = problem;
  if (typeof message !== 'string' || message.trim() === '') return ['the message is empty'];
  // One line: control characters and line separators from the file are shown escaped.
  if (Array.from(message).some(breaksLine)) defects.push('the message is not one line');
  if (message.length >= 1000) defects.push('the message is longer than 1000 characters');
  for (const leak of leaks) if (message.includes(leak)) defects.push(`the message says '${leak}'`);
  if (typeof path !== 'string' || path === '') defects.push('the path is empty');
  if (!Array.isArray(segments)) defects.push('there are no segments');
  else if ((path === '$') !== (segments.length === 0)) defects.push('the path and its segments disagree');
  if (line !== undefined && !(Number.isInteger(line) && line >= 1)) defects.push('the line is not a line');
  if (line !== undefined && !(Number.isInteger(column) && (column ?? 0) >= 1)) {
    defects.push('the column is not a column');
  }
  return defects.map((defect) => `${defect}: ${JSON.stringify(problem)}`);
}

/** Checks a design on its own terms, independently of the loader: ids and references. */
function expectSoundDesign(design: Design): void {
  const declared = [
    ...(design.sites ?? []).map((item) => ['site', item.id]),
    ...design.hosts.map((item) => ['host', item.id]),
    ...design.services.map((item) => ['service', item.id]),
    ...(design.groups ?? []).map((item) => ['group', item.id]),
    ...(design.entrypoints ?? []).map((item) => ['entrypoint', item.id]),
  ];
  const kindOf = new Map(declared.map(([kind, id]) => [id, kind]));
  expect(kindOf.size).toBe(declared.length);
  for (const [, id] of declared) expect(id).toMatch(/^[a-z][a-z0-9-]{0,62}$/);
  const expectKind = (id: string | undefined, kinds: string[]) => {
    if (id !== undefined) expect(kinds).toContain(kindOf.get(id));
  };
  for (const host of design.hosts) expectKind(host.site, ['site']);
  for (const service of design.services) {
    expectKind(service.host, ['host']);
    expectKind(service.group, ['group']);
  }
  for (const link of design.links ?? []) {
    expectKind(link.from, ['service']);
    expectKind(link.to, ['service', 'group']);
  }
  for (const entrypoint of design.entrypoints ?? []) {
    for (const target of entrypoint.targets) expectKind(target, ['service', 'group']);
    if (entrypoint.via === 'vip') expect(entrypoint.address).toBeDefined();
  }
  const addresses = design.hosts.map((host) => host.address.toLowerCase().replace(/\.$/, ''));
  expect(new Set(addresses).size).toBe(addresses.length);
}

/** Loads text, checks the invariants of the result and returns it. */
function loadChecked(text: string): LoadResult {
  const result = parseDesign(text);
  if (result.ok) {
    expect(result.design).toEqual(JSON.parse(text.replace(/^\ufeff/, '')));
    expectSoundDesign(result.design);
  } else {
    expect(result.problems.length).toBeGreaterThanOrEqual(1);
    const leaks = LEAKS.filter((leak) => !text.includes(leak));
    expect(result.problems.flatMap((problem) => problemDefects(problem, leaks))).toEqual([]);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Valid designs to start from

function minimalDesign(): Json {
  return { format: 1, name: 'Minimal', hosts: [{ id: 'h', address: '10.0.0.1' }], services: [] };
}

function smallDesign(): Json {
  return {
    format: 1,
    name: 'Shop',
    sites: [{ id: 'dc-east' }, { id: 'dc-west', label: 'West' }],
    hosts: [
      {
        id: 'lb-host-1',
        address: '10.0.1.10',
        site: 'dc-east',
        interface: 'eth0',
        ssh: { user: 'deploy', port: 2222, root: '/srv/stage', sudo: true },
      },
      { id: 'lb-host-2', address: '10.0.1.11', site: 'dc-east' },
      { id: 'app-host-1', address: 'app1.example.com', site: 'dc-west' },
      { id: 'db-host-1', address: '2001:db8::10', site: 'dc-west' },
    ],
    services: [
      {
        id: 'lb-1',
        kind: 'haproxy',
        host: 'lb-host-1',
        listen: [{ port: 443, protocol: 'https' }],
        tls: { cert: '/etc/ssl/shop.pem', key: '/etc/ssl/shop.key' },
      },
      { id: 'lb-2', kind: 'nginx', host: 'lb-host-2', serverName: 'shop.example.com' },
      {
        id: 'app-1',
        kind: 'app',
        host: 'app-host-1',
        group: 'apps',
        healthCheck: { path: '/health' },
        command: '/opt/shop/bin/server --port=8080',
        stateful: true,
      },
      { id: 'files', kind: 'storage', type: 'nfs', endpoint: 'nas.example.com:/export/shop' },
      { id: 'mongo-1', kind: 'mongodb', host: 'db-host-1', group: 'rs0', votes: 1 },
      { id: 'arbiter-1', kind: 'arbiter', host: 'lb-host-2', group: 'rs0' },
      { id: 'cache-1', kind: 'redis', host: 'db-host-1', group: 'cache', primary: true },
      { id: 'sentinel-1', kind: 'sentinel', host: 'app-host-1', group: 'cache' },
      { id: 'sql', kind: 'database', engine: 'PostgreSQL', ha: true },
      { id: 'pca-1', kind: 'capture', host: 'app-host-1', delivery: 'failover' },
      { id: 'rep-1', kind: 'reporting', host: 'db-host-1', mode: 'cold-standby' },
    ],
    groups: [
      { id: 'apps', kind: 'pool', load: 1 },
      { id: 'rs0', kind: 'mongodb-replica-set' },
      { id: 'cache', kind: 'redis-sentinel', quorum: 1 },
    ],
    links: [
      { from: 'lb-1', to: 'apps', port: 8080 },
      { from: 'lb-2', to: 'app-1', kind: 'traffic', backup: true },
      { from: 'app-1', to: 'rs0' },
      { from: 'app-1', to: 'files' },
      { from: 'pca-1', to: 'app-1' },
    ],
    entrypoints: [
      { id: 'shop', port: 443, targets: ['lb-1', 'lb-2'], via: 'vip', address: '10.0.1.100' },
      { id: 'portal', port: 80, targets: ['rep-1'], via: 'direct' },
    ],
    layout: { 'lb-1': { x: 0, y: 0 } },
  };
}

const examplesDirectory = join(import.meta.dirname, '../../examples');
const exampleTexts = (() => {
  try {
    return readdirSync(examplesDirectory)
      .filter((file) => file.endsWith('.topo.json'))
      .sort()
      .map((file) => readFileSync(join(examplesDirectory, file), 'utf8'));
  } catch {
    return [];
  }
})();

/** Every design the mutations start from; each must load as it is. */
const SEEDS: Json[] = [
  minimalDesign(),
  smallDesign(),
  syntheticDesign({ services: 30, seed: 7 }) as unknown as Json,
  ...exampleTexts.map((text) => JSON.parse(text) as Json),
];

// ---------------------------------------------------------------------------------------------
// Mutations

const HOSTILE = [
  'a\nb',
  'x{y}',
  'a;b',
  'a"b',
  "a'b",
  '$HOME',
  '#comment',
  '../../etc/passwd',
  '/etc/../shadow',
  'a\u0000b',
  'a\u2028b',
  'a\u202eb',
  '%n',
  '`id`',
  '',
  ' ',
  'x'.repeat(3000),
  '__proto__',
  'constructor',
  'toString',
];

/** Every place in a JSON value: the container, the key and the value there. */
interface Place {
  parent: Json[] | { [key: string]: Json };
  key: Segment;
  path: Segment[];
}

function placesOf(value: Json, path: Segment[] = [], out: Place[] = []): Place[] {
  if (Array.isArray(value)) {
    value.forEach((child, index) => {
      out.push({ parent: value, key: index, path: [...path, index] });
      placesOf(child, [...path, index], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      out.push({ parent: value, key, path: [...path, key] });
      placesOf(child, [...path, key], out);
    }
  }
  return out;
}

function read(place: Place): Json {
  return (place.parent as Record<Segment, Json>)[place.key] as Json;
}

function write(place: Place, value: Json): void {
  (place.parent as Record<Segment, Json>)[place.key] = value;
}

function remove(place: Place): void {
  if (Array.isArray(place.parent)) place.parent.splice(Number(place.key), 1);
  else delete place.parent[String(place.key)];
}

function nest(value: Json, depth: number, inArrays: boolean): Json {
  let nested = value;
  for (let level = 0; level < depth; level++) nested = inArrays ? [nested] : { deeper: nested };
  return nested;
}

const MUTATION_KINDS = [
  'delete',
  'retype',
  'hostile',
  'swap-ids',
  'duplicate-item',
  'rename-key',
  'nest',
  'retarget',
] as const;

interface Mutation {
  kind: (typeof MUTATION_KINDS)[number];
  /** Picks the place to mutate, modulo the number of places. */
  at: number;
  /** Picks a second place, a position or a variant. */
  other: number;
  value: Json;
  text: string;
  depth: number;
}

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(...MUTATION_KINDS),
  at: fc.nat(),
  other: fc.nat(),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  text: fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 30 }), fc.string({ unit: 'binary' })),
  depth: fc.integer({ min: 1, max: 400 }),
});

function mutate(design: Json, mutation: Mutation): void {
  const places = placesOf(design);
  if (places.length === 0) return;
  const place = places[mutation.at % places.length] as Place;
  const current = read(place);
  switch (mutation.kind) {
    case 'delete':
      remove(place);
      return;
    case 'retype':
      write(place, typeof mutation.value === typeof current ? [mutation.value] : mutation.value);
      return;
    case 'hostile':
      write(place, mutation.text);
      return;
    case 'swap-ids': {
      const ids = places.filter((p) => p.key === 'id' && typeof read(p) === 'string');
      const first = ids[mutation.at % Math.max(1, ids.length)];
      const second = ids[mutation.other % Math.max(1, ids.length)];
      if (!first || !second) return;
      const held = read(first);
      write(first, read(second));
      write(second, held);
      return;
    }
    case 'duplicate-item':
      if (Array.isArray(place.parent))
        place.parent.splice(mutation.other % (place.parent.length + 1), 0, current);
      return;
    case 'rename-key':
      if (!Array.isArray(place.parent)) {
        const key = String(place.key);
        const position = mutation.other % Math.max(1, key.length);
        const renamed =
          mutation.other % 3 === 0 ? key.toUpperCase() : key.slice(0, position) + key.slice(position + 1);
        remove(place);
        place.parent[renamed || mutation.text] = current;
      }
      return;
    case 'nest':
      write(place, nest(current, mutation.depth, mutation.other % 2 === 0));
      return;
    case 'retarget': {
      const ids = places.filter((p) => p.key === 'id').map(read);
      const references = places.filter((p) =>
        ['host', 'site', 'group', 'from', 'to'].includes(String(p.key)),
      );
      const reference = references[mutation.at % Math.max(1, references.length)];
      const id = ids[mutation.other % Math.max(1, ids.length)];
      if (reference && id !== undefined) write(reference, id);
      return;
    }
  }
}

/** Applies edits to the text itself: what a broken save or a careless hand leaves behind. */
const textEditArbitrary = fc.oneof(
  fc.constant({ kind: 'none' as const, at: 0, text: '' }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), text: fc.constant('') }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom(',', '}', ']', '"', ':', '//', '/*', '\u00a0', '\ufeff', 'NaN', "'"),
      fc.string(),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), text: fc.string({ maxLength: 3 }) }),
  // Deep enough to exhaust the stack of a recursive parser, closed or not.
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc
      .tuple(fc.constantFrom('[', '{"a":'), fc.integer({ min: 1000, max: 30_000 }), fc.boolean())
      .map(([open, depth, closed]) => {
        const close = open === '[' ? ']'.repeat(depth) : `1${'}'.repeat(depth)}`;
        return open.repeat(depth) + (closed ? close : '');
      }),
  }),
);

function editText(text: string, edit: { kind: string; at: number; text: string }): string {
  const at = edit.at % (text.length + 1);
  switch (edit.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'insert':
      return text.slice(0, at) + edit.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + 1 + edit.text.length);
    default:
      return text;
  }
}

const seedArbitrary = fc.nat({ max: SEEDS.length - 1 }).map((index) => structuredClone(SEEDS[index]) as Json);

// ---------------------------------------------------------------------------------------------
// Properties

/**
 * Runs per property. The suite runs a share that fits CI on two cores; `FUZZ_SCALE=5` (or more)
 * runs a deeper campaign locally.
 */
const FUZZ_SCALE = Number(process.env.FUZZ_SCALE ?? 0.4);
const runs = (base: number) => Math.max(50, Math.round(base * FUZZ_SCALE));

describe('parseDesign under fuzzing', { timeout: 120_000 }, () => {
  it('starts from seeds that load', () => {
    expect(SEEDS.length).toBeGreaterThanOrEqual(3);
    for (const seed of SEEDS) expect(loadChecked(JSON.stringify(seed, null, 2)).ok).toBe(true);
  });

  it('answers random JSON values with a design or readable problems', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, indented) => {
        loadChecked(JSON.stringify(value, null, indented ? 2 : undefined) ?? 'null');
      }),
      { numRuns: runs(2_000) },
    );
  });

  it('answers random JSON text, including lone surrogates and odd numbers', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'medium' }), (text) => {
        loadChecked(text);
      }),
      { numRuns: runs(1_000) },
    );
  });

  it('answers random strings of any characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
        (text) => {
          const result = loadChecked(text);
          // No random string of this size is a design.
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: runs(2_000) },
    );
  });

  it('answers design-shaped objects whose keys and values are random', () => {
    const anything = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
    const item = (keys: string[]) =>
      fc.dictionary(
        fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })),
        fc.oneof(anything, fc.constantFrom(...HOSTILE)),
        {
          maxKeys: 6,
        },
      );
    const design = fc.record(
      {
        format: fc.oneof(fc.constant(1), anything),
        name: fc.oneof(fc.constant('x'), fc.constantFrom(...HOSTILE), anything),
        sites: fc.array(item(['id', 'label']), { maxLength: 3 }),
        hosts: fc.array(item(['id', 'address', 'site', 'interface', 'ssh', 'label']), { maxLength: 4 }),
        services: fc.array(
          item([
            'id',
            'kind',
            'host',
            'group',
            'port',
            'mode',
            'listen',
            'tls',
            'healthCheck',
            'type',
            'engine',
            'priority',
          ]),
          { maxLength: 5 },
        ),
        groups: fc.array(item(['id', 'kind', 'quorum', 'load', 'name']), { maxLength: 3 }),
        links: fc.array(item(['from', 'to', 'kind', 'port', 'backup']), { maxLength: 4 }),
        entrypoints: fc.array(item(['id', 'port', 'targets', 'via', 'address']), { maxLength: 3 }),
        layout: fc.dictionary(fc.string({ maxLength: 8 }), anything, { maxKeys: 3 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(design, (value) => {
        loadChecked(JSON.stringify(value, null, 2));
      }),
      { numRuns: runs(1_500) },
    );
  });

  it('answers valid designs after random mutations and text edits', () => {
    fc.assert(
      fc.property(
        seedArbitrary,
        fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }),
        textEditArbitrary,
        fc.boolean(),
        (design, mutations, edit, indented) => {
          for (const mutation of mutations) mutate(design, mutation);
          loadChecked(editText(JSON.stringify(design, null, indented ? 2 : undefined), edit));
        },
      ),
      { numRuns: runs(2_000) },
    );
  });

  it('refuses a design cut short anywhere, pointing inside what is left', () => {
    fc.assert(
      fc.property(seedArbitrary, fc.nat(), fc.boolean(), (design, at, indented) => {
        const text = JSON.stringify(design, null, indented ? 2 : undefined);
        const cut = text.slice(0, at % text.length);
        const result = loadChecked(cut);
        expect(result.ok).toBe(false);
        if (!result.ok && cut.trim() !== '') {
          const lines = cut.split('\n').length;
          for (const problem of result.problems) expect(problem.line ?? 0).toBeLessThanOrEqual(lines);
          expect(result.problems[0]?.line).toBeDefined();
        }
      }),
      { numRuns: runs(500) },
    );
  });

  it('refuses an item listed twice, at the id of the copy', () => {
    const collections = ['sites', 'hosts', 'services', 'groups', 'entrypoints'] as const;
    fc.assert(
      fc.property(seedArbitrary, fc.constantFrom(...collections), fc.nat(), (design, collection, at) => {
        const list = (design as Record<string, Json[] | undefined>)[collection];
        if (!list || list.length === 0) return;
        const index = at % list.length;
        list.push(structuredClone(list[index]) as Json);
        const result = loadChecked(JSON.stringify(design, null, 2));
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.problems).toContainEqual(
            expect.objectContaining({
              path: `${collection}[${list.length - 1}].id`,
              message: expect.stringContaining('is already the id of'),
            }),
          );
        }
      }),
      { numRuns: runs(300) },
    );
  });

  it('refuses a required key taken away, naming it', () => {
    const required: Record<string, string[]> = {
      hosts: ['id', 'address'],
      services: ['id', 'kind'],
      groups: ['id', 'kind'],
      links: ['from', 'to'],
      entrypoints: ['id', 'port', 'targets', 'via'],
    };
    fc.assert(
      fc.property(
        seedArbitrary,
        fc.constantFrom(...Object.keys(required)),
        fc.nat(),
        fc.nat(),
        (design, collection, at, which) => {
          const list = (design as Record<string, Record<string, Json>[] | undefined>)[collection];
          if (!list || list.length === 0) return;
          const index = at % list.length;
          const keys = required[collection] ?? [];
          const key = keys[which % keys.length] as string;
          delete list[index]?.[key];
          const result = loadChecked(JSON.stringify(design, null, 2));
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(result.problems).toContainEqual(
              expect.objectContaining({
                path: `${collection}[${index}]`,
                message: `missing required key '${key}'`,
              }),
            );
          }
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('refuses a hostile string in any field that reaches a config, at that field', () => {
    const configKeys = new Set([
      'id',
      'address',
      'site',
      'host',
      'group',
      'from',
      'to',
      'interface',
      'user',
      'hostKey',
      'root',
      'cert',
      'key',
      'serverName',
      'path',
      'command',
      'endpoint',
      'mountPoint',
      'masterName',
    ]);
    const breaking = ['a\nb', 'x{y}', 'a;b', 'a"b', "a'b", '$HOME', '#x', '`id`', 'a b\n'];
    fc.assert(
      fc.property(seedArbitrary, fc.nat(), fc.constantFrom(...breaking), (design, at, hostile) => {
        const fields = placesOf(design).filter(
          (place) =>
            configKeys.has(String(place.key)) &&
            typeof read(place) === 'string' &&
            place.path[0] !== 'layout',
        );
        const field = fields[at % fields.length] as Place;
        write(field, `${read(field) as string}${hostile}`);
        const result = loadChecked(JSON.stringify(design, null, 2));
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.problems.map((problem) => problem.segments)).toContainEqual(field.path);
        }
      }),
      { numRuns: runs(500) },
    );
  });

  it('refuses a property line written twice, at the second one', () => {
    fc.assert(
      fc.property(seedArbitrary, fc.nat(), (design, at) => {
        const lines = JSON.stringify(design, null, 2).split('\n');
        const candidates = lines.flatMap((line, index) =>
          /^\s*"[^"]+": [^[{]*,$/.test(line) ? [index] : [],
        );
        const index = candidates[at % candidates.length] as number;
        lines.splice(index + 1, 0, lines[index] as string);
        const result = loadChecked(lines.join('\n'));
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.problems).toContainEqual(
            expect.objectContaining({
              message: expect.stringContaining('appears twice in one object'),
              line: index + 2,
            }),
          );
        }
      }),
      { numRuns: runs(300) },
    );
  });
});
