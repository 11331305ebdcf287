/**
 * Secrets of a bundle (docs/push.md): the passwords and key files that the generated configs
 * refer to by path but never contain. The manifest lists every secret file a host needs (where it
 * goes, its owner and mode, which secrets it holds and how it is rendered) without a value; push
 * renders it on the architect's machine from the secret store (deploy/secrets) and uploads it
 * create-only, readable only by the service's user.
 *
 * A secret belongs to a scope: the group of the services that share it (a Sentinel group, a
 * replica set), or the service itself when it is in no group. Each daemon module says which secret
 * files its services need and what goes in them; this module is the catalogue and the dispatch.
 */
import type { DesignIndex } from '../design-index';
import { haproxySecretFiles, renderHaproxyStatsEnvironment } from './haproxy/stats';
import { mongodbSecretFiles, renderMongodbKeyfile } from './mongodb';
import {
  redisSecretFiles,
  renderRedisAcl,
  renderRedisReplication,
  renderSentinelAuth,
} from './redis/secrets';

/** How a secret's value is made: so many random bytes, written as hex or base64. */
export interface SecretEncoding {
  bytes: number;
  encoding: 'hex' | 'base64';
  /** What every value of this encoding matches; a store file edited by hand is checked against it. */
  pattern: RegExp;
}

/** A password: 32 random bytes as 64 hex digits, a bare token in every config syntax. */
const PASSWORD: SecretEncoding = { bytes: 32, encoding: 'hex', pattern: /^[0-9a-f]{64}$/ };

/**
 * A MongoDB key file: 756 random bytes as 1008 base64 characters, as the MongoDB manual's
 * `openssl rand -base64 756` makes it (6 to 1024 base64 characters are allowed).
 */
const KEYFILE: SecretEncoding = { bytes: 756, encoding: 'base64', pattern: /^[A-Za-z0-9+/]{1008}$/ };

/** Every secret Topoforge creates, what it is for, and how its value is made. */
export const SECRETS = {
  'redis-app': { ...PASSWORD, about: 'password of the Redis user "app" that clients log in as' },
  'redis-admin': { ...PASSWORD, about: 'password of the Redis user "admin", which may run every command' },
  'redis-replica': {
    ...PASSWORD,
    about: 'password of the Redis user "replica" that replicas log in to their primary as',
  },
  'redis-sentinel': { ...PASSWORD, about: 'password of the Redis user "sentinel" that Sentinels log in as' },
  'sentinel-auth': { ...PASSWORD, about: 'password of the Sentinels, for their clients and for each other' },
  'mongodb-keyfile': {
    ...KEYFILE,
    about: 'key file the members of a replica set authenticate each other with',
  },
  'haproxy-stats': {
    ...PASSWORD,
    about: 'password of the user "admin" of an exposed HAProxy statistics page',
  },
} as const satisfies Record<string, SecretEncoding & { about: string }>;

/** The name of a secret of {@link SECRETS}. */
export type SecretName = keyof typeof SECRETS;

/** True for a name of {@link SECRETS}. */
export function isSecretName(name: string): name is SecretName {
  return Object.prototype.hasOwnProperty.call(SECRETS, name);
}

/**
 * How a secret file is rendered from its secrets' values. Everything the renderer needs besides the
 * values is here, so push renders it from the manifest alone.
 */
export type SecretRender =
  /** A Redis ACL file (`aclfile`): the users and their passwords; `open` keeps the default user open. */
  | { kind: 'redis-acl'; open: boolean; replication: boolean }
  /** Included by redis.conf: `masteruser` and `masterauth`. */
  | { kind: 'redis-replication' }
  /** Included by sentinel.conf: its own `requirepass` and how it logs in to Redis and its peers. */
  | { kind: 'sentinel-auth'; masterName: string | null; group: boolean; clientAuth: boolean }
  /** A mongod `security.keyFile`. */
  | { kind: 'mongodb-keyfile' }
  /** An environment file for systemd, holding the statistics password HAProxy reads as `"${variable}"`. */
  | { kind: 'haproxy-stats'; variable: string };

