/**
 * The secret files push may write, as the daemon catalogue (core/daemons.ts) gives them: a
 * manifest is data anyone can edit, and a secret file's path, owner, mode and reload decide what
 * push writes where and runs as root, so each is checked against what the generators write before
 * anything is pushed, exactly as a bundle file's are.
 */
import { MONGOD, REDIS, SENTINEL } from '../../core/daemons';
import type { ConfiguredDaemon } from '../../core/daemons';
import type { SecretFile } from '../../core/generate/secrets';
import { shellCommand } from '../../core/shell';

/** A field of a secret file that no descriptor gives, and what it should be. */
export interface SecretCatalogueProblem {
  field: 'path' | 'owner' | 'mode' | 'reload';
  message: string;
}

/** What the generators write for each way of rendering a secret file. */
interface SecretDescriptor {
  what: string;
  /** The paths and reloads allowed for the file of `service`. */
  places(service: string): { path: string; reloads: string[] }[];
  owner: string;
  modes: readonly string[];
}

/**
 * The per-service daemon's config paths for `service` (the distribution's one, or the one named
 * after the service), with `.conf` replaced by `suffix`, and the restarts of their units.
 */
function besideConfig(daemon: ConfiguredDaemon, suffix: string) {
  return (service: string): { path: string; reloads: string[] }[] =>
    [
      { config: daemon.configPath, unit: daemon.unit },
      {
        config: `${daemon.directory}/${daemon.prefix}-${service}.conf`,
        unit: `${daemon.prefix}-${service}.service`,
      },
    ].map(({ config, unit }) => ({
      path: config.replace(/\.conf$/u, suffix),
      reloads: daemon.reloads(unit).map((words) => shellCommand(words)),
    }));
}

const DESCRIPTORS: Record<SecretFile['render']['kind'], SecretDescriptor> = {
  'redis-acl': {
    what: 'a Redis ACL file',
    places: besideConfig(REDIS, '.acl'),
    owner: 'redis:redis',
    modes: ['0600'],
  },
  'redis-replication': {
    what: "a Redis server's replication login",
    places: besideConfig(REDIS, '.auth.conf'),
    owner: 'redis:redis',
    modes: ['0400'],
  },
  'sentinel-auth': {
    what: "a Sentinel's passwords",
    places: besideConfig(SENTINEL, '.auth.conf'),
    owner: 'redis:redis',
    modes: ['0400'],
  },
  'mongodb-keyfile': {
    what: 'a MongoDB key file',
    places: besideConfig(MONGOD, '.keyfile'),
    owner: 'mongodb:mongodb',
    modes: ['0400'],
  },
  'haproxy-stats': {
    what: "an HAProxy statistics page's password",
    // systemd reads the environment file before HAProxy starts: a reload keeps the old one.
    places: (service) => [
      { path: `/etc/haproxy/stats-${service}.env`, reloads: ['systemctl restart haproxy'] },
    ],
    owner: 'root:root',
    modes: ['0400'],
  },
};

/**
 * Checks a secret file's path, owner, mode and reload against what the generators write for its
 * kind and service; the first field that differs is the problem, undefined when all match.
 */
export function matchSecretCatalogue(
  file: Pick<SecretFile, 'path' | 'owner' | 'mode' | 'reload' | 'service' | 'render'>,
): SecretCatalogueProblem | undefined {
  const descriptor = DESCRIPTORS[file.render.kind];
  const places = descriptor.places(file.service);
  const place = places.find((candidate) => candidate.path === file.path);
  const about = `${file.path} is ${descriptor.what} of ${file.service}`;
  if (place === undefined)
    return {
      field: 'path',
      message: `${file.path} is no secret file Topoforge writes for ${file.service} (${descriptor.what} goes to ${places.map((candidate) => candidate.path).join(' or ')})`,
    };
  if (file.owner !== descriptor.owner)
    return { field: 'owner', message: `${about}: it belongs to ${descriptor.owner}, not ${file.owner}` };
  if (!descriptor.modes.includes(file.mode))
    return {
      field: 'mode',
      message: `${about}: its mode is ${descriptor.modes.join(' or ')}, not ${file.mode}`,
    };
  if (!place.reloads.includes(file.reload))
    return {
      field: 'reload',
      message: `${about}: its reload is ${place.reloads.map((reload) => `'${reload}'`).join(' or ')}, and push runs no other command as one`,
    };
  return undefined;
}
