import { describe, expect, it } from 'vitest';
import { addEntrypoint, addService } from '../../core/edit/add';
import { connectionProblem } from '../../core/edit/connect';
import { copyItems, pasteItems } from '../../core/edit/clipboard';
import { nextFreeAddress, nextFreeId } from '../../core/edit/ids';
import { removeItems } from '../../core/edit/remove';
import { renameItem } from '../../core/edit/rename';
import { checkDesign, describeProblem, parseDesign } from '../../core/load';
import type { Design } from '../../core/model';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const examplesDir = join(import.meta.dirname, '../../examples');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.topo.json'));

function load(file: string): Design {
  const result = parseDesign(readFileSync(join(examplesDir, file), 'utf8'));
  if (!result.ok) throw new Error(file);
  return result.design;
}

function expectLoads(design: Design): void {
  const result = checkDesign(design);
  expect(result.ok ? [] : result.problems.map(describeProblem)).toEqual([]);
}

function idsOfDesign(design: Design): string[] {
  return [design.sites, design.hosts, design.services, design.groups, design.entrypoints].flatMap((list) =>
    (list ?? []).map((item) => item.id as string),
  );
}

describe('design edits', () => {
  it('finds free ids and placeholder addresses', () => {
    const design = load('tessera-ha.topo.json');
    expect(nextFreeId(design, 'lb')).toBe('lb-3');
    expect(nextFreeId(design, 'app')).toBe('app-1');
    design.hosts.push({ id: 'x' as never, address: '10.0.0.1' });
    expect(nextFreeAddress(design)).toBe('10.0.0.2');
  });

  it('renames an item and every reference to it', () => {
    const design = load('teramind-ha.topo.json');
    renameItem(design, 'tm-1', 'node-host-1');
    renameItem(design, 'redis-ha', 'cache');
    renameItem(design, 'lb-a', 'balancer-a');
    expectLoads(design);
    expect(design.services.find((s) => s.id === 'node-1')?.host).toBe('node-host-1');
    expect(design.services.filter((s) => s.group === 'cache')).toHaveLength(10);
    expect(design.links?.filter((l) => l.to === 'cache')).toHaveLength(5);
    expect(design.entrypoints?.[0]?.targets).toEqual(['balancer-a', 'lb-b']);
  });

  it('deletes every item of every example, one at a time, and each result still loads', () => {
    for (const file of examples) {
      const original = load(file);
      for (const id of idsOfDesign(original)) {
        const design = structuredClone(original);
        removeItems(design, [id]);
        expect(idsOfDesign(design)).not.toContain(id);
        expectLoads(design);
      }
      const design = structuredClone(original);
      removeItems(
        design,
        [],
        (design.links ?? []).map((_, index) => index),
      );
      expect(design.links).toBeUndefined();
      expectLoads(design);
    }
  });

  it('copies and pastes every example into itself: fresh ids, fresh addresses, and it loads', () => {
    for (const file of examples) {
      const design = load(file);
      const before = idsOfDesign(design);
      const renamed = pasteItems(design, copyItems(design, before), { x: 40, y: 40 });
      expectLoads(design);
      expect(renamed.size).toBe(before.length);
      expect(idsOfDesign(design)).toHaveLength(before.length * 2);
      for (const [from, to] of renamed) expect(design.layout?.[to], `${file} ${from}`).toBeDefined();
    }
  });

  it('pastes a service without its host onto that same host, moved by the offset', () => {
    const design = load('expertflow-two-sites.topo.json');
    design.layout = { 'chat-a': { x: 10, y: 40 } };
    const renamed = pasteItems(design, copyItems(design, ['chat-a']), { x: 40, y: 40 });
    const copy = design.services.find((s) => s.id === renamed.get('chat-a'))!;
    expect(copy.host).toBe('ef-a');
    expect(design.layout[copy.id]).toEqual({ x: 50, y: 80 });
    expect(design.hosts).toHaveLength(load('expertflow-two-sites.topo.json').hosts.length);
    expectLoads(design);
  });

  it('pastes a service into another design, where its host is not, onto a new host', () => {
    const source = load('expertflow-two-sites.topo.json');
    const design = load('tessera-ha.topo.json');
    const renamed = pasteItems(design, copyItems(source, ['chat-a']), { x: 40, y: 40 });
    const copy = design.services.find((s) => s.id === renamed.get('chat-a'))!;
    const host = design.hosts.find((h) => h.id === copy.host)!;
    expect(host.id).toMatch(/^host-/);
    expect(host.site).toBeUndefined();
    expectLoads(design);
  });

  it('says why a connection cannot be made', () => {
    const design = load('teramind-ha.topo.json');
    expect(connectionProblem(design, 'node-1', 'node-1', 'link')).toMatch(/itself/);
    expect(connectionProblem(design, 'node-1', 'redis-ha', 'member')).toMatch(
      /holds only redis and sentinel/,
    );
    expect(connectionProblem(design, 'redis-1', 'redis-ha', 'member')).toMatch(/already a member/);
    expect(connectionProblem(design, 'dashboard', 'lb-a', 'target')).toMatch(/already a target/);
    expect(connectionProblem(design, 'node-1', 'dashboard', 'link')).toMatch(/service or a group/);
    expect(connectionProblem(design, 'node-1', 'postgres', 'link')).toBeUndefined();
  });

  it('makes new services and entrypoints that load', () => {
    const design = load('tessera-ha.topo.json');
    addService(design, 'storage', { x: 0, y: 0 }, 'lb-1');
    addService(design, 'database', { x: 0, y: 0 });
    const id = addEntrypoint(design, 'vip', 'lb-a', { x: 0, y: -100 });
    expectLoads(design);
    expect(design.entrypoints?.find((e) => e.id === id)).toMatchObject({
      port: 9080,
      via: 'vip',
      targets: ['lb-a'],
    });
  });
});
