import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { CanvasProjection } from '../../renderer/canvas/derive';
import { computeGeometry, containerAt, HOST_MIN, SIZES } from '../../renderer/canvas/geometry';
import { edgeIdOf, freshLinkIds } from '../../renderer/state/edge-ids';
import { example } from './fixtures';

describe('canvas geometry', () => {
  it('grows hosts around their services and sites around their hosts', () => {
    const design = example('expertflow-two-sites.topo.json');
    const geometry = computeGeometry(design);
    expect(geometry.unplaced).toBeGreaterThan(0);
    for (const service of design.services) {
      const box = geometry.boxes.get(service.id)!;
      if (service.host === undefined) continue;
      const host = geometry.boxes.get(service.host)!;
      expect(box.parent).toBe(service.host);
      expect(box.absoluteX).toBeGreaterThanOrEqual(host.absoluteX);
      expect(box.absoluteY + box.height).toBeLessThanOrEqual(host.absoluteY + host.height);
    }
    for (const host of design.hosts) {
      const box = geometry.boxes.get(host.id)!;
      expect(box.width).toBeGreaterThanOrEqual(HOST_MIN.width);
      const site = geometry.boxes.get(host.site!)!;
      expect(box.absoluteX + box.width).toBeLessThanOrEqual(site.absoluteX + site.width);
    }
    // Containers come before what they contain, as React Flow requires.
    const order = geometry.order;
    for (const [id, box] of geometry.boxes)
      if (box.parent) expect(order.indexOf(box.parent)).toBeLessThan(order.indexOf(id));
  });

  it('finds the innermost container under a point', () => {
    const design = example('expertflow-two-sites.topo.json');
    const geometry = computeGeometry(design);
    const host = geometry.boxes.get('ef-a')!;
    const point = { x: host.absoluteX + 5, y: host.absoluteY + 5 };
    expect(containerAt(geometry, point, 'host')?.id).toBe('ef-a');
    expect(containerAt(geometry, point, 'site')?.id).toBe('site-a');
    expect(containerAt(geometry, { x: -1e6, y: 0 }, 'host')).toBeUndefined();
    expect(containerAt(geometry, point, 'host', new Set(['ef-a']))).toBeUndefined();
  });
});

describe('the canvas projection', () => {
  it('gives every node its size and handles up front, and parents before children', () => {
    const design = example('teramind-ha.topo.json');
    const nodes = new CanvasProjection().nodes(design, computeGeometry(design), new Set());
    expect(nodes).toHaveLength(7 + 19 + 2 + 2);
    const service = nodes.find((n) => n.id === 'node-1')!;
    expect(service).toMatchObject({
      type: 'service',
      parentId: 'tm-1',
      width: SIZES.service.width,
      height: SIZES.service.height,
    });
    expect(service.handles?.map((h) => h.id)).toEqual(['in', 'out']);
    expect(nodes.find((n) => n.id === 'redis-ha')?.handles?.map((h) => h.id)).toEqual(['in', 'members']);
    const index = new Map(nodes.map((n, i) => [n.id, i]));
    for (const node of nodes)
      if (node.parentId) expect(index.get(node.parentId)!).toBeLessThan(index.get(node.id)!);
  });

  it('reuses the node objects an edit or a selection did not change', () => {
    const design = example('teramind-ha.topo.json');
    const projection = new CanvasProjection();
    const first = projection.nodes(design, computeGeometry(design), new Set());
    const edited = produce(design, (draft) => {
      draft.services.find((s) => s.id === 'node-2')!.label = 'renamed';
    });
    const second = projection.nodes(edited, computeGeometry(edited), new Set(['lb-a']));
    const changed = second.filter((node, i) => node !== first[i]).map((n) => n.id);
    expect(changed.sort()).toEqual(['lb-a', 'node-2']);
  });

  it('draws links, memberships and entrypoint targets as edges between the right handles', () => {
    const design = example('teramind-ha.topo.json');
    const linkIds = freshLinkIds(design.links);
    const linkEdge = (index: number) => edgeIdOf({ role: 'link', link: linkIds[index]! });
    // Membership edges only for the selected group: the rest is told by marks and frames.
    expect(
      new CanvasProjection().edges(design, new Set(), linkIds).filter((e) => e.data?.role === 'member'),
    ).toHaveLength(0);
    const edges = new CanvasProjection().edges(
      design,
      new Set([linkEdge(0), 'redis-ha', 'teramind-cluster']),
      linkIds,
    );
    expect(edges.filter((e) => e.data?.role === 'link')).toHaveLength(design.links!.length);
    expect(edges.filter((e) => e.data?.role === 'member')).toHaveLength(15);
    expect(edges.filter((e) => e.data?.role === 'target')).toHaveLength(4);
    // node-1 listens on 443 itself, so the link needs no port label; its 10000 link does.
    expect(edges[0]).toMatchObject({ id: linkEdge(0), source: 'lb-a', target: 'node-1', selected: true });
    expect(edges[0]!.label).toBeUndefined();
    const agentLink = design.links!.findIndex((l) => l.from === 'lb-a' && l.port === 10000);
    expect(edges.find((e) => e.id === linkEdge(agentLink))?.label).toBe(':10000');
    expect(edges.find((e) => e.id === 'member:redis-1')).toMatchObject({
      target: 'redis-ha',
      targetHandle: 'members',
    });
    expect(edges.find((e) => e.id === linkEdge(20))?.className).toBe('edge-uses');
  });
});

describe('the projection between edits', () => {
  it('returns the very same arrays when an edit changes no node or edge', () => {
    const design = example('teramind-ha.topo.json');
    const projection = new CanvasProjection();
    const linkIds = freshLinkIds(design.links);
    const nodes = projection.nodes(design, computeGeometry(design), new Set());
    const edges = projection.edges(design, new Set(), linkIds);
    const renamed = produce(design, (draft) => {
      draft.name = 'another name';
    });
    expect(projection.nodes(renamed, computeGeometry(renamed), new Set())).toBe(nodes);
    expect(projection.edges(renamed, new Set(), linkIds)).toBe(edges);
  });
});
