/**
 * The custom nodes. Each is memoised and reads only its own decorations from the store (its
 * badge, its what-if state) through narrow selectors that return primitives, so a drag or an
 * analysis re-renders only the nodes whose picture changed.
 */
import { memo } from 'react';
import { Handle, Position } from '@xyflow/react';
import { Scissors, Split, Timer } from 'lucide-react';
import type { NodeProps, NodeTypes } from '@xyflow/react';
import { mainPortOf } from '../../core/model';
import type { Design } from '../../core/model';
import type { Severity } from '../../core/rules/catalogue';
import { useAppStore } from '../state/store';
import type { CutSide, DisplayState } from '../workers/analysis-protocol';
import { itemValue } from '../workers/item-table';
import type {
  EntrypointNodeType,
  FrameNodeType,
  GroupNodeType,
  HostNodeType,
  ServiceNodeType,
  SiteNodeType,
} from './derive';
import { HANDLES } from './derive';
import { useIsDropTarget } from './drop-target';
import { PoolToggle } from './pool-toggle';
import { interruptsClients, recoveryFigure, recoverySentence } from './cut';
import { CONTAINER_INFO, ENTRYPOINT_VIA_INFO, GROUP_KIND_INFO, KindTile, SERVICE_KIND_INFO } from './kinds';

/** The worst finding on an item: severity and count, or nothing. */
function useBadge(id: string): { severity: Severity; count: number } | undefined {
  // The badge object itself: an analysis keeps the ones it did not change (item-table.ts).
  return useAppStore((s) => (s.analysis ? itemValue(s.analysis.badges, id) : undefined));
}

/** In what-if mode, what the item shows: its state, or `failed` when the person failed it. */
function useWhatIfState(id: string): DisplayState | 'failed' | undefined {
  return useAppStore((s) => {
    if (!s.whatIf) return undefined;
    if (s.failed.includes(id)) return 'failed';
    return s.analysis ? itemValue(s.analysis.states, id) : undefined;
  });
}

/** The hosts and sites on the cut-off sides of a cut (a named side), worked out once per cut. */
interface CutOffIds {
  hosts: ReadonlySet<string>;
  sites: ReadonlySet<string>;
}

let lastCutOff: { sides: readonly CutSide[]; hosts: Design['hosts']; ids: CutOffIds } | undefined;

/**
 * What {@link useCutOff} asks of every host and site card, for the cut and the design's hosts:
 * each card's selector runs on every store update, and walking the design's hosts for each site
 * card on each of them cost the main thread more than the cards themselves.
 */
function cutOffIds(sides: readonly CutSide[], hosts: Design['hosts']): CutOffIds {
  if (lastCutOff?.sides === sides && lastCutOff.hosts === hosts) return lastCutOff.ids;
  const named = sides.filter((side) => side.ids.length > 0);
  const cutHosts = new Set(named.flatMap((side) => side.hosts));
  // A site named by the cut, or whose hosts all lie on one named side.
  const cutSites = new Set(named.flatMap((side) => side.ids));
  const hostsOfSite = new Map<string, string[]>();
  for (const host of hosts)
    if (host.site !== undefined) hostsOfSite.set(host.site, [...(hostsOfSite.get(host.site) ?? []), host.id]);
  const sideHosts = named.map((side) => new Set(side.hosts));
  for (const [site, ids] of hostsOfSite)
    if (sideHosts.some((side) => ids.every((id) => side.has(id)))) cutSites.add(site);
  const ids = { hosts: cutHosts, sites: cutSites };
  lastCutOff = { sides, hosts, ids };
  return ids;
}

/**
 * In what-if mode, whether a host or site lies on the cut-off side of the network cut: a host
 * named by the cut or in a cut-off site, a site named by it or whose hosts all are.
 */
