/**
 * One recovery-time formula per failover mechanism, docs/availability.md ("Recovery time"). Each
 * reads the values the generators write into the bundle, from the generators' own constants, so
 * an estimate changes when a generated config does.
 */
import { HAPROXY_SETTINGS } from '../generate/haproxy/view';
import { NGINX_SETTINGS } from '../generate/nginx';
import { ADVERT_INTERVAL_SECONDS, SCRIPT_FALL, SCRIPT_INTERVAL_SECONDS } from '../generate/keepalived';
import { DEFAULT_ELECTION_TIMEOUT_MS } from '../generate/mongodb';
import { DEFAULT_DOWN_AFTER_MS } from '../generate/redis/sentinel-plan';

/** The mechanism that sets an entrypoint's recovery (docs/cli.md, `simulate --json`). */
export type RecoveryMechanism =
  'keepalived' | 'haproxy' | 'nginx' | 'external-lb' | 'sentinel' | 'mongodb' | 'quorum' | 'manual' | 'none';

/** How long clients of an entrypoint wait after a failure, and why. */
export interface Recovery {
  /** Seconds from the failure until clients are served again; null when no figure is known. */
  seconds: number | null;
  by: RecoveryMechanism;
  /** A sentence a person reads. */
  detail: string;
}

/**
 * How a balancer's target was lost: its host vanished (connections time out), its process died
 * (connections are refused at once), or it runs but cannot serve (its health check fails).
 */
export type TargetLoss = 'unreachable' | 'refused' | 'unhealthy';

/** Nothing on the surviving path failed. */
export const NO_RECOVERY: Recovery = { seconds: 0, by: 'none', detail: 'nothing on its path failed' };

/** `2s` → 2: the generators write durations in HAProxy's and nginx's seconds syntax. */
export function durationSeconds(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value);
  if (!match) throw new Error(`cannot read the duration '${value}'`);
  return match[2] === 'ms' ? Number(match[1]) / 1000 : Number(match[1]);
}

function timeoutOf(name: string): number {
  const timeout = HAPROXY_SETTINGS.timeouts.find((t) => t.name === name);
  if (timeout === undefined) throw new Error(`the HAProxy generator writes no 'timeout ${name}'`);
  return durationSeconds(timeout.value);
}

/** HAProxy's `fall`, read from the `default-server` line the generator writes. */
export const HAPROXY_FALL = Number(/\bfall (\d+)\b/.exec(HAPROXY_SETTINGS.defaultServer)?.[1] ?? 3);
/** Whether the generated `default-server` marks a server down on its first failed connection. */
export const HAPROXY_OBSERVES_CONNECTIONS = /\bobserve layer4\b.*\bon-error mark-down\b/.test(
  HAPROXY_SETTINGS.defaultServer,
);
/** HAProxy's generated `timeout connect`, in seconds. */
export const HAPROXY_CONNECT_TIMEOUT_SECONDS = timeoutOf('connect');
/**
 * Before HAProxy retries a refused connection it waits min(`timeout connect`, 1 s), so as not to
 * hammer a server that is restarting (configuration manual, `retries`); a timed-out connection is
 * retried at once, its time having passed already. Measured: a redispatched request after a
 * SIGKILLed server took 1.01 s.
 */
export const HAPROXY_RETRY_TURNAROUND_SECONDS = 1;
/** nginx's generated `proxy_connect_timeout`, in seconds. */
export const NGINX_CONNECT_TIMEOUT_SECONDS = durationSeconds(NGINX_SETTINGS.connectTimeout);

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;
const figure = (seconds: number): string => `${round(seconds)} s`;

/**
 * keepalived (VRRP, RFC 5798 section 6.4.2 and keepalived's `vrrp.c`): a backup takes the address
 * when it has heard no advertisement for the master down interval, 3 × `advert_int` + skew, where
 * skew = (256 − its priority) × `advert_int` / 256. When the balancer process dies but its host
 * stays up, the tracking script first needs `fall` failed runs, `interval` apart, before the
 * holder lowers its priority; the backup ignores the lower advertisements (preemption) and takes
 * over when its master down timer runs out.
 */
