/**
 * The canvas's nodes and edges, derived from the design: the design is the only source of truth,
 * and React Flow sees a projection of it. A node object is reused while its item, box, parent and
 * selection are unchanged, so an edit or a selection touches only the nodes it changed and React
 * Flow re-renders nothing else.
 */
import { MarkerType, Position } from '@xyflow/react';
import type { Edge, Node, NodeHandle } from '@xyflow/react';
import { linkKindOf } from '../../core/model';
import type { Design, Entrypoint, Group, Host, Link, LinkKind, Service, Site } from '../../core/model';
import { edgeIdOf } from '../state/edge-ids';
import type { LinkId } from '../state/edge-ids';
import type { Collapse } from './collapse';
import { EdgeNames } from './edge-names';
import type { Geometry, ItemBox } from './geometry';
import { derivationOf } from './geometry';
import { groupFrames, groupMarks, linkLanes, readingOrder } from './legibility';
import type { GroupFrame, GroupMark } from './legibility';
import { nameIndex, namerOf } from './names';
import type { NameIndex, Namer } from './names';

/** Data of a service node: the service, and the mark of its group if it has one. */
export type ServiceNodeData = { service: Service; mark?: GroupMark };
/** Data of a host node. */
export type HostNodeData = { host: Host };
/** Data of a site node. */
export type SiteNodeData = { site: Site };
/** Data of a group node: its mark; `members` is set while a pool is collapsed (collapse.ts). */
export type GroupNodeData = { group: Group; mark?: GroupMark; members?: number };
/** Data of an entrypoint node. */
export type EntrypointNodeData = { entrypoint: Entrypoint };
/** Data of a frame drawn around the members of a group that sit together. */
export type FrameNodeData = { frame: GroupFrame };

export type ServiceNodeType = Node<ServiceNodeData, 'service'>;
export type HostNodeType = Node<HostNodeData, 'host'>;
export type SiteNodeType = Node<SiteNodeData, 'site'>;
export type GroupNodeType = Node<GroupNodeData, 'group'>;
export type EntrypointNodeType = Node<EntrypointNodeData, 'entrypoint'>;
export type FrameNodeType = Node<FrameNodeData, 'frame'>;

/** Every node of the canvas. */
export type CanvasNode =
  ServiceNodeType | HostNodeType | SiteNodeType | GroupNodeType | EntrypointNodeType | FrameNodeType;

/**
 * Stacking: sites, then hosts, then group frames, then cards. Edges between cards take the cards'
 * level (React Flow lifts edges of nested nodes), so cards stay readable above the lines.
 */
const Z_INDEX: Record<CanvasNode['type'], number> = {
  site: 0,
  host: 1,
  frame: 2,
  service: 3,
  group: 3,
  entrypoint: 3,
};

/** What an edge stands for. */
export type EdgeData =
  | { role: 'link'; link: LinkId; index: number; kind: LinkKind; backup: boolean; lane: number }
  | { role: 'member'; service: string; group: string }
  | { role: 'target'; entrypoint: string; target: string };

/** Every edge of the canvas. */
export type CanvasEdge = Edge<EdgeData>;

/** Handle ids: `in` takes links and targets, `out` starts them, `members` joins a group. */
export const HANDLES = { in: 'in', out: 'out', members: 'members' } as const;

const HANDLE_SIZE = 10;

function handlesOf(type: CanvasNode['type'], width: number, height: number, collapsed = false): NodeHandle[] {
  const top: NodeHandle = {
    id: HANDLES.in,
    type: 'target',
    position: Position.Top,
    x: width / 2 - HANDLE_SIZE / 2,
    y: -HANDLE_SIZE / 2,
    width: HANDLE_SIZE,
    height: HANDLE_SIZE,
  };
  const bottom: NodeHandle = {
    id: HANDLES.out,
    type: 'source',
    position: Position.Bottom,
    x: width / 2 - HANDLE_SIZE / 2,
    y: height - HANDLE_SIZE / 2,
    width: HANDLE_SIZE,
    height: HANDLE_SIZE,
  };
  if (type === 'service') return [top, bottom];
  if (type === 'entrypoint') return [bottom];
  if (type === 'group') {
    return [
      top,
      // A collapsed pool stands in for its members, so their links leave from it.
      ...(collapsed ? [bottom] : []),
      {
        id: HANDLES.members,
        type: 'target',
        position: Position.Left,
        x: -HANDLE_SIZE / 2,
        y: height / 2 - HANDLE_SIZE / 2,
        width: HANDLE_SIZE,
        height: HANDLE_SIZE,
      },
    ];
  }
  return [];
}

