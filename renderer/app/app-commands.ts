/**
 * Every command of the designer, registered once (renderer/app/registry.ts says how to add one).
 * The work itself is done by the functions of commands.ts and the store; this file says what each
 * action is called, which keys run it, when it is enabled and where it appears.
 */
import { SHELL_COMMANDS } from '../../core/commands';
import { admitsMember } from '../../core/edit/place';
import { GROUP_KINDS } from '../../core/model';
import type { GroupKind } from '../../core/model';
import { movableItems } from '../canvas/align';
import type { Alignment } from '../canvas/align';
import { geometryOf } from '../canvas/geometry';
import { GROUP_KIND_INFO } from '../canvas/kinds';
import { SEARCH_FIELD_ID } from '../canvas/search-box';
import { isEdgeId } from '../state/edge-ids';
import {
  arrange,
  copySelection,
  deleteSelection,
  duplicateSelection,
  exportBundle,
  exportImage,
  groupSelection,
  newDesign,
  openDesign,
  paste,
  saveDesign,
  alignSelection,
  distributeSelection,
  nudgeSelection,
  selectAll,
  setPoolCollapsed,
} from './commands';
import { openPush } from './push';
import { importFolder } from '../import/import-folder';
import { openImportHosts } from '../import/import-hosts';
import { CommandRegistry } from './registry';
import type { Command, CommandContext } from './registry';
import type { AppServices } from './services';

/** The designer's commands. */
export const registry = new CommandRegistry();

const state = (app: AppServices) => app.store.getState();
const hasSelection = (app: AppServices) => state(app).selection.length > 0;
const selectedItems = (app: AppServices) => state(app).selection.filter((id) => !isEdgeId(id));

/** A command the native menu forwards: its label and keys come from core/commands.ts. */
function shell(
  name: keyof typeof SHELL_COMMANDS,
  command: Omit<Command, 'id' | 'label' | 'keys'> & Partial<Pick<Command, 'label' | 'keys'>>,
): Command {
  const { id, label, keys } = SHELL_COMMANDS[name];
  return registry.register({ id, label, keys, ...command });
}

// ---------------------------------------------------------------------------------------------
// File: in a browser tab the page's File menu; in the desktop app the native menu.

shell('new', {
  keys: [...SHELL_COMMANDS.new.keys, { key: 'alt+n', only: 'browser', note: 'in a browser tab' }],
  menus: [{ menu: 'file', group: '1-document', order: 1, only: 'browser' }],
  testId: 'menu-new',
  run: (app) => newDesign(app),
});
shell('open', {
  menus: [{ menu: 'file', group: '1-document', order: 2, only: 'browser' }],
  testId: 'menu-open',
  run: (app) => openDesign(app),
});
shell('save', {
  menus: [{ menu: 'file', group: '1-document', order: 3, only: 'browser' }],
  testId: 'menu-save',
  run: (app) => saveDesign(app),
});
shell('save-as', {
  menus: [{ menu: 'file', group: '1-document', order: 4, only: 'browser' }],
  testId: 'menu-save-as',
  run: (app) => saveDesign(app, { saveAs: true }),
});
shell('import-folder', {
  description: 'Rebuild a design from the configs of a running deployment (topoforge collect, or a bundle)',
  menus: [{ menu: 'file', group: '1-document', order: 5 }],
  testId: 'menu-import',
  run: (app) => importFolder(app),
});
shell('import-hosts', {
  description:
    'Read the configs of running hosts over SSH and rebuild the design (the desktop app; in a browser, topoforge collect)',
  menus: [{ menu: 'file', group: '1-document', order: 6 }],
  testId: 'menu-import-hosts',
  run: (app) => openImportHosts(app),
});
shell('export-bundle', {
  label: (app) =>
    app.host.platform === 'browser' ? 'Export bundle (zip)' : SHELL_COMMANDS['export-bundle'].label,
  menus: [{ menu: 'file', group: '3-export', order: 1, only: 'browser' }],
  testId: 'menu-export-bundle',
  run: (app) => exportBundle(app),
});
shell('export-ansible', {
  label: (app) =>
    app.host.platform === 'browser'
      ? 'Export Ansible playbook (zip)'
      : SHELL_COMMANDS['export-ansible'].label,
  menus: [{ menu: 'file', group: '3-export', order: 1.5, only: 'browser' }],
  testId: 'menu-export-ansible',
  run: (app) => exportBundle(app, 'ansible'),
});
registry.register({
  id: 'file.export-png',
  label: 'Export picture (PNG)',
  menus: [
    { menu: 'file', group: '3-export', order: 2, only: 'browser' },
    { menu: 'view', group: '9-pictures', order: 1, only: 'desktop' },
  ],
  testId: 'menu-export-png',
  run: (app) => exportImage(app, 'png'),
});
registry.register({
  id: 'file.export-svg',
  label: 'Export picture (SVG)',
  menus: [
    { menu: 'file', group: '3-export', order: 3, only: 'browser' },
    { menu: 'view', group: '9-pictures', order: 2, only: 'desktop' },
  ],
  testId: 'menu-export-svg',
  run: (app) => exportImage(app, 'svg'),
});
shell('push', {
  menus: [{ menu: 'file', group: '4-push', only: 'browser' }],
  testId: 'menu-push',
  run: (app) => openPush(app),
});

