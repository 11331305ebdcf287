/**
 * `topoforge collect` (docs/import.md): reads the configs of running hosts over SSH into an import
 * folder (`hosts/<host>/<path>` plus `inventory.json`). It only reads: every remote command is a
 * `stat`, a shell glob or a `base64` of a file, nothing is written on a host. It uses push's
 * connection and host-key policy (known_hosts, --accept-new, --identity) unchanged.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseBlockConfig } from '../../core/import/block-config';
import { hostIdsOf } from '../../core/collect';
import type { CollectEvent, CollectState, CollectTarget } from '../../core/collect';
import { shellQuote } from '../../core/shell';
import {
  CancelledError,
  DEFAULT_READY_TIMEOUT_MS,
  SshConnection,
  prepareCredentials,
} from '../push/connection';
import { HostKeyVerifier } from '../push/host-key';
import type { HostKeyDecision } from '../push/host-key';
import { KnownHosts } from '../push/known-hosts';
import type {
  HostKeyInfo,
  HostKeyPolicy,
  HostKeyTrust,
  PushAuthentication,
  RefusedHostKey,
} from '../push/types';

/** Files larger than this are not configs: collect names them and leaves them. */
export const COLLECT_FILE_LIMIT = 1024 * 1024;

/**
 * The known config paths, as shell globs (docs/import.md). Secret files (Redis ACL and auth
 * includes, the MongoDB key file) are not among them, and includes of Redis configs are not
 * followed for that reason.
 */
export const KNOWN_CONFIG_PATHS: readonly string[] = [
  '/etc/nginx/nginx.conf',
  '/etc/haproxy/haproxy.cfg',
  '/etc/keepalived/keepalived.conf',
  '/etc/redis/redis.conf',
  '/etc/redis/redis-*.conf',
  '/etc/redis/sentinel.conf',
  '/etc/redis/sentinel-*.conf',
  '/etc/mongod.conf',
  '/etc/mongod-*.conf',
  '/etc/systemd/system/*.service',
  '/etc/systemd/system/*.mount',
];

export { hostIdOf, parseTarget } from '../../core/collect';
export type { CollectTarget } from '../../core/collect';

/** What collect did on one host. */
export interface CollectedHost {
  host: string;
  address: string;
  port: number;
  user: string;
  /** Paths on the host that were written into the folder. */
  files: string[];
  /** Bytes of those files. */
  bytes: number;
  /** What could not be read, or was refused (size, include loop, host key), with the path. */
  problems: { path?: string; message: string }[];
  /** The key the host presented and why it was trusted. */
  hostKey?: HostKeyInfo & { trust: HostKeyTrust };
  /** The key the host presented when it was refused. */
  refusedKey?: RefusedHostKey;
  /** Done: connected and read (problems with single files are listed); failed: not read. */
  state: 'done' | 'failed';
  /** The collection was cancelled before this host was done. */
  cancelled?: boolean;
}

/** Options of {@link collect}. */
export interface CollectOptions {
  targets: CollectTarget[];
  out: string;
  authentication: PushAuthentication;
  /** known_hosts, `acceptNew`, and `confirm` for an unknown key (asked with no connection open). */
  hostKeys: HostKeyPolicy;
  /** Path prefix on every host (like a design's `ssh.root`); default `/`. A target's own wins. */
  root?: string;
  connectTimeoutMs?: number;
  /** Hosts read at once; default 8, as push. */
  concurrency?: number;
  /**
   * Stops the collection: hosts not started are not read, and a host being read is disconnected
   * at once; each ends failed with `cancelled` set. The folder keeps what was fetched before.
   */
  signal?: AbortSignal;
  /** Progress, host by host: each state change, and each file fetched with the host's totals. */
  onEvent?: (event: CollectEvent) => void;
}

/** Hosts read at once by default, as push. */
export const DEFAULT_COLLECT_CONCURRENCY = 8;

/** A remote path with the root prefix, quoted, with a glob's `*` left to the shell. */
function remoteGlob(root: string, pattern: string): string {
  const full = `${root === '/' ? '' : root.replace(/\/$/, '')}${pattern}`;
  return full
    .split('*')
    .map((part) => (part === '' ? '' : shellQuote(part)))
    .join('*');
}

const SAFE_PATTERN = /^\/[A-Za-z0-9_.*/@+-]+$/;

/** Why a host stopped when the collection was cancelled. */
const CANCELLED = 'cancelled: not read';

/**
 * Collects every target into `out`; writes `inventory.json` last. Never throws for a host's
 * failure: it is reported on the host (and as a `failed` event) and the other hosts go on.
 */