interface CachedNode {
  item: unknown;
  box: ItemBox;
  selected: boolean;
  /** Everything else the node shows that is not in its item: its mark and accessible name. */
  extra: string;
  /** The member count a collapsed pool shows. */
  members?: number | undefined;
  node: CanvasNode;
}

interface CachedEdge {
  key: string;
  edge: CanvasEdge;
  selected: boolean;
  /** For an edge re-routed to a pool's node: the pair it is drawn once for. */
  drawn?: string | undefined;
}

/** The parts of a design the nodes' names, marks and frames depend on, besides each item. */
interface NodeInputs {
  design: Design;
  geometry: Geometry;
  selected: ReadonlySet<string>;
}

/**
 * Derives nodes and edges, reusing the objects of the previous derivation where nothing changed.
 * An edit that only moved items (a drag, a nudge, an align) costs the items it moved: the
 * geometry says which boxes changed (geometry.ts), and names, marks, frames and edges of
 * everything else are the previous derivation's.
 */
export class CanvasProjection {
  private nodeCache = new Map<string, CachedNode>();
  private edgeCache = new Map<string, CachedEdge>();
  private lastNodes: CanvasNode[] = [];
  private lastEdges: CanvasEdge[] = [];
  private lastNodeInputs: NodeInputs | undefined;
  private lastFrames = new Map<string, GroupFrame>();
  /** The reading order the last nodes follow (legibility.ts): the same array while it holds. */
  private lastOrder: readonly string[] = [];
  /** Each last node's index, made when a derivation first patches the last nodes. */
  private nodeIndex: Map<string, number> | undefined;
  /** The focus order worked out for {@link lastOrder}. */
  private focus: { order: readonly string[]; ids: string[]; place: Map<string, number> } | undefined;
  private items = new Map<
    string,
    { type: CanvasNode['type']; item: Site | Host | Service | Group | Entrypoint }
  >();
  private lastEdgeInputs: unknown[] = [];
  /** The names of the routed edges, kept outside the edge objects (edges.tsx). */
  readonly edgeNames = new EdgeNames();
  /** The names' index and the design it was made for, kept across edits (see {@link namerFor}). */
  private named: { design: Design; index: NameIndex } | undefined;
  /** Each service's place in the services array it was worked out for (see {@link serviceIndexOf}). */
  private serviceIndex: { services: readonly Service[]; index: Map<string, number> } | undefined;
  /** Each link's lane, for the links array it was worked out for. */
  private lanes: { links: Design['links']; lanes: number[] } | undefined;

  /**
   * A namer for `design`. The index of names is the last one's when only services' fields
   * changed since (an inspector edit, a move): those few services are updated in it, so naming
   * the nodes and edges an edit touched does not walk a design of thousands of items.
   */
  private namerFor(design: Design): Namer {
    const named = this.named;
    if (named?.design !== design) {
      const edited = named ? editedServices(named.design, design) : undefined;
      if (named && edited) {
        for (const [id, service] of edited) {
          named.index.services.set(id, service);
          named.index.titles.set(id, service.label ?? id);
        }
        named.design = design;
      } else this.named = { design, index: nameIndex(design) };
    }
    return namerOf(this.named!.index);
  }

  private lanesOf(design: Design): number[] {
    const known = this.lanes;
    if (known && known.links === design.links) return known.lanes;
    const lanes = linkLanes(design);
    this.lanes = { links: design.links, lanes };
    return lanes;
  }