// ---------------------------------------------------------------------------------------------
// Edit

shell('undo', {
  label: (app) => {
    const last = state(app).past.at(-1);
    return last ? `Undo ${last.label}` : 'Undo';
  },
  description: 'Undo the last change to the design (also in an inspector field)',
  menus: [{ menu: 'edit', group: '1-history', order: 1 }],
  when: (app) => state(app).past.length > 0,
  inDesignFields: true,
  testId: 'menu-undo',
  run: (app) => state(app).undo(),
});
shell('redo', {
  label: (app) => {
    const next = state(app).future.at(-1);
    return next ? `Redo ${next.label}` : 'Redo';
  },
  description: 'Redo what Undo took back',
  menus: [{ menu: 'edit', group: '1-history', order: 2 }],
  when: (app) => state(app).future.length > 0,
  inDesignFields: true,
  testId: 'menu-redo',
  run: (app) => state(app).redo(),
});
registry.register({
  id: 'edit.cut',
  label: 'Cut',
  keys: ['mod+x'],
  menus: [
    { menu: 'edit', group: '2-clipboard', order: 1 },
    { menu: 'canvas', group: '2-clipboard', order: 1, targets: ['node'] },
  ],
  when: (app) => selectedItems(app).length > 0,
  run: (app) => copySelection(app) && deleteSelection(app),
});
registry.register({
  id: 'edit.copy',
  label: 'Copy',
  keys: ['mod+c'],
  menus: [
    { menu: 'edit', group: '2-clipboard', order: 2 },
    { menu: 'canvas', group: '2-clipboard', order: 2, targets: ['node'] },
  ],
  when: (app) => selectedItems(app).length > 0,
  run: (app) => copySelection(app),
});
registry.register({
  id: 'edit.paste',
  label: 'Paste',
  keys: ['mod+v'],
  menus: [
    { menu: 'edit', group: '2-clipboard', order: 3 },
    { menu: 'canvas', group: '2-clipboard', order: 3, targets: ['node', 'pane'] },
  ],
  when: (app) => app.clipboard !== undefined,
  run: (app) => paste(app),
});
registry.register({
  id: 'edit.duplicate',
  label: 'Duplicate',
  keys: ['mod+d'],
  menus: [
    { menu: 'edit', group: '2-clipboard', order: 4 },
    { menu: 'canvas', group: '2-clipboard', order: 4, targets: ['node'] },
  ],
  when: (app) => selectedItems(app).length > 0,
  run: (app) => duplicateSelection(app),
});
registry.register({
  id: 'edit.delete',
  label: 'Delete',
  description: 'Delete the selection, with what it contains',
  keys: ['delete', 'backspace'],
  menus: [
    { menu: 'edit', group: '3-delete' },
    { menu: 'canvas', group: '9-delete', targets: ['node', 'edge'] },
  ],
  when: hasSelection,
  testId: 'menu-delete',
  run: (app) => deleteSelection(app),
});
registry.register({
  id: 'edit.select-all',
  label: 'Select all',
  keys: ['mod+a'],
  menus: [
    { menu: 'edit', group: '4-select', order: 1 },
    { menu: 'canvas', group: '5-select', targets: ['pane'] },
  ],
  run: (app) => selectAll(app),
});
registry.register({
  id: 'edit.deselect',
  label: 'Clear the selection',
  description: 'Clear the selection, then leave what-if mode',
  keys: ['escape'],
  when: (app) => hasSelection(app) || state(app).whatIf,
  run: (app) => {
    if (hasSelection(app)) state(app).select([]);
    else state(app).setWhatIf(false);
  },
});
registry.register({
  id: 'edit.label',
  label: 'Edit the label',
  description: "Edit the selected item's label in place (also a double-click)",
  keys: ['f2'],
  menus: [
    { menu: 'edit', group: '4-select', order: 2 },
    { menu: 'canvas', group: '1-label', targets: ['node'] },
  ],
  when: (app) => {
    const items = selectedItems(app);
    return items.length === 1 && geometryOf(state(app).design).boxes.has(items[0]!);
  },
  testId: 'menu-edit-label',
  run: (app) => state(app).setEditingLabel(selectedItems(app)[0]),
});
registry.register({
  id: 'edit.find',
  label: 'Find…',
  description: 'Find items by id, label, address or kind',
  keys: ['mod+f'],
  menus: [{ menu: 'edit', group: '5-find' }],
  testId: 'menu-find',
  run: (app) => {
    state(app).setSearchOpen(true);
    document.getElementById(SEARCH_FIELD_ID)?.focus();
  },
});
registry.register({
  id: 'edit.context-menu',
  label: 'Open the context menu',
  description: 'The context menu of the selection',
  keys: ['shift+f10', 'contextmenu'],
  run: (app) => {
    const items = selectedItems(app);
    const geometry = geometryOf(state(app).design);
    const box = items.length > 0 ? geometry.boxes.get(items[0]!) : undefined;
    const point = box
      ? { x: box.absoluteX + box.width / 2, y: box.absoluteY + box.height / 2 }
      : (app.canvas?.center() ?? { x: 0, y: 0 });
    const screen = app.canvas?.toScreen(point) ?? { x: 0, y: 0 };
    state(app).openContextMenu({ ...screen, target: box ? 'node' : 'pane', point });
  },
});
GROUP_KINDS.forEach((kind: GroupKind, order) =>
  registry.register({
    id: `edit.group-as-${kind}`,
    label: `Group as ${GROUP_KIND_INFO[kind].name.toLowerCase()}`,
    menus: [{ menu: 'canvas', group: '4-group', order, targets: ['node'] }],
    // Only a kind the selected services can join (a replica set holds MongoDB members only).
    when: (app) =>
      state(app).design.services.some(
        (s) => state(app).selection.includes(s.id) && admitsMember({ kind }, s),
      ),
    testId: `group-as-${kind}`,
    run: (app) => groupSelection(app, kind),
  }),
);

