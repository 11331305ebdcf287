/**
 * Security and reachability: open datastores, services no entrypoint reaches.
 */
import { authenticates, mainPortOf } from '../model';
import type { Service } from '../model';
import { describeService } from './context';
import type { Check } from './context';
import { membersAndLinks, reachFrom } from '../design-index';
import type { DesignIndex } from '../design-index';

/**
 * What a stranger on the network can do to a service that lets clients in without authentication,
 * as the Redis and MongoDB security guides describe it.
 */
function openRiskOf(service: Service): string | undefined {
  switch (service.kind) {
    case 'redis':
      return 'read and change its data, make it a replica of their own server, and write files as the redis user with CONFIG SET dir and dbfilename';
    case 'sentinel':
      return 'trigger or steer a failover of its group, or make it monitor a server of their own';
    case 'mongodb':
      return 'read and change every database as an administrator';
    case 'arbiter':
      return 'run administrative commands on it, such as shutting it down, and so take a vote from its replica set';
    case 'haproxy':
      return service.stats === undefined
        ? undefined
        : `read its statistics page on port ${service.stats.port}, which names every backend server with its address and health`;
    default:
      return undefined;
  }
}

/** The check of `security.open-datastore` (docs/rules.md). */
export const checkOpenDatastores: Check = ({ index, report }) => {
  for (const service of index.design.services) {
    if (authenticates(service)) continue;
    const risk = openRiskOf(service);
    if (risk === undefined) continue;
    const reason = 'authReason' in service && service.authReason !== undefined ? service.authReason : '';
    const host = service.host === undefined ? undefined : index.hosts.get(service.host);
    const port = service.kind === 'haproxy' ? service.stats?.port : mainPortOf(service);
    const exposed =
      service.kind === 'haproxy' && service.stats?.expose !== true
        ? `anyone with a shell on ${host?.id ?? 'its host'}`
        : `anyone who can reach ${host ? `${host.address}${port === undefined ? '' : ` port ${port}`}` : 'it'}`;
    report(
      'security.open-datastore',
      [service.id, ...(host ? [host.id] : []), ...(service.group === undefined ? [] : [service.group])],
      `${service.id} lets clients in without authentication ("${reason}"): ${exposed} can ${risk}. Remove auth: false to have it authenticate; push then creates its secret.`,
    );
  }
};

/**
 * The services that some path from a declared entrypoint reaches, following entrypoint targets,
 * traffic and uses links, and from a group to every member (a link to a group needs its members).
 */
export function servicesReachedFromEntrypoints(index: DesignIndex): Set<string> {
  const targets = (index.design.entrypoints ?? []).flatMap((entrypoint) => entrypoint.targets);
  const reached = new Set(reachFrom(targets, (id) => membersAndLinks(index, id)));
  for (const id of index.groups.keys()) reached.delete(id);
  return reached;
}

// Only with declared entrypoints: without any, every service nothing links to is an entrypoint
// (docs/design-file.md), so everything is reachable by definition.
/** The check of `service.unreachable` (docs/rules.md). */
export const checkUnreachable: Check = ({ index, report }) => {
  if ((index.design.entrypoints ?? []).length === 0) return;
  const reached = servicesReachedFromEntrypoints(index);
  for (const service of index.design.services) {
    if (reached.has(service.id)) continue;
    report(
      'service.unreachable',
      [service.id],
      `${describeService(index, service)} is reached from no entrypoint by traffic or uses links, so it serves nobody: link it from the service that sends it work or uses it, aim an entrypoint at it, or remove it.`,
    );
  }
};