  /** The nodes of a design, containers first (React Flow needs parents before children). */
  nodes(design: Design, geometry: Geometry, selected: ReadonlySet<string>): CanvasNode[] {
    const last = this.lastNodeInputs;
    const sameItemsAsLast =
      last !== undefined &&
      last.design.sites === design.sites &&
      last.design.hosts === design.hosts &&
      last.design.services === design.services &&
      last.design.groups === design.groups &&
      last.design.entrypoints === design.entrypoints;
    // An edit of services' fields only (a label, a port): names of the others stay as they were,
    // since no node's name or mark reads another service (names.ts).
    const edited = last && !sameItemsAsLast ? editedServices(last.design, design) : undefined;
    if (edited) for (const [id, item] of edited) this.items.set(id, { type: 'service', item });
    else if (!sameItemsAsLast) {
      this.items = new Map();
      for (const site of design.sites ?? []) this.items.set(site.id, { type: 'site', item: site });
      for (const host of design.hosts) this.items.set(host.id, { type: 'host', item: host });
      for (const service of design.services) this.items.set(service.id, { type: 'service', item: service });
      for (const group of design.groups ?? []) this.items.set(group.id, { type: 'group', item: group });
      for (const entrypoint of design.entrypoints ?? [])
        this.items.set(entrypoint.id, { type: 'entrypoint', item: entrypoint });
    }
    const items = this.items;

    const marks = groupMarks(design);
    // A frame stays while nothing in its container moved since the last derivation.
    const derivation = derivationOf(geometry);
    const touched = new Set<string | undefined>();
    const canReuseFrames =
      sameItemsAsLast && (last.geometry === geometry || derivation?.base === last.geometry);
    if (canReuseFrames && last.geometry !== geometry)
      for (const id of derivation!.changed) {
        touched.add(id);
        touched.add(geometry.boxes.get(id)!.parent);
      }
    const lastFrames = this.lastFrames;
    // Frames read groups, memberships and boxes: with the same geometry, an edit of services'
    // fields that leaves every box where it was (a membership change moves boxes) keeps them all.
    const frames =
      edited && last?.geometry === geometry
        ? [...lastFrames.values()]
        : groupFrames(
            design,
            geometry,
            canReuseFrames
              ? (candidate) =>
                  touched.has(candidate.parent) ? undefined : (lastFrames.get(candidate.group) ?? null)
              : undefined,
          );
    const lastFrameList = [...lastFrames.values()];
    this.lastFrames = new Map(frames.map((frame) => [frame.group, frame]));
    const order = readingOrder(geometry);
    let namer: Namer | undefined;
    const names = () => (namer ??= this.namerFor(design));
    const frameEntry = (frame: GroupFrame): CachedNode => {
      const cached = this.nodeCache.get(frame.id);
      const key = `${frame.x},${frame.y},${frame.width},${frame.height},${frame.color}`;
      return cached && cached.extra === key ? cached : { ...frameNode(frame), item: frame.group, extra: key };
    };

    // Only some boxes moved since the last derivation, or only some services' fields changed
    // where nothing moved; in the same reading order, with the same selection and frames: the
    // last nodes with those few replaced, without a walk over every item.
    const patched =
      canReuseFrames && last.geometry !== geometry
        ? derivation!.changed
        : edited && last?.geometry === geometry
          ? edited.keys()
          : undefined;
    if (
      patched &&
      last?.selected === selected &&
      this.lastOrder === order &&
      frames.length === lastFrameList.length &&
      frames.every((frame, index) => frame.id === lastFrameList[index]!.id)
    ) {
      this.nodeIndex ??= new Map(this.lastNodes.map((node, index) => [node.id, index]));
      const nodes = this.lastNodes.slice();
      let changed = false;
      const put = (id: string, entry: CachedNode) => {
        this.nodeCache.set(id, entry);
        const index = this.nodeIndex!.get(id)!;
        if (nodes[index] !== entry.node) {
          nodes[index] = entry.node;
          changed = true;
        }
      };
      for (const id of patched) {
        const entry = items.get(id);
        if (!entry || !this.nodeIndex.has(id)) continue;
        put(id, this.itemNode(id, entry, geometry, selected, marks, names, !edited?.has(id)));
      }
      for (const frame of frames) put(frame.id, frameEntry(frame));
      this.lastNodeInputs = { design, geometry, selected };
      if (!changed) return this.lastNodes;
      this.lastNodes = nodes;
      return nodes;
    }

    const next = new Map<string, CachedNode>();
    const nodes: CanvasNode[] = [];
    for (const id of order) {
      const entry = items.get(id);
      if (!entry) continue;
      const reusable = sameItemsAsLast || (edited !== undefined && !edited.has(id));
      const cached = this.itemNode(id, entry, geometry, selected, marks, names, reusable);
      next.set(id, cached);
      nodes.push(cached.node);
    }
    // Frames stack by their zIndex (above hosts, below cards), wherever they are in the list.
    for (const frame of frames) {
      const entry = frameEntry(frame);
      next.set(frame.id, entry);
      nodes.push(entry.node);
    }
    this.nodeCache = next;
    this.lastNodeInputs = { design, geometry, selected };
    this.lastOrder = order;
    this.nodeIndex = undefined;
    // The same array when nothing changed: React Flow then skips rebuilding its lookups.
    if (sameItems(nodes, this.lastNodes)) return this.lastNodes;
    this.lastNodes = nodes;
    return nodes;
  }