export async function collect(options: CollectOptions): Promise<CollectedHost[]> {
  const defaultRoot = options.root ?? '/';
  const knownHosts = await KnownHosts.load(options.hostKeys.knownHosts);
  const credentials = await prepareCredentials(options.authentication);
  const verifier = new HostKeyVerifier({
    knownHosts,
    acceptNew: options.hostKeys.acceptNew === true,
    ...(options.hostKeys.confirm ? { confirm: options.hostKeys.confirm } : {}),
    ...(options.hostKeys.record !== undefined ? { record: options.hostKeys.record } : {}),
  });
  const ids = hostIdsOf(options.targets);
  const results: CollectedHost[] = options.targets.map((target, index) => ({
    host: ids[index]!,
    address: target.address,
    port: target.port,
    user: target.user,
    files: [],
    bytes: 0,
    problems: [],
    state: 'failed',
  }));
  const emit = (event: CollectEvent): void => options.onEvent?.(event);
  const state = (result: CollectedHost, value: CollectState, reason?: string): void =>
    emit({
      type: 'state',
      host: result.host,
      address: result.address,
      port: result.port,
      state: value,
      ...(reason !== undefined ? { reason } : {}),
      ...(result.refusedKey ? { refusedKey: result.refusedKey } : {}),
    });

  const collectHost = async (index: number): Promise<void> => {
    const target = options.targets[index]!;
    const result = results[index]!;
    const root = target.root ?? defaultRoot;
    const cancelled = (): void => {
      result.cancelled = true;
      result.problems.push({ message: CANCELLED });
      state(result, 'failed', CANCELLED);
    };
    if (options.signal?.aborted) return cancelled();
    state(result, 'connecting');
    const pushHost = {
      id: result.host,
      address: target.address,
      port: target.port,
      user: target.user,
      root,
      sudo: false,
    };
    let decision: HostKeyDecision | undefined;
    let confirmed: HostKeyDecision | undefined;
    const attempt = (): Promise<SshConnection> =>
      SshConnection.open({
        address: target.address,
        port: target.port,
        user: target.user,
        credentials,
        preferredKeyTypes: verifier.preferredKeyTypes(pushHost),
        readyTimeoutMs: options.connectTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
        verifyHostKey: async (key) => {
          decision = await verifier.verify(pushHost, key);
          if (decision.trusted && confirmed?.trusted) decision = confirmed;
          return decision.trusted;
        },
      });
    let connection: SshConnection;
    try {
      try {
        connection = await attempt();
      } catch (error) {
        // An unknown key the caller may confirm is asked about with no connection open, as push does.
        if (!decision || decision.trusted || decision.ask === undefined || options.signal?.aborted)
          throw error;
        confirmed = await verifier.ask(pushHost, decision);
        if (!confirmed.trusted) {
          decision = confirmed;
          throw error;
        }
        decision = undefined;
        connection = await attempt();
      }
    } catch (error) {
      if (options.signal?.aborted) return cancelled();
      if (decision && !decision.trusted) result.refusedKey = { ...decision.key, state: decision.refusal };
      const message = decision && !decision.trusted ? decision.reason : (error as Error).message;
      result.problems.push({ message });
      state(result, 'failed', message);
      return;
    }
    if (decision?.trusted) result.hostKey = { ...decision.key, trust: decision.trust };
    const onAbort = (): void => connection.close();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      state(result, 'collecting');
      await readHost(connection, root, result, options.out, emit, options.signal);
      if (options.signal?.aborted) return cancelled();
      result.state = 'done';
      state(result, 'done');
    } catch (error) {
      if (options.signal?.aborted) return cancelled();
      const message = connection.lost
        ? `the connection was lost: ${connection.lost}`
        : (error as Error).message;
      result.problems.push({ message });
      state(result, 'failed', message);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      connection.close();
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.targets.length) await collectHost(next++);
  };
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_COLLECT_CONCURRENCY);
  await Promise.all(Array.from({ length: Math.min(concurrency, options.targets.length) }, worker));

  await mkdir(options.out, { recursive: true });
  const inventory = results.map((entry, index) => {
    const root = options.targets[index]!.root ?? defaultRoot;
    return {
      host: entry.host,
      address: entry.address,
      ssh: { user: entry.user, port: entry.port, ...(root === '/' ? {} : { root }) },
    };
  });
  await writeFile(join(options.out, 'inventory.json'), `${JSON.stringify(inventory, null, 2)}\n`);
  return results;
}

/** A `*.wants/` entry of the unit directory, by a name systemd could have written. */
const WANTS_ENTRY = /^\/etc\/systemd\/system\/[A-Za-z0-9@_.:-]+\.wants\/[A-Za-z0-9@_.:-]+$/;

/**
 * Records which units are enabled: each `*.wants/` link of the unit directory becomes a file of the
 * folder at its path, holding the link's target. Import reads a fetched unit that no `*.wants/`
 * entry names as a cold standby (installed, not started at boot). Only reads: `readlink`.
 */
