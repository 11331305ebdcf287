/**
 * What the menus, the toolbar, the keyboard and the canvas do. Each command reads and writes the
 * store and talks to the platform only through the host (core/host.ts); domain edits come from
 * core/edit/, so components stay thin.
 */
import { addEntrypoint, addGroup, addHost, addService, addSite } from '../../core/edit/add';
import { admitsMember, leaveGroup, moveItem, placeHost, placeService } from '../../core/edit/place';
import { connect, connectionProblem } from '../../core/edit/connect';
import { copyItems, pasteItems } from '../../core/edit/clipboard';
import { emptyDesign } from '../../core/edit/ids';
import { removeItems } from '../../core/edit/remove';
import type { BundleExportFormat } from '../../core/host';
import type { ConnectionKind } from '../../core/edit/connect';
import type { Point } from '../../core/edit/ids';
import { describeProblem, parseDesign } from '../../core/load';
import type { Design, EntrypointVia, GroupKind, LinkKind, ServiceId, ServiceKind } from '../../core/model';
import { containerAt, geometryOf, HOST_MIN, SITE_MIN, SIZES } from '../canvas/geometry';
import type { Geometry, ItemBox } from '../canvas/geometry';
import {
  dropTargetOf,
  makeRoom,
  placeMissing,
  settleNewItems,
  spotInContainer,
  spotOnCanvas,
} from '../canvas/placement';
import { alignItems, distributeItems, movableItems, nudgeItems } from '../canvas/align';
import type { Alignment, Axis } from '../canvas/align';
import type { Example } from '../files/examples';
import type { EditOptions } from '../state/document-slice';
import { edgeIdOf, isEdgeId, linkIndexOf, parseEdgeId } from '../state/edge-ids';
import type { AppServices } from './services';

/** What can be dropped from the palette. */
export type PaletteItem =
  | { type: 'service'; kind: ServiceKind }
  | { type: 'group'; kind: GroupKind }
  | { type: 'entrypoint'; via: EntrypointVia }
  | { type: 'host' }
  | { type: 'site' };

