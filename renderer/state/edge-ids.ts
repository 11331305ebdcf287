/**
 * The identity of everything on the canvas that is not an item with an id of its own: links,
 * group memberships and entrypoint targets. One codec turns these identities into the strings the
 * selection holds and React Flow uses as edge ids, and back.
 *
 * Links have no id in the file (docs/design-file.md), and their position in `design.links` changes when
 * an earlier link is deleted or an undo brings one back. So the app gives each link an identity of
 * its own, kept beside the design (never written to the file) and carried from one version of the
 * links to the next by {@link carryLinkIds}: a link the edit did not touch is the same object in the
 * next version (immer shares it), and a link the edit changed in place keeps its index.
 */
import type { Link } from '../../core/model';

/** A link's identity inside the app: stable across edits, undo and redo; never in the file. */
export type LinkId = string & { readonly __brand: 'LinkId' };

/** What an edge of the canvas stands for. */
export type EdgeRef =
  | { role: 'link'; link: LinkId }
  | { role: 'member'; service: string }
  | { role: 'target'; entrypoint: string; target: string };

/** The selection's and React Flow's id of an edge. Item ids never contain `:`, so these never clash. */
export function edgeIdOf(ref: EdgeRef): string {
  switch (ref.role) {
    case 'link':
      return `link:${ref.link}`;
    case 'member':
      return `member:${ref.service}`;
    case 'target':
      return `target:${ref.entrypoint}:${ref.target}`;
  }
}

/** What an edge id stands for; undefined for an item id or anything else. */
export function parseEdgeId(id: string): EdgeRef | undefined {
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const role = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  if (role === 'link' && rest !== '') return { role, link: rest as LinkId };
  if (role === 'member' && rest !== '' && !rest.includes(':')) return { role, service: rest };
  if (role === 'target') {
    const [entrypoint, target, ...more] = rest.split(':');
    if (entrypoint && target && more.length === 0) return { role, entrypoint, target };
  }
  return undefined;
}

/** True for the id of an edge (link, membership or target), false for an item's id. */
export function isEdgeId(id: string): boolean {
  return parseEdgeId(id) !== undefined;
}

let linkCounter = 0;

/** A link identity no other link of this session has. */
export function newLinkId(): LinkId {
  return `l${++linkCounter}` as LinkId;
}

/** Fresh identities for every link of a design just opened. */
export function freshLinkIds(links: readonly Link[] | undefined): LinkId[] {
  return (links ?? []).map(() => newLinkId());
}

/**
 * The identities of `after`'s links, given `before`'s links and their identities. A link object
 * present in both keeps its identity wherever it moved; a changed link keeps the identity of the
 * link that stood at its index before, if that one is gone (an edit in place: a port changed, a
 * service renamed); anything else is a new link.
 */
export function carryLinkIds(
  before: readonly Link[] | undefined,
  beforeIds: readonly LinkId[],
  after: readonly Link[] | undefined,
): LinkId[] {
  const old = before ?? [];
  const next = after ?? [];
  // The same links keep the same array: the canvas's edges compare it by identity, and a copy on
  // every edit of a field made them all look changed. Nothing mutates a list of link ids.
  if (old === next) return beforeIds as LinkId[];
  const idOf = new Map<Link, LinkId>();
  old.forEach((link, index) => {
    const id = beforeIds[index];
    if (id !== undefined) idOf.set(link, id);
  });
  const kept = new Set<Link>(next.filter((link) => idOf.has(link)));
  const used = new Set<LinkId>();
  return next.map((link, index) => {
    const same = idOf.get(link);
    if (same !== undefined && !used.has(same)) {
      used.add(same);
      return same;
    }
    const previous = old[index];
    const inherited = previous !== undefined && !kept.has(previous) ? idOf.get(previous) : undefined;
    if (inherited !== undefined && !used.has(inherited)) {
      used.add(inherited);
      return inherited;
    }
    const fresh = newLinkId();
    used.add(fresh);
    return fresh;
  });
}

/** The index of a link in the current links, from its identity. */
export function linkIndexOf(linkIds: readonly LinkId[], link: LinkId): number | undefined {
  const index = linkIds.indexOf(link);
  return index < 0 ? undefined : index;
}
