/** References: one id namespace, unique addresses, every reference resolves. */
import { quoteValue } from '../json-path';
import type { PathSegment } from '../json-path';
import { GROUP_DESCRIPTORS } from '../groups';
import { BALANCER_KINDS, GROUP_KINDS, SERVICE_KINDS } from '../model';
import type { GroupKind, ServiceKind } from '../model';
import { ADDRESS_REGEX, ID_REGEX } from '../schema/patterns';
import { ID_COLLECTIONS, ITEM_COLLECTIONS, referencesOf } from '../schema/references';
import type { IdCollection, ItemCollection } from '../schema/references';
import { didYouMean } from '../suggest';
import { problem, withArticle } from './problem';
import type { LoadProblem } from './problem';

type Collection = IdCollection;
const COLLECTION_NOUN: Record<Collection, string> = {
  sites: 'site',
  hosts: 'host',
  services: 'service',
  groups: 'group',
  entrypoints: 'entrypoint',
};

interface Declared {
  collection: Collection;
  index: number;
  item: Record<string, unknown>;
}

/** Duplicate ids, duplicate addresses and references that do not resolve, of a parsed file. */
export function referenceProblems(root: Record<string, unknown>): LoadProblem[] {
  const problems: LoadProblem[] = [];
  // Every declaration of each id, so that a reference to a duplicated id still finds its kind.
  const declared = new Map<string, Declared[]>();
  const idsOf: Record<Collection, string[]> = {
    sites: [],
    hosts: [],
    services: [],
    groups: [],
    entrypoints: [],
  };

  for (const collection of ID_COLLECTIONS) {
    items(root[collection]).forEach(({ item, index }) => {
      const id = item.id;
      if (typeof id !== 'string') return;
      const previous = declared.get(id);
      if (previous?.[0]) {
        problems.push(
          problem(
            [collection, index, 'id'],
            `${quoteValue(id)} is already the id of ${previous[0].collection}[${previous[0].index}]; ids are unique across sites, hosts, services, groups and entrypoints`,
          ),
        );
        previous.push({ collection, index, item });
        return;
      }
      declared.set(id, [{ collection, index, item }]);
      idsOf[collection].push(id);
    });
  }

  // Suggestions compare a dangling id with every candidate: a budget keeps a file with thousands
  // of them (a renamed host list) from taking seconds; the first ones still get their suggestion.
  let comparisonsLeft = 500_000;
  const candidatesOf = new Map<string, string[]>();
  const expect = (
    segments: PathSegment[],
    reference: unknown,
    allowed: readonly Collection[],
  ): Declared | undefined => {
    // A reference that is not even an id has its own problem from the schema.
    if (typeof reference !== 'string' || !ID_REGEX.test(reference)) return undefined;
    const targets = declared.get(reference) ?? [];
    const wanted = allowed.map((c) => COLLECTION_NOUN[c]).join(' or ');
    if (!targets[0]) {
      let suggestion = '';
      if (comparisonsLeft > 0) {
        const key = allowed.join();
        const candidates = candidatesOf.get(key) ?? allowed.flatMap((c) => idsOf[c]);
        candidatesOf.set(key, candidates);
        comparisonsLeft -= candidates.length;
        suggestion = didYouMean(reference, candidates);
      }
      problems.push(problem(segments, `there is no ${wanted} '${reference}'${suggestion}`));
      return undefined;
    }
    const target = targets.find((t) => allowed.includes(t.collection));
    if (!target) {
      problems.push(
        problem(
          segments,
          `'${reference}' is ${withArticle(COLLECTION_NOUN[targets[0].collection])}, not ${withArticle(wanted)}`,
        ),
      );
    }
    return target;
  };

  /** What each reference field of an item names, index for index in a list of ids. */
  type Resolved = Map<string, (Declared | undefined)[]>;
  const addresses = new Map<string, string>();
  /** The checks of each list beyond its references resolving. */
  const checks: Partial<
    Record<ItemCollection, (item: Record<string, unknown>, index: number, resolved: Resolved) => void>
  > = {
    hosts: (item, index) => {
      // An address that is not one has its own problem from the schema.
      if (typeof item.address !== 'string' || !ADDRESS_REGEX.test(item.address)) return;
      const address = normalizeAddress(item.address);
      const owner = addresses.get(address);
      const name = typeof item.id === 'string' ? `host ${quoteValue(item.id)}` : `hosts[${index}]`;
      if (owner !== undefined && owner !== name) {
        problems.push(
          problem(
            ['hosts', index, 'address'],
            `${quoteValue(item.address)} is already the address of ${owner}`,
          ),
        );
      } else addresses.set(address, name);
    },
    services: (item, index, resolved) => {
      const group = resolved.get('group')?.[0];
      const groupKind = group?.item.kind as GroupKind | undefined;
      // Only a known kind: a kind such as 'toString' would find the object's prototype.
      const admitted =
        groupKind && GROUP_KINDS.includes(groupKind) ? GROUP_DESCRIPTORS[groupKind].memberKinds : undefined;
      const kind = item.kind as ServiceKind;
      // An unknown kind has its own problem from the schema.
      if (admitted && SERVICE_KINDS.includes(kind) && !admitted.includes(kind)) {
        problems.push(
          problem(
            ['services', index, 'group'],
            `'${String(item.group)}' is ${withArticle(String(groupKind))}, which holds only ${admitted.join(' and ')} services, not ${withArticle(kind)} service`,
          ),
        );
      }
    },
    entrypoints: (item, index, resolved) => {
      if (item.via !== 'vip') return;
      (resolved.get('targets') ?? []).forEach((target, t) => {
        if (!target) return;
        const kind = target.item.kind;
        if (target.collection === 'services' && BALANCER_KINDS.includes(kind as ServiceKind)) return;
        const what =
          target.collection === 'groups'
            ? 'a group'
            : SERVICE_KINDS.includes(kind as ServiceKind)
              ? `${withArticle(String(kind))} service`
              : 'not a balancer';
        problems.push(
          problem(
            ['entrypoints', index, 'targets', t],
            `'${String((item.targets as unknown[])[t])}' is ${what}; the targets of a vip entrypoint must be nginx or haproxy services, which keepalived moves the address between`,
          ),
        );
      });
    },
  };

  // The reference fields are the ones the schema marks (`x-references`), list by list.
  for (const collection of ITEM_COLLECTIONS) {
    const fields = [...referencesOf(collection).values()];
    items(root[collection]).forEach(({ item, index }) => {
      const resolved: Resolved = new Map();
      for (const { key, targets, many } of fields) {
        const value = item[key];
        if (!many) resolved.set(key, [expect([collection, index, key], value, targets)]);
        else if (Array.isArray(value))
          resolved.set(
            key,
            value.map((reference: unknown, t) => expect([collection, index, key, t], reference, targets)),
          );
      }
      checks[collection]?.(item, index, resolved);
    });
  }

  return problems;
}

function items(list: unknown): { item: Record<string, unknown>; index: number }[] {
  if (!Array.isArray(list)) return [];
  const out: { item: Record<string, unknown>; index: number }[] = [];
  list.forEach((item: unknown, index) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      out.push({ item: item as Record<string, unknown>, index });
    }
  });
  return out;
}

/** One spelling per address: DNS names fold case, IPv6 takes its canonical form. */
function normalizeAddress(address: string): string {
  const lower = address.toLowerCase().replace(/\.$/, '');
  if (!lower.includes(':')) return lower;
  try {
    return new URL(`http://[${lower}]/`).hostname;
  } catch {
    return lower;
  }
}