function useCutOff(id: string, kind: 'host' | 'site'): boolean {
  return useAppStore((s) => {
    if (!s.whatIf || !s.analysis?.detail) return false;
    // Without a cut, nothing is cut off: no work for each card shown.
    if (!s.analysis.sides.some((side) => side.ids.length > 0)) return false;
    const ids = cutOffIds(s.analysis.sides, s.design.hosts);
    return (kind === 'host' ? ids.hosts : ids.sites).has(id);
  });
}

/** The "cut off" mark of a host or site beyond the what-if cut: scissors and words, not colour alone. */
function CutTag({ id }: { id: string }) {
  return (
    <span
      className="cut-tag"
      data-testid={`whatif-cut-off-${id}`}
      title="Cut off from the rest of the network: its hosts run, but cannot reach the other side"
    >
      <Scissors size={11} aria-hidden="true" /> cut off
    </span>
  );
}

const STATE_TEXT: Record<DisplayState | 'failed', string> = {
  up: 'up',
  degraded: 'degraded',
  manual: 'manual',
  down: 'down',
  failed: 'failed',
};

/**
 * The Rehearse view's verdict on an entrypoint, while a finished scenario is painted on the canvas
 * (what-if mode holding exactly that scenario's failures): `match` or `mismatch`, in words.
 */
function useRehearsalVerdict(id: string): 'match' | 'mismatch' | undefined {
  return useAppStore((s) => {
    const run = s.rehearsalRun;
    if (!s.whatIf || run.selected === undefined) return undefined;
    const result = run.scenarios[run.selected]?.result;
    if (result === undefined || result.failed.join(' ') !== s.failed.join(' ')) return undefined;
    return result.entrypoints.find((entrypoint) => entrypoint.id === id)?.verdict;
  });
}

function VerdictTag({ id, verdict }: { id: string; verdict: 'match' | 'mismatch' }) {
  return (
    <span
      className={`verdict-tag verdict-${verdict}`}
      data-testid={`rehearse-verdict-tag-${id}`}
      data-verdict={verdict}
      title={
        verdict === 'match'
          ? 'Rehearsed: the lab behaved as predicted'
          : 'Rehearsed: the lab did not behave as predicted (the Rehearse view says how)'
      }
    >
      {verdict === 'match' ? '✓ match' : '✗ mismatch'}
    </span>
  );
}

function StateTag({ state }: { state: DisplayState | 'failed' }) {
  return (
    <span className={`state-tag state-${state}`} data-state={state}>
      {STATE_TEXT[state]}
    </span>
  );
}

function FindingBadge({ badge }: { badge: { severity: Severity; count: number } }) {
  return (
    <span
      className={`finding-badge severity-${badge.severity}`}
      title={`${badge.count} finding${badge.count === 1 ? '' : 's'}, worst: ${badge.severity}`}
      data-severity={badge.severity}
    >
      {badge.count}
    </span>
  );
}

function ServiceNodeView({ id, data, selected }: NodeProps<ServiceNodeType>) {
  const { service, mark } = data;
  const info = SERVICE_KIND_INFO[service.kind];
  const badge = useBadge(id);
  const state = useWhatIfState(id);
  const port = mainPortOf(service);
  const mode =
    service.mode === 'cold-standby' ? 'cold standby' : service.mode === 'hot-standby' ? 'hot standby' : '';
  return (
    <div
      className={`node service-node${selected ? ' is-selected' : ''}${state ? ` state-${state}` : ''}`}
      data-testid={`node-${id}`}
      title={service.label ?? id}
    >
      <Handle type="target" position={Position.Top} id={HANDLES.in} />
      <KindTile info={info} />
      {mark ? (
        <span
          className="group-mark"
          style={{ background: mark.color }}
          title={`Member of ${mark.name}`}
          data-testid={`group-mark-${id}`}
          data-group={mark.group}
        >
          {mark.name}
        </span>
      ) : null}
      <div className="node-text">
        <div className="node-title">{service.label ?? id}</div>
        <div className="node-subtitle">
          {service.label ? `${id} · ` : ''}
          {info.name}
          {port !== undefined ? ` · :${port}` : ''}
        </div>
        {mode || service.host === undefined ? (
          <div className="node-tags">
            {mode ? <span className="tag">{mode}</span> : null}
            {service.host === undefined ? <span className="tag">external</span> : null}
          </div>
        ) : null}
      </div>
      {badge ? <FindingBadge badge={badge} /> : null}
      {state ? <StateTag state={state} /> : null}
      <Handle type="source" position={Position.Bottom} id={HANDLES.out} />
    </div>
  );
}

