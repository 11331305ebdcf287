/**
 * Collecting the configs of running hosts over SSH (docs/import.md): the targets as a person writes
 * them, the host ids they become, and the progress and report that `topoforge collect` and the
 * desktop's File › Import from hosts share. Plain data, so it crosses the desktop's IPC unchanged.
 */
import type { ConfirmedHostKey } from './host';
import { idFrom } from './import/build-design';
import type { ImportFile, ImportProblem } from './import/build-design';
import type { HostKeyInfo, HostKeyTrust, RefusedHostKey } from './push';

/** A target as the user wrote it: `user@address[:port]`. */
export interface CollectTarget {
  user: string;
  address: string;
  port: number;
  /** Path prefix on this host instead of the run's (a staged copy, like a design's `ssh.root`). */
  root?: string;
}

/** Parses `user@address[:port]` (`[v6]:port` for IPv6); undefined when it is not one. */
export function parseTarget(text: string): CollectTarget | undefined {
  const match = /^(?:([a-z_][a-z0-9_.-]*)@)?(\[[^\]]+\]|[^:@[\]\s]+)(?::(\d{1,5}))?$/i.exec(text);
  if (!match) return undefined;
  const port = match[3] === undefined ? 22 : Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { user: match[1] ?? 'root', address: match[2]!.replace(/^\[|\]$/g, ''), port };
}

/** Which host id a target gets: its DNS name, or `host-` and its address. */
export function hostIdOf(target: CollectTarget): string {
  return /^[a-z]/i.test(target.address) && !target.address.includes(':')
    ? idFrom(target.address)
    : idFrom(`host-${target.address}`);
}

/**
 * The host id of every target, in order: a target whose id is taken already (the same address
 * twice, on two ports) gets `-2`, `-3`, … so no two hosts of the folder share one.
 */
export function hostIdsOf(targets: readonly CollectTarget[]): string[] {
  const seen = new Set<string>();
  return targets.map((target) => {
    let id = hostIdOf(target);
    for (let suffix = 2; seen.has(id); suffix += 1) id = `${hostIdOf(target)}-${suffix}`;
    seen.add(id);
    return id;
  });
}

/** Where one host's collection is: each host goes through these in order, ending done or failed. */
export type CollectState = 'connecting' | 'collecting' | 'done' | 'failed';

/**
 * Progress of a collection, host by host: a state change (with the reason when it failed, and the
 * refused key when the host key was the reason), or a file fetched with the host's totals so far.
 */
export type CollectEvent =
  | {
      type: 'state';
      host: string;
      address: string;
      port: number;
      state: CollectState;
      /** Why the host failed, as a sentence. */
      reason?: string;
      /** The key the host presented, when it was refused (an unknown key the person may trust). */
      refusedKey?: RefusedHostKey;
    }
  | {
      type: 'file';
      host: string;
      /** The path on the host. */
      path: string;
      /** Files fetched from this host so far, this one included. */
      files: number;
      /** Bytes fetched from this host so far. */
      bytes: number;
      /** Files known to be wanted from this host so far (includes add to it as they are read). */
      wanted: number;
    };

/** What a collection did on one host. */
export interface CollectedHostReport {
  host: string;
  address: string;
  port: number;
  user: string;
  state: 'done' | 'failed';
  /** Files fetched and their bytes. */
  files: number;
  bytes: number;
  /** What could not be read or was refused, with the path on the host where there is one. */
  problems: { path?: string; message: string }[];
  /** The key the host presented and why it was trusted. */
  hostKey?: HostKeyInfo & { trust: HostKeyTrust };
  /** The key the host presented when it was refused. */
  refusedKey?: RefusedHostKey;
}

/** The desktop's File › Import from hosts: the targets, and the unknown keys the person trusted. */
export interface CollectRequest {
  /** `user@address[:port]`, one per host. */
  targets: string[];
  /**
   * Unknown host keys the person trusted, by the host id of their target ({@link hostIdsOf}). Any
   * other unknown key is refused and reported with its fingerprint; a changed key is always refused.
   */
  confirmedHostKeys?: ConfirmedHostKey[];
}

/**
 * What a collection gave: per host its outcome, and the folder's files (the bundle layout plus
 * `inventory.json`) for the same import as File › Import folder. A cancelled collection has no
 * files: nothing of it is kept.
 */
export interface CollectReport {
  cancelled: boolean;
  hosts: CollectedHostReport[];
  files: ImportFile[];
  /** Files of the folder that could not be read as configs (too large, not a regular file). */
  problems: ImportProblem[];
}
