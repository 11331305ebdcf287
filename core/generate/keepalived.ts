/**
 * keepalived configs: one `/etc/keepalived/keepalived.conf` per host that holds a floating
 * address of a `vip` entrypoint, with one VRRP instance per address it takes part in.
 *
 * Priorities and the tracking weight are {@link planVrrp}'s, rendered as they are, so the rule
 * `keepalived.priority` checks exactly what is generated. Each instance tracks its host's balancer
 * process; when the balancer dies the instance's priority drops by the plan's weight, below every
 * healthy peer, and the address moves.
 */
import { KEEPALIVED } from '../daemons';
import type { DesignIndex, EffectiveEntrypoint } from '../design-index';
import type { BalancerService, Entrypoint, Host } from '../model';
import { planVrrp } from '../vrrp';
import type { VrrpPlan } from '../vrrp';
import type { BundleFile } from './bundle';
import { hostOf } from './context';
import type { Generator } from './context';
import { commentText, keepalivedValue, UnsafeValueError } from './quote';
import { renderTemplate } from './render';

/** Where keepalived reads its config on Debian (the catalogue's {@link KEEPALIVED}). */
export const KEEPALIVED_CONFIG_PATH = KEEPALIVED.configPath;

/** keepalived's own check, from the catalogue. */
export const KEEPALIVED_CHECK = KEEPALIVED.check;

/** How a changed config is applied, from the catalogue. */
export const KEEPALIVED_RELOAD = KEEPALIVED.reload;

/**
 * The program the tracking scripts run. keepalived refuses a script that is not root-owned or sits
 * in a directory others can write; procps' `pgrep` is root-owned in /usr/bin on every Debian.
 */
export const TRACKING_PROGRAM = '/usr/bin/pgrep';

/** VRRP advertisement interval in seconds; recovery estimates read it too. */
export const ADVERT_INTERVAL_SECONDS = 1;
const ADVERT_INTERVAL = ADVERT_INTERVAL_SECONDS;
/** The tracking script runs every second and must fail twice (succeed twice) to count. */
export const SCRIPT_INTERVAL_SECONDS = 1;
const SCRIPT_INTERVAL = SCRIPT_INTERVAL_SECONDS;
/** Failed runs of the tracking script before the balancer counts as dead. */
export const SCRIPT_FALL = 2;
const SCRIPT_RISE = 2;
/** VRRP router ids are 1 to 255. */
const ROUTER_IDS = 255;

/** The address family of a floating address, which its VRRP instance takes on. */
export type AddressFamily = 'ipv4' | 'ipv6';

/** One keepalived instance of a floating address, on one host. */
export interface VrrpParticipant {
  host: Host;
  /** The plan's priority of the first target on this host. */
  priority: number;
  /** Balancer kinds on this host behind the address, each tracked by its own script. */
  balancers: BalancerService['kind'][];
}

/** A floating address and everything its VRRP instances share. */
export interface FloatingAddress {
  /** The address as the first entrypoint that names it writes it. */
  address: string;
  family: AddressFamily;
  /** The `vip` entrypoints that share the address, in design order. */
  entrypoints: Entrypoint[];
  /** The plan rendered: that of the first entrypoint, over the targets of all of them. */
  plan: VrrpPlan;
  /** Distinct across the design's floating addresses, 1 to 255. */
  routerId: number;
  /** Name of the VRRP instance: the first entrypoint's id. */
  instance: string;
  /** The hosts that run an instance, highest priority first. */
  participants: VrrpParticipant[];
  /**
   * Peers address each other by unicast when every participant's address is a literal IP of
   * the floating address's family; otherwise the instances fall back to VRRP multicast, which
   * works on the one L2 segment that `vip.sites` requires anyway.
   */
  unicast: boolean;
}

/**
 * The floating addresses of the design, in the order their first `vip` entrypoint appears.
 * Entrypoints that share an address share one VRRP instance.
 */
export function floatingAddresses(index: DesignIndex): FloatingAddress[] {
  const effective = new Map(index.entrypoints.map((e) => [e.id, e]));
  const byAddress = new Map<string, { address: string; entrypoints: Entrypoint[] }>();
  for (const entrypoint of index.design.entrypoints ?? []) {
    const address = entrypoint.address;
    if (entrypoint.via !== 'vip' || address === undefined || !effective.has(entrypoint.id)) continue;
    const key = addressKey(address);
    const entry = byAddress.get(key) ?? { address, entrypoints: [] };
    entry.entrypoints.push(entrypoint);
    byAddress.set(key, entry);
  }

  // Router ids only need to differ within one network segment; the balancers of a vip share a
  // site (rule vip.sites), so each site has its own 255 ids.
  const takenBySegment = new Map<string, Set<number>>();
  return [...byAddress.entries()].map(([key, { address, entrypoints }]) => {
    const first: EffectiveEntrypoint = effective.get(entrypoints[0]!.id)!;
    const targets = [...new Set(entrypoints.flatMap((e) => e.targets as string[]))];
    const plan = planVrrp(index, { ...first, targets });
    const participants = participantsOf(index, plan);
    const segment = participants[0]?.host.site ?? '';
    const taken = takenBySegment.get(segment) ?? new Set<number>();
    takenBySegment.set(segment, taken);
    const family: AddressFamily = address.includes(':') ? 'ipv6' : 'ipv4';
    return {
      address,
      family,
      entrypoints,
      plan,
      routerId: claimRouterId(key, taken),
      instance: first.id,
      participants,
      unicast: participants.every((p) => familyOf(p.host.address) === family),
    };
  });
}

