import { describe, expect, it } from 'vitest';
import {
  alignSelection,
  deleteSelection,
  distributeSelection,
  labelItem,
  nudgeSelection,
  openText,
} from '../../renderer/app/commands';
import type { AppServices } from '../../renderer/app/services';
import { boxSelection } from '../../renderer/canvas/box-select';
import { computeGeometry } from '../../renderer/canvas/geometry';
import { searchDesign } from '../../renderer/canvas/search';
import { edgeIdOf } from '../../renderer/state/edge-ids';
import { example, exampleText, testApp } from './fixtures';

async function opened(file: string): Promise<AppServices> {
  const { services } = testApp();
  await openText(services, file, exampleText(file));
  return services;
}
const boxOf = (app: AppServices, id: string) => computeGeometry(app.store.getState().design).boxes.get(id)!;

describe('nudge, align and distribute', () => {
  it('nudges the selection, and a held arrow key is one undoable step', async () => {
    const app = await opened('teramind-ha.topo.json');
    const state = () => app.store.getState();
    const start = boxOf(app, 'tm-1');
    state().select(['tm-1', 'tm-2']);
    for (let n = 0; n < 5; n++) nudgeSelection(app, { x: 1, y: 0 });
    nudgeSelection(app, { x: 0, y: 10 });
    expect(boxOf(app, 'tm-1').absoluteX).toBe(start.absoluteX + 5);
    expect(boxOf(app, 'tm-1').absoluteY).toBe(start.absoluteY + 10);
    expect(state().past.map((e) => e.label)).toEqual(['Nudge 2 items']);
    state().undo();
    expect(boxOf(app, 'tm-1').absoluteX).toBe(start.absoluteX);
  });

  it('keeps a nudged service inside its host', async () => {
    const app = await opened('tessera-ha.topo.json');
    app.store.getState().select(['lb-a']);
    nudgeSelection(app, { x: -100, y: -100 });
    const service = boxOf(app, 'lb-a');
    expect(service.x).toBeGreaterThanOrEqual(0);
    expect(service.y).toBeGreaterThanOrEqual(30);
  });

  it('aligns left edges and middles, and distributes with equal gaps', async () => {
    const app = await opened('teramind-ha.topo.json');
    const state = () => app.store.getState();
    state().select(['tm-1', 'tm-4', 'lb-1']);
    alignSelection(app, 'left');
    const lefts = ['tm-1', 'tm-4', 'lb-1'].map((id) => boxOf(app, id).absoluteX);
    expect(new Set(lefts).size).toBe(1);
    alignSelection(app, 'middle');
    const middles = ['tm-1', 'tm-4', 'lb-1'].map(
      (id) => boxOf(app, id).absoluteY + boxOf(app, id).height / 2,
    );
    expect(Math.max(...middles) - Math.min(...middles)).toBeLessThanOrEqual(1);
    expect(state().past.at(-1)?.label).toBe('Align 3 items on the middle');

    state().select(['dashboard', 'agents', 'tm-5']);
    const ids = ['dashboard', 'agents', 'tm-5'];
    alignSelection(app, 'top');
    distributeSelection(app, 'horizontal');
    const boxes = ids.map((id) => boxOf(app, id)).sort((a, b) => a.absoluteX - b.absoluteX);
    const gaps = [1, 2].map((i) => boxes[i]!.absoluteX - (boxes[i - 1]!.absoluteX + boxes[i - 1]!.width));
    expect(Math.abs(gaps[0]! - gaps[1]!)).toBeLessThanOrEqual(1);
  });
});

describe('search', () => {
  it('finds ids, labels, addresses and kinds, in any case', () => {
    const design = example('tealeaf-resilient.topo.json');
    expect(searchDesign(design, 'HBR-1').map((h) => h.id)).toEqual(['hbr-1']);
    expect(searchDesign(design, '10.30.2.12')).toEqual([
      { id: 'hbr-2', field: 'address', text: '10.30.2.12' },
    ]);
    expect(searchDesign(design, 'health-based').map((h) => h.id)).toEqual(['hbr-a', 'hbr-b']);
    expect(searchDesign(design, 'portal').map((h) => h.field)).toContain('label');
    expect(searchDesign(design, 'pool').map((h) => h.id)).toEqual(['processing']);
    expect(searchDesign(design, '   ')).toEqual([]);
  });
});

describe('delete says what else it removed', () => {
  it('names the services, links and entrypoints a deleted host took along, and Undo brings them back', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const state = () => services.store.getState();
    state().select(['lb-1', 'lb-2']);
    deleteSelection(services);
    const notice = state().notices.at(-1)!;
    expect(notice.text).toBe(
      'Deleted lb-1 and lb-2, and with it services lb-a and lb-b, 12 links and entrypoints third-party, q2t and p2p (no target left)',
    );
    expect(notice.action).toEqual({ label: 'Undo', command: 'edit.undo' });
    state().undo();
    expect(state().design.entrypoints).toHaveLength(3);
  });

  it('names a deleted link, membership or target as such', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const state = () => services.store.getState();
    state().select([edgeIdOf({ role: 'link', link: state().linkIds[0]! })]);
    deleteSelection(services);
    expect(state().notices.at(-1)?.text).toBe('Deleted 1 link');
    state().select([edgeIdOf({ role: 'target', entrypoint: 'q2t', target: 'lb-a' })]);
    deleteSelection(services);
    expect(state().notices.at(-1)?.text).toBe('Deleted 1 entrypoint target');
  });
});

describe('box selection and labels', () => {
  it('takes nodes only, and a host without the services it holds', () => {
    const geometry = computeGeometry(example('tessera-ha.topo.json'));
    expect(boxSelection(['lb-1', 'lb-a', 'tessera-a', 'link:l1', 'member:x'], geometry)).toEqual([
      'lb-1',
      'tessera-a',
    ]);
  });

  it('labels an item in one undoable step, and an empty label takes it away', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const state = () => services.store.getState();
    labelItem(services, 'lb-1', '  Balancer one ');
    expect(state().design.hosts.find((h) => h.id === 'lb-1')?.label).toBe('Balancer one');
    labelItem(services, 'lb-1', '');
    expect(state().design.hosts.find((h) => h.id === 'lb-1')?.label).toBeUndefined();
    expect(state().past).toHaveLength(2);
  });
});
