/**
 * The rules of docs/rules.md: what is wrong with a design that loaded, and how to fix it.
 * Rule ids and severities are stable API. Findings come out in one deterministic order.
 */
import { compileAvailability } from './availability';
import type { AvailabilityModel } from './availability';
import { designIndexOf, siteOfService } from './design-index';
import type { DesignIndex } from './design-index';
import {
  BALANCER_KINDS,
  authenticates,
  capacityOf,
  isPrimarySecondaryArbiter,
  listeningPortsOf,
  mainPortOf,
  mongoPriorityOf,
  mongoVotesOf,
} from './model';
import type { Design, Group, Service } from './model';
import { planVrrp } from './vrrp';
import { checkAvailabilityObjectives, checkRecoveryObjectives } from './objectives';
import { descriptorOf, isVoter, isVotingGroup } from './groups';
import { isPromotable, sentinelQuorumOf } from './groups/redis-sentinel';

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

/** Everything `validate` needs, computed once per design version and shared with the caller. */
export interface Validation {
  findings: Finding[];
  model: AvailabilityModel;
}

/**
 * Validations by index: generation reads the findings and the model again (the runbook), and an
 * index stands for one revision of a design, so the rules run once per index.
 */
const validations = new WeakMap<DesignIndex, Validation>();

/** Runs every rule on a loaded design; once per index, however many passes ask. */
export function validateDesign(design: Design | DesignIndex): Validation {
  const index = designIndexOf(design);
  let validation = validations.get(index);
  if (validation === undefined) {
    validation = runRules(index);
    validations.set(index, validation);
  }
  return validation;
}

function runRules(index: DesignIndex): Validation {
  const model = compileAvailability(index);
  const findings: Finding[] = [];
  const report = (rule: RuleId, subjects: string[], message: string): void => {
    findings.push({ rule, severity: RULES[rule].severity, message, subjects });
  };
  const context: RuleContext = { index, model, report };
  for (const check of CHECKS) check(context);
  return { findings: sortFindings(findings), model };
}

/** Findings in a fixed order: errors first, then by rule, then by subjects. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  const key = (f: Finding) => f.subjects.join('\u0000');
  return [...findings].sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      compare(a.rule, b.rule) ||
      compare(key(a), key(b)) ||
      compare(a.message, b.message),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface RuleContext {
  index: DesignIndex;
  model: AvailabilityModel;
  report: (rule: RuleId, subjects: string[], message: string) => void;
}

type Check = (context: RuleContext) => void;

// ---------------------------------------------------------------------------------------------
// Voting groups

interface Voters {
  group: Group;
  voters: Service[];
}

function votingGroups(index: DesignIndex): Voters[] {
  return (index.design.groups ?? []).filter(isVotingGroup).map((group) => ({
    group,
    voters: (index.membersByGroup.get(group.id) ?? []).filter((m) => isVoter(group, m)),
  }));
}

/** True when the group's kind owns the rule (its descriptor lists it). */
function owns(group: Group, rule: RuleId): boolean {
  return descriptorOf(group).rules.includes(rule);
}

const checkQuorumSize: Check = ({ index, report }) => {
  for (const { group, voters } of votingGroups(index)) {
    const n = voters.length;
    const { voterNoun: noun, addVoter: fix } = descriptorOf(group);
    // No voters at all is too small, not even: quorum.too-small says it.
    if (n > 0 && n % 2 === 0 && owns(group, 'quorum.even')) {
      report(
        'quorum.even',
        [group.id],
        `${group.id} has ${n} ${noun}s, an even number that tolerates no more failures than ${Math.max(n - 1, 0)}: ${n >= 2 ? `${fix} to make ${n + 1}, or remove one` : fix}.`,
      );
    }
    if (n < 3 && owns(group, 'quorum.too-small')) {
      report(
        'quorum.too-small',
        [group.id],
        `${group.id} has ${n} ${noun}${n === 1 ? '' : 's'} and cannot lose any: ${fix} to reach at least 3.`,
      );
    }
  }
};

