/**
 * Puts a design on loopback, so that the configs generated from it run on this one machine: every
 * host gets its own 127.x.y.z address (Linux routes all of 127.0.0.0/8 to `lo`), and so does
 * every floating address of a `vip` entrypoint. Give concurrent tests different networks so their
 * hosts never share an address.
 */
import type { Design } from '../../core/model';

/** A design moved onto loopback, and where each of its hosts and floating addresses went. */
export interface LoopbackDesign {
  design: Design;
  /** Host id to its loopback address, in design order. */
  hosts: Map<string, string>;
  /** Id of a `vip` entrypoint to its loopback floating address; entrypoints sharing one address share one. */
  floatingAddresses: Map<string, string>;
}

/** Where {@link mapToLoopback} puts addresses. */
export interface LoopbackOptions {
  /** The first three octets, e.g. `127.0.7`; default `127.0.0`. */
  network?: string;
  /** The last octet of the first host; default 2, leaving 127.0.0.1 to everything else. */
  first?: number;
}

const NETWORK = /^127\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/u;

/**
 * The same design with each host's address (in design order), then each distinct floating address,
 * replaced by the next loopback address of `network`. Throws when the network has too few
 * addresses left, rather than wrapping around onto an address already given out.
 */
export function mapToLoopback(design: Design, options: LoopbackOptions = {}): LoopbackDesign {
  const network = options.network ?? '127.0.0';
  if (!NETWORK.test(network)) throw new Error(`loopback: ${network} is not the first three octets of 127/8`);
  let next = options.first ?? 2;
  const allocate = (): string => {
    if (next < 1 || next > 254) throw new Error(`loopback: no address left in ${network}.0/24`);
    return `${network}.${next++}`;
  };

  const hosts = new Map(design.hosts.map((host) => [host.id as string, allocate()]));
  const byOriginal = new Map<string, string>();
  const floatingAddresses = new Map<string, string>();
  for (const entrypoint of design.entrypoints ?? []) {
    if (entrypoint.via !== 'vip' || entrypoint.address === undefined) continue;
    const address = byOriginal.get(entrypoint.address) ?? allocate();
    byOriginal.set(entrypoint.address, address);
    floatingAddresses.set(entrypoint.id, address);
  }

  const mapped = structuredClone(design);
  for (const host of mapped.hosts) host.address = hosts.get(host.id)!;
  for (const entrypoint of mapped.entrypoints ?? []) {
    const address = floatingAddresses.get(entrypoint.id);
    if (address !== undefined) entrypoint.address = address;
  }
  return { design: mapped, hosts, floatingAddresses };
}
