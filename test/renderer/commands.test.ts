import { describe, expect, it } from 'vitest';
import { checkDesign, parseDesign } from '../../core/load';
import { emptyDesign } from '../../core/edit/ids';
import {
  commitDrag,
  connectItems,
  copySelection,
  deleteSelection,
  designText,
  dropItem,
  exportBundle,
  groupSelection,
  openText,
  paste,
  saveDesign,
} from '../../renderer/app/commands';
import { computeGeometry, SIZES } from '../../renderer/canvas/geometry';
import { example, exampleText, testApp } from './fixtures';

describe('canvas commands', () => {
  it('gives a service dropped on empty canvas a host of its own, and one dropped in a host that host', () => {
    const { services } = testApp(emptyDesign());
    const first = dropItem(services, { type: 'service', kind: 'app' }, { x: 300, y: 200 });
    const { design } = services.store.getState();
    expect(first).toBe('app-1');
    expect(design.hosts.map((h) => h.id)).toEqual(['host-1']);
    expect(design.services[0]).toMatchObject({ id: 'app-1', kind: 'app', host: 'host-1' });
    // The service sits where it was dropped: its centre is the drop point.
    const box = computeGeometry(design).boxes.get('app-1')!;
    expect(box.absoluteX + box.width / 2).toBe(300);
    expect(box.absoluteY + box.height / 2).toBe(200);

    const second = dropItem(services, { type: 'service', kind: 'redis' }, { x: 300, y: 200 });
    expect(services.store.getState().design.services.find((s) => s.id === second)?.host).toBe('host-1');
    expect(services.store.getState().design.hosts).toHaveLength(1);
    expect(services.store.getState().past.map((e) => e.label)).toEqual(['Add app', 'Add redis']);
  });

  it('puts a host dropped on a site in that site, and a service dropped on the site in a new host there', () => {
    const { services } = testApp(emptyDesign());
    const site = dropItem(services, { type: 'site' }, { x: 140, y: 20 })!;
    const siteBox = computeGeometry(services.store.getState().design).boxes.get(site)!;
    const inside = { x: siteBox.absoluteX + 60, y: siteBox.absoluteY + 80 };
    const host = dropItem(services, { type: 'host' }, inside)!;
    expect(services.store.getState().design.hosts.find((h) => h.id === host)?.site).toBe(site);
    const below = { x: siteBox.absoluteX + 30, y: siteBox.absoluteY + siteBox.height + 400 };
    dropItem(services, { type: 'service', kind: 'nginx' }, below);
    const design = services.store.getState().design;
    expect(design.hosts).toHaveLength(2);
    expect(design.hosts[1]!.site).toBeUndefined();
  });

  it('aims a dropped entrypoint at the service under it, and refuses one dropped on nothing', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const geometry = computeGeometry(services.store.getState().design);
    const target = geometry.boxes.get('lb-a')!;
    const id = dropItem(
      services,
      { type: 'entrypoint', via: 'direct' },
      { x: target.absoluteX + 5, y: target.absoluteY + 5 },
    );
    const entrypoint = services.store.getState().design.entrypoints?.find((e) => e.id === id);
    expect(entrypoint).toMatchObject({ targets: ['lb-a'], via: 'direct', port: 9080 });
    const revision = services.store.getState().revision;
    expect(dropItem(services, { type: 'entrypoint', via: 'vip' }, { x: -5000, y: -5000 })).toBeUndefined();
    expect(services.store.getState().revision).toBe(revision);
    expect(services.store.getState().notices.at(-1)?.text).toMatch(/nginx or HAProxy/);
  });

  it('moves a service dragged into another host there, and gives one dragged out a host of its own', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const geometry = computeGeometry(services.store.getState().design);
    const lb2 = geometry.boxes.get('lb-2')!;
    const lbA = geometry.boxes.get('lb-a')!;
    const lb1 = geometry.boxes.get('lb-1')!;
    // React Flow reports positions relative to the dragged node's parent (lb-1).
    commitDrag(services, [
      {
        id: 'lb-a',
        position: { x: lb2.absoluteX + 10 - lb1.absoluteX, y: lb2.absoluteY + 40 - lb1.absoluteY },
      },
    ]);
    let design = services.store.getState().design;
    expect(design.services.find((s) => s.id === 'lb-a')?.host).toBe('lb-2');
    // lb-b sits at (10, 40) in lb-2: lb-a takes the nearest free slot, below it.
    expect(design.layout?.['lb-a']).toEqual({ x: 10, y: 40 + SIZES.service.height + SIZES.serviceGap });
    expect(checkDesign(design).ok).toBe(true);

    commitDrag(services, [{ id: 'lb-a', position: { x: 3000, y: 3000 } }]);
    design = services.store.getState().design;
    const newHost = design.services.find((s) => s.id === 'lb-a')?.host;
    expect(newHost).toBe('host-1');
    expect(design.hosts.find((h) => h.id === 'host-1')?.address).toBe('10.0.0.1');
    expect(lbA.kind).toBe('service');
  });

  it('puts a host dragged into a site in it, and takes one dragged out of its site out', () => {
    const { services } = testApp(example('expertflow-two-sites.topo.json'));
    const geometry = computeGeometry(services.store.getState().design);
    const siteB = geometry.boxes.get('site-b')!;
    const efA = geometry.boxes.get('ef-a')!;
    const siteA = geometry.boxes.get(efA.parent!)!;
    commitDrag(services, [
      {
        id: 'ef-a',
        position: { x: siteB.absoluteX + 20 - siteA.absoluteX, y: siteB.absoluteY + 60 - siteA.absoluteY },
      },
    ]);
    expect(services.store.getState().design.hosts.find((h) => h.id === 'ef-a')?.site).toBe('site-b');
    commitDrag(services, [{ id: 'ef-a', position: { x: -4000, y: -4000 } }]);
    expect(services.store.getState().design.hosts.find((h) => h.id === 'ef-a')?.site).toBeUndefined();
  });

  it('draws links, memberships and entrypoint targets, and says why a connection is refused', () => {
    const { services } = testApp(emptyDesign());
    const state = () => services.store.getState();
    dropItem(services, { type: 'service', kind: 'haproxy' }, { x: 0, y: 0 });
    dropItem(services, { type: 'service', kind: 'app' }, { x: 0, y: 400 });
    dropItem(services, { type: 'service', kind: 'redis' }, { x: 400, y: 400 });
    dropItem(services, { type: 'group', kind: 'mongodb-replica-set' }, { x: 0, y: 800 });
    connectItems(services, 'haproxy-1', 'app-1', 'in');
    expect(state().design.links).toEqual([{ from: 'haproxy-1', to: 'app-1' }]);
    expect(state().selection).toEqual([`link:${state().linkIds[0]}`]);
    connectItems(services, 'app-1', 'rs-1', 'members');
    expect(state().notices.at(-1)?.text).toMatch(/holds only mongodb and arbiter services/);
    expect(state().design.services.find((s) => s.id === 'app-1')?.group).toBeUndefined();
    dropItem(services, { type: 'service', kind: 'mongodb' }, { x: 800, y: 400 });
    connectItems(services, 'mongo-1', 'rs-1', 'members');
    expect(state().design.services.find((s) => s.id === 'mongo-1')?.group).toBe('rs-1');
    connectItems(services, 'app-1', 'app-1', 'in');
    expect(state().notices.at(-1)?.text).toMatch(/cannot need itself/);
  });

  it('deletes a host with its services, their links, and an entrypoint left without targets', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    services.store.getState().select(['lb-1', 'lb-2']);
    deleteSelection(services);
    const design = services.store.getState().design;
    expect(design.hosts.map((h) => h.id)).toEqual(['tessera-1', 'tessera-2']);
    expect(design.services.map((s) => s.id)).toEqual(['tessera-a', 'tessera-b', 'tessera-db']);
    expect(design.entrypoints).toBeUndefined();
    expect(design.links?.every((l) => l.from !== 'lb-a' && l.from !== 'lb-b')).toBe(true);
    expect(checkDesign(design).ok).toBe(true);
    services.store.getState().undo();
    expect(services.store.getState().design.hosts).toHaveLength(4);
  });

  it('copies and pastes a host with fresh ids and addresses, keeping its links to what was not copied', () => {
    const { services } = testApp(example('teramind-ha.topo.json'));
    services.store.getState().select(['tm-5']);
    expect(copySelection(services)).toBe(true);
    paste(services);
    const design = services.store.getState().design;
    const copies = services.store.getState().selection;
    expect(copies).toHaveLength(1);
    const host = design.hosts.find((h) => h.id === copies[0])!;
    expect(host.address).not.toBe('10.20.1.15');
    const onHost = design.services.filter((s) => s.host === host.id);
    expect(onHost.map((s) => s.kind).sort()).toEqual(['app', 'redis', 'sentinel']);
    // The copied node joins the same cluster and uses the same database: six voters now.
    expect(onHost.find((s) => s.kind === 'app')?.group).toBe('teramind-cluster');
    const app = onHost.find((s) => s.kind === 'app')!;
    expect(design.links?.filter((l) => l.from === app.id).map((l) => l.to)).toEqual([
      'postgres',
      'recordings',
      'redis-ha',
    ]);
    expect(checkDesign(design).ok).toBe(true);
    expect(services.store.getState().analysis?.findings.map((f) => f.rule)).toContain('quorum.even');
  });

  it('groups the selected services it admits, beside them', () => {
    const { services } = testApp(example('teramind-ha.topo.json'));
    services.store.getState().select(['node-1', 'node-2', 'node-3', 'redis-1']);
    groupSelection(services, 'pool');
    const design = services.store.getState().design;
    const pool = design.groups?.find((g) => g.kind === 'pool');
    expect(pool).toBeDefined();
    expect(design.services.filter((s) => s.group === pool!.id).map((s) => s.id)).toEqual([
      'node-1',
      'node-2',
      'node-3',
      'redis-1',
    ]);
  });
});