function HostNodeView({ id, data, selected }: NodeProps<HostNodeType>) {
  const { host } = data;
  const badge = useBadge(id);
  const state = useWhatIfState(id);
  const target = useIsDropTarget(id);
  const cutOff = useCutOff(id, 'host');
  return (
    <div
      className={`node container-node host-node${selected ? ' is-selected' : ''}${state ? ` state-${state}` : ''}${target ? ' drop-target' : ''}${cutOff ? ' cut-off' : ''}`}
      data-testid={`node-${id}`}
    >
      <div className="container-header" title={`${host.label ?? id} · ${host.address}`}>
        <CONTAINER_INFO.host.Icon size={14} aria-hidden="true" />
        <span className="container-title">{host.label ?? id}</span>
        <span className="container-address">{host.address}</span>
        {badge ? <FindingBadge badge={badge} /> : null}
        {cutOff ? <CutTag id={id} /> : null}
        {state ? <StateTag state={state} /> : null}
      </div>
    </div>
  );
}

function SiteNodeView({ id, data, selected }: NodeProps<SiteNodeType>) {
  const { site } = data;
  const badge = useBadge(id);
  const state = useWhatIfState(id);
  const target = useIsDropTarget(id);
  const cutOff = useCutOff(id, 'site');
  return (
    <div
      className={`node container-node site-node${selected ? ' is-selected' : ''}${state ? ` state-${state}` : ''}${target ? ' drop-target' : ''}${cutOff ? ' cut-off' : ''}`}
      data-testid={`node-${id}`}
    >
      <div className="container-header" title={site.label ?? id}>
        <CONTAINER_INFO.site.Icon size={16} aria-hidden="true" />
        <span className="container-title">{site.label ?? id}</span>
        {site.label ? <span className="container-address">{id}</span> : null}
        {badge ? <FindingBadge badge={badge} /> : null}
        {cutOff ? <CutTag id={id} /> : null}
        {state ? <StateTag state={state} /> : null}
      </div>
    </div>
  );
}

function GroupNodeView({ id, data, selected }: NodeProps<GroupNodeType>) {
  const { group, mark } = data;
  const info = GROUP_KIND_INFO[group.kind];
  const badge = useBadge(id);
  const state = useWhatIfState(id);
  const summary = useAppStore((s) => s.analysis?.groups[id]?.text);
  // Up on two sides of the cut: its own mark, never the colour of `up` or of `down`.
  const splitBrain = useAppStore((s) => s.whatIf && (s.analysis?.splitBrain.includes(id) ?? false));
  return (
    <div
      className={`node group-node${selected ? ' is-selected' : ''}${state && !splitBrain ? ` state-${state}` : ''}${splitBrain ? ' split-brain' : ''}`}
      data-testid={`node-${id}`}
      title={group.label ?? id}
      style={mark ? { borderLeftColor: mark.color } : undefined}
    >
      <Handle type="target" position={Position.Top} id={HANDLES.in} />
      <Handle
        type="target"
        position={Position.Left}
        id={HANDLES.members}
        className="members-handle"
        title="Drop a connection here to add a member"
        style={mark ? { borderColor: mark.color, background: mark.color } : undefined}
      />
      <KindTile info={info} />
      <div className="node-text">
        <div className="node-title">{group.label ?? id}</div>
        <div className="node-subtitle">
          {group.label ? `${id} · ` : ''}
          {info.name}
        </div>
        <div className="group-summary" data-testid={`group-summary-${id}`}>
          {summary ?? '…'}
        </div>
      </div>
      {group.kind === 'pool' ? <PoolToggle id={id} members={data.members} /> : null}
      {badge ? <FindingBadge badge={badge} /> : null}
      {splitBrain ? (
        <span
          className="split-brain-tag"
          data-testid={`split-brain-mark-${id}`}
          title="Split brain: a primary accepts writes on each side of the cut; the writes on the losing side are lost when the network heals"
        >
          <Split size={11} aria-hidden="true" /> split brain
        </span>
      ) : state ? (
        <StateTag state={state} />
      ) : null}
      {data.members !== undefined ? (
        <Handle type="source" position={Position.Bottom} id={HANDLES.out} />
      ) : null}
    </div>
  );
}