// ---------------------------------------------------------------------------------------------
// Arrange

registry.register({
  id: 'arrange.auto',
  label: 'Arrange automatically',
  keys: ['shift+l'],
  menus: [
    { menu: 'arrange', group: '1-layout' },
    { menu: 'canvas', group: '6-view', order: 2, targets: ['pane'] },
  ],
  testId: 'menu-arrange',
  run: (app) => arrange(app),
});

const movable = (app: AppServices) =>
  movableItems(state(app).selection, geometryOf(state(app).design)).length;

const NUDGES: { direction: string; key: string; by: { x: number; y: number } }[] = [
  { direction: 'left', key: 'arrowleft', by: { x: -1, y: 0 } },
  { direction: 'right', key: 'arrowright', by: { x: 1, y: 0 } },
  { direction: 'up', key: 'arrowup', by: { x: 0, y: -1 } },
  { direction: 'down', key: 'arrowdown', by: { x: 0, y: 1 } },
];
for (const nudge of NUDGES)
  registry.register({
    id: `arrange.nudge-${nudge.direction}`,
    label: `Nudge ${nudge.direction}`,
    description: `Move the selection ${nudge.direction} 1 px`,
    keys: [nudge.key, { key: `shift+${nudge.key}`, args: { step: 10 }, note: '10 px' }],
    when: (app) => movable(app) > 0,
    run: (app, context) => {
      const step = typeof context.args?.step === 'number' ? context.args.step : 1;
      nudgeSelection(app, { x: nudge.by.x * step, y: nudge.by.y * step });
    },
  });

