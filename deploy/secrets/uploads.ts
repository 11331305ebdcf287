/**
 * What push uploads for a bundle's secrets (docs/push.md): for each host, the secret files its
 * manifest lists, rendered on this machine from the secret store, each secret created on first
 * use. Push uploads them beside the bundle's files, readable only by the service's user, and never
 * shows their content: in plans and diffs they read {@link SECRET_NOT_SHOWN}.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { FilePolicy, Manifest } from '../../core/generate/bundle';
import { isSecretName, renderSecretFile } from '../../core/generate/secrets';
import type { SecretFile, SecretName, SecretRender } from '../../core/generate/secrets';
import { ID_REGEX } from '../../core/schema/patterns';
import type { SecretStore } from './store';

/** What plans, diffs and reports show instead of a secret file's content. */
export const SECRET_NOT_SHOWN = 'secret, not shown';

/** A secret file ready to upload: like a bundle file, with its content rendered here. */
export interface SecretUpload {
  host: string;
  /** Absolute path on the host, without `ssh.root`. */
  path: string;
  /** Never logged, diffed or reported. */
  content: Buffer;
  /**
   * Push compares it with the host's file; a hash of random bytes gives nothing away. Empty, with
   * an empty content, in a dry run's plan of secrets not created yet.
   */
  sha256: string;
  /** Permission bits, 0o400 or 0o600. */
  mode: number;
  /** `user:group`; root-owned 0600 until the user exists (docs/push.md) is push's call. */
  owner: string;
  reload: string;
  /** `create-only`, unless a rotation of its scope rolls out: then `replace`. */
  policy: FilePolicy;
  scope: string;
  secrets: SecretName[];
}