  /**
   * The node of one item: the cached one when nothing it shows changed (`reusable`: its item
   * and the names it reads are as they were), else a new one.
   */
  private itemNode(
    id: string,
    entry: { type: CanvasNode['type']; item: Site | Host | Service | Group | Entrypoint },
    geometry: Geometry,
    selected: ReadonlySet<string>,
    marks: ReadonlyMap<string, GroupMark>,
    names: () => Namer,
    reusable: boolean,
  ): CachedNode {
    const box = geometry.boxes.get(id)!;
    const isSelected = selected.has(id);
    const members = geometry.collapse.counts.get(id);
    const cached = this.nodeCache.get(id);
    if (
      reusable &&
      cached &&
      cached.box === box &&
      cached.item === entry.item &&
      cached.selected === isSelected &&
      cached.members === members
    )
      return cached;
    const mark =
      entry.type === 'service'
        ? marks.get((entry.item as Service).group ?? '')
        : entry.type === 'group'
          ? marks.get(id)
          : undefined;
    const name = names().item(id);
    const extra = `${mark ? `${mark.name}|${mark.color}` : ''}|${name}`;
    if (
      cached &&
      cached.item === entry.item &&
      cached.selected === isSelected &&
      cached.extra === extra &&
      cached.members === members &&
      sameBox(cached.box, box)
    )
      return cached.box === box ? cached : { ...cached, box };
    const node = {
      id,
      type: entry.type,
      position: { x: box.x, y: box.y },
      width: box.width,
      height: box.height,
      measured: { width: box.width, height: box.height },
      handles: handlesOf(entry.type, box.width, box.height, members !== undefined),
      selected: isSelected,
      zIndex: Z_INDEX[entry.type],
      ariaLabel: name,
      data: {
        [entry.type]: entry.item,
        ...(mark ? { mark } : {}),
        ...(members !== undefined ? { members } : {}),
      },
      ...(box.parent !== undefined ? { parentId: box.parent } : {}),
    } as CanvasNode;
    return { item: entry.item, box, selected: isSelected, extra, members, node };
  }

  /**
   * Ids of `nodes` that take the keyboard's focus, in reading order, and each one's place: for
   * the nodes this projection gave last, worked out once per reading order (a move that kept the
   * order keeps it), not once per nodes array.
   */
  focusOrder(nodes: readonly CanvasNode[]): { order: readonly string[]; place: ReadonlyMap<string, number> } {
    if (nodes !== this.lastNodes) {
      const ids = nodes.filter((node) => node.focusable !== false).map((node) => node.id);
      return { order: ids, place: new Map(ids.map((id, index) => [id, index])) };
    }
    const order = this.lastOrder;
    if (this.focus?.order !== order) {
      const ids = order.filter((id) => this.nodeCache.has(id));
      this.focus = { order, ids, place: new Map(ids.map((id, index) => [id, index])) };
    }
    return { order: this.focus.ids, place: this.focus.place };
  }

  /**
   * Each service's place in `services` by id: the last index while the services are the same
   * ones in the same order (an edit of their fields), so that an inspector edit does not index
   * 5,000 services again to look two up.
   */
  private serviceIndexOf(services: readonly Service[]): ReadonlyMap<string, number> {
    const known = this.serviceIndex;
    if (
      known &&
      (known.services === services ||
        (known.services.length === services.length &&
          services.every((service, index) => service.id === known.services[index]!.id)))
    ) {
      known.services = services;
      return known.index;
    }
    const index = new Map(services.map((service, place) => [service.id as string, place]));
    this.serviceIndex = { services, index };
    return index;
  }