describe('file commands', () => {
  it('opens a design without positions and arranges it, without an undo step', async () => {
    const { services } = testApp();
    expect(
      await openText(services, 'tealeaf-resilient.topo.json', exampleText('tealeaf-resilient.topo.json')),
    ).toBe(true);
    const state = services.store.getState();
    expect(state.file.name).toBe('tealeaf-resilient.topo.json');
    expect(state.dirty).toBe(false);
    expect(state.past).toEqual([]);
    expect(computeGeometry(state.design).unplaced).toBe(0);
  });

  it('keeps the current design when a file is not a design, and shows the loader problems', async () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const before = services.store.getState().design;
    const opened = await openText(
      services,
      'bad.topo.json',
      '{"format": 1, "name": "x", "hosts": [], "services": [{"id": "a", "kind": "ngnix"}]}',
    );
    expect(opened).toBe(false);
    expect(services.store.getState().design).toBe(before);
    const dialog = services.store.getState().dialog;
    expect(dialog?.kind).toBe('load-problems');
    if (dialog?.kind !== 'load-problems') return;
    expect(dialog.problems[0]).toMatchObject({ path: 'services[0].kind', line: 1 });
    expect(dialog.problems[0]!.message).toMatch(/did you mean 'nginx'/);
  });

  it('refuses a file saved by a newer Topoforge in the load dialog, and writes nothing', async () => {
    const { services, log } = testApp(example('tessera-ha.topo.json'));
    const before = services.store.getState().design;
    const opened = await openText(
      services,
      'future.topo.json',
      '{"format": 2, "name": "x", "hosts": [], "services": [], "shape": "new"}',
    );
    expect(opened).toBe(false);
    expect(services.store.getState().design).toBe(before);
    expect(log.saved).toEqual([]);
    const dialog = services.store.getState().dialog;
    expect(dialog?.kind === 'load-problems' && dialog.problems).toEqual([
      expect.objectContaining({
        path: 'format',
        message: 'saved by a newer Topoforge, format 2; this version reads up to format 1',
      }),
    ]);
  });

  it('saves the design as a file that loads back to the same design', async () => {
    const { services, log } = testApp(example('helix-teamhub.topo.json'));
    await saveDesign(services);
    expect(log.saved).toHaveLength(1);
    const loaded = parseDesign(log.saved[0]!.text);
    expect(loaded.ok && loaded.design).toEqual(services.store.getState().design);
    expect(log.saved[0]!.text).toBe(designText(services.store.getState().design));
    expect(services.store.getState().dirty).toBe(false);
  });

  it('asks before exporting a bundle while errors remain', async () => {
    const { services, log } = testApp(example('tessera-ha-broken.topo.json'));
    await exportBundle(services);
    expect(log.bundles).toEqual([]);
    const dialog = services.store.getState().dialog;
    expect(dialog?.kind).toBe('confirm');
    if (dialog?.kind === 'confirm') dialog.onConfirm();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.bundles).toHaveLength(1);
  });
});