function EntrypointNodeView({ id, data, selected }: NodeProps<EntrypointNodeType>) {
  const { entrypoint } = data;
  const info = ENTRYPOINT_VIA_INFO[entrypoint.via];
  const badge = useBadge(id);
  const state = useWhatIfState(id);
  const recovery = useRecovery(id);
  const verdict = useRehearsalVerdict(id);
  return (
    <div
      className={`node entrypoint-node${selected ? ' is-selected' : ''}${state ? ` state-${state}` : ''}`}
      data-testid={`node-${id}`}
      title={entrypoint.label ?? id}
    >
      <KindTile info={info} />
      <div className="node-text">
        <div className="node-title">{entrypoint.label ?? id}</div>
        <div className="node-subtitle">
          {entrypoint.via === 'vip'
            ? `VIP ${entrypoint.address ?? ''}`
            : entrypoint.via === 'direct'
              ? 'direct'
              : 'external LB'}
          {` · :${entrypoint.port}`}
        </div>
      </div>
      {badge ? <FindingBadge badge={badge} /> : null}
      {recovery ? (
        <span
          className={`recovery-badge by-${recovery.by}`}
          data-testid={`whatif-recovery-badge-${id}`}
          data-seconds={recovery.seconds ?? ''}
          data-by={recovery.by}
          title={recoverySentence(recovery)}
        >
          <Timer size={11} aria-hidden="true" /> {recoveryFigure(recovery)}
        </span>
      ) : null}
      {state ? <StateTag state={state} /> : null}
      {verdict ? <VerdictTag id={id} verdict={verdict} /> : null}
      <Handle type="source" position={Position.Bottom} id={HANDLES.out} />
    </div>
  );
}

/**
 * In what-if mode, once something failed or is cut, an entrypoint's recovery (the figures of
 * `simulate --json`) where its clients are interrupted; nothing while nothing failed, nothing for
 * a `down` entrypoint, and nothing where the failure costs its clients no time.
 */
function useRecovery(id: string) {
  return useAppStore((s) => {
    if (!s.whatIf || !s.analysis?.detail) return undefined;
    if (s.analysis.failed.length === 0 && s.analysis.sides.length === 0) return undefined;
    const recovery = s.analysis.entrypoints.find((e) => e.id === id)?.recovery;
    return recovery && interruptsClients(recovery) ? recovery : undefined;
  });
}

/** The outline around members of a group that sit together; it takes no clicks. */
function FrameNodeView({ data }: NodeProps<FrameNodeType>) {
  const { frame } = data;
  return (
    <div
      className="group-frame"
      style={{ borderColor: frame.color }}
      data-testid={`frame-${frame.group}`}
      aria-hidden="true"
    />
  );
}

/** Memoised nodes, at module scope so React Flow never sees a new object (xyflow guide). */
export const nodeTypes = {
  service: memo(ServiceNodeView),
  host: memo(HostNodeView),
  site: memo(SiteNodeView),
  group: memo(GroupNodeView),
  entrypoint: memo(EntrypointNodeView),
  frame: memo(FrameNodeView),
} satisfies NodeTypes;
