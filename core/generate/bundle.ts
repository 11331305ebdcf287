/**
 * The config bundle of docs/bundle.md: every generated file with where it goes, how it is
 * checked and applied, and the manifest that lists them. Pure: the same design gives the same
 * bytes, in the renderer and the CLI alike; `deploy/` writes it to disk.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { designIndexOf } from '../design-index';
import type { DesignIndex } from '../design-index';
import type { Design, HostSsh } from '../model';
import { serialGroupsOf } from './rollout';
import type { SerialGroup } from './rollout';
import { prerequisitesOf } from '../prerequisites';
import type { Prerequisite } from '../prerequisites';
import { secretFilesOf } from './secrets';
import type { SecretFile } from './secrets';

/** `replace`: push overwrites it. `create-only`: the running service rewrites it; never overwritten. */
export type FilePolicy = 'replace' | 'create-only';

/** One generated file. */
export interface BundleFile {
  /** The host it goes to; undefined for bundle-level files (README, scripts). */
  host?: string;
  /** Absolute path on the host, or a path inside the bundle for bundle-level files. */
  path: string;
  content: string;
  /** Octal permission bits, e.g. `0644`. */
  mode: string;
  /** `user:group` to own the file on the host, e.g. `redis:redis`; root when unset. */
  owner?: string;
  /** Command that validates the file in place of its final path; `{}` stands for the file. */
  check?: string;
  /** Command that applies the file once it is in place. */
  reload?: string;
  policy: FilePolicy;
}

/** A manifest entry: a file for a host, without its content, with its hash. */
export interface ManifestFile {
  host: string;
  path: string;
  sha256: string;
  mode: string;
  owner?: string;
  check?: string;
  reload?: string;
  policy: FilePolicy;
}

/** A file of the bundle folder itself (the README, a script for mongosh), with its hash. */
export interface BundleLevelFile {
  /** Its path inside the bundle folder, e.g. `scripts/mongodb-rs0-init.js`. */
  path: string;
  sha256: string;
  mode: string;
}

/** `manifest.json` of a bundle. */
export interface Manifest {
  format: 1;
  design: { name: string; sha256: string };
  hosts: {
    id: string;
    address: string;
    ssh: Required<Pick<HostSsh, 'user' | 'port' | 'root' | 'sudo'>> & Pick<HostSsh, 'hostKey'>;
  }[];
  /** What goes to the hosts: every entry is `hosts/<host>/<path>` in the folder (docs/bundle.md). */
  files: ManifestFile[];
  /** The files of the folder itself, which no host receives: README.md and scripts/. */
  bundleFiles: BundleLevelFile[];
  /** Hosts that push updates one at a time, in order (docs/push.md): voting groups, hosts behind an entrypoint. */
  serial: SerialGroup[];
  /**
   * The secret files push creates on the hosts (docs/push.md): where each goes, its owner and
   * mode, the secrets it holds and how it is rendered; never a value. Not in the bundle folder.
   */
  secrets: SecretFile[];
  /**
   * What each host must have before its bundle works there (core/prerequisites.ts): push checks
   * these in its plan, before anything is uploaded.
   */
  prerequisites: Prerequisite[];
}

/** Hex SHA-256 of a text as UTF-8. */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** Stable order of files: bundle-level first, then by host in design order, then by path. */
export function sortFiles(files: BundleFile[], design: Design): BundleFile[] {
  const hostOrder = new Map(design.hosts.map((h, i) => [h.id as string, i]));
  return [...files].sort((a, b) => {
    const ha = a.host === undefined ? -1 : (hostOrder.get(a.host) ?? Number.MAX_SAFE_INTEGER);
    const hb = b.host === undefined ? -1 : (hostOrder.get(b.host) ?? Number.MAX_SAFE_INTEGER);
    return ha - hb || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  });
}

/** A function that returns the hex SHA-256 of a text's UTF-8 bytes. */
export type Sha256 = (text: string) => string;

/**
 * The manifest of a set of files. `hash` defaults to a pure-JS SHA-256 that runs anywhere; Node
 * callers pass the native one, which is many times faster on large bundles.
 */
export function buildManifest(
  designOrIndex: Design | DesignIndex,
  files: BundleFile[],
  hash: Sha256 = sha256Hex,
): Manifest {
  const index = designIndexOf(designOrIndex);
  const design = index.design;
  const hostsWithFiles = new Set(files.map((f) => f.host));
  return {
    format: 1,
    design: { name: design.name, sha256: hash(canonicalJson(design)) },
    hosts: design.hosts
      .filter((h) => hostsWithFiles.has(h.id))
      .map((h) => ({
        id: h.id,
        address: h.address,
        ssh: {
          user: h.ssh?.user ?? 'root',
          port: h.ssh?.port ?? 22,
          root: h.ssh?.root ?? '/',
          sudo: h.ssh?.sudo ?? false,
          ...(h.ssh?.hostKey ? { hostKey: h.ssh.hostKey } : {}),
        },
      })),
    files: files.flatMap((f) =>
      f.host === undefined
        ? []
        : [
            {
              host: f.host,
              path: f.path,
              sha256: hash(f.content),
              mode: f.mode,
              ...(f.owner ? { owner: f.owner } : {}),
              ...(f.check ? { check: f.check } : {}),
              ...(f.reload ? { reload: f.reload } : {}),
              policy: f.policy,
            },
          ],
    ),
    bundleFiles: files
      .filter((f) => f.host === undefined && f.path !== 'manifest.json')
      .map((f) => ({ path: f.path, sha256: hash(f.content), mode: f.mode })),
    serial: serialGroupsOf(index)
      .map((group) => ({
        ...group,
        hosts: group.hosts.filter((host) => hostsWithFiles.has(host)),
      }))
      .filter((group) => group.hosts.length >= 2),
    secrets: secretFilesOf(index).filter((file) => hostsWithFiles.has(file.host)),
    prerequisites: prerequisitesOf(
      index,
      files.filter((file) => file.host !== undefined),
    ),
  };
}

/** Where a file lives inside the bundle folder: `hosts/<host>/<path without its leading slash>`. */
export { bundlePathOf } from '../bundle-path';

/** JSON with object keys sorted, so that a hash does not depend on key order; `layout` is left out. */
export function canonicalJson(design: Design): string {
  const { layout: _layout, ...rest } = design;
  return JSON.stringify(rest, (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });
}