/** A file name for a design: its name in lowercase words, `.topo.json`. */
export function fileNameOf(design: Design): string {
  const slug = design.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${slug || 'design'}.topo.json`;
}

/** The text of a design file: two-space JSON with a final newline, layout included. */
export function designText(design: Design): string {
  return `${JSON.stringify(design, null, 2)}\n`;
}

function edit(
  services: AppServices,
  label: string,
  recipe: (draft: Design) => void,
  options?: EditOptions,
): boolean {
  const outcome = services.store.getState().editDesign(label, recipe, options);
  if (!outcome.ok) {
    services.store
      .getState()
      .notify(`${label}: ${outcome.problems.map(describeProblem).join('; ')}`, 'error');
    return false;
  }
  return true;
}

function confirmDiscard(services: AppServices, action: string, proceed: () => void): void {
  const state = services.store.getState();
  if (!state.dirty) return proceed();
  state.openDialog({
    kind: 'confirm',
    title: 'Discard unsaved changes?',
    text: `${state.file.name} has changes that are not saved. ${action} anyway?`,
    confirm: `Discard and ${action.toLowerCase()}`,
    onConfirm: proceed,
  });
}

// ---------------------------------------------------------------------------------------------
// Files

/** Starts an empty design. */
export function newDesign(services: AppServices): void {
  confirmDiscard(services, 'Start a new design', () => {
    services.store.getState().replaceDocument(emptyDesign(), { name: 'untitled.topo.json' });
  });
}

/**
 * Loads the text of a design file. A file that is not a design shows the loader's problems and
 * leaves the current design as it was. A design without positions is arranged automatically.
 */
export async function openText(
  services: AppServices,
  fileName: string,
  text: string,
  location?: string,
  options: { recovered?: boolean } = {},
): Promise<boolean> {
  const state = services.store.getState();
  const result = parseDesign(text);
  if (!result.ok) {
    state.openDialog({ kind: 'load-problems', fileName, problems: result.problems });
    return false;
  }
  // A recovered copy is unsaved work, not the file on disk: it opens as changed.
  state.replaceDocument(
    result.design,
    location === undefined ? { name: fileName } : { name: fileName, location },
    { dirty: options.recovered === true },
  );
  const geometry = geometryOf(result.design);
  // A design without positions is arranged; one with some keeps them, and the rest go in free space.
  if (geometry.unplaced === geometry.order.length && geometry.unplaced > 0)
    await arrange(services, { undoable: false });
  else {
    if (geometry.unplaced > 0) services.store.getState().adjustDesign((draft) => placeMissing(draft));
    services.store.getState().requestFit();
  }
  return true;
}

/** Opens a design through the host's file picker. */
export function openDesign(services: AppServices): void {
  confirmDiscard(services, 'Open another design', () => {
    void services.host.openDesign().then(
      (opened) => opened && openText(services, opened.fileName, opened.text, opened.location),
      (error: unknown) =>
        services.store.getState().notify(`Could not open the file: ${String(error)}`, 'error'),
    );
  });
}

/** Opens one of the seed examples. */
export function openExample(services: AppServices, example: Example): void {
  confirmDiscard(services, 'Open the example', () => {
    void example.load().then((text) => openText(services, example.fileName, text));
  });
}

/** Saves where the design came from, or asks where (Save As) when it is new. */
export async function saveDesign(services: AppServices, options: { saveAs?: boolean } = {}): Promise<void> {
  const state = services.store.getState();
  const request = {
    fileName:
      state.file.location === undefined && state.file.name === 'untitled.topo.json'
        ? fileNameOf(state.design)
        : state.file.name,
    text: designText(state.design),
    ...(state.file.location !== undefined ? { location: state.file.location } : {}),
  };
  try {
    const saved = options.saveAs
      ? await services.host.saveDesignAs(request)
      : await services.host.saveDesign(request);
    if (!saved) return;
    services.store
      .getState()
      .markSaved(
        saved.location === undefined
          ? { name: saved.fileName }
          : { name: saved.fileName, location: saved.location },
      );
    services.store.getState().notify(`Saved ${saved.fileName}`, 'success');
  } catch (error) {
    services.store.getState().notify(`Could not save: ${String(error)}`, 'error');
  }
}

/**
 * Generates the bundle and exports it, or its Ansible playbook (docs/ansible.md); asks first while
 * error findings remain (as `--force`).
 */
export async function exportBundle(
  services: AppServices,
  format: BundleExportFormat = 'bundle',
): Promise<void> {
  const state = services.store.getState();
  const errors = state.analysis?.counts.error ?? 0;
  const run = async () => {
    const design = services.store.getState().design;
    try {
      const response = await services.generate({ kind: 'bundle', revision: 0, design });
      if (response.kind !== 'bundle') return;
      const name = fileNameOf(design).replace(/\.topo\.json$/, format === 'ansible' ? '-ansible' : '-bundle');
      const result = await services.host.exportBundle({
        name,
        bundle: response.bundle,
        designText: designText(design),
        ...(format === 'ansible' ? { format, design } : {}),
      });
      if (result)
        services.store
          .getState()
          .notify(
            `Exported ${format === 'ansible' ? 'the Ansible playbook, ' : ''}${result.fileCount} files, to ${result.location}`,
            'success',
          );
    } catch (error) {
      const what = format === 'ansible' ? 'the Ansible playbook' : 'the bundle';
      services.store.getState().notify(`Could not export ${what}: ${String(error)}`, 'error');
    }
  };
  if (errors === 0) return run();
  state.openDialog({
    kind: 'confirm',
    title: 'Export a bundle with errors?',
    text: `The design still has ${errors} error finding${errors === 1 ? '' : 's'}; the command line refuses to generate it without --force.`,
    confirm: 'Export anyway',
    onConfirm: () => void run(),
  });
}

/** Exports a picture of the whole diagram. */
export async function exportImage(services: AppServices, format: 'png' | 'svg'): Promise<void> {
  const canvas = services.canvas;
  if (!canvas) return;
  try {
    const dataUrl = await canvas.capture(format);
    const fileName = fileNameOf(services.store.getState().design).replace(/\.topo\.json$/, `.${format}`);
    const result = await services.host.exportImage({ fileName, format, dataUrl });
    if (result) services.store.getState().notify(`Exported ${result.location}`, 'success');
  } catch (error) {
    services.store.getState().notify(`Could not export the picture: ${String(error)}`, 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// Layout

/** Arranges every item with the automatic layout; one undoable step unless told otherwise. */
export async function arrange(services: AppServices, options: { undoable?: boolean } = {}): Promise<void> {
  const { store } = services;
  const before = store.getState().design;
  store.getState().setArranging(true);
  try {
    const pane = services.canvas?.size();
    const positions = await services.layout(before, pane ? { aspect: pane.width / pane.height } : {});
    if (store.getState().design !== before) return;
    const apply = (draft: Design) => {
      draft.layout = positions;
    };
    if (options.undoable === false) store.getState().adjustDesign(apply);
    else edit(services, 'Arrange automatically', apply);
    store.getState().requestFit();
  } catch (error) {
    store.getState().notify(`The automatic layout failed: ${String(error)}`, 'error');
  } finally {
    store.getState().setArranging(false);
  }
}

// ---------------------------------------------------------------------------------------------
// Canvas edits

function itemAt(geometry: Geometry, point: Point, kinds: ReadonlySet<string>): string | undefined {
  let found: string | undefined;
  for (const id of geometry.order) {
    const box = geometry.boxes.get(id)!;
    if (!kinds.has(box.kind)) continue;
    if (
      point.x >= box.absoluteX &&
      point.x <= box.absoluteX + box.width &&
      point.y >= box.absoluteY &&
      point.y <= box.absoluteY + box.height
    ) {
      found = id;
    }
  }
  return found;
}

const TARGET_KINDS = new Set(['service', 'group']);

/** A point relative to a container's box. */
function within(point: Point, box: ItemBox): Point {
  return { x: point.x - box.absoluteX, y: point.y - box.absoluteY };
}

/** The top-left corner that puts a box of `size` centred on `point`. */
function centredOn(point: Point, size: { width: number; height: number }): Point {
  return { x: point.x - size.width / 2, y: point.y - size.height / 2 };
}

/**
 * Adds a host in free space, in a site or on the canvas, nearest `corner` (absolute); returns its
 * id. Runs inside an edit.
 */
function addHostInFreeSpace(
  draft: Design,
  geometry: Geometry,
  corner: Point,
  site: ItemBox | undefined,
): string {
  return site
    ? addHost(draft, spotInContainer(geometry, site.id, HOST_MIN, within(corner, site)), site.id)
    : addHost(draft, spotOnCanvas(geometry, HOST_MIN, corner));
}

/** The corner of a new host that puts its first service's centre on `point`. */
function hostCornerFor(point: Point): Point {
  return {
    x: point.x - SIZES.service.width / 2 - SIZES.hostPadding,
    y: point.y - SIZES.hostHeader - SIZES.hostPadding - SIZES.service.height / 2,
  };
}

/**
 * Drops a palette item at a flow position, into free space: a service lands in the host under the
 * pointer (at the pointer when there is room, else the nearest free slot; the host grows), or on a
 * new host (inside the site under it, if any); a host joins the site under it; an entrypoint aims
 * at the service or group it is dropped on and sits above it. Whatever a grown container now
 * overlaps moves aside. Returns the new item's id.
 */
export function dropItem(services: AppServices, item: PaletteItem, point: Point): string | undefined {
  const { design } = services.store.getState();
  const geometry = geometryOf(design);
  let created: string | undefined;

  if (item.type === 'service') {
    const host = containerAt(geometry, point, 'host');
    const site = host ? undefined : containerAt(geometry, point, 'site');
    const ok = edit(services, `Add ${item.kind}`, (draft) => {
      const fixed: string[] = [];
      if (host) {
        const at = spotInContainer(
          geometry,
          host.id,
          SIZES.service,
          within(centredOn(point, SIZES.service), host),
        );
        created = addService(draft, item.kind, at, host.id);
      } else {
        const newHost = addHostInFreeSpace(draft, geometry, hostCornerFor(point), site);
        created = addService(
          draft,
          item.kind,
          { x: SIZES.hostPadding, y: SIZES.hostHeader + SIZES.hostPadding },
          newHost,
        );
        fixed.push(newHost);
      }
      makeRoom(draft, geometry, [created, ...fixed]);
    });
    return ok ? created : undefined;
  }

  if (item.type === 'host') {
    const site = containerAt(geometry, point, 'site');
    edit(services, 'Add host', (draft) => {
      created = addHostInFreeSpace(
        draft,
        geometry,
        { x: point.x - HOST_MIN.width / 2, y: point.y - SIZES.hostHeader / 2 },
        site,
      );
      makeRoom(draft, geometry, [created]);
    });
    return created;
  }

  if (item.type === 'site') {
    edit(services, 'Add site', (draft) => {
      created = addSite(
        draft,
        spotOnCanvas(geometry, SITE_MIN, {
          x: point.x - SITE_MIN.width / 2,
          y: point.y - SIZES.siteHeader / 2,
        }),
      );
    });
    return created;
  }

  if (item.type === 'group') {
    edit(services, `Add ${item.kind}`, (draft) => {
      created = addGroup(
        draft,
        item.kind,
        spotOnCanvas(geometry, SIZES.group, centredOn(point, SIZES.group)),
      );
    });
    return created;
  }

  const target = itemAt(geometry, point, TARGET_KINDS);
  if (!target) {
    services.store
      .getState()
      .notify(
        item.via === 'vip'
          ? 'Drop a VIP entrypoint on the nginx or HAProxy service that holds the floating address.'
          : 'Drop the entrypoint on the service or group that clients connect to.',
        'warning',
      );
    return undefined;
  }
  const box = geometry.boxes.get(target)!;
  edit(services, `Add entrypoint to ${target}`, (draft) => {
    const wanted = {
      x: box.absoluteX + (box.width - SIZES.entrypoint.width) / 2,
      y: box.absoluteY - SIZES.entrypoint.height - 90,
    };
    created = addEntrypoint(draft, item.via, target, spotOnCanvas(geometry, SIZES.entrypoint, wanted));
  });
  return created;
}

/**
 * Adds a palette item by a click, which has no drop point: a service goes on the selected host
 * (or the selected service's host), else on a new host in free space near the middle of the view;
 * a host goes in the selected site; an entrypoint aims at the selected service or group. Returns
 * the new item's id.
 */
export function addItem(services: AppServices, item: PaletteItem): string | undefined {
  const { design, selection } = services.store.getState();
  const centre = services.canvas?.center() ?? { x: 0, y: 0 };
  const chosen = selection.length === 1 ? selection[0] : undefined;
  const geometry = geometryOf(design);
  const middleOf = (id: string | undefined) => {
    const box = id === undefined ? undefined : geometry.boxes.get(id);
    return box && { x: box.absoluteX + box.width / 2, y: box.absoluteY + box.height / 2 };
  };
  if (item.type === 'service') {
    const host =
      design.hosts.find((h) => h.id === chosen)?.id ?? design.services.find((s) => s.id === chosen)?.host;
    const point = middleOf(host);
    if (point) return dropItem(services, item, point);
    let created: string | undefined;
    const ok = edit(services, `Add ${item.kind}`, (draft) => {
      const newHost = addHost(draft, spotOnCanvas(geometry, HOST_MIN, hostCornerFor(centre)));
      created = addService(
        draft,
        item.kind,
        { x: SIZES.hostPadding, y: SIZES.hostHeader + SIZES.hostPadding },
        newHost,
      );
    });
    return ok ? created : undefined;
  }
  if (item.type === 'host') {
    const site = (design.sites ?? []).find((s) => s.id === chosen)?.id;
    return dropItem(services, item, middleOf(site) ?? centre);
  }
  if (item.type === 'entrypoint') return dropItem(services, item, middleOf(chosen) ?? centre);
  return dropItem(services, item, centre);
}

/** Where each dragged node ended up, as React Flow reports it (position relative to its parent). */
export interface DraggedNode {
  id: string;
  position: Point;
}

/**
 * Commits a drag as one undoable step. The pointer decides where dragged services and hosts go
 * (placement.ts, `dropTargetOf`): services dropped on another host move into it, dropped beside
 * any host get a new host there (which is selected), and hosts dropped on a site join it. Every
 * item lands in free space nearest where it was dropped, and what a grown container now overlaps
 * moves aside. Without a pointer, each item's centre stands for it.
 */
export function commitDrag(services: AppServices, dragged: DraggedNode[], pointer?: Point): void {
  const { design } = services.store.getState();
  const geometry = geometryOf(design);
  const ids = dragged.map((d) => d.id).filter((id) => geometry.boxes.has(id));
  if (ids.length === 0) return;
  const absoluteOf = (node: DraggedNode): Point => {
    const box = geometry.boxes.get(node.id)!;
    const parent = box.parent !== undefined ? geometry.boxes.get(box.parent) : undefined;
    return { x: node.position.x + (parent?.absoluteX ?? 0), y: node.position.y + (parent?.absoluteY ?? 0) };
  };
  const centreOf = (node: DraggedNode) => {
    const box = geometry.boxes.get(node.id)!;
    const corner = absoluteOf(node);
    return { x: corner.x + box.width / 2, y: corner.y + box.height / 2 };
  };
  const targetFor = (node: DraggedNode) => dropTargetOf(geometry, ids, pointer ?? centreOf(node));

  // Places are worked out one by one, each dragged item then occupying its new place.
  // The geometry's own boxes, but for each dragged one once placed: a copy of all 8,000 boxes
  // was a good part of a drag's commit at 5,000 services.
  const working: Geometry = { ...geometry, boxes: new Map(geometry.boxes) };
  const carried = new Set(ids);
  const settled = new Set<string>();
  let newHost: string | undefined;
  const label = ids.length === 1 ? `Move ${ids[0]}` : `Move ${ids.length} items`;
  edit(services, label, (draft) => {
    for (const node of dragged) {
      const box = geometry.boxes.get(node.id);
      if (!box) continue;
      const absolute = absoluteOf(node);
      const target = box.kind === 'service' || box.kind === 'host' ? targetFor(node) : undefined;
      const settle = (parent: string | undefined, at: Point) => {
        const moving = { ...working.boxes.get(node.id)! };
        working.boxes.set(node.id, moving);
        const others = new Set([...carried].filter((id) => id !== node.id && !settled.has(id)));
        const spot =
          parent === undefined
            ? spotOnCanvas(working, box, at, new Set([node.id, ...others]))
            : spotInContainer(working, parent, box, at, new Set([node.id, ...others]));
        moving.x = spot.x;
        moving.y = spot.y;
        moving.parent = parent;
        settled.add(node.id);
        return spot;
      };

      if (box.kind === 'service') {
        const service = design.services.find((s) => s.id === node.id)!;
        if (target?.kind === 'host') {
          const host = geometry.boxes.get(target.id)!;
          const spot = settle(target.id, within(absolute, host));
          if (target.id !== service.host) placeService(draft, node.id, target.id, spot);
          else moveItem(draft, node.id, spot);
          continue;
        }
        if (service.host === undefined) {
          moveItem(draft, node.id, settle(undefined, absolute));
          continue;
        }
        // Dropped beside every host: a new host of its own where it was dropped.
        const site = target?.kind === 'site' ? geometry.boxes.get(target.id) : undefined;
        const corner = {
          x: absolute.x - SIZES.hostPadding,
          y: absolute.y - SIZES.hostHeader - SIZES.hostPadding,
        };
        newHost = addHostInFreeSpace(draft, working, corner, site);
        placeService(draft, node.id, newHost, {
          x: SIZES.hostPadding,
          y: SIZES.hostHeader + SIZES.hostPadding,
        });
        settled.add(node.id);
        continue;
      }
      if (box.kind === 'host') {
        const host = design.hosts.find((h) => h.id === node.id)!;
        const site = target?.kind === 'site' ? geometry.boxes.get(target.id)! : undefined;
        const spot = settle(site?.id, site ? within(absolute, site) : absolute);
        if ((site?.id ?? undefined) !== host.site) placeHost(draft, node.id, site?.id, spot);
        else moveItem(draft, node.id, spot);
        continue;
      }
      moveItem(draft, node.id, settle(box.parent, box.parent === undefined ? absolute : node.position));
    }
    makeRoom(draft, geometry, newHost ? [...ids, newHost] : ids);
  });
  if (newHost !== undefined && services.store.getState().design.hosts.some((h) => h.id === newHost))
    services.store.getState().select([newHost]);
}

/** What a connection between two handles means: a link, a membership or an entrypoint target. */
export function connectionKindOf(
  design: Design,
  source: string,
  targetHandle: string | null | undefined,
): ConnectionKind {
  if (targetHandle === 'members') return 'member';
  return (design.entrypoints ?? []).some((e) => e.id === source) ? 'target' : 'link';
}

/** Why a connection cannot be drawn, for React Flow's `isValidConnection`; undefined when it can. */
export function connectionRefusal(
  services: AppServices,
  source: string,
  target: string,
  targetHandle: string | null | undefined,
): string | undefined {
  const { design } = services.store.getState();
  return connectionProblem(design, source, target, connectionKindOf(design, source, targetHandle));
}

/** Draws a connection; a refused one says why. */
export function connectItems(
  services: AppServices,
  source: string,
  target: string,
  targetHandle: string | null | undefined,
  linkKind?: LinkKind,
): void {
  const { design } = services.store.getState();
  const kind = connectionKindOf(design, source, targetHandle);
  const problem = connectionProblem(design, source, target, kind);
  if (problem) {
    services.store.getState().notify(`Cannot connect ${source} to ${target}: ${problem}.`, 'warning');
    return;
  }
  const label =
    kind === 'member'
      ? `Add ${source} to ${target}`
      : kind === 'target'
        ? `Aim ${source} at ${target}`
        : `Link ${source} to ${target}`;
  let index: number | undefined;
  const ok = edit(services, label, (draft) => {
    index = connect(draft, source, target, kind, linkKind);
  });
  const link = index === undefined ? undefined : services.store.getState().linkIds[index];
  if (ok && link !== undefined) services.store.getState().select([edgeIdOf({ role: 'link', link })]);
}

/** Names a list for a sentence: `a`, `a and b`, `a, b and c`, or the first few and a count. */
function listed(ids: readonly string[], most = 4): string {
  if (ids.length <= most)
    return ids.length <= 1 ? (ids[0] ?? '') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
  return `${ids.slice(0, most - 1).join(', ')} and ${ids.length - most + 1} more`;
}

/** `1 link`, `3 links`. */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * What a deletion took with it beyond what was selected, in words: the services of a deleted
 * host, the hosts of a site, links, memberships, targets, entrypoints left without targets.
 */
export function deletionReport(before: Design, after: Design, selected: readonly string[]): string {
  const chosen = new Set(selected);
  const gone = (list: readonly { id: string }[] | undefined, now: readonly { id: string }[] | undefined) => {
    const kept = new Set((now ?? []).map((item) => item.id));
    return (list ?? []).map((item) => item.id).filter((id) => !kept.has(id));
  };
  const deleted = [
    ...gone(before.sites, after.sites),
    ...gone(before.hosts, after.hosts),
    ...gone(before.services, after.services),
    ...gone(before.groups, after.groups),
    ...gone(before.entrypoints, after.entrypoints),
  ];
  const named = deleted.filter((id) => chosen.has(id));
  const hosts = gone(before.hosts, after.hosts).filter((id) => !chosen.has(id));
  const services = gone(before.services, after.services).filter((id) => !chosen.has(id));
  const entrypoints = gone(before.entrypoints, after.entrypoints).filter((id) => !chosen.has(id));
  const edges = selected.map(parseEdgeId);
  const selectedLinks = edges.filter((edge) => edge?.role === 'link').length;
  const links = (before.links?.length ?? 0) - (after.links?.length ?? 0) - selectedLinks;
  const also = [
    hosts.length > 0 ? `${hosts.length === 1 ? 'host' : 'hosts'} ${listed(hosts)}` : '',
    services.length > 0 ? `${services.length === 1 ? 'service' : 'services'} ${listed(services)}` : '',
    links > 0 ? counted(links, 'link') : '',
    entrypoints.length > 0
      ? `${entrypoints.length === 1 ? 'entrypoint' : 'entrypoints'} ${listed(entrypoints)} (no target left)`
      : '',
  ].filter(Boolean);
  const what = listed(
    [
      listed(named),
      selectedLinks > 0 ? counted(selectedLinks, 'link') : '',
      counted(edges.filter((edge) => edge?.role === 'member').length, 'group membership'),
      counted(edges.filter((edge) => edge?.role === 'target').length, 'entrypoint target'),
    ].filter((part) => part !== '' && !part.startsWith('0 ')),
    9,
  );
  return also.length > 0 ? `Deleted ${what}, and with it ${listed(also, 9)}` : `Deleted ${what}`;
}

/**
 * Deletes the selection: items with what they contain, links, memberships and targets. A notice
 * says what went besides the selection, with Undo.
 */
export function deleteSelection(services: AppServices): void {
  const { selection, design: before } = services.store.getState();
  if (selection.length === 0) return;
  const label = selection.length === 1 ? `Delete ${selection[0]}` : `Delete ${selection.length} items`;
  const { linkIds } = services.store.getState();
  const ok = edit(services, label, (draft) => {
    const items: string[] = [];
    const links: number[] = [];
    for (const id of selection) {
      const edge = parseEdgeId(id);
      if (!edge) items.push(id);
      else if (edge.role === 'member') leaveGroup(draft, edge.service);
      else if (edge.role === 'target') {
        const entrypoint = draft.entrypoints?.find((e) => e.id === edge.entrypoint);
        if (entrypoint) entrypoint.targets = entrypoint.targets.filter((t) => t !== edge.target);
      } else {
        const index = linkIndexOf(linkIds, edge.link);
        if (index !== undefined) links.push(index);
      }
    }
    const emptied = (draft.entrypoints ?? [])
      .filter((e) => e.targets.length === 0)
      .map((e) => e.id as string);
    removeItems(draft, [...items, ...emptied], links);
  });
  services.store.getState().select([]);
  if (!ok) return;
  services.store
    .getState()
    .notify(deletionReport(before, services.store.getState().design, selection), 'info', {
      label: 'Undo',
      command: 'edit.undo',
    });
}

/** Copies the selected items (with what they contain) for Paste. */
export function copySelection(services: AppServices): boolean {
  const { design, selection } = services.store.getState();
  const items = selection.filter((id) => !isEdgeId(id));
  if (items.length === 0) return false;
  services.clipboard = { fragment: copyItems(design, items), pastes: 0 };
  services.store.getState().notify(`Copied ${items.length} item${items.length === 1 ? '' : 's'}`);
  return true;
}

/**
 * Pastes the copied items beside the originals, with fresh ids, in free space: a copied service
 * stays on its source's host, a copied host in its source's site; selects the copies.
 */
export function paste(services: AppServices): void {
  const clipboard = services.clipboard;
  if (!clipboard) return;
  clipboard.pastes++;
  const offset = { x: 40 * clipboard.pastes, y: 40 * clipboard.pastes };
  const before = geometryOf(services.store.getState().design);
  let renamed = new Map<string, string>();
  const ok = edit(services, 'Paste', (draft) => {
    renamed = pasteItems(draft, clipboard.fragment, offset);
    settleNewItems(draft, before, new Set(renamed.values()));
  });
  if (!ok) return;
  // Select what was copied, not what it contains: a pasted host moves with its services.
  const copies = new Set(renamed.values());
  const { design } = services.store.getState();
  const contained = new Set([
    ...design.services.filter((s) => s.host !== undefined && copies.has(s.host)).map((s) => s.id as string),
    ...design.hosts.filter((h) => h.site !== undefined && copies.has(h.site)).map((h) => h.id as string),
  ]);
  services.store.getState().select([...copies].filter((id) => !contained.has(id)));
}

/** Copy and paste in one step. */
export function duplicateSelection(services: AppServices): void {
  if (copySelection(services)) paste(services);
}

/** Selects every item. */
export function selectAll(services: AppServices): void {
  const { design } = services.store.getState();
  services.store
    .getState()
    .select([
      ...(design.sites ?? []).map((s) => s.id),
      ...design.hosts.map((h) => h.id),
      ...design.services.map((s) => s.id),
      ...(design.groups ?? []).map((g) => g.id),
      ...(design.entrypoints ?? []).map((e) => e.id),
    ]);
}

/** Makes a group of a kind from the selected services it admits, placed beside them. */
export function groupSelection(services: AppServices, kind: GroupKind): void {
  const { design, selection } = services.store.getState();
  const chosen = new Set(selection);
  const members = design.services.filter((s) => chosen.has(s.id) && admitsMember({ kind }, s));
  if (members.length === 0) {
    services.store.getState().notify(`None of the selected services can join a ${kind}.`, 'warning');
    return;
  }
  const geometry = geometryOf(design);
  let right = -Infinity;
  let top = Infinity;
  for (const member of members) {
    const box = geometry.boxes.get(member.id)!;
    right = Math.max(right, box.absoluteX + box.width);
    top = Math.min(top, box.absoluteY);
  }
  let created: string | undefined;
  const ok = edit(services, `Group ${members.length} services`, (draft) => {
    created = addGroup(
      draft,
      kind,
      spotOnCanvas(geometry, SIZES.group, { x: right + 80, y: top }),
      members.map((m) => m.id as ServiceId),
    );
  });
  if (ok && created) services.store.getState().select([created]);
}

/** Selects the subjects of a finding and zooms to them. */
export function focusItems(services: AppServices, ids: string[]): void {
  const { design } = services.store.getState();
  const geometry = geometryOf(design);
  // An item a collapsed pool hides is shown by the pool's node.
  const shown = ids.map((id) => geometry.collapse.standIn.get(id) ?? id);
  const present = [...new Set(shown)].filter((id) => geometry.boxes.has(id));
  services.store.getState().select(present);
  services.canvas?.fitView(present);
}

/**
 * Collapses a pool into one node with a count, or shows its members again: an edit of the pool's
 * layout entry, so it is saved and undone like a move. Members shown again land in free space,
 * and the containers they grow push their neighbours aside.
 */
export function setPoolCollapsed(services: AppServices, pool: string, collapsed: boolean): void {
  const { design } = services.store.getState();
  const before = geometryOf(design);
  const box = before.boxes.get(pool);
  const ok = edit(services, `${collapsed ? 'Collapse' : 'Expand'} ${pool}`, (draft) => {
    draft.layout ??= {};
    draft.layout[pool] = { ...(draft.layout[pool] ?? { x: box?.x ?? 0, y: box?.y ?? 0 }), collapsed };
    if (!collapsed) {
      placeMissing(draft);
      makeRoom(draft, before, []);
    }
  });
  if (ok && collapsed) {
    const { hidden } = geometryOf(services.store.getState().design).collapse;
    const selection = services.store.getState().selection;
    if (selection.some((id) => hidden.has(id)))
      services.store.getState().select([...selection.filter((id) => !hidden.has(id)), pool]);
  }
}

/** Moves the selected items by a distance; a held arrow key makes one undoable step. */
export function nudgeSelection(services: AppServices, by: Point): void {
  const { design, selection } = services.store.getState();
  const geometry = geometryOf(design);
  const items = movableItems(selection, geometry);
  if (items.length === 0) return;
  edit(
    services,
    items.length === 1 ? `Nudge ${items[0]!.id}` : `Nudge ${items.length} items`,
    (draft) => nudgeItems(draft, geometry, items, by),
    { coalesce: `nudge:${items.map((b) => b.id).join()}` },
  );
}

/** Lines the selected items up on an edge or the middle of the box around them. */
export function alignSelection(services: AppServices, on: Alignment): void {
  const { design, selection } = services.store.getState();
  const geometry = geometryOf(design);
  const items = movableItems(selection, geometry);
  if (items.length < 2) return;
  edit(
    services,
    `Align ${items.length} items ${on === 'center' || on === 'middle' ? `on the ${on}` : on}`,
    (draft) => alignItems(draft, geometry, items, on),
  );
}

/** Spreads the selected items with equal gaps. */
export function distributeSelection(services: AppServices, axis: Axis): void {
  const { design, selection } = services.store.getState();
  const geometry = geometryOf(design);
  const items = movableItems(selection, geometry);
  if (items.length < 3) return;
  edit(services, `Distribute ${items.length} items ${axis === 'horizontal' ? 'across' : 'down'}`, (draft) =>
    distributeItems(draft, geometry, items, axis),
  );
}

/** Sets an item's label (site, host, service, group or entrypoint); empty text takes it away. */
export function labelItem(services: AppServices, id: string, text: string): void {
  const label = text.trim();
  edit(services, label ? `Label ${id} ${label}` : `Take the label off ${id}`, (draft) => {
    for (const list of [draft.sites, draft.hosts, draft.services, draft.groups, draft.entrypoints]) {
      const item = (list as { id: string; label?: string }[] | undefined)?.find((entry) => entry.id === id);
      if (!item) continue;
      if (label) item.label = label;
      else delete item.label;
      return;
    }
  });
}
