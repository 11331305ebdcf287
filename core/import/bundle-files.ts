/**
 * Which host and which kind of file each file of an import folder is. The folder uses the bundle
 * layout (`hosts/<host>/<absolute path without the leading slash>`); the kind comes from the
 * daemon catalogue, so import looks for configs exactly where push puts them.
 */
import { DAEMONS, type DaemonName } from '../daemons';

/** A file of an import folder, placed: its host, its path on the host, the daemon that reads it. */
export interface PlacedFile {
  readonly host: string;
  /** The absolute path on the host, e.g. `/etc/haproxy/haproxy.cfg`. */
  readonly path: string;
  /** The catalogue's descriptor name, or undefined for a file no descriptor claims. */
  readonly daemon?: DaemonName;
  /** The systemd unit that the file belongs to, when a descriptor claims it. */
  readonly unit?: string;
}

/** A script of the bundle's `scripts/` folder, e.g. a replica set init script import may read. */
export interface BundleScript {
  readonly script: string;
}

/** Why a file of the folder was not placed on a host. */
export interface UnplacedFile {
  readonly file: string;
  readonly reason: string;
}

/**
 * Places `relative`, a `/`-separated path inside the import folder: a file under
 * `hosts/<host>/` goes to that host with the catalogue's daemon when one claims it; a file under
 * `scripts/` is a bundle script; `inventory.json` and a bundle's own files (`manifest.json`,
 * `README.md`) are not host files and get undefined; anything else is unplaced, with the reason.
 */
export function placeFile(relative: string): PlacedFile | BundleScript | UnplacedFile | undefined {
  if (relative === 'inventory.json' || relative === 'manifest.json' || relative === 'README.md')
    return undefined;
  if (/^scripts\/[^/]+$/.test(relative)) return { script: relative };
  const match = /^hosts\/([^/]+)\/(.+)$/.exec(relative);
  if (!match) {
    return { file: relative, reason: 'not under hosts/<host>/, so it belongs to no host' };
  }
  const host = match[1]!;
  const path = `/${match[2]!}`;
  for (const descriptor of DAEMONS) {
    const unit = descriptor.unitOf(path);
    if (unit !== undefined) return { host, path, daemon: descriptor.name, unit };
  }
  return { host, path };
}
