/**
 * Values that match their pattern in the schema but cannot work where the bundle puts them: an
 * address no other host can reach, a share mounted over a directory the system needs, a "program"
 * that is a device. The loader reports each as a problem at its JSON path, with the reason, so a
 * design that loads never gives a bundle that breaks its hosts.
 *
 * Loopback addresses are refused only where they are wrong. A design whose hosts all have
 * loopback addresses is a lab on one machine (Linux routes all of 127.0.0.0/8 to `lo`, so
 * `127.0.0.2` reaches `127.0.0.3`): that works. A loopback host among hosts with real addresses
 * does not: each other host would reach itself at that address, and a Redis replica would follow
 * itself (`replicaof 127.0.0.1`). A floating address moves between hosts over VRRP on their
 * network, which a loopback address never leaves, so a loopback VIP is always refused.
 */
import type { PathSegment } from './json-path';
import { quoteValue } from './json-path';
import { ADDRESS_REGEX, ABSOLUTE_PATH_REGEX, COMMAND_REGEX, IP_REGEX } from './schema/patterns';

/** A value that cannot work where it goes: where it is and why, for the loader to report. */
export interface ValueProblem {
  segments: PathSegment[];
  message: string;
}

/** What an address stands for, as far as reaching a host goes. */
export type AddressScope = 'unspecified' | 'loopback' | 'multicast' | 'broadcast' | 'ordinary';

/** The 16 bytes of an IPv6 literal, or the 4 of an IPv4 one; undefined for a DNS name. */
function addressBytes(address: string): number[] | undefined {
  if (!address.includes(':')) {
    const octets = address.split('.');
    if (octets.length !== 4 || !octets.every((octet) => /^[0-9]{1,3}$/.test(octet))) return undefined;
    return octets.map(Number);
  }
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An IPv4 tail stands for the last two groups: `::ffff:10.0.0.1` is `::ffff:a00:1`.
    const ipv4 = addressBytes(tail);
    if (!ipv4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = ipv4;
    text = `${text.slice(0, lastColon + 1)}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  const halves = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const head = parse(halves[0] ?? '');
  const after = halves.length > 1 ? parse(halves[1] ?? '') : [];
  const gap = halves.length > 1 ? Array<number>(Math.max(0, 8 - head.length - after.length)).fill(0) : [];
  const all = [...head, ...gap, ...after];
  if (all.length !== 8 || all.some((group) => !(group >= 0 && group <= 0xffff))) return undefined;
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

/**
 * What `address` stands for: an IPv4 or IPv6 literal by its range (an IPv4-mapped IPv6 address
 * by its IPv4 part), `localhost` and names under `.localhost` as loopback (RFC 6761), any other
 * name as ordinary.
 */
export function addressScope(address: string): AddressScope {
  const name = address.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  let bytes = addressBytes(address);
  if (!bytes) return 'ordinary';
  if (bytes.length === 16) {
    const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
    if (mapped) bytes = bytes.slice(12);
  }
  if (bytes.length === 4) {
    const [first = 0] = bytes;
    if (first === 0) return 'unspecified';
    if (first === 127) return 'loopback';
    if (first >= 224 && first <= 239) return 'multicast';
    if (bytes.every((byte) => byte === 255)) return 'broadcast';
    return 'ordinary';
  }
  if (bytes.every((byte) => byte === 0)) return 'unspecified';
  if (bytes.slice(0, 15).every((byte) => byte === 0) && bytes[15] === 1) return 'loopback';
  if (bytes[0] === 0xff) return 'multicast';
  return 'ordinary';
}

/** Why an address of each scope is no host's address. */
const NOT_A_HOST: Record<Exclude<AddressScope, 'ordinary' | 'loopback'>, string> = {
  unspecified: 'is the unspecified address, which means "every address" to a daemon and names no host',
  multicast: 'is a multicast address, which names a group of receivers, not a host',
  broadcast: 'is the broadcast address, which names every host of the network at once',
};

/**
 * Directories a share may not be mounted at or under, and why: the system needs what is there,
 * or the services could not see the share (every generated unit has a private /tmp).
 */
const SYSTEM_DIRECTORIES: readonly (readonly [string, string])[] = [
  ['/etc', "holds the host's configuration"],
  ['/usr', "holds the operating system's programs and libraries"],
  ['/bin', "holds the operating system's programs"],
  ['/sbin', "holds the operating system's programs"],
  ['/lib', "holds the operating system's libraries"],
  ['/lib32', "holds the operating system's libraries"],
  ['/lib64', "holds the operating system's libraries"],
  ['/libx32', "holds the operating system's libraries"],
  ['/boot', 'holds the kernel and the boot loader'],
  ['/efi', 'holds the boot loader'],
  ['/proc', "is the kernel's process file system, mounted by systemd itself"],
  ['/sys', "is the kernel's device file system, mounted by systemd itself"],
  ['/dev', 'holds the devices, mounted by systemd itself'],
  ['/run', 'is the runtime file system, mounted by systemd itself'],
  ['/var/run', 'is the runtime file system (a link to /run)'],
  ['/var/lock', 'is the runtime file system (a link to /run/lock)'],
  ['/tmp', 'is private to every generated service (PrivateTmp=yes), so no service would see the share'],
  ['/var/tmp', 'is private to every generated service (PrivateTmp=yes), so no service would see the share'],
];

/** Directories a share may be mounted under but not over: they hold other data or other mounts. */
const SHARED_DIRECTORIES = new Set([
  '/',
  '/home',
  '/root',
  '/opt',
  '/srv',
  '/mnt',
  '/media',
  '/var',
  '/var/lib',
  '/var/log',
  '/var/cache',
  '/var/spool',
  '/var/mail',
  '/var/opt',
  '/var/local',
  '/var/backups',
]);

/** Directories whose files are no programs to run: devices, kernel and runtime files. */
const NOT_PROGRAMS: readonly (readonly [string, string])[] = [
  ['/dev', 'holds devices, not programs'],
  ['/proc', "holds the kernel's view of processes, not programs"],
  ['/sys', "holds the kernel's view of devices, not programs"],
  ['/run', 'holds runtime files that vanish at boot, not installed programs'],
  [
    '/tmp',
    'is writable by every user, who could replace the program, and private to the service (PrivateTmp=yes)',
  ],
  [
    '/var/tmp',
    'is writable by every user, who could replace the program, and private to the service (PrivateTmp=yes)',
  ],
];

/** A path as the kernel resolves it lexically: no empty or `.` segments, no `/` at the end. */
function plainPath(path: string): string {
  return `/${path
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/')}`;
}

function isAtOrUnder(path: string, directory: string): boolean {
  return path === directory || path.startsWith(`${directory}/`);
}

/** Why `mountPoint` cannot take a share, or undefined when it can. */
export function mountPointProblem(mountPoint: string): string | undefined {
  const path = plainPath(mountPoint);
  const system = SYSTEM_DIRECTORIES.find(([directory]) => isAtOrUnder(path, directory));
  if (system) {
    const [directory, reason] = system;
    const where = path === directory ? directory : `under ${directory}`;
    return `is ${where}, which ${reason}: mount shares elsewhere, e.g. under /mnt or /srv`;
  }
  if (SHARED_DIRECTORIES.has(path))
    return `would hide everything ${path} holds behind the share: mount it in a directory of its own, e.g. ${path === '/' ? '' : path}/shared`;
  return undefined;
}

/** Why the program of `command` (its first word) cannot be run, or undefined when it can. */
export function commandProblem(command: string): string | undefined {
  const program = command.split(' ')[0] ?? '';
  if (program.split('/').some((segment) => segment === '.' || segment === '..') || /\/\/|\/$/.test(program))
    return `names its program ${quoteValue(program)} with "//", "." or ".." segments: give the program's plain absolute path`;
  const place = NOT_PROGRAMS.find(([directory]) => isAtOrUnder(program, directory));
  if (!place) return undefined;
  return `runs ${quoteValue(program)}, but ${place[0]} ${place[1]}: give the path of an installed program, e.g. /usr/bin/…`;
}

function items(list: unknown): { item: Record<string, unknown>; index: number }[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown, index) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? [{ item: item as Record<string, unknown>, index }]
      : [],
  );
}

