/**
 * The catalogue of rules: every rule id with its severity and summary (docs/rules.md), and the
 * shape of a finding.
 */

/** How bad a finding is: errors block `generate`, warnings and info do not. */
export type Severity = 'error' | 'warning' | 'info';

/** The catalogue of rules: id → severity and what it guards against. */
export const RULES = {
  'quorum.even': { severity: 'error', summary: 'a voting group has an even number of voters' },
  'quorum.too-small': { severity: 'error', summary: 'a voting group has fewer than 3 voters' },
  'quorum.same-host': { severity: 'warning', summary: 'two voters of one group share a host' },
  'quorum.site-majority': { severity: 'warning', summary: "one site holds half or more of a group's voters" },
  'spof.host': { severity: 'error', summary: 'failing one host turns an entrypoint down' },
  'spof.site': { severity: 'warning', summary: 'failing one site turns an entrypoint down' },
  'failover.manual': { severity: 'warning', summary: 'failing one host leaves an entrypoint only manual' },
  'capacity.n-plus-1': {
    severity: 'error',
    summary: "a pool's capacity minus its largest member is below its load",
  },
  'capture.delivery-peers': {
    severity: 'warning',
    summary: 'a capture service has fewer than two traffic targets',
  },
  'reporting.single-active': { severity: 'error', summary: 'more than one reporting service is active' },
  'storage.shared-missing': {
    severity: 'error',
    summary: 'stateful app services behind one balancer or pool do not share one storage',
  },
  'lb.health-check': {
    severity: 'warning',
    summary: 'a balancer sends traffic to an app without a health check',
  },
  'mongodb.voting-max': { severity: 'error', summary: 'a replica set has more than 7 voting members' },
  'mongodb.members-max': { severity: 'error', summary: 'a replica set has more than 50 members' },
  'mongodb.arbiters': { severity: 'warning', summary: 'a replica set has more than one arbiter' },
  'mongodb.no-electable': { severity: 'error', summary: 'no data-bearing member can become primary' },
  'mongodb.member': {
    severity: 'error',
    summary: 'a member has priority > 0 with votes 0, or is hidden with priority > 0',
  },
  'mongodb.arbiter-host': {
    severity: 'warning',
    summary: 'an arbiter shares a host with a data-bearing member',
  },
  'mongodb.psa': {
    severity: 'info',
    summary: 'primary-secondary-arbiter: the default write concern falls to w:1',
  },
  'redis.primary': { severity: 'error', summary: 'a Sentinel group does not have exactly one primary' },
  'redis.sentinel-quorum': {
    severity: 'error',
    summary: 'the Sentinel quorum is below 1 or above the number of sentinels',
  },
  'redis.sentinel-host': { severity: 'warning', summary: 'two sentinels of one group share a host' },
  'redis.sentinel-even': {
    severity: 'warning',
    summary: 'a Sentinel group has an even number of sentinels, the last of which adds no failure tolerance',
  },
  'redis.no-promotable': {
    severity: 'error',
    summary: 'a Sentinel group has no replica with replicaPriority > 0, so its primary is never replaced',
  },
  'redis.split-brain': {
    severity: 'warning',
    summary: 'cutting one site off leaves a Sentinel group with two primaries accepting writes',
  },
  'spof.partition': {
    severity: 'warning',
    summary: 'cutting one site off from the others turns an entrypoint down while no host failed',
  },
  'keepalived.priority': { severity: 'error', summary: 'a vip cannot move when its balancer dies' },
  'net.port-conflict': { severity: 'error', summary: 'two services on one host listen on the same port' },
  'vip.sites': { severity: 'error', summary: "a vip entrypoint's targets are in different sites" },
  'link.cycle': { severity: 'error', summary: 'a service needs itself through its links' },
  'security.open-datastore': {
    severity: 'warning',
    summary: 'a datastore or an HAProxy statistics page lets clients in without authentication',
  },
  'service.unreachable': {
    severity: 'warning',
    summary: 'no path of traffic or uses links from any entrypoint reaches a service',
  },
  'objective.rto': {
    severity: 'error',
    summary: 'a single host or site failure interrupts an entrypoint beyond its rtoSeconds',
  },
  'objective.availability': {
    severity: 'error',
    summary: "an entrypoint's yearly availability is below its objective",
  },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

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