export function keepalivedTakeover(options: {
  newHolder: string;
  newHolderPriority: number;
  /** True when the holder's host is gone; false when only its balancer died. */
  hostLost: boolean;
  advertIntervalSeconds?: number;
}): Recovery {
  const advert = options.advertIntervalSeconds ?? ADVERT_INTERVAL_SECONDS;
  const skew = ((256 - options.newHolderPriority) * advert) / 256;
  const masterDown = 3 * advert + skew;
  const tracking = options.hostLost ? 0 : SCRIPT_FALL * SCRIPT_INTERVAL_SECONDS;
  const trackingWords = options.hostLost
    ? ''
    : `the tracking script fails ${SCRIPT_FALL} × ${SCRIPT_INTERVAL_SECONDS} s, then `;
  return {
    seconds: round(tracking + masterDown),
    by: 'keepalived',
    detail: `${trackingWords}the VIP moves to ${options.newHolder} after 3 x advert_int ${advert} s + skew ${figure(skew)} (priority ${options.newHolderPriority})`,
  };
}

/**
 * HAProxy (configuration manual: `observe`, `error-limit`, `on-error`, `option redispatch`,
 * `retries`, `inter`, `fall`): the generated configs mark a server down on its first failed
 * connection and send the request again to another server, so a client waits for one connection
 * attempt: the `timeout connect` when the host is gone, the retry turn-around when the connection
 * is refused. A server that still accepts connections but fails its health check is taken out after
 * `fall` checks, `inter` apart. SPEC section 2.2 counts the connect timeout whenever the config
 * retries on another server at once, whatever the `balance`: it is the time the unluckiest client
 * waits. Under `leastconn` (the tcp listeners) only the one or few connections already sent to the
 * lost server wait it, the others go to the survivor at once; so the generator keeps `timeout
 * connect` short (1 s: a LAN connects in well under a millisecond, and a lost SYN costs a retry on
 * another server, `retries` with `option redispatch 1`), and the rehearsal's measurement of the
 * luckier clients stays within its tolerance of this estimate (docs/rehearse.md).
 */
export function haproxyDetection(options: {
  loss: TargetLoss;
  target: string;
  intervalMs: number;
}): Recovery {
  const checks = (HAPROXY_FALL * options.intervalMs) / 1000;
  if (options.loss === 'unhealthy' || !HAPROXY_OBSERVES_CONNECTIONS) {
    return {
      seconds: round(checks),
      by: 'haproxy',
      detail: `HAProxy takes ${options.target} out after fall ${HAPROXY_FALL} x inter ${figure(options.intervalMs / 1000)}`,
    };
  }
  if (options.loss === 'refused') {
    const turnaround = Math.min(HAPROXY_CONNECT_TIMEOUT_SECONDS, HAPROXY_RETRY_TURNAROUND_SECONDS);
    return {
      seconds: round(turnaround),
      by: 'haproxy',
      detail: `HAProxy marks ${options.target} down on its first refused connection (observe layer4) and redispatches the request after the retry turn-around ${figure(turnaround)}`,
    };
  }
  const seconds = Math.min(HAPROXY_CONNECT_TIMEOUT_SECONDS, checks);
  return {
    seconds: round(seconds),
    by: 'haproxy',
    detail: `HAProxy waits timeout connect ${figure(HAPROXY_CONNECT_TIMEOUT_SECONDS)} for ${options.target}, marks it down (observe layer4) and redispatches the request`,
  };
}