function participantsOf(index: DesignIndex, plan: VrrpPlan): VrrpParticipant[] {
  const byHost = new Map<string, VrrpParticipant>();
  for (const member of plan.members) {
    const service = index.services.get(member.service);
    const host = service ? hostOf(index, service) : undefined;
    if (!service || !host || (service.kind !== 'nginx' && service.kind !== 'haproxy')) continue;
    const participant = byHost.get(host.id) ?? { host, priority: member.priority, balancers: [] };
    if (!participant.balancers.includes(service.kind)) participant.balancers.push(service.kind);
    byHost.set(host.id, participant);
  }
  return [...byHost.values()];
}

/**
 * A router id that depends on the address alone (FNV-1a), so that adding or removing another
 * address does not move it; a collision takes the next free id, in design order.
 */
function claimRouterId(key: string, taken: Set<number>): number {
  if (taken.size >= ROUTER_IDS) {
    throw new UnsafeValueError(
      'keepalived',
      key,
      `VRRP has ${ROUTER_IDS} router ids, one per floating address in a site`,
    );
  }
  let hash = 0x811c9dc5;
  for (const character of key) {
    hash ^= character.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  let id = (hash % ROUTER_IDS) + 1;
  while (taken.has(id)) id = (id % ROUTER_IDS) + 1;
  taken.add(id);
  return id;
}

const IPV4_LITERAL = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function familyOf(address: string): AddressFamily | 'name' {
  if (address.includes(':')) return 'ipv6';
  return IPV4_LITERAL.test(address) ? 'ipv4' : 'name';
}

/** One spelling per address, so that `fd00::1` and `FD00:0::1` share an instance. */
function addressKey(address: string): string {
  if (!address.includes(':')) return address.toLowerCase();
  let text = address.toLowerCase();
  const ipv4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (ipv4Tail) {
    const [a, b, c, d] = ipv4Tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, ipv4Tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups]
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':');
}

interface TrackingScriptView {
  name: string;
  script: string;
  interval: number;
  fall: number;
  rise: number;
}

interface InstanceView {
  comments: string[];
  name: string;
  state: 'MASTER' | 'BACKUP';
  interface: string;
  routerId: number;
  priority: number;
  advertInterval: number;
  /** `version 3` for IPv6 addresses, which VRRP version 2 cannot carry. */
  version3: boolean;
  unicast: { source: string; peers: string[] } | null;
  addresses: string[];
  tracks: { script: string; weight: number }[];
}

interface KeepalivedView {
  header: string[];
  routerId: string;
  scripts: TrackingScriptView[];
  instances: InstanceView[];
}

function scriptName(kind: BalancerService['kind']): string {
  return `check_${kind}`;
}

function instanceView(floating: FloatingAddress, participant: VrrpParticipant): InstanceView {
  const peers = floating.participants.filter((p) => p !== participant);
  const holder = floating.participants[0];
  return {
    comments: floating.entrypoints.map(
      (e) =>
        `Entrypoint ${e.id}${e.label === undefined ? '' : ` "${commentText(e.label)}"`}, port ${e.port}.`,
    ),
    name: keepalivedValue(floating.instance),
    state: participant === holder ? 'MASTER' : 'BACKUP',
    interface: keepalivedValue(participant.host.interface ?? 'eth0'),
    routerId: floating.routerId,
    priority: participant.priority,
    advertInterval: ADVERT_INTERVAL,
    version3: floating.family === 'ipv6',
    unicast:
      floating.unicast && peers.length > 0
        ? {
            source: keepalivedValue(participant.host.address),
            peers: peers.map((p) => keepalivedValue(p.host.address)),
          }
        : null,
    addresses: [keepalivedValue(floating.address)],
    tracks: participant.balancers.map((kind) => ({ script: scriptName(kind), weight: floating.plan.weight })),
  };
}

/** Files of every keepalived in the design: one config per host holding a floating address. */
export const generateKeepalived: Generator = ({ index }) => {
  const addresses = floatingAddresses(index);
  const files: BundleFile[] = [];
  for (const host of index.design.hosts) {
    const taking = addresses
      .map((floating) => ({
        floating,
        participant: floating.participants.find((p) => p.host.id === host.id),
      }))
      .filter(
        (entry): entry is { floating: FloatingAddress; participant: VrrpParticipant } => !!entry.participant,
      );
    if (taking.length === 0) continue;

    const kinds = [...new Set(taking.flatMap((entry) => entry.participant.balancers))].sort();
    const view: KeepalivedView = {
      header: [
        `Generated by Topoforge from the design "${commentText(index.design.name)}".`,
        `keepalived on host ${host.id} (${commentText(host.address)}): ${taking.length} floating address${taking.length === 1 ? '' : 'es'}.`,
        'Edit the design, not this file: the next push replaces it.',
      ],
      routerId: keepalivedValue(host.id),
      scripts: kinds.map((kind) => ({
        name: scriptName(kind),
        script: keepalivedValue(`${TRACKING_PROGRAM} -x ${kind}`),
        interval: SCRIPT_INTERVAL,
        fall: SCRIPT_FALL,
        rise: SCRIPT_RISE,
      })),
      instances: taking.map(({ floating, participant }) => instanceView(floating, participant)),
    };
    files.push({
      host: host.id,
      path: KEEPALIVED_CONFIG_PATH,
      content: renderTemplate('keepalived/keepalived.conf', view),
      mode: KEEPALIVED.mode,
      check: KEEPALIVED_CHECK,
      reload: KEEPALIVED_RELOAD,
      policy: 'replace',
    });
  }
  return files;
};