  /**
   * The last edges with each one that has an end among `edited` made again by `remake` (which
   * also updates the cache); undefined when one of them no longer comes out as one edge.
   */
  private patchEdges(
    design: Design,
    edited: ReadonlyMap<string, Service>,
    remake: (edge: CanvasEdge) => CanvasEdge | undefined,
  ): CanvasEdge[] | undefined {
    let edges: CanvasEdge[] | undefined;
    const last = this.lastEdges;
    for (let position = 0; position < last.length; position++) {
      const edge = last[position]!;
      const data = edge.data;
      if (!data) return undefined;
      let touched: boolean;
      if (data.role === 'link') {
        const link = design.links?.[data.index];
        if (!link) return undefined;
        touched = edited.has(link.from) || edited.has(link.to);
      } else touched = edited.has(data.role === 'member' ? data.service : data.target);
      if (!touched) continue;
      const made = remake(edge);
      if (!made || made.id !== edge.id) return undefined;
      if (made !== edge) (edges ??= last.slice())[position] = made;
    }
    if (edges) this.lastEdges = edges;
    return this.lastEdges;
  }

  /**
   * The edges of a design: links, group memberships and entrypoint targets; `linkIds` are the
   * links' identities (state/edge-ids.ts), index for index. An edge to or from an item a
   * collapsed pool hides ends at the pool's node instead (once per pair of nodes).
   */
  edges(
    design: Design,
    selected: ReadonlySet<string>,
    linkIds: readonly LinkId[],
    collapse?: Collapse,
  ): CanvasEdge[] {
    // Edges read the items, never the layout: a move changes none.
    const inputs = [
      design.services,
      design.links,
      design.groups,
      design.entrypoints,
      selected,
      linkIds,
      collapse,
    ];
    if (inputs.every((input, i) => input === this.lastEdgeInputs[i])) return this.lastEdges;
    // Only the selection changed: an edge whose own selection did not change is the one it was.
    const onlySelection = inputs.every((input, i) => i === 4 || input === this.lastEdgeInputs[i]);
    // Only services' fields changed (an inspector edit): an edge reads its two ends and nothing
    // else of the services (kind, port, label, host), so an edge between unedited ones is kept.
    const lastServices = this.lastEdgeInputs[0] as Design['services'] | undefined;
    const edited =
      lastServices !== undefined && inputs.every((input, i) => i === 0 || input === this.lastEdgeInputs[i])
        ? editedServices({ services: lastServices }, design)
        : undefined;
    this.lastEdgeInputs = inputs;
    // What the edges that must be built read, each worked out once and only when needed.
    let serviceIndex: ReadonlyMap<string, number> | undefined;
    let laneList: number[] | undefined;
    let edgeNames: Namer | undefined;
    const serviceOf = (id: string) => {
      const index = (serviceIndex ??= this.serviceIndexOf(design.services)).get(id);
      return index === undefined ? undefined : design.services[index];
    };
    // Edges between two top-level cards are lifted to the cards' level, above sites and hosts.
    const topLevel = (id: string) => serviceOf(id)?.host === undefined;
    const laneOf = (index: number) => (laneList ??= this.lanesOf(design))[index] ?? 0;
    const names = () => (edgeNames ??= this.namerFor(design));
    const shown = (id: string) => collapse?.standIn.get(id) ?? id;
    const drawn = new Set<string>();
    // Edges re-routed to a pool's node are drawn once per pair; every other edge as it is.
    const once = (pair: string | undefined, source: string, target: string) => {
      if (source === target) return false;
      if (pair === undefined) return true;
      if (drawn.has(pair)) return false;
      drawn.add(pair);
      return true;
    };
    let next = new Map<string, CachedEdge>();
    let edges: CanvasEdge[] = [];
    const kept = (id: string, isSelected: boolean, ends: readonly string[]) => {
      if (!onlySelection && !(edited && !ends.some((end) => edited.has(end)))) return false;
      const cached = this.edgeCache.get(id);
      if (!cached || cached.selected !== isSelected) return false;
      if (cached.drawn !== undefined) drawn.add(cached.drawn);
      next.set(id, cached);
      edges.push(cached.edge);
      return true;
    };
    const reuse = (id: string, key: string, make: () => CanvasEdge, isSelected: boolean, pair?: string) => {
      const cached = this.edgeCache.get(id);
      const entry =
        cached && cached.key === key ? cached : { key, edge: make(), selected: isSelected, drawn: pair };
      next.set(id, entry);
      edges.push(entry.edge);
    };

    const addLink = (link: Link, index: number) => {
      const id = edgeIdOf({ role: 'link', link: linkIds[index]! });
      const isSelected = selected.has(id);
      if (kept(id, isSelected, [link.from, link.to])) return;
      const kind = linkKindOf(link, serviceOf(link.from));
      const source = shown(link.from);
      const target = shown(link.to);
      const pair = source !== link.from || target !== link.to ? `${source}>${target}|${kind}` : undefined;
      if (!once(pair, source, target)) return;
      // The target's card already shows its own port; a label repeats only a port it does not.
      const ownPort = serviceOf(link.to)?.port;
      const port = link.port !== undefined && link.port !== ownPort ? `:${link.port}` : '';
      const lane = laneOf(index);
      const name = names().edge(link.from, link.to, `${kind} link${port ? ` on port ${port.slice(1)}` : ''}`);
      this.edgeNames.set(id, name);
      // The name is not in the key: a renamed end changes the name, never the edge object.
      const key = `${source}>${target}|${kind}|${port}|${link.backup ? 'b' : ''}|${isSelected ? 's' : ''}|${lane}|${index}`;
      reuse(
        id,
        key,
        () => {
          const labels = [port, link.backup ? 'backup' : ''].filter(Boolean);
          return {
            id,
            type: 'routed',
            source,
            sourceHandle: HANDLES.out,
            target,
            targetHandle: HANDLES.in,
            selected: isSelected,
            className: `edge-${kind}${link.backup ? ' edge-backup' : ''}`,
            markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 },
            ...(labels.length > 0 ? { label: labels.join(' · ') } : {}),
            focusable: false,
            domAttributes: endpoints(source, target),
            zIndex: topLevel(source) && topLevel(target) ? Z_INDEX.service : 0,
            data: { role: 'link', link: linkIds[index]!, index, kind, backup: link.backup === true, lane },
          };
        },
        isSelected,
        pair,
      );
    };

