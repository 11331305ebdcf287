/**
 * `topoforge collect` (docs/import.md): reads the configs of running hosts over SSH into an import
 * folder (`hosts/<host>/<path>` plus `inventory.json`). It only reads: every remote command is a
 * `stat`, a shell glob or a `base64` of a file, nothing is written on a host. It uses push's
 * connection and host-key policy (known_hosts, --accept-new, --identity) unchanged.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseBlockConfig } from '../../core/import/block-config';
import { idFrom } from '../../core/import/build-design';
import { shellQuote } from '../../core/shell';
import { DEFAULT_READY_TIMEOUT_MS, SshConnection, prepareCredentials } from '../push/connection';
import type { ConnectOptions } from '../push/connection';
import { HostKeyVerifier } from '../push/host-key';
import type { HostKeyDecision } from '../push/host-key';
import { KnownHosts } from '../push/known-hosts';
import type { HostKeyPolicy, PushAuthentication } from '../push/types';

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

/** A target as the user wrote it: `user@address[:port]`. */
export interface CollectTarget {
  user: string;
  address: string;
  port: number;
}

/** Parses `user@address[:port]` (`[v6]:port` for IPv6); undefined when it is not one. */
export function parseTarget(text: string): CollectTarget | undefined {
  const match = /^(?:([a-z_][a-z0-9_.-]*)@)?(\[[^\]]+\]|[^:@[\]]+)(?::(\d{1,5}))?$/i.exec(text);
  if (!match) return undefined;
  const port = match[3] === undefined ? 22 : Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { user: match[1] ?? 'root', address: match[2]!.replace(/^\[|\]$/g, ''), port };
}

/** What collect did on one host. */
export interface CollectedHost {
  host: string;
  address: string;
  port: number;
  user: string;
  /** Paths on the host that were written into the folder. */
  files: string[];
  /** What could not be read, or was refused (size, include loop, host key), with the path. */
  problems: { path?: string; message: string }[];
}

/** Options of {@link collect}. */
export interface CollectOptions {
  targets: CollectTarget[];
  out: string;
  authentication: PushAuthentication;
  hostKeys: HostKeyPolicy;
  /** Path prefix on every host (like a design's `ssh.root`); default `/`. */
  root?: string;
  connectTimeoutMs?: number;
  /** Seen as each host starts and ends, for a progress display. */
  onProgress?: (host: string, state: 'connecting' | 'reading' | 'done' | 'failed', files: number) => void;
}

/** Which host id a target gets: its DNS name, or `host-` and its address. */
export function hostIdOf(target: CollectTarget): string {
  return /^[a-z]/i.test(target.address) && !target.address.includes(':')
    ? idFrom(target.address)
    : idFrom(`host-${target.address}`);
}

/** A remote path with the root prefix, quoted, with a glob's `*` left to the shell. */
function remoteGlob(root: string, pattern: string): string {
  const full = `${root === '/' ? '' : root.replace(/\/$/, '')}${pattern}`;
  return full
    .split('*')
    .map((part) => (part === '' ? '' : shellQuote(part)))
    .join('*');
}

const SAFE_PATTERN = /^\/[A-Za-z0-9_.*/@+-]+$/;

/** Collects every target into `out`; writes `inventory.json` last. Never throws for a host's failure. */
export async function collect(options: CollectOptions): Promise<CollectedHost[]> {
  const root = options.root ?? '/';
  const knownHosts = await KnownHosts.load(options.hostKeys.knownHosts);
  const credentials = await prepareCredentials(options.authentication);
  const verifier = new HostKeyVerifier({ knownHosts, acceptNew: options.hostKeys.acceptNew === true });
  const results: CollectedHost[] = [];
  const seen = new Set<string>();
  for (const target of options.targets) {
    let id = hostIdOf(target);
    for (let suffix = 2; seen.has(id); suffix += 1) id = `${hostIdOf(target)}-${suffix}`;
    seen.add(id);
    const result: CollectedHost = {
      host: id,
      address: target.address,
      port: target.port,
      user: target.user,
      files: [],
      problems: [],
    };
    results.push(result);
    options.onProgress?.(id, 'connecting', 0);
    let decision: HostKeyDecision | undefined;
    const pushHost = { id, address: target.address, port: target.port, user: target.user, root, sudo: false };
    const connectOptions: ConnectOptions = {
      address: target.address,
      port: target.port,
      user: target.user,
      credentials,
      preferredKeyTypes: verifier.preferredKeyTypes(pushHost),
      readyTimeoutMs: options.connectTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      verifyHostKey: async (key) => {
        decision = await verifier.verify(pushHost, key);
        return decision.trusted;
      },
    };
    let connection: SshConnection;
    try {
      connection = await SshConnection.open(connectOptions);
    } catch (error) {
      const message = decision && !decision.trusted ? decision.reason : (error as Error).message;
      result.problems.push({ message });
      options.onProgress?.(id, 'failed', 0);
      continue;
    }
    try {
      options.onProgress?.(id, 'reading', 0);
      await readHost(connection, root, id, options.out, result);
      options.onProgress?.(id, result.problems.length === 0 ? 'done' : 'failed', result.files.length);
    } catch (error) {
      result.problems.push({ message: (error as Error).message });
      options.onProgress?.(id, 'failed', result.files.length);
    } finally {
      connection.close();
    }
  }
  await mkdir(options.out, { recursive: true });
  const inventory = results.map((entry) => ({
    host: entry.host,
    address: entry.address,
    ssh: { user: entry.user, port: entry.port, ...(root === '/' ? {} : { root }) },
  }));
  await writeFile(join(options.out, 'inventory.json'), `${JSON.stringify(inventory, null, 2)}\n`);
  return results;
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
  id: string,
  out: string,
  result: CollectedHost,
): Promise<void> {
  const fetched = new Map<string, string>();
  const prefix = root === '/' ? '' : root.replace(/\/$/, '');
  const fetch = async (path: string, size: number): Promise<string | undefined> => {
    if (fetched.has(path)) return fetched.get(path);
    if (size > COLLECT_FILE_LIMIT) {
      result.problems.push({
        path,
        message: `${size} bytes: larger than the ${COLLECT_FILE_LIMIT}-byte limit for a config; not read`,
      });
      return undefined;
    }
    const read = await connection.exec(`base64 -w0 -- ${shellQuote(`${prefix}${path}`)}`, '');
    if (read.code !== 0) {
      result.problems.push({ path, message: `cannot read it: ${read.stderr.trim() || `exit ${read.code}`}` });
      return undefined;
    }
    const content = Buffer.from(read.stdout.trim(), 'base64');
    const target = join(out, 'hosts', id, ...path.split('/').filter(Boolean));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    result.files.push(path);
    const text = content.toString('utf8');
    fetched.set(path, text);
    return text;
  };

  for (const [path, size] of await list(connection, root, KNOWN_CONFIG_PATHS)) {
    const text = await fetch(path, size);
    if (text === undefined) continue;
    if (path === '/etc/nginx/nginx.conf') await follow(path, text, 'semicolon', '/etc/nginx/', [path]);
    if (path === '/etc/keepalived/keepalived.conf')
      await follow(path, text, 'newline', '/etc/keepalived/', [path]);
  }

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
      for (const [included, size] of await list(connection, root, [pattern])) {
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