/** A manifest's `secrets` is not what Topoforge writes; `path` is the JSON path. */
export class SecretManifestError extends Error {
  override name = 'SecretManifestError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const OWNER = /^[a-z_][a-z0-9_-]{0,31}:[a-z_][a-z0-9_-]{0,31}$/;
const VARIABLE = /^[A-Z][A-Z0-9_]{0,127}$/;
/** What the Redis generator writes bare into a Sentinel directive (a master name). */
const MASTER_NAME = /^[A-Za-z0-9._:/@+=,-]{1,4096}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readRender(raw: unknown, at: string): SecretRender {
  const fail = (message: string): never => {
    throw new SecretManifestError(message, at);
  };
  if (!isRecord(raw)) return fail('expected an object');
  switch (raw.kind) {
    case 'redis-acl':
      if (typeof raw.open !== 'boolean' || typeof raw.replication !== 'boolean')
        return fail('expected open and replication');
      return { kind: 'redis-acl', open: raw.open, replication: raw.replication };
    case 'redis-replication':
      return { kind: 'redis-replication' };
    case 'sentinel-auth':
      if (
        raw.masterName !== null &&
        (typeof raw.masterName !== 'string' || !MASTER_NAME.test(raw.masterName))
      )
        return fail('expected masterName, a plain token or null');
      if (typeof raw.group !== 'boolean' || typeof raw.clientAuth !== 'boolean')
        return fail('expected group and clientAuth');
      return {
        kind: 'sentinel-auth',
        masterName: raw.masterName,
        group: raw.group,
        clientAuth: raw.clientAuth,
      };
    case 'mongodb-keyfile':
      return { kind: 'mongodb-keyfile' };
    case 'haproxy-stats':
      if (typeof raw.variable !== 'string' || !VARIABLE.test(raw.variable))
        return fail('expected an environment variable name');
      return { kind: 'haproxy-stats', variable: raw.variable };
    default:
      return fail(`unknown kind ${JSON.stringify(raw.kind)}`);
  }
}

/**
 * A manifest's `secrets`, checked entry by entry: a manifest is read from disk, where anyone may
 * have edited it, and these entries decide what is written where, as whom.
 */
export function readSecretFiles(raw: unknown, hosts: ReadonlySet<string>): SecretFile[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new SecretManifestError('expected a list of secret files', '$.secrets');
  const seen = new Set<string>();
  return raw.map((entry, index): SecretFile => {
    const at = `$.secrets[${index}]`;
    const fail = (key: string, message: string): never => {
      throw new SecretManifestError(message, `${at}.${key}`);
    };
    if (!isRecord(entry)) throw new SecretManifestError('expected an object', at);
    const { host, path, owner, mode, scope, service, secrets, reload } = entry;
    if (typeof host !== 'string' || !hosts.has(host)) return fail('host', 'expected a host of $.hosts');
    if (
      typeof path !== 'string' ||
      !path.startsWith('/') ||
      posix.normalize(path) !== path ||
      /[\p{Cc}\\\s]/u.test(path)
    )
      return fail('path', 'expected a plain absolute path');
    if (seen.has(`${host}\n${path}`)) return fail('path', `${path} is listed twice for host ${host}`);
    seen.add(`${host}\n${path}`);
    if (typeof owner !== 'string' || !OWNER.test(owner)) return fail('owner', 'expected user:group');
    if (mode !== '0400' && mode !== '0600')
      return fail('mode', 'expected 0400 or 0600: only its owner may read a secret');
    if (typeof scope !== 'string' || !ID_REGEX.test(scope))
      return fail('scope', 'expected a group or service id');
    if (typeof service !== 'string' || !ID_REGEX.test(service))
      return fail('service', 'expected a service id');
    if (
      !Array.isArray(secrets) ||
      secrets.length === 0 ||
      secrets.some((name) => typeof name !== 'string' || !isSecretName(name))
    )
      return fail('secrets', 'expected names of secrets Topoforge knows');
    if (typeof reload !== 'string' || reload === '') return fail('reload', 'expected a command');
    return {
      host,
      path,
      owner,
      mode,
      scope,
      service,
      secrets: secrets as SecretName[],
      render: readRender(entry.render, `${at}.render`),
      reload,
    };
  });
}

/**
 * The secret files of every host (or of `hosts` only), rendered from the store: each scope's
 * secrets are created once, shared by every file of the scope, whichever hosts are pushed.
 */
export async function prepareSecretUploads(
  manifest: Pick<Manifest, 'design' | 'hosts'> & { secrets?: unknown },
  store: SecretStore,
  options: {
    hosts?: Iterable<string>;
    /**
     * False for a dry run: nothing is created or recorded, and a file whose secrets do not exist
     * yet comes with no content (it can only be created, which needs none to plan).
     */
    create?: boolean;
  } = {},
): Promise<Map<string, SecretUpload[]>> {
  const files = readSecretFiles(manifest.secrets, new Set(manifest.hosts.map((host) => host.id)));
  const wanted = options.hosts === undefined ? undefined : new Set(options.hosts);
  const byScope = new Map<string, SecretFile[]>();
  for (const file of files) byScope.set(file.scope, [...(byScope.get(file.scope) ?? []), file]);

  const uploads = new Map<string, SecretUpload[]>();
  for (const [scope, scopeFiles] of byScope) {
    const selected = scopeFiles.filter((file) => wanted === undefined || wanted.has(file.host));
    if (selected.length === 0) continue;
    // Every secret and host of the scope, so that a push of some hosts creates what all will share.
    const names = [...new Set(scopeFiles.flatMap((file) => file.secrets))].sort();
    const hosts = [...new Set(scopeFiles.map((file) => file.host))];
    const stored =
      options.create === false
        ? await store.peek(manifest.design.name, scope, names)
        : await store.ensure(manifest.design.name, scope, names, hosts);
    const rolloutPending = stored?.rolloutPending ?? false;
    for (const file of selected) {
      const content =
        stored === undefined ? Buffer.alloc(0) : Buffer.from(renderSecretFile(file, stored.values), 'utf8');
      const upload: SecretUpload = {
        host: file.host,
        path: file.path,
        content,
        sha256: stored === undefined ? '' : createHash('sha256').update(content).digest('hex'),
        mode: Number.parseInt(file.mode, 8),
        owner: file.owner,
        reload: file.reload,
        policy: rolloutPending ? 'replace' : 'create-only',
        scope,
        secrets: file.secrets,
      };
      uploads.set(file.host, [...(uploads.get(file.host) ?? []), upload]);
    }
  }
  return uploads;
}

/**
 * After a push that gave every host of these scopes its secret files: later pushes go back to
 * create-only (or, mid-rotation, wait for `rotate --finish`).
 */
export async function completeSecretRollouts(
  manifest: Pick<Manifest, 'design'>,
  store: SecretStore,
  scopes: Iterable<string>,
): Promise<void> {
  for (const scope of new Set(scopes)) await store.markRolledOut(manifest.design.name, scope);
}