    // Membership shows as marks and frames; its edges only for the group (or member) selected.
    const shownGroups = new Set(
      (design.groups ?? []).filter((g) => selected.has(g.id)).map((g) => g.id as string),
    );
    const addMember = (service: Service) => {
      if (service.group === undefined || collapse?.hidden.has(service.id)) return;
      const id = edgeIdOf({ role: 'member', service: service.id });
      if (!shownGroups.has(service.group) && !selected.has(service.id) && !selected.has(id)) return;
      const isSelected = selected.has(id);
      if (kept(id, isSelected, [service.id])) return;
      const name = names().edge(service.id, service.group, 'membership');
      reuse(
        id,
        `${service.group}|${isSelected ? 's' : ''}|${name}`,
        () => ({
          id,
          source: service.id,
          sourceHandle: HANDLES.out,
          target: service.group!,
          targetHandle: HANDLES.members,
          selected: isSelected,
          className: 'edge-member',
          ariaLabel: name,
          focusable: false,
          domAttributes: endpoints(service.id, service.group!),
          data: { role: 'member', service: service.id, group: service.group! },
        }),
        isSelected,
      );
    };

    const addTarget = (entrypoint: Entrypoint, target: string) => {
      const id = edgeIdOf({ role: 'target', entrypoint: entrypoint.id, target });
      const isSelected = selected.has(id);
      if (kept(id, isSelected, [target])) return;
      const end = shown(target);
      const pair = end !== target ? `${entrypoint.id}>${end}|target` : undefined;
      if (!once(pair, entrypoint.id, end)) return;
      this.edgeNames.set(id, names().edge(entrypoint.id, target, 'entrypoint target'));
      reuse(
        id,
        `${end}|${isSelected ? 's' : ''}`,
        () => ({
          id,
          type: 'routed',
          source: entrypoint.id,
          sourceHandle: HANDLES.out,
          target: end,
          targetHandle: HANDLES.in,
          selected: isSelected,
          className: 'edge-target',
          focusable: false,
          domAttributes: endpoints(entrypoint.id, target),
          zIndex: topLevel(target) ? Z_INDEX.service : 0,
          markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 },
          data: { role: 'target', entrypoint: entrypoint.id, target },
        }),
        isSelected,
        pair,
      );
    };

    // Only services' fields changed, no pool collapsed and no service changed group (the same
    // edges exist, in the same order): the last edges with those touching an edited service
    // made again, without a walk over every link of the design.
    if (
      edited &&
      lastServices !== undefined &&
      (collapse === undefined || collapse.standIn.size === 0) &&
      sameGroups(lastServices, design.services)
    ) {
      const patched = this.patchEdges(design, edited, (edge) => {
        next = this.edgeCache;
        edges = [];
        const data = edge.data!;
        if (data.role === 'link') addLink(design.links![data.index]!, data.index);
        else if (data.role === 'member') addMember(serviceOf(data.service)!);
        else {
          const entrypoint = (design.entrypoints ?? []).find((e) => e.id === data.entrypoint);
          if (entrypoint) addTarget(entrypoint, data.target);
        }
        return edges.length === 1 ? edges[0] : undefined;
      });
      if (patched) return patched;
      next = new Map();
      edges = [];
      drawn.clear();
    }
    (design.links ?? []).forEach(addLink);
    for (const service of design.services) addMember(service);
    for (const entrypoint of design.entrypoints ?? [])
      for (const target of entrypoint.targets) addTarget(entrypoint, target);
    this.edgeCache = next;
    if (sameItems(edges, this.lastEdges)) return this.lastEdges;
    this.lastEdges = edges;
    return edges;
  }
}

