/**
 * Automatic layout with ELK (layered, top to bottom): entrypoints first, then what they reach,
 * following links, with sites and hosts laid out as nested containers. Runs in the layout worker;
 * pure apart from ELK itself, so tests call it directly.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { Design, LayoutPosition } from '../../core/model';
import { SIZES } from '../canvas/geometry';

/** ELK's `layout` call, injected so that the worker and the tests bring their own instance. */
export type ElkLayout = (graph: ElkNode) => Promise<ElkNode>;

const SITE_PADDING = `[top=${SIZES.siteHeader + SIZES.sitePadding},left=${SIZES.sitePadding},bottom=${SIZES.sitePadding},right=${SIZES.sitePadding}]`;

/** Hosts and services above which each site is laid out on its own. */
const LARGE_DESIGN_ITEMS = 150;

const ROOT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.layered.spacing.nodeNodeBetweenLayers': '60',
  'elk.spacing.nodeNode': '28',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  // Fewer crossing-minimisation sweeps than ELK's default of 7: about as tidy on these designs and
  // several times faster on a thousand services.
  'elk.layered.thoroughness': '4',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.edgeRouting': 'POLYLINE',
  'elk.separateConnectedComponents': 'true',
  'elk.aspectRatio': '1.6',
  'elk.spacing.componentComponent': '60',
};

/**
 * Builds the ELK graph of a design. Services are stacked inside their host by us (a host is one
 * box to ELK), and edges are lifted to the hosts they connect: ELK then only arranges hosts inside
 * sites, which keeps a design of a thousand services to about a second instead of minutes.
 */
export function elkGraphOf(design: Design): { graph: ElkNode; inside: Record<string, LayoutPosition> } {
  const siteIds = new Set((design.sites ?? []).map((s) => s.id as string));
  const hostIds = new Set(design.hosts.map((h) => h.id as string));
  // Laying sites out together with their contents routes edges across sites best, but grows
  // superlinearly; a large design lays each site out on its own (a second instead of minutes, and a
  // canvas shaped like the screen rather than one endless row).
  const large = design.hosts.length + design.services.length > LARGE_DESIGN_ITEMS;
  const root: ElkNode = {
    id: '__root',
    layoutOptions: {
      ...ROOT_OPTIONS,
      'elk.hierarchyHandling': large ? 'SEPARATE_CHILDREN' : 'INCLUDE_CHILDREN',
    },
    children: [],
    edges: [],
  };
  const sites = new Map<string, ElkNode>();
  for (const site of design.sites ?? []) {
    const node: ElkNode = { id: site.id, children: [], layoutOptions: { 'elk.padding': SITE_PADDING } };
    sites.set(site.id, node);
    root.children!.push(node);
  }

  // Services stacked in their host, in design order.
  const inside: Record<string, LayoutPosition> = {};
  const stacked = new Map<string, number>();
  const boxOf = new Map<string, string>();
  for (const service of design.services) {
    if (service.host === undefined || !hostIds.has(service.host)) {
      root.children!.push({ id: service.id, ...SIZES.service });
      boxOf.set(service.id, service.id);
      continue;
    }
    const index = stacked.get(service.host) ?? 0;
    stacked.set(service.host, index + 1);
    inside[service.id] = {
      x: SIZES.hostPadding,
      y: SIZES.hostHeader + SIZES.hostPadding + index * (SIZES.service.height + SIZES.serviceGap),
    };
    boxOf.set(service.id, service.host);
  }
  for (const host of design.hosts) {
    const count = Math.max(1, stacked.get(host.id) ?? 0);
    const node: ElkNode = {
      id: host.id,
      width: SIZES.service.width + 2 * SIZES.hostPadding,
      height:
        SIZES.hostHeader +
        2 * SIZES.hostPadding +
        count * SIZES.service.height +
        (count - 1) * SIZES.serviceGap,
    };
    const site = host.site !== undefined && siteIds.has(host.site) ? sites.get(host.site)! : root;
    site.children!.push(node);
  }
  for (const group of design.groups ?? []) {
    root.children!.push({ id: group.id, ...SIZES.group });
    boxOf.set(group.id, group.id);
  }
  for (const entrypoint of design.entrypoints ?? []) {
    root.children!.push({ id: entrypoint.id, ...SIZES.entrypoint });
    boxOf.set(entrypoint.id, entrypoint.id);
  }

  const edges: ElkExtendedEdge[] = [];
  const seen = new Set<string>();
  const edge = (from: string, to: string) => {
    const source = boxOf.get(from);
    const target = boxOf.get(to);
    if (source === undefined || target === undefined || source === target) return;
    const key = `${source}\u0000${target}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({ id: `e${edges.length}`, sources: [source], targets: [target] });
  };
  for (const entrypoint of design.entrypoints ?? [])
    for (const target of entrypoint.targets) edge(entrypoint.id, target);
  for (const link of design.links ?? []) edge(link.from, link.to);
  for (const service of design.services) if (service.group !== undefined) edge(service.id, service.group);
  root.edges = edges;
  return { graph: root, inside };
}

/** Lays a design out; returns every item's position, relative to its container (core/edit.ts). */
export async function autoLayout(design: Design, layout: ElkLayout): Promise<Record<string, LayoutPosition>> {
  const { graph, inside } = elkGraphOf(design);
  const result = await layout(graph);
  const positions: Record<string, LayoutPosition> = { ...inside };
  const visit = (node: ElkNode) => {
    for (const child of node.children ?? []) {
      positions[child.id] = { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) };
      visit(child);
    }
  };
  visit(result);
  return positions;
}