const checkQuorumPlacement: Check = ({ index, report }) => {
  for (const { group, voters } of votingGroups(index)) {
    const byHost = groupBy(voters, (v) => v.host);
    for (const [host, shared] of byHost) {
      if (host === undefined || shared.length < 2 || !owns(group, 'quorum.same-host')) continue;
      report(
        'quorum.same-host',
        [...shared.map((s) => s.id), host, group.id],
        `${shared.map((s) => s.id).join(' and ')} of ${group.id} share host ${host}, so losing it loses ${shared.length} votes at once: move all but one to other hosts.`,
      );
    }
    if (!index.multiSite || voters.length === 0 || !owns(group, 'quorum.site-majority')) continue;
    const bySite = groupBy(voters, (v) => siteOfService(index, v));
    for (const [site, inSite] of bySite) {
      if (site === undefined || inSite.length * 2 < voters.length) continue;
      report(
        'quorum.site-majority',
        [site, group.id],
        `Site ${site} holds ${inSite.length} of the ${voters.length} ${descriptorOf(group).voterNoun}s of ${group.id}, so losing it loses the majority: spread them so no site holds half, e.g. a tie-breaker in a third site.`,
      );
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Single points of failure, from the availability engine

const checkSinglePointsOfFailure: Check = ({ index, model, report }) => {
  const baseline = new Map(model.baseline.entrypoints().map((e) => [e.id, e.state]));
  model.sweepSingleFailures((scenario, changed, explain) => {
    if (scenario.kind === 'site' && !index.multiSite) return;
    for (const entrypoint of changed) {
      const before = baseline.get(entrypoint.id);
      if (entrypoint.state === 'down' && before !== 'down') {
        const why = explain(entrypoint.id);
        if (scenario.kind === 'host') {
          report(
            'spof.host',
            [scenario.failed, entrypoint.id],
            `Host ${scenario.failed} is a single point of failure for ${entrypoint.id} (${why}): put a second instance of what it runs on another host.`,
          );
        } else {
          report(
            'spof.site',
            [scenario.failed, entrypoint.id],
            `Losing site ${scenario.failed} takes ${entrypoint.id} down (${why}): run a second instance in another site.`,
          );
        }
      } else if (scenario.kind === 'host' && entrypoint.state === 'manual' && before === 'up') {
        report(
          'failover.manual',
          [scenario.failed, entrypoint.id],
          `When host ${scenario.failed} fails, ${entrypoint.id} waits for a person (${explain(entrypoint.id)}): make the standby hot if the service allows it, or keep the cold-standby runbook at hand.`,
        );
      }
    }
  });
};

/**
 * Cutting each site off from the others (docs/availability.md, network partitions): an
 * entrypoint that goes down although every host runs, and a Sentinel group with a primary on
 * both sides.
 */
const checkPartitions: Check = ({ index, model, report }) => {
  const baseline = new Map(model.baseline.entrypoints().map((e) => [e.id, e.state]));
  for (const partition of model.sitePartitions()) {
    for (const entrypoint of partition.entrypoints) {
      if (entrypoint.state !== 'down' || baseline.get(entrypoint.id) === 'down') continue;
      report(
        'spof.partition',
        [partition.site, entrypoint.id],
        `Cutting site ${partition.site} off from the others takes ${entrypoint.id} down while every host runs (${partition.explain(entrypoint.id)}): give each side what the entrypoint needs, or place a voting group's tie-breaker in a third site.`,
      );
    }
    for (const id of partition.splitBrain) {
      const group = index.groups.get(id);
      if (!group || !owns(group, 'redis.split-brain')) continue;
      report('redis.split-brain', [id, partition.site], splitBrainMessage(index, group, partition.site));
    }
  }
};

function splitBrainMessage(index: DesignIndex, group: Group, site: string): string {
  const redis = (index.membersByGroup.get(group.id) ?? []).filter((m) => m.kind === 'redis');
  const primary = redis.find((m) => m.primary === true);
  // Enough replicas that the primary's side cannot muster them: the replicas beside it, plus one.
  const inSite = (service: Service) => siteOfService(index, service) === site;
  const besidePrimary = primary
    ? redis.filter((m) => m !== primary && inSite(m) === inSite(primary)).length
    : 0;
  const suggested = besidePrimary + 1;
  const where = primary ? `${primary.id} keeps accepting writes on one side while` : 'on one side while';
  return (
    `Cutting site ${site} off from the others leaves ${group.id} with two primaries: ${where} the sentinels promote a replica on the other, and the writes to the losing side are lost when the network heals. ` +
    `Set minReplicasToWrite to ${suggested} so a primary cut off from its replicas refuses writes; it costs availability: ${group.id} then refuses every write whenever fewer than ${suggested} of its ${Math.max(redis.length - 1, 0)} replicas are up.`
  );
}

const checkCycles: Check = ({ model, report }) => {
  for (const cycle of model.cycles()) {
    report(
      'link.cycle',
      cycle,
      `${cycle.join(', ')} need${cycle.length === 1 ? 's' : ''} ${cycle.length === 1 ? 'itself' : 'each other'} through their links, so none can start: remove or reverse one link of the cycle.`,
    );
  }
};

// ---------------------------------------------------------------------------------------------
// Tiers: pools, capture, reporting, storage, balancers

const checkCapacity: Check = ({ index, report }) => {
  for (const group of index.design.groups ?? []) {
    if (group.kind !== 'pool' || group.load === undefined || !owns(group, 'capacity.n-plus-1')) continue;
    const members = index.membersByGroup.get(group.id) ?? [];
    const capacities = members.map(capacityOf);
    const total = capacities.reduce((a, b) => a + b, 0);
    const largest = Math.max(0, ...capacities);
    if (total - largest < group.load) {
      report(
        'capacity.n-plus-1',
        [group.id],
        `${group.id} must carry ${group.load} but has ${total} in all, ${total - largest} without its largest member: add capacity of at least ${group.load - (total - largest)} so it survives the loss of one member.`,
      );
    }
  }
};

/** Traffic targets of a service, with groups expanded to their members. */
function trafficTargets(index: DesignIndex, service: Service): { link: string; members: Service[] }[] {
  return (index.linksFrom.get(service.id) ?? [])
    .filter((l) => l.kind === 'traffic')
    .map((l) => ({
      link: l.to,
      members: index.services.has(l.to)
        ? [index.services.get(l.to)!]
        : (index.membersByGroup.get(l.to) ?? []),
    }));
}

const checkDeliveryPeers: Check = ({ index, report }) => {
  for (const service of index.design.services) {
    if (service.kind !== 'capture') continue;
    const peers = new Set(trafficTargets(index, service).flatMap((t) => t.members.map((m) => m.id)));
    if (peers.size < 2) {
      report(
        'capture.delivery-peers',
        [service.id],
        `${service.id} delivers to ${peers.size === 0 ? 'no peer' : `only ${[...peers][0]}`}: give it a second delivery peer (the standby router) so captured data survives the loss of one.`,
      );
    }
  }
};

const checkSingleActiveReporting: Check = ({ index, report }) => {
  const active = index.design.services.filter(
    (s) => s.kind === 'reporting' && (s.mode ?? 'active') === 'active',
  );
  if (active.length > 1) {
    report(
      'reporting.single-active',
      active.map((s) => s.id),
      `${active.map((s) => s.id).join(', ')} are all active, but only one reporting server may run its data service at a time: make all but one cold-standby.`,
    );
  }
};

/** Sets of services that sit behind one balancer, pool or external load balancer. */
function balancedSets(index: DesignIndex): { by: string; members: Service[] }[] {
  const sets: { by: string; members: Service[] }[] = [];
  for (const service of index.design.services) {
    if (!BALANCER_KINDS.includes(service.kind)) continue;
    sets.push({ by: service.id, members: trafficTargets(index, service).flatMap((t) => t.members) });
  }
  for (const group of index.design.groups ?? []) {
    if (descriptorOf(group).evaluation === 'best-member')
      sets.push({ by: group.id, members: index.membersByGroup.get(group.id) ?? [] });
  }
  for (const entrypoint of index.design.entrypoints ?? []) {
    if (entrypoint.via !== 'external-lb') continue;
    const members = entrypoint.targets.flatMap((t) =>
      index.services.has(t) ? [index.services.get(t)!] : (index.membersByGroup.get(t) ?? []),
    );
    sets.push({ by: entrypoint.id, members });
  }
  return sets;
}

const checkSharedStorage: Check = ({ index, report }) => {
  for (const { by, members } of balancedSets(index)) {
    const stateful = unique(members.filter((m) => m.kind === 'app' && m.stateful === true));
    if (stateful.length < 2) continue;
    const storageOf = (app: Service) =>
      new Set(
        (index.linksFrom.get(app.id) ?? [])
          .filter((l) => l.kind === 'uses' && index.services.get(l.to)?.kind === 'storage')
          .map((l) => l.to),
      );
    const [first, ...rest] = stateful.map(storageOf);
    const shared = [...first!].filter((s) => rest.every((set) => set.has(s)));
    if (shared.length === 0) {
      report(
        'storage.shared-missing',
        [...stateful.map((s) => s.id), by],
        `${stateful.map((s) => s.id).join(', ')} behind ${by} keep local state but do not all use one shared storage, so their data goes out of sync: add a storage service and a uses link from each.`,
      );
    }
  }
};

const checkHealthChecks: Check = ({ index, report }) => {
  for (const balancer of index.design.services) {
    if (!BALANCER_KINDS.includes(balancer.kind)) continue;
    const apps = unique(trafficTargets(index, balancer).flatMap((t) => t.members));
    for (const app of apps) {
      if (app.kind !== 'app' || app.healthCheck !== undefined) continue;
      report(
        'lb.health-check',
        [app.id, balancer.id],
        `${balancer.id} sends traffic to ${app.id}, which has no healthCheck, so a hung ${app.id} keeps getting requests: give ${app.id} a healthCheck path.`,
      );
    }
  }
};

// ---------------------------------------------------------------------------------------------
// MongoDB

const checkMongoDB: Check = ({ index, report }) => {
  for (const group of index.design.groups ?? []) {
    if (group.kind !== 'mongodb-replica-set') continue;
    const members = index.membersByGroup.get(group.id) ?? [];
    const voting = members.filter((m) => mongoVotesOf(m) === 1);
    const arbiters = members.filter((m) => m.kind === 'arbiter');
    const data = members.filter((m) => m.kind === 'mongodb');
    if (voting.length > 7) {
      report(
        'mongodb.voting-max',
        [group.id],
        `${group.id} has ${voting.length} voting members but MongoDB allows at most 7: set votes 0 (and priority 0) on ${voting.length - 7} of them.`,
      );
    }
    if (members.length > 50) {
      report(
        'mongodb.members-max',
        [group.id],
        `${group.id} has ${members.length} members but MongoDB allows at most 50: split it or remove members.`,
      );
    }
    if (arbiters.length > 1) {
      report(
        'mongodb.arbiters',
        [...arbiters.map((a) => a.id), group.id],
        `${group.id} has ${arbiters.length} arbiters; MongoDB advises at most one: replace the others with data-bearing members.`,
      );
    }
    if (!data.some((m) => mongoPriorityOf(m) > 0 && mongoVotesOf(m) === 1)) {
      report(
        'mongodb.no-electable',
        [group.id],
        `No data-bearing member of ${group.id} has priority above 0 and a vote, so none can become primary: give one priority 1 and votes 1.`,
      );
    }
    for (const member of data) {
      if (member.kind !== 'mongodb') continue;
      const priority = mongoPriorityOf(member);
      if (priority > 0 && mongoVotesOf(member) === 0) {
        report(
          'mongodb.member',
          [member.id, group.id],
          `${member.id} has priority ${priority} but no vote, which MongoDB refuses: set its priority to 0 or its votes to 1.`,
        );
      }
      if (member.hidden === true && priority > 0) {
        report(
          'mongodb.member',
          [member.id, group.id],
          `${member.id} is hidden with priority ${priority}, which MongoDB refuses: hidden members need priority 0.`,
        );
      }
    }
    for (const arbiter of arbiters) {
      const sharing = data.filter((m) => m.host !== undefined && m.host === arbiter.host);
      for (const member of sharing) {
        report(
          'mongodb.arbiter-host',
          [arbiter.id, member.id, member.host!, group.id],
          `Arbiter ${arbiter.id} shares host ${member.host} with ${member.id}, so one host failure costs two votes: move the arbiter to a host (ideally a site) of its own.`,
        );
      }
    }
    if (isPrimarySecondaryArbiter(members)) {
      report(
        'mongodb.psa',
        [group.id],
        `${group.id} is primary-secondary-arbiter, so MongoDB's default write concern falls to w:1: the init script sets the default write concern explicitly before adding the arbiter.`,
      );
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Redis + Sentinel

export { sentinelQuorumOf };

const checkRedis: Check = ({ index, report }) => {
  for (const group of index.design.groups ?? []) {
    if (group.kind !== 'redis-sentinel') continue;
    const members = index.membersByGroup.get(group.id) ?? [];
    const primaries = members.filter((m) => m.kind === 'redis' && m.primary === true);
    const sentinels = members.filter((m) => m.kind === 'sentinel');
    if (primaries.length !== 1) {
      report(
        'redis.primary',
        [...primaries.map((p) => p.id), group.id],
        primaries.length === 0
          ? `${group.id} has no primary redis: mark exactly one redis member primary: true.`
          : `${group.id} has ${primaries.length} primaries (${primaries.map((p) => p.id).join(', ')}): keep primary: true on exactly one.`,
      );
    }
    const quorum = sentinelQuorumOf(group, sentinels.length);
    if (quorum < 1 || quorum > sentinels.length) {
      report(
        'redis.sentinel-quorum',
        [group.id],
        `${group.id} has quorum ${quorum} with ${sentinels.length} sentinel${sentinels.length === 1 ? '' : 's'}, so no failover can ever be agreed: set quorum between 1 and ${Math.max(1, sentinels.length)}${sentinels.length === 0 ? ' and add sentinels' : ''}.`,
      );
    }
    if (sentinels.length > 0 && sentinels.length % 2 === 0) {
      const tolerated = sentinels.length - (Math.floor(sentinels.length / 2) + 1);
      report(
        'redis.sentinel-even',
        [group.id],
        `${group.id} has ${sentinels.length} sentinels: a failover needs a majority of ${sentinels.length / 2 + 1}, so it survives losing ${tolerated}, as ${sentinels.length - 1} would: add a sentinel on another host to survive one more, or remove one.`,
      );
    }
    const redis = members.filter((m) => m.kind === 'redis');
    if (primaries.length <= 1 && redis.length > 0 && !redis.some(isPromotable)) {
      const replicas = redis.filter((m) => m.primary !== true);
      report(
        'redis.no-promotable',
        [...replicas.map((r) => r.id), group.id],
        replicas.length === 0
          ? `${group.id} has no replica, so Sentinel can never replace its primary: add a redis replica on another host.`
          : `Every replica of ${group.id} (${replicas.map((r) => r.id).join(', ')}) has replicaPriority 0, so Sentinel can never replace its primary: give at least one replica a replicaPriority above 0 (default 100).`,
      );
    }
    for (const [host, shared] of groupBy(sentinels, (s) => s.host)) {
      if (host === undefined || shared.length < 2) continue;
      report(
        'redis.sentinel-host',
        [...shared.map((s) => s.id), host, group.id],
        `Sentinels ${shared.map((s) => s.id).join(' and ')} of ${group.id} share host ${host}, so one host failure silences ${shared.length}: put each sentinel on its own host.`,
      );
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Network: ports, floating addresses

const checkPorts: Check = ({ index, report }) => {
  for (const [host, services] of index.servicesByHost) {
    const byPort = new Map<number, Service[]>();
    for (const service of services) {
      for (const port of listeningPortsOf(service)) byPort.set(port, [...(byPort.get(port) ?? []), service]);
    }
    for (const [port, listeners] of [...byPort].sort((a, b) => a[0] - b[0])) {
      if (listeners.length < 2) continue;
      report(
        'net.port-conflict',
        [...listeners.map((s) => s.id), host],
        `${listeners.map((s) => s.id).join(' and ')} both listen on port ${port} of host ${host}: give one of them another port or move it to another host.`,
      );
    }
  }
};

const checkVip: Check = ({ index, report }) => {
  for (const entrypoint of index.entrypoints) {
    if (entrypoint.via !== 'vip') continue;
    const plan = planVrrp(index, entrypoint);
    if (plan.problems.length > 0) {
      report(
        'keepalived.priority',
        [entrypoint.id, ...entrypoint.targets],
        `The address of ${entrypoint.id} cannot move when its balancer dies (${plan.problems.join('; ')}): put two or more balancers on separate hosts behind it.`,
      );
    }
    const sites = new Set(
      entrypoint.targets.map((t) => {
        const service = index.services.get(t);
        return service ? (siteOfService(index, service) ?? '(no site)') : '(no site)';
      }),
    );
    // Like every site finding, only in a design whose hosts span two or more sites (docs/availability.md).
    if (index.multiSite && sites.size > 1) {
      report(
        'vip.sites',
        [entrypoint.id, ...entrypoint.targets],
        `The targets of ${entrypoint.id} are in different sites (${[...sites].join(', ')}), but a VRRP address moves only within one network segment: keep them in one site, or use an external load balancer or DNS across sites.`,
      );
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Security

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

const checkOpenDatastores: Check = ({ index, report }) => {
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

// ---------------------------------------------------------------------------------------------
// Reachability

/**
 * The services that some path from a declared entrypoint reaches, following entrypoint targets,
 * traffic and uses links, and from a group to every member (a link to a group needs its members).
 */
export function servicesReachedFromEntrypoints(index: DesignIndex): Set<string> {
  const reached = new Set<string>();
  const queue: string[] = [];
  const visit = (id: string) => {
    if (reached.has(id)) return;
    reached.add(id);
    queue.push(id);
  };
  for (const entrypoint of index.design.entrypoints ?? [])
    for (const target of entrypoint.targets) visit(target);
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const member of index.membersByGroup.get(id) ?? []) visit(member.id);
    for (const link of index.linksFrom.get(id) ?? []) visit(link.to);
  }
  for (const id of index.groups.keys()) reached.delete(id);
  return reached;
}

/** `API (api-1) on host App 1`: the service and its host, by label where the design gives one. */
function describeService(index: DesignIndex, service: Service): string {
  const name = service.label ? `${service.label} (${service.id})` : service.id;
  if (service.host === undefined) return `${name}, an external service,`;
  const host = index.hosts.get(service.host);
  return `${name} on host ${host?.label ?? service.host}`;
}

// Only with declared entrypoints: without any, every service nothing links to is an entrypoint
// (docs/design-file.md), so everything is reachable by definition.
const checkUnreachable: Check = ({ index, report }) => {
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

const CHECKS: readonly Check[] = [
  checkQuorumSize,
  checkQuorumPlacement,
  checkSinglePointsOfFailure,
  checkPartitions,
  checkCycles,
  checkCapacity,
  checkDeliveryPeers,
  checkSingleActiveReporting,
  checkSharedStorage,
  checkHealthChecks,
  checkMongoDB,
  checkRedis,
  checkPorts,
  checkVip,
  checkOpenDatastores,
  checkUnreachable,
  checkRecoveryObjectives,
  (context) => void checkAvailabilityObjectives(context),
];

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    map.set(k, [...(map.get(k) ?? []), item]);
  }
  return map;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
