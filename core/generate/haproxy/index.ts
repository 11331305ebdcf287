/**
 * HAProxy configs: one `/etc/haproxy/haproxy.cfg` per host that runs a `haproxy` service, with a
 * frontend and a backend per listener (mode http for http/https, tcp for tcp) and the statistics
 * page where the design asks for it.
 *
 * Failover defaults: health checks at the app's interval, and `observe layer4` marks a server
 * down on the first connection it refuses, so the survivor takes all traffic within a request
 * rather than after three failed checks (about 6 s with the stock `inter 2s fall 3`). A request
 * whose connection failed is dispatched again to another server; an idempotent one is also
 * retried when the server drops it or answers 502, 503 or 504.
 */
import { HAPROXY } from '../../daemons';
import { balancerConfigFiles } from '../context';
import type { Generator } from '../context';
import { renderTemplate } from '../render';
import { buildHaproxyView } from './config';
import { statsDropIns } from './stats';

/** Files of every HAProxy in the design: one haproxy.cfg per host that runs HAProxy. */
export const generateHaproxy: Generator = ({ index }) => [
  ...balancerConfigFiles(index, {
    kind: 'haproxy',
    path: HAPROXY.configPath,
    mode: HAPROXY.mode,
    check: HAPROXY.check,
    reload: HAPROXY.reload,
    render: (host) => renderTemplate('haproxy/haproxy.cfg', buildHaproxyView(index, host)),
  }),
  ...statsDropIns(index),
];