/**
 * nginx (ngx_http_upstream_module and ngx_http_proxy_module: `max_fails`, `fail_timeout`,
 * `proxy_next_upstream`, `proxy_connect_timeout`; the stream module's equivalents): open-source
 * nginx checks passively, and the generated configs pass a failed attempt to the next server, so
 * a client waits for one connection attempt: `proxy_connect_timeout` when the host is gone, next
 * to nothing when the connection is refused or the server answers 502, 503 or 504. After
 * `max_fails` such failures within `fail_timeout` the server is left out for `fail_timeout`.
 */
export function nginxDetection(options: {
  loss: TargetLoss;
  target: string;
  failTimeoutSeconds: number;
}): Recovery {
  const leftOut = `left out after max_fails ${NGINX_SETTINGS.maxFails} within fail_timeout ${figure(options.failTimeoutSeconds)}`;
  if (options.loss === 'unreachable') {
    return {
      seconds: round(NGINX_CONNECT_TIMEOUT_SECONDS),
      by: 'nginx',
      detail: `nginx waits proxy_connect_timeout ${figure(NGINX_CONNECT_TIMEOUT_SECONDS)} for ${options.target}, then proxy_next_upstream passes the request on (${leftOut})`,
    };
  }
  return {
    seconds: 0,
    by: 'nginx',
    detail: `proxy_next_upstream passes a failed request for ${options.target} to the next server at once (${leftOut})`,
  };
}

/**
 * The default health check assumed for a load balancer outside the design: a check every 5 s and
 * 2 failures in a row, the defaults of Google Cloud's and Azure's load balancers. A design sets
 * its own with `entrypoints[].healthCheck`.
 */
export const EXTERNAL_LB_DEFAULTS = { intervalMs: 5000, unhealthyThreshold: 2 } as const;

/** An `external-lb` takes a dead target out after `unhealthyThreshold` failed checks, `intervalMs` apart. */
export function externalLbDetection(options: {
  target: string;
  intervalMs?: number;
  unhealthyThreshold?: number;
}): Recovery {
  const intervalMs = options.intervalMs ?? EXTERNAL_LB_DEFAULTS.intervalMs;
  const threshold = options.unhealthyThreshold ?? EXTERNAL_LB_DEFAULTS.unhealthyThreshold;
  const assumed = options.intervalMs === undefined && options.unhealthyThreshold === undefined;
  return {
    seconds: round((threshold * intervalMs) / 1000),
    by: 'external-lb',
    detail: `the external load balancer takes ${options.target} out after ${threshold} failed checks x ${figure(intervalMs / 1000)}${assumed ? ' (assumed; set the entrypoint healthCheck)' : ''}`,
  };
}

/**
 * How long Sentinels take from seeing the primary down to agreeing on it and promoting a replica,
 * beyond `down-after-milliseconds`: a Sentinel asks its peers once a second
 * (`SENTINEL_ASK_PERIOD` in Redis's sentinel.c) whether they see the primary down too, so
 * agreement takes up to one period; election and `REPLICAOF NO ONE` add tens of milliseconds.
 */
export const SENTINEL_AGREEMENT_SECONDS = 1;

/**
 * How long, on average, the other Sentinels take to learn the promoted primary from the leader:
 * Sentinels announce their configuration every 2 s (`SENTINEL_PUBLISH_PERIOD`), so half that.
 * A client may ask any Sentinel, so it is served once they all name the new primary (measured on
 * loopback: promoted after 1.45 s, every Sentinel agreeing after 2 to 3.1 s).
 */
export const SENTINEL_ANNOUNCE_SECONDS = 1;

/**
 * Redis Sentinel (Redis documentation, "High availability with Redis Sentinel"): the primary is
 * subjectively down after `down-after-milliseconds`, objectively down once `quorum` Sentinels
 * agree, a replica is promoted after the leader's election, and the other Sentinels learn it from
 * the leader's next announcement.
 */