/**
 * Every value of a design (as parsed, before it is known to be one) that matches its pattern but
 * cannot work; values that fail their pattern have their problem from the schema already.
 */
export function valueProblems(root: Record<string, unknown>): ValueProblem[] {
  const problems: ValueProblem[] = [];
  const hosts = items(root.hosts).filter(
    ({ item }) => typeof item.address === 'string' && ADDRESS_REGEX.test(item.address),
  );
  const scopes = hosts.map(({ item }) => addressScope(item.address as string));
  // Only an IP address proves the hosts are not all on one machine: a DNS name may well resolve to
  // a loopback address in a lab (an /etc/hosts entry), so it is no evidence either way.
  const reachable = hosts.findIndex(
    ({ item }, position) =>
      scopes[position] === 'ordinary' && addressBytes(item.address as string) !== undefined,
  );
  hosts.forEach(({ item, index }, position) => {
    const address = item.address as string;
    const scope = scopes[position]!;
    const segments = ['hosts', index, 'address'];
    if (scope === 'loopback' && reachable !== -1) {
      const other = hosts[reachable]!.item;
      problems.push({
        segments,
        message: `${quoteValue(address)} is a loopback address, at which every host reaches only itself: host ${quoteValue(other.id)} (${String(other.address)}) could not reach this host there. Give the address the other hosts reach it at (loopback addresses suit a lab where every host is on one machine)`,
      });
    } else if (scope !== 'loopback' && scope !== 'ordinary') {
      problems.push({
        segments,
        message: `${quoteValue(address)} ${NOT_A_HOST[scope]}: give the address the other hosts reach this host at`,
      });
    }
  });

  for (const { item, index } of items(root.entrypoints)) {
    if (typeof item.address !== 'string' || !IP_REGEX.test(item.address)) continue;
    const scope = addressScope(item.address);
    if (scope === 'ordinary') continue;
    const why =
      scope === 'loopback'
        ? 'is a loopback address, which never leaves its host, while keepalived moves a floating address between hosts on their network'
        : NOT_A_HOST[scope];
    problems.push({
      segments: ['entrypoints', index, 'address'],
      message: `${quoteValue(item.address)} ${why}: give a free address of the targets' network`,
    });
  }

  for (const { item, index } of items(root.services)) {
    if (typeof item.mountPoint === 'string' && ABSOLUTE_PATH_REGEX.test(item.mountPoint)) {
      const problem = mountPointProblem(item.mountPoint);
      if (problem)
        problems.push({
          segments: ['services', index, 'mountPoint'],
          message: `${quoteValue(item.mountPoint)} ${problem}`,
        });
    }
    if (typeof item.command === 'string' && COMMAND_REGEX.test(item.command)) {
      const problem = commandProblem(item.command);
      if (problem)
        problems.push({ segments: ['services', index, 'command'], message: `the command ${problem}` });
    }
  }
  return problems;
}
