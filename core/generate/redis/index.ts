/**
 * Redis + Sentinel: a `redis.conf` for every redis server and a `sentinel.conf` for every sentinel
 * (docs/design-file.md and docs/bundle.md).
 *
 * Both files are `create-only`: Sentinel rewrites its own file at start-up and on every failover
 * (the current primary, the replicas and peers it discovered, the epochs), and during a failover
 * it rewrites the replicas' `replicaof` too. Push writes them once; a re-push never undoes what
 * the running cluster learned. Their `reload` therefore only ever runs when push has just created
 * the file, i.e. when the daemon still runs the distribution's config: it restarts the unit.
 */
import { DAEMON_OF, daemonConfigPath, daemonUnitName } from '../context';
import type { Generator } from '../context';
import { placedRedisDaemons } from './sentinel-plan';
import { redisConfig, sentinelConfig } from './config';
import type { BundleFile } from '../bundle';

/** Files of every redis server and sentinel in the design. */
export const generateRedis: Generator = ({ index }) => {
  const files: BundleFile[] = [];
  for (const { service, host, plan } of placedRedisDaemons(index)) {
    files.push({
      host: host.id,
      path: daemonConfigPath(index, service),
      content:
        service.kind === 'redis'
          ? redisConfig(index, service, host, plan)
          : sentinelConfig(index, service, host, plan),
      mode: DAEMON_OF[service.kind].mode,
      ...(DAEMON_OF[service.kind].owner ? { owner: DAEMON_OF[service.kind].owner } : {}),
      reload: DAEMON_OF[service.kind].reload(daemonUnitName(index, service)),
      // Sentinel always rewrites its file; it rewrites a redis.conf only in a Sentinel group.
      policy: service.kind === 'sentinel' || plan !== undefined ? 'create-only' : 'replace',
    });
  }
  return files;
};
