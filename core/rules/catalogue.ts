/**
 * The catalogue of rules: every rule id with its severity and summary (docs/rules.md), and the
 * shape of a finding.
 */

/** How bad a finding is: errors block `generate`, warnings and info do not. */
export type Severity = 'error' | 'warning' | 'info';

/** A catalogue entry: how bad a finding of the rule is and what the rule guards against. */
function rule<S extends Severity>(
  severity: S,
  summary: string,
): { readonly severity: S; readonly summary: string } {
  return { severity, summary };
}

/** The catalogue of rules: id → severity and what it guards against. One line a rule, as a table. */
// prettier-ignore
export const RULES = {
  'quorum.even': rule('error', 'a voting group has an even number of voters'),
  'quorum.too-small': rule('error', 'a voting group has fewer than 3 voters'),
  'quorum.same-host': rule('warning', 'two voters of one group share a host'),
  'quorum.site-majority': rule('warning', "one site holds half or more of a group's voters"),
  'spof.host': rule('error', 'failing one host turns an entrypoint down'),
  'spof.site': rule('warning', 'failing one site turns an entrypoint down'),
  'failover.manual': rule('warning', 'failing one host leaves an entrypoint only manual'),
  'capacity.n-plus-1': rule('error', "a pool's capacity minus its largest member is below its load"),
  'capture.delivery-peers': rule('warning', 'a capture service has fewer than two traffic targets'),
  'reporting.single-active': rule('error', 'more than one reporting service is active'),
  'storage.shared-missing': rule('error', 'stateful app services behind one balancer or pool do not share one storage'),
  'lb.health-check': rule('warning', 'a balancer sends traffic to an app without a health check'),
  'mongodb.voting-max': rule('error', 'a replica set has more than 7 voting members'),
  'mongodb.members-max': rule('error', 'a replica set has more than 50 members'),
  'mongodb.arbiters': rule('warning', 'a replica set has more than one arbiter'),
  'mongodb.no-electable': rule('error', 'no data-bearing member can become primary'),
  'mongodb.member': rule('error', 'a member has priority > 0 with votes 0, or is hidden with priority > 0'),
  'mongodb.arbiter-host': rule('warning', 'an arbiter shares a host with a data-bearing member'),
  'mongodb.psa': rule('info', 'primary-secondary-arbiter: the default write concern falls to w:1'),
  'redis.primary': rule('error', 'a Sentinel group does not have exactly one primary'),
  'redis.sentinel-quorum': rule('error', 'the Sentinel quorum is below 1 or above the number of sentinels'),
  'redis.sentinel-host': rule('warning', 'two sentinels of one group share a host'),
  'redis.sentinel-even': rule('warning', 'a Sentinel group has an even number of sentinels, the last of which adds no failure tolerance'),
  'redis.no-promotable': rule('error', 'a Sentinel group has no replica with replicaPriority > 0, so its primary is never replaced'),
  'redis.split-brain': rule('warning', 'cutting one site off leaves a Sentinel group with two primaries accepting writes'),
  'spof.partition': rule('warning', 'cutting one site off from the others turns an entrypoint down while no host failed'),
  'keepalived.priority': rule('error', 'a vip cannot move when its balancer dies'),
  'net.port-conflict': rule('error', 'two services on one host listen on the same port'),
  'vip.sites': rule('error', "a vip entrypoint's targets are in different sites"),
  'link.cycle': rule('error', 'a service needs itself through its links'),
  'security.open-datastore': rule('warning', 'a datastore or an HAProxy statistics page lets clients in without authentication'),
  'service.unreachable': rule('warning', 'no path of traffic or uses links from any entrypoint reaches a service'),
  'objective.rto': rule('error', 'a single host or site failure interrupts an entrypoint beyond its rtoSeconds'),
  'objective.availability': rule('error', "an entrypoint's yearly availability is below its objective"),
} as const;

/** A stable rule id. */
export type RuleId = keyof typeof RULES;

/** One thing wrong with a design. */
export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** What is wrong and how to fix it. */
  message: string;
  /** Ids involved, most specific first. */
  subjects: string[];
}