const ALIGNMENTS: { on: Alignment; label: string; key: string }[] = [
  { on: 'left', label: 'Align left edges', key: 'alt+a' },
  { on: 'center', label: 'Align centres horizontally', key: 'alt+h' },
  { on: 'right', label: 'Align right edges', key: 'alt+d' },
  { on: 'top', label: 'Align top edges', key: 'alt+w' },
  { on: 'middle', label: 'Align middles vertically', key: 'alt+v' },
  { on: 'bottom', label: 'Align bottom edges', key: 'alt+s' },
];
ALIGNMENTS.forEach((alignment, order) =>
  registry.register({
    id: `arrange.align-${alignment.on}`,
    label: alignment.label,
    keys: [alignment.key],
    menus: [
      { menu: 'arrange', group: '2-align', order },
      { menu: 'canvas', group: '7-align', order, targets: ['node'] },
    ],
    when: (app) => movable(app) >= 2,
    testId: `menu-align-${alignment.on}`,
    run: (app) => alignSelection(app, alignment.on),
  }),
);
registry.register({
  id: 'arrange.distribute-horizontal',
  label: 'Distribute horizontally',
  description: 'Spread the selection across with equal gaps',
  keys: ['alt+shift+h'],
  menus: [
    { menu: 'arrange', group: '3-distribute', order: 1 },
    { menu: 'canvas', group: '8-distribute', order: 1, targets: ['node'] },
  ],
  when: (app) => movable(app) >= 3,
  testId: 'menu-distribute-horizontal',
  run: (app) => distributeSelection(app, 'horizontal'),
});
registry.register({
  id: 'arrange.distribute-vertical',
  label: 'Distribute vertically',
  description: 'Spread the selection down with equal gaps',
  keys: ['alt+shift+v'],
  menus: [
    { menu: 'arrange', group: '3-distribute', order: 2 },
    { menu: 'canvas', group: '8-distribute', order: 2, targets: ['node'] },
  ],
  when: (app) => movable(app) >= 3,
  testId: 'menu-distribute-vertical',
  run: (app) => distributeSelection(app, 'vertical'),
});

/** The pool a pool command acts on: the one its button names, else the one selected. */
function poolOf(app: AppServices, context: CommandContext): string | undefined {
  const named = context.args?.pool;
  if (typeof named === 'string') return named;
  const selection = state(app).selection;
  return (state(app).design.groups ?? []).find((g) => g.kind === 'pool' && selection.includes(g.id))?.id;
}

const collapsedPools = (app: AppServices) => geometryOf(state(app).design).collapse.pools;

registry.register({
  id: 'arrange.collapse-pool',
  label: 'Collapse the pool',
  description: 'Show a pool as one node with a count',
  menus: [
    { menu: 'arrange', group: '4-pools', order: 1 },
    { menu: 'canvas', group: '3-pool', order: 1, targets: ['node'] },
  ],
  when: (app, context) => {
    const pool = poolOf(app, context);
    return pool !== undefined && !collapsedPools(app).has(pool);
  },
  run: (app, context) => setPoolCollapsed(app, poolOf(app, context)!, true),
});
registry.register({
  id: 'arrange.expand-pool',
  label: 'Expand the pool',
  description: 'Show every member of a collapsed pool',
  menus: [
    { menu: 'arrange', group: '4-pools', order: 2 },
    { menu: 'canvas', group: '3-pool', order: 2, targets: ['node'] },
  ],
  when: (app, context) => {
    const pool = poolOf(app, context);
    return pool !== undefined && collapsedPools(app).has(pool);
  },
  run: (app, context) => setPoolCollapsed(app, poolOf(app, context)!, false),
});

// ---------------------------------------------------------------------------------------------
// View