export function sentinelFailover(options: {
  group: string;
  promoted: string;
  downAfterMs?: number;
}): Recovery {
  const downAfter = (options.downAfterMs ?? DEFAULT_DOWN_AFTER_MS) / 1000;
  return {
    seconds: round(downAfter + SENTINEL_AGREEMENT_SECONDS + SENTINEL_ANNOUNCE_SECONDS),
    by: 'sentinel',
    detail: `Sentinel promotes ${options.promoted} in ${options.group} after down-after-milliseconds ${figure(downAfter)} + agreement and promotion ${figure(SENTINEL_AGREEMENT_SECONDS)} + announcing it to every Sentinel ${figure(SENTINEL_ANNOUNCE_SECONDS)}`,
  };
}

/**
 * MongoDB members send heartbeats every 2 s (`settings.heartbeatIntervalMillis`); the election
 * itself follows within about one heartbeat, which is why MongoDB's manual gives 12 s as the median
 * time to a new primary with the default 10 s timeout.
 */
export const MONGODB_ELECTION_SECONDS = 2;

/**
 * MongoDB replica set (MongoDB manual, "Replica Set Elections"): secondaries call an election when
 * the primary has not answered for `electionTimeoutMillis`; the election then takes about one
 * heartbeat interval.
 */
export function mongodbElection(options: { group: string; electionTimeoutMs?: number }): Recovery {
  const timeout = (options.electionTimeoutMs ?? DEFAULT_ELECTION_TIMEOUT_MS) / 1000;
  return {
    seconds: round(timeout + MONGODB_ELECTION_SECONDS),
    by: 'mongodb',
    detail: `${options.group} elects a new primary after electionTimeoutMillis ${figure(timeout)} + election ${figure(MONGODB_ELECTION_SECONDS)}`,
  };
}

/** A generic `quorum` group moves its leader in `failoverSeconds`; without it no figure is known. */
export function quorumFailover(options: { group: string; failoverSeconds?: number }): Recovery {
  if (options.failoverSeconds === undefined) {
    return {
      seconds: null,
      by: 'quorum',
      detail: `${options.group} moves its leader in a time not known: set failoverSeconds on the group`,
    };
  }
  return {
    seconds: round(options.failoverSeconds),
    by: 'quorum',
    detail: `${options.group} moves its leader in failoverSeconds ${figure(options.failoverSeconds)}`,
  };
}

/** Minutes a person takes to start a cold standby when the design says nothing. */
export const DEFAULT_MANUAL_RECOVERY_MINUTES = 30;

/** A cold standby serves once a person has started it by the runbook, `manualRecoveryMinutes` later. */
export function manualStart(options: { service: string; minutes?: number }): Recovery {
  const minutes = options.minutes ?? DEFAULT_MANUAL_RECOVERY_MINUTES;
  return {
    seconds: round(minutes * 60),
    by: 'manual',
    detail: `a person starts the cold standby ${options.service} by the runbook in manualRecoveryMinutes ${minutes} min`,
  };
}

/** The longest of several recoveries that run at once after one failure; unknown wins. */
export function longestRecovery(recoveries: readonly Recovery[]): Recovery {
  let longest: Recovery = NO_RECOVERY;
  for (const recovery of recoveries) {
    if (longest.seconds === null) break;
    // On a tie, the mechanism that acted names the result rather than `none`.
    if (
      recovery.seconds === null ||
      recovery.seconds > longest.seconds ||
      (recovery.seconds === longest.seconds && longest.by === 'none')
    )
      longest = recovery;
  }
  return longest;
}

/** The quickest of several alternative paths: clients are served by whichever recovers first. */
export function quickestRecovery(recoveries: readonly Recovery[]): Recovery | undefined {
  let quickest: Recovery | undefined;
  for (const recovery of recoveries) {
    if (quickest === undefined) quickest = recovery;
    else if (recovery.seconds !== null && (quickest.seconds === null || recovery.seconds < quickest.seconds))
      quickest = recovery;
  }
  return quickest;
}