async function recordEnabledUnits(
  connection: SshConnection,
  root: string,
  result: CollectedHost,
  out: string,
): Promise<void> {
  const glob = remoteGlob(root, '/etc/systemd/system/*.wants/*');
  const script = `for f in ${glob}; do if [ -L "$f" ]; then printf '%s\\t%s\\n' "$f" "$(readlink -- "$f")"; fi; done`;
  const listed = await connection.exec(`sh -c ${shellQuote(script)}`, '');
  const prefix = root === '/' ? '' : root.replace(/\/$/, '');
  for (const line of listed.stdout.split('\n')) {
    const [full, target] = line.split('\t');
    const path = full?.slice(prefix.length);
    if (path === undefined || target === undefined || !WANTS_ENTRY.test(path)) continue;
    const file = join(out, 'hosts', result.host, ...path.split('/').filter(Boolean));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${target}\n`);
  }
}

/** Lists the files matching `patterns` with their sizes: `size<TAB>path` lines. */
async function list(
  connection: SshConnection,
  root: string,
  patterns: readonly string[],
): Promise<Map<string, number>> {
  const globs = patterns.map((pattern) => remoteGlob(root, pattern)).join(' ');
  // Read-only: the shell expands the globs and stat prints sizes; nothing is created or changed.
  const script = `for f in ${globs}; do if [ -f "$f" ]; then printf '%s\\t%s\\n' "$(stat -L -c %s -- "$f")" "$f"; fi; done`;
  const result = await connection.exec(`sh -c ${shellQuote(script)}`, '');
  const files = new Map<string, number>();
  const prefix = root === '/' ? '' : root.replace(/\/$/, '');
  for (const line of result.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    files.set(line.slice(tab + 1).slice(prefix.length), Number(line.slice(0, tab)));
  }
  return files;
}

async function readHost(
  connection: SshConnection,
  root: string,
  result: CollectedHost,
  out: string,
  emit: (event: CollectEvent) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const fetched = new Map<string, string>();
  const prefix = root === '/' ? '' : root.replace(/\/$/, '');
  let wanted = 0;
  const fetch = async (path: string, size: number): Promise<string | undefined> => {
    if (fetched.has(path)) return fetched.get(path);
    if (size > COLLECT_FILE_LIMIT) {
      result.problems.push({
        path,
        message: `${size} bytes: larger than the ${COLLECT_FILE_LIMIT}-byte limit for a config; not read`,
      });
      return undefined;
    }
    const read = await connection.exec(`base64 -w0 -- ${shellQuote(`${prefix}${path}`)}`, '', {
      ...(signal ? { signal } : {}),
    });
    if (read.code !== 0) {
      result.problems.push({ path, message: `cannot read it: ${read.stderr.trim() || `exit ${read.code}`}` });
      return undefined;
    }
    const content = Buffer.from(read.stdout.trim(), 'base64');
    const target = join(out, 'hosts', result.host, ...path.split('/').filter(Boolean));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    // A cancel that came while the file was written: the host stops here, the file is not counted.
    if (signal?.aborted) throw new CancelledError();
    result.files.push(path);
    result.bytes += content.length;
    emit({ type: 'file', host: result.host, path, files: result.files.length, bytes: result.bytes, wanted });
    const text = content.toString('utf8');
    fetched.set(path, text);
    return text;
  };

  const known = await list(connection, root, KNOWN_CONFIG_PATHS);
  wanted += [...known.values()].filter((size) => size <= COLLECT_FILE_LIMIT).length;
  for (const [path, size] of known) {
    const text = await fetch(path, size);
    if (text === undefined) continue;
    if (path === '/etc/nginx/nginx.conf') await follow(path, text, 'semicolon', '/etc/nginx/', [path]);
    if (path === '/etc/keepalived/keepalived.conf')
      await follow(path, text, 'newline', '/etc/keepalived/', [path]);
  }
  await recordEnabledUnits(connection, root, result, out);

  // Follows the `include` directives of an nginx or keepalived config, globs included.
  async function follow(
    path: string,
    text: string,
    end: 'semicolon' | 'newline',
    base: string,
    stack: string[],
  ): Promise<void> {
    const parsed = parseBlockConfig(text, end);
    if (!parsed.ok) return; // import reports the file with its line
    const includes: string[] = [];
    const walk = (directives: typeof parsed.directives): void => {
      for (const directive of directives) {
        if (directive.name === 'include' && directive.args[0] !== undefined) includes.push(directive.args[0]);
        if (directive.block) walk(directive.block);
      }
    };
    walk(parsed.directives);
    for (const include of includes) {
      const pattern = include.startsWith('/') ? include : `${base}${include}`;
      if (!SAFE_PATTERN.test(pattern) || pattern.includes('/../')) {
        result.problems.push({
          path,
          message: `include ${include}: not followed (only plain paths and * globs are)`,
        });
        continue;
      }
      const matched = await list(connection, root, [pattern]);
      wanted += [...matched].filter(
        ([included, size]) =>
          size <= COLLECT_FILE_LIMIT && !fetched.has(included) && !stack.includes(included),
      ).length;
      for (const [included, size] of matched) {
        if (stack.includes(included)) {
          result.problems.push({
            path: included,
            message: `include loop: ${[...stack, included].join(' includes ')}`,
          });
          continue;
        }
        const includedText = await fetch(included, size);
        if (includedText !== undefined) await follow(included, includedText, end, base, [...stack, included]);
      }
    }
  }
}
