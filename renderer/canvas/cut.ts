/**
 * How the what-if cut and its consequences are drawn: which hosts and sites lie on the cut-off
 * side, which links cross the cut (drawn severed), and the words of an entrypoint's recovery
 * badge. Pure, so the canvas, the export and the tests read the same answer.
 */
import type { Recovery, RecoveryMechanism } from '../../core/recovery/mechanisms';
import type { Design } from '../../core/model';
import type { CutSide } from '../workers/analysis-protocol';

/** What the canvas marks for a cut: the cut-off hosts and sites, and the side of every host. */
export interface CutPicture {
  /** Hosts and sites of the named sides: drawn inside a dashed band with a "cut off" tag. */
  cutOff: ReadonlySet<string>;
  /** Host id → the index of its side. */
  sideOf: ReadonlyMap<string, number>;
}

/** The picture of a cut, or undefined when nothing is cut. */
export function cutPicture(design: Design, sides: readonly CutSide[]): CutPicture | undefined {
  if (sides.length === 0) return undefined;
  const sideOf = new Map<string, number>();
  const cutOff = new Set<string>();
  sides.forEach((side, index) => {
    for (const host of side.hosts) {
      sideOf.set(host, index);
      // The rest (the side no id names) is what stays; the named sides are what was cut off.
      if (side.ids.length > 0) cutOff.add(host);
    }
  });
  for (const site of design.sites ?? []) {
    const hosts = design.hosts.filter((host) => host.site === site.id);
    if (hosts.length > 0 && hosts.every((host) => cutOff.has(host.id))) cutOff.add(site.id);
  }
  return { cutOff, sideOf };
}

/**
 * Whether a link between two items crosses the cut: both are services on hosts, and the hosts
 * are on different sides. Entrypoints and external services are reached from every side.
 */
export function crossesCut(
  picture: CutPicture,
  hostOf: ReadonlyMap<string, string>,
  from: string,
  to: string,
): boolean {
  const fromHost = hostOf.get(from);
  const toHost = hostOf.get(to);
  if (fromHost === undefined || toHost === undefined) return false;
  const a = picture.sideOf.get(fromHost);
  const b = picture.sideOf.get(toHost);
  return a !== undefined && b !== undefined && a !== b;
}

/** The mechanism that sets a recovery, after "by": "Sentinel failover", "keepalived moving the VIP". */
export const MECHANISM_WORDS: Readonly<Record<RecoveryMechanism, string>> = {
  keepalived: 'keepalived moving the VIP',
  haproxy: 'HAProxy health checks',
  nginx: 'nginx marking the upstream failed',
  'external-lb': "the external load balancer's health check",
  sentinel: 'Sentinel failover',
  mongodb: 'MongoDB election',
  quorum: "the quorum group's failover",
  manual: 'a person starting the cold standby',
  none: 'nothing: nothing on its path failed',
};

/**
 * Whether the failure interrupts the entrypoint's clients: a recovery of 0 s (nothing on its
 * surviving path failed, or its clients know every target) does not, and earns no badge; a time
 * not known may, so it is shown.
 */
export function interruptsClients(recovery: Recovery): boolean {
  return recovery.seconds !== 0;
}

/** "≈ 7 s", "≈ 0.5 s", "≈ 30 min", "time not known": the figure on an entrypoint's badge. */
export function recoveryFigure(recovery: Recovery): string {
  if (recovery.seconds === null) return 'time not known';
  if (recovery.seconds >= 120) return `≈ ${round(recovery.seconds / 60)} min`;
  return `≈ ${round(recovery.seconds)} s`;
}

/** "Recovers in ≈ 7 s by Sentinel failover: Sentinel promotes redis-3 …". */
export function recoverySentence(recovery: Recovery): string {
  if (recovery.by === 'none') return 'No interruption: nothing on its path failed.';
  const figure = recovery.seconds === null ? 'a time not known' : recoveryFigure(recovery);
  return `Recovers in ${figure} (${recovery.seconds ?? '?'} s) by ${MECHANISM_WORDS[recovery.by]}: ${recovery.detail}.`;
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}