registry.register({
  id: 'view.fit',
  label: 'Fit the design in view',
  keys: ['f'],
  menus: [
    { menu: 'view', group: '1-zoom' },
    { menu: 'canvas', group: '6-view', order: 1, targets: ['pane'] },
  ],
  testId: 'menu-fit',
  run: (app) => app.canvas?.fitView(),
});
registry.register({
  id: 'view.what-if',
  label: 'What-if mode',
  description: 'What-if mode on or off: clicks fail hosts, sites and services',
  keys: ['w'],
  menus: [{ menu: 'view', group: '2-modes', order: 1 }],
  checked: (app) => state(app).whatIf,
  run: (app) => state(app).setWhatIf(!state(app).whatIf),
});
/** The selected sites and hosts: what "Cut these off" cuts. */
function cuttable(app: AppServices): string[] {
  const { design } = state(app);
  const places = new Set([...(design.sites ?? []), ...design.hosts].map((item) => item.id as string));
  return selectedItems(app).filter((id) => places.has(id));
}

registry.register({
  id: 'what-if.cut-off',
  label: (app) => {
    const ids = cuttable(app);
    if (ids.length !== 1) return 'Cut these off from the network';
    const site = (state(app).design.sites ?? []).find((s) => s.id === ids[0]);
    return site
      ? `Cut site ${site.label ?? site.id} off from the network`
      : `Cut host ${ids[0]} off from the network`;
  },
  description: 'What-if: cut the selected sites and hosts off from the rest of the network',
  menus: [
    { menu: 'view', group: '2-modes', order: 2 },
    { menu: 'canvas', group: '0-what-if', order: 1, targets: ['node'] },
  ],
  when: (app) => cuttable(app).length > 0,
  run: (app) => state(app).cutOff(cuttable(app)),
  testId: 'whatif-cut-selection',
});
registry.register({
  id: 'what-if.heal-cut',
  label: 'Heal the network cut',
  description: 'What-if: join the cut-off side to the rest again',
  menus: [
    { menu: 'view', group: '2-modes', order: 3 },
    { menu: 'canvas', group: '0-what-if', order: 2, targets: ['node', 'pane'] },
  ],
  when: (app) => state(app).cut.length > 0,
  run: (app) => state(app).cutOff([]),
  testId: 'whatif-cut-heal-command',
});
registry.register({
  id: 'view.resilience',
  label: 'Resilience view',
  description: 'Nines, downtime and recovery per entrypoint, with the objectives',
  keys: ['r'],
  menus: [{ menu: 'view', group: '2-modes', order: 2 }],
  testId: 'menu-resilience',
  checked: (app) => state(app).panel === 'resilience',
  run: (app) => state(app).setPanel(state(app).panel === 'resilience' ? 'findings' : 'resilience'),
});
registry.register({
  id: 'view.rehearse',
  label: 'Rehearse view',
  description: 'Deploy the design into a lab, fail each host and site for real, compare with the prediction',
  menus: [{ menu: 'view', group: '2-modes', order: 4 }],
  testId: 'menu-rehearse',
  checked: (app) => state(app).panel === 'rehearse',
  run: (app) => state(app).setPanel(state(app).panel === 'rehearse' ? 'findings' : 'rehearse'),
});
registry.register({
  id: 'view.snap-to-grid',
  label: 'Snap to grid',
  menus: [{ menu: 'view', group: '3-canvas', order: 1 }],
  checked: (app) => state(app).snapToGrid,
  run: (app) => state(app).setSnapToGrid(!state(app).snapToGrid),
});
registry.register({
  id: 'view.minimap',
  label: 'Minimap',
  menus: [{ menu: 'view', group: '3-canvas', order: 2 }],
  checked: (app) => state(app).showMinimap,
  run: (app) => state(app).setShowMinimap(!state(app).showMinimap),
});
registry.register({
  id: 'view.theme',
  label: (app) => (state(app).theme === 'dark' ? 'Light theme' : 'Dark theme'),
  menus: [{ menu: 'view', group: '3-canvas', order: 3 }],
  testId: 'menu-theme',
  run: (app) => state(app).setTheme(state(app).theme === 'dark' ? 'light' : 'dark'),
});
registry.register({
  id: 'view.shortcuts',
  label: 'Keyboard shortcuts',
  description: 'This list',
  keys: ['?'],
  menus: [{ menu: 'view', group: '8-help' }],
  testId: 'menu-shortcuts',
  run: (app) => state(app).openDialog({ kind: 'shortcuts' }),
});