/** Whether two lists of the same services put each in the same group. */
function sameGroups(before: readonly Service[], after: readonly Service[]): boolean {
  for (let index = 0; index < after.length; index++)
    if (after[index] !== before[index] && after[index]!.group !== before[index]!.group) return false;
  return true;
}

/**
 * The services whose objects differ between two designs, by id, that have the same services
 * in the same order and the same other item lists; undefined when more changed than that (a
 * service came, went or moved in the list, or a host, site, group or entrypoint changed).
 */
function editedServices(
  before: Pick<Design, 'services'> & Partial<Design>,
  after: Design,
): Map<string, Service> | undefined {
  const lists = ['sites', 'hosts', 'groups', 'entrypoints'] as const;
  if ('hosts' in before && lists.some((list) => before[list] !== after[list])) return undefined;
  const previous = before.services;
  const next = after.services;
  if (previous.length !== next.length) return undefined;
  const edited = new Map<string, Service>();
  for (let index = 0; index < next.length; index++) {
    const service = next[index]!;
    if (service === previous[index]) continue;
    if (service.id !== previous[index]!.id) return undefined;
    edited.set(service.id, service);
  }
  return edited;
}

/** The ends of an edge on its element, for the keyboard's walk over a node's edges (keyboard.ts). */
function endpoints(source: string, target: string): CanvasEdge['domAttributes'] {
  return { 'data-source': source, 'data-target': target } as CanvasEdge['domAttributes'];
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function sameBox(a: ItemBox, b: ItemBox): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height && a.parent === b.parent;
}

function frameNode(frame: GroupFrame): { box: ItemBox; selected: boolean; node: CanvasNode } {
  const box: ItemBox = {
    id: frame.id,
    kind: 'service',
    x: frame.x,
    y: frame.y,
    absoluteX: frame.x,
    absoluteY: frame.y,
    width: frame.width,
    height: frame.height,
    placed: false,
  };
  const node: FrameNodeType = {
    id: frame.id,
    type: 'frame',
    position: { x: frame.x, y: frame.y },
    width: frame.width,
    height: frame.height,
    measured: { width: frame.width, height: frame.height },
    handles: [],
    selectable: false,
    draggable: false,
    connectable: false,
    focusable: false,
    zIndex: Z_INDEX.frame,
    data: { frame },
  };
  return { box, selected: false, node };
}
