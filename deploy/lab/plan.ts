/**
 * The shape of a rehearsal lab, worked out from a design before anything is created: which network
 * namespaces, interfaces, bridges and routes it needs. Pure data, so that a design that cannot be
 * built as a lab is refused with words before the machine is touched.
 *
 * The network: every design host is a namespace whose design address sits (as a /32) on the
 * interface the design names (`eth0` by default), with an on-link default route. The hosts of one
 * site share one bridge (an L2 segment, so VRRP works within it); all bridges live in one core
 * namespace that forwards between them and answers ARP for what lies elsewhere (proxy ARP), so
 * any design addressing works without inventing subnets. A client namespace hangs off the core.
 * No namespace has a way out of the lab: the core has no link to the machine's own network.
 */
import { isIP } from 'node:net';
import type { Design } from '../../core/model';

/** One design host as a lab namespace. */
export interface LabHostPlan {
  id: string;
  address: string;
  /** The interface the address sits on inside the host (the design's `interface`, default `eth0`). */
  interface: string;
  /** The host's network namespace, as `ip netns` names it. */
  namespace: string;
  /** The veth end in the core namespace, attached to the host's site bridge. */
  coreInterface: string;
  /** The bridge (in the core namespace) of the host's site. */
  bridge: string;
  site?: string;
  /** The port its sshd listens on: the design's `ssh.port`, default 22. */
  sshPort: number;
}

/** One site (or the hosts without a site) as an L2 segment. */
export interface LabSegmentPlan {
  /** The site id; undefined for the hosts that name no site. */
  site?: string;
  bridge: string;
  hosts: string[];
}

/** A floating address (a `vip` entrypoint), reachable through the segment of its targets. */
export interface LabFloatingAddress {
  entrypoint: string;
  address: string;
  bridge: string;
}

/** Everything the lab will create, named. */
export interface LabPlan {
  /** Short random id; every namespace name starts with `tf<id>-`. */
  id: string;
  designName: string;
  core: { namespace: string; address: string };
  client: { namespace: string; address: string; interface: string; coreInterface: string };
  segments: LabSegmentPlan[];
  hosts: LabHostPlan[];
  floating: LabFloatingAddress[];
}

/** A design the lab cannot build, with the JSON path of what is in the way. */
export class LabPlanError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'LabPlanError';
  }
}

/** Interface names the kernel accepts: at most 15 characters, no slash or space. */
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/u;

/** Link-local addresses for the core and the client: never routed off the lab, rarely in designs. */
const SERVICE_ADDRESSES = Array.from(
  { length: 250 },
  (_, index) => `169.254.${Math.floor(index / 2) + 1}.${(index % 2) + 1}`,
);

/** The namespace name prefix of the lab with this id. */
export function namespacePrefix(id: string): string {
  return `tf${id}-`;
}

/** Plans the lab for `design`; throws {@link LabPlanError} when a host cannot be a lab host. */
export function planLab(design: Design, id: string): LabPlan {
  if (!/^[a-z0-9]{1,8}$/u.test(id)) throw new Error(`lab id ${JSON.stringify(id)} is not 1 to 8 of a-z0-9`);
  const prefix = namespacePrefix(id);
  if (design.hosts.length === 0)
    throw new LabPlanError('the design has no hosts to build a lab of', '$.hosts');

  const segments = new Map<string, LabSegmentPlan>();
  const segmentOf = (site: string | undefined): LabSegmentPlan => {
    const key = site ?? '';
    let segment = segments.get(key);
    if (segment === undefined) {
      segment = { site, bridge: `s${segments.size}`, hosts: [] };
      segments.set(key, segment);
    }
    return segment;
  };

  const used = new Set<string>();
  const hosts = design.hosts.map((host, index): LabHostPlan => {
    if (isIP(host.address) !== 4) {
      throw new LabPlanError(
        `host ${host.id}: the lab gives hosts their design address and supports IPv4 only, got ${JSON.stringify(host.address)}`,
        `$.hosts[${index}].address`,
      );
    }
    const name = host.interface ?? 'eth0';
    if (!INTERFACE_NAME.test(name) || name === 'lo') {
      throw new LabPlanError(
        `host ${host.id}: ${JSON.stringify(name)} cannot be a lab interface (1 to 15 of A-Z a-z 0-9 _ . -, not lo)`,
        `$.hosts[${index}].interface`,
      );
    }
    used.add(host.address);
    const segment = segmentOf(host.site);
    segment.hosts.push(host.id);
    return {
      id: host.id,
      address: host.address,
      interface: name,
      namespace: `${prefix}h-${host.id}`,
      coreInterface: `h${index}`,
      bridge: segment.bridge,
      site: host.site,
      sshPort: host.ssh?.port ?? 22,
    };
  });

  const hostById = new Map(hosts.map((host) => [host.id, host]));
  const serviceHost = new Map<string, string | undefined>(
    design.services.map((service) => [service.id, service.host]),
  );
  const floating: LabFloatingAddress[] = [];
  for (const entrypoint of design.entrypoints ?? []) {
    if (entrypoint.via !== 'vip' || entrypoint.address === undefined) continue;
    // A host's own address, or a floating address already planned, is reachable already.
    if (isIP(entrypoint.address) !== 4 || used.has(entrypoint.address)) continue;
    const host = entrypoint.targets
      .map((target) => hostById.get(serviceHost.get(target) ?? ''))
      .find((candidate) => candidate !== undefined);
    if (host === undefined) continue;
    used.add(entrypoint.address);
    floating.push({ entrypoint: entrypoint.id, address: entrypoint.address, bridge: host.bridge });
  }

  const [coreAddress, clientAddress] = SERVICE_ADDRESSES.filter((address) => !used.has(address));
  if (coreAddress === undefined || clientAddress === undefined)
    throw new LabPlanError('the design uses every 169.254.x.1/2 address the lab needs for itself', '$.hosts');

  return {
    id,
    designName: design.name,
    core: { namespace: `${prefix}core`, address: coreAddress },
    client: {
      namespace: `${prefix}client`,
      address: clientAddress,
      interface: 'eth0',
      coreInterface: 'client',
    },
    segments: [...segments.values()],
    hosts,
    floating,
  };
}