/** A file a host needs that holds secrets: listed in the manifest, never in the bundle. */
export interface SecretFile {
  host: string;
  /** Absolute path on the host. */
  path: string;
  /** `user:group` of the service that reads it; only that user may read it. */
  owner: string;
  mode: '0400' | '0600';
  /** The group whose members share these secrets, or the service when it is in no group. */
  scope: string;
  /** The service that reads it. */
  service: string;
  secrets: SecretName[];
  render: SecretRender;
  /** What applies it once it is in place: the same restart as the service's config. */
  reload: string;
}

/** The value of a secret: `previous` is kept while a rotation rolls out. */
export interface SecretValue {
  current: string;
  previous?: string;
}

/** The values a secret file is rendered from, by secret name. */
export type SecretValues = Partial<Record<SecretName, SecretValue>>;

/** A secret file cannot be rendered: a value is missing or malformed. Never carries a value. */
export class SecretValueError extends Error {
  override name = 'SecretValueError';
  constructor(
    readonly secret: string,
    reason: string,
  ) {
    super(`secret ${secret}: ${reason}`);
  }
}

/** Every secret file of a design, per host in design order, then by path. */
export function secretFilesOf(index: DesignIndex): SecretFile[] {
  const hostOrder = new Map(index.design.hosts.map((host, position) => [host.id as string, position]));
  return [...redisSecretFiles(index), ...mongodbSecretFiles(index), ...haproxySecretFiles(index)]
    .sort(
      (a, b) =>
        (hostOrder.get(a.host) ?? 0) - (hostOrder.get(b.host) ?? 0) ||
        (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    )
    .map((file) => ({
      // One key order in every manifest, whichever daemon described the file.
      host: file.host,
      path: file.path,
      owner: file.owner,
      mode: file.mode,
      scope: file.scope,
      service: file.service,
      secrets: file.secrets,
      render: file.render,
      reload: file.reload,
    }));
}

/** A secret's value, checked against its encoding; throws without ever quoting the value. */
function checkedValue(values: SecretValues, name: SecretName): SecretValue {
  const value = values[name];
  if (value === undefined) throw new SecretValueError(name, 'no value was given');
  for (const [which, text] of [
    ['current', value.current],
    ['previous', value.previous],
  ] as const) {
    if (text !== undefined && !SECRETS[name].pattern.test(text)) {
      throw new SecretValueError(
        name,
        `its ${which} value is not ${SECRETS[name].bytes} random bytes in ${SECRETS[name].encoding}`,
      );
    }
  }
  return value;
}

/**
 * Accessors of checked values. While a rotation rolls out, whatever logs in somewhere keeps using
 * the previous value (`sent`) so that hosts not reached yet still let it in, and daemons that take
 * several values accept both (`accepted`); `rotate --finish` then retires the previous one.
 */
export interface CheckedSecrets {
  /** The value to log in with: the previous one while a rotation rolls out, else the current one. */
  sent(name: SecretName): string;
  /** The values to accept: the current one, and the previous one while a rotation rolls out. */
  accepted(name: SecretName): string[];
}

function checkedSecrets(values: SecretValues, names: readonly SecretName[]): CheckedSecrets {
  const checked = new Map(names.map((name) => [name, checkedValue(values, name)]));
  const get = (name: SecretName): SecretValue => {
    const value = checked.get(name);
    if (value === undefined) throw new SecretValueError(name, 'this file does not hold it');
    return value;
  };
  return {
    sent: (name) => get(name).previous ?? get(name).current,
    accepted: (name) => {
      const value = get(name);
      return value.previous === undefined ? [value.current] : [value.current, value.previous];
    },
  };
}

/** The content of a secret file, from its manifest entry and the values of its secrets. */
export function renderSecretFile(file: Pick<SecretFile, 'render' | 'secrets'>, values: SecretValues): string {
  const secrets = checkedSecrets(values, file.secrets);
  const render = file.render;
  switch (render.kind) {
    case 'redis-acl':
      return renderRedisAcl(render, secrets);
    case 'redis-replication':
      return renderRedisReplication(secrets);
    case 'sentinel-auth':
      return renderSentinelAuth(render, secrets);
    case 'mongodb-keyfile':
      return renderMongodbKeyfile(secrets);
    case 'haproxy-stats':
      return renderHaproxyStatsEnvironment(render, secrets);
  }
}
