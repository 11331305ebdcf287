/**
 * Recovery per scenario, docs/availability.md ("Recovery time"): for every entrypoint that is not
 * `down`, how long its clients wait after the failure and which mechanism sets it.
 *
 * The estimate walks each entrypoint's surviving path. Mechanisms on one path run at once after
 * the same failure, so the path takes the longest of them; where clients have a choice (a
 * balancer's targets, a `direct` entrypoint's records), they are served by the quickest surviving
 * alternative, but never before the balancer has stopped sending them to the lost one.
 */
import type { AvailabilityModel } from '../availability';
import type { Evaluation, PartitionEvaluation } from '../availability/types';
import type { DesignIndex, EffectiveEntrypoint, ResolvedLink } from '../design-index';
import { mainPortOf, mongoPriorityOf, trafficPortKeys } from '../model';
import type { Group, Service } from '../model';
import { NGINX_SETTINGS } from '../generate/nginx';
import { balancerRoutes } from '../generate/context';
import type { Backend } from '../generate/context';
import { HAPROXY_SETTINGS } from '../generate/haproxy/view';
import { planVrrp } from '../vrrp';
import {
  NO_RECOVERY,
  externalLbDetection,
  haproxyDetection,
  keepalivedTakeover,
  longestRecovery,
  manualStart,
  mongodbElection,
  nginxDetection,
  quickestRecovery,
  quorumFailover,
  sentinelFailover,
} from './mechanisms';
import type { Recovery, TargetLoss } from './mechanisms';

/** The recovery of one entrypoint in one scenario; null when it is `down`. */
export interface EntrypointRecovery {
  id: string;
  recovery: Recovery | null;
}

/**
 * Estimates every entrypoint's recovery in an evaluated scenario (or only those named in `only`).
 * `model` gives the baseline, so that only what this scenario lost counts.
 */
export function estimateRecovery(
  model: AvailabilityModel,
  evaluation: Evaluation,
  only?: ReadonlySet<string>,
  beyondCut: ReadonlySet<string> = new Set(),
): EntrypointRecovery[] {
  const walker = new RecoveryWalker(model.index, model.baseline, evaluation, beyondCut);
  const entrypoints =
    only === undefined ? model.index.entrypoints : model.index.entrypoints.filter((e) => only.has(e.id));
  return entrypoints.map((entrypoint) => ({
    id: entrypoint.id,
    recovery: walker.entrypoint(entrypoint),
  }));
}

/**
 * Recovery of every entrypoint in a partition scenario (docs/availability.md, network partitions):
 * clients reach every side, so each entrypoint recovers as fast as the quickest side that serves
 * it at its best state; from a side, the hosts beyond the cut count as failed. Null where no side
 * serves it.
 */
export function estimatePartitionRecovery(
  model: AvailabilityModel,
  partition: PartitionEvaluation,
): EntrypointRecovery[] {
  const perSide = partition.sides.map((side) => {
    const here = new Set(side.hosts);
    const beyondCut = new Set([...model.index.hosts.keys()].filter((host) => !here.has(host)));
    return {
      evaluation: side.evaluation,
      recoveries: new Map(
        estimateRecovery(model, side.evaluation, undefined, beyondCut).map((e) => [e.id, e.recovery]),
      ),
    };
  });
  return partition.entrypoints().map((best) => {
    let recovery: Recovery | null = null;
    for (const side of perSide) {
      const here = side.evaluation.stateOf(best.id);
      if (here === undefined || here.state === 'down' || here.state !== best.state) continue;
      const candidate = side.recoveries.get(best.id) ?? null;
      if (candidate === null) continue;
      if (recovery === null || (candidate.seconds ?? Infinity) < (recovery.seconds ?? Infinity))
        recovery = candidate;
    }
    return { id: best.id, recovery };
  });
}

class RecoveryWalker {
  private readonly failed: Set<string>;
  private readonly memo = new Map<string, Recovery | null>();
  /** The entrypoint being walked: its balancers recover by the listener on its port only. */
  private entry: { port: number | undefined; targets: ReadonlySet<string> } = {
    port: undefined,
    targets: new Set(),
  };

  constructor(
    private readonly index: DesignIndex,
    private readonly baseline: Evaluation,
    private readonly evaluation: Evaluation,
    /** Hosts on the other sides of a partition: nothing of theirs, VRRP adverts included, arrives. */
    private readonly beyondCut: ReadonlySet<string>,
  ) {
    this.failed = new Set(evaluation.failed);
  }

  entrypoint(entrypoint: EffectiveEntrypoint): Recovery | null {
    this.entry = { port: entrypoint.port, targets: new Set(entrypoint.targets) };
    if (this.evaluation.stateOf(entrypoint.id)?.state === 'down') return null;
    const targets = entrypoint.targets;
    if (entrypoint.via === 'vip') return this.floatingAddress(entrypoint);
    if (entrypoint.via === 'external-lb') {
      const declared = this.index.design.entrypoints?.find((e) => e.id === entrypoint.id);
      return this.choice(targets, (target) =>
        externalLbDetection({
          target,
          intervalMs: declared?.healthCheck?.intervalMs,
          unhealthyThreshold: declared?.healthCheck?.unhealthyThreshold,
        }),
      );
    }
    // `direct` clients know every target: they move on as soon as one answers.
    return this.choice(targets, undefined);
  }

  /** keepalived moves the address to the next instance whose balancer serves. */
  private floatingAddress(entrypoint: EffectiveEntrypoint): Recovery | null {
    const plan = planVrrp(this.index, entrypoint);
    const holder = plan.members[0];
    if (holder === undefined) return null;
    if (!this.lost(holder.service)) return this.item(holder.service);
    const next = plan.members.find((member) => this.serves(member.service));
    if (next === undefined) return null;
    const takeover = keepalivedTakeover({
      newHolder: next.service,
      newHolderPriority: next.priority,
      // A holder beyond the cut is as silent as a lost one: its adverts stop at once.
      hostLost:
        this.lossOf(holder.service) === 'unreachable' ||
        this.beyondCut.has(this.index.services.get(holder.service)?.host ?? ''),
    });
    return longestRecovery([takeover, this.item(next.service) ?? NO_RECOVERY]);
  }

  /**
   * One requirement met by any of its alternatives. `detect` is how whoever chooses (a balancer,
   * an outside balancer) stops using a lost alternative; undefined when clients choose themselves.
   */
  private choice(
    alternatives: readonly string[],
    detect: ((target: string, loss: TargetLoss) => Recovery) | undefined,
    backups: ReadonlySet<string> = new Set(),
  ): Recovery | null {
    const serving = alternatives.filter((id) => this.serves(id));
    const quickest = quickestRecovery(serving.map((id) => this.item(id) ?? NO_RECOVERY));
    if (quickest === undefined) return this.manualOf(alternatives);
    const primaries = alternatives.filter((id) => !backups.has(id));
    // A lost backup carried no traffic, unless every primary is lost too.
    const carrying = primaries.some((id) => this.serves(id)) ? primaries : alternatives;
    const lost = carrying.flatMap((id) => this.lostMembers(id));
    if (detect === undefined || lost.length === 0) return quickest;
    const detection = longestRecovery(lost.map((id) => detect(id, this.lossOf(id))));
    return longestRecovery([detection, quickest]);
  }

  /** A `manual` requirement: the quickest cold standby a person can start. */
  private manualOf(alternatives: readonly string[]): Recovery | null {
    const manual = alternatives.filter((id) => this.evaluation.stateOf(id)?.state === 'manual');
    return quickestRecovery(manual.map((id) => this.item(id) ?? NO_RECOVERY)) ?? null;
  }

  /** The recovery of a service or group that is not down. */
  private item(id: string): Recovery | null {
    const port = this.entryPortOf(id);
    const key = port === undefined ? id : `${id}:${port}`;
    if (this.memo.has(key)) return this.memo.get(key)!;
    this.memo.set(key, NO_RECOVERY); // a cycle is down anyway; stop here
    const state = this.evaluation.stateOf(id)?.state;
    let result: Recovery | null = null;
    if (state !== undefined && state !== 'down') {
      const service = this.index.services.get(id);
      const group = this.index.groups.get(id);
      if (service !== undefined) result = this.service(service);
      else if (group !== undefined) result = this.group(group);
    }
    this.memo.set(key, result);
    return result;
  }

  /** The entrypoint's port when `id` is one of its balancers, which serve it on that listener. */
  private entryPortOf(id: string): number | undefined {
    const service = this.index.services.get(id);
    const balancer = service?.kind === 'haproxy' || service?.kind === 'nginx';
    return balancer && this.entry.targets.has(id) ? this.entry.port : undefined;
  }

  private service(service: Service): Recovery {
    const parts: Recovery[] = [];
    if (service.mode === 'cold-standby' && this.evaluation.stateOf(service.id)?.state === 'manual')
      parts.push(manualStart({ service: service.id, minutes: service.manualRecoveryMinutes }));
    const links = this.index.linksFrom.get(service.id) ?? [];
    for (const link of links) if (link.kind === 'uses') parts.push(this.item(link.to) ?? NO_RECOVERY);
    const traffic = links.filter((link) => link.kind === 'traffic');
    for (const requirement of this.servedRequirements(service, groupByPort(this.index, traffic))) {
      const detect = this.detectorOf(service);
      const backups = new Set(requirement.filter((link) => link.backup === true).map((link) => link.to));
      const recovery = this.choice(
        requirement.map((link) => link.to),
        detect,
        backups,
      );
      if (recovery !== null) parts.push(recovery);
    }
    return longestRecovery(parts);
  }

  /** How a balancer stops sending to a lost target; other services choose by themselves. */
  private detectorOf(service: Service): ((target: string, loss: TargetLoss) => Recovery) | undefined {
    if (service.kind === 'haproxy') {
      return (target, loss) => {
        const intervalMs = this.checkIntervalMs(target, HAPROXY_SETTINGS.defaultIntervalMs);
        return haproxyDetection({ loss, target, intervalMs });
      };
    }
    if (service.kind === 'nginx') {
      return (target, loss) => {
        const failTimeoutMs = this.checkIntervalMs(target, NGINX_SETTINGS.defaultFailTimeoutMs);
        return nginxDetection({
          loss,
          target,
          failTimeoutSeconds: Math.max(1, Math.ceil(failTimeoutMs / 1000)),
        });
      };
    }
    return undefined;
  }

  /**
   * The requirements of a balancer that carry the entrypoint being walked: those of the listener
   * on its port (a lost target of another listener interrupts other clients), or all of them when
   * the entrypoint names no port or no listener there has backends.
   */
  private servedRequirements(service: Service, requirements: ResolvedLink[][]): ResolvedLink[][] {
    const port = this.entryPortOf(service.id);
    if (port === undefined || (service.kind !== 'haproxy' && service.kind !== 'nginx')) return requirements;
    const route = balancerRoutes(this.index, service).find((candidate) => candidate.listener.port === port);
    if (route === undefined) return requirements;
    const served = requirements.filter((requirement) =>
      requirement.some((link) => route.backends.some((backend) => carries(backend, link))),
    );
    return served.length > 0 ? served : requirements;
  }

  /** The health check interval an app target sets, else the balancer's own default. */
  private checkIntervalMs(target: string, balancerDefault: number): number {
    const checked = this.index.services.get(target);
    return (checked?.kind === 'app' ? checked.healthCheck?.intervalMs : undefined) ?? balancerDefault;
  }

  private group(group: Group): Recovery {
    const members = this.index.membersByGroup.get(group.id) ?? [];
    switch (group.kind) {
      case 'pool':
        return (
          quickestRecovery(
            members.filter((m) => this.serves(m.id)).map((m) => this.item(m.id) ?? NO_RECOVERY),
          ) ?? NO_RECOVERY
        );
      case 'mongodb-replica-set': {
        const electable = members.filter((m) => m.kind === 'mongodb' && mongoPriorityOf(m) > 0);
        const primary = [...electable].sort((a, b) => mongoPriorityOf(b) - mongoPriorityOf(a))[0];
        if (primary === undefined || !this.lost(primary.id)) return NO_RECOVERY;
        return mongodbElection({ group: group.id, electionTimeoutMs: group.electionTimeoutMs });
      }
      case 'redis-sentinel': {
        const primary = members.find((m) => m.kind === 'redis' && m.primary === true);
        if (primary === undefined || !this.lost(primary.id)) return NO_RECOVERY;
        const promoted =
          members.find(
            (m) => m.kind === 'redis' && m !== primary && replicaPriorityOf(m) > 0 && this.serves(m.id),
          )?.id ?? 'a replica';
        return sentinelFailover({ group: group.id, promoted, downAfterMs: group.downAfterMs });
      }
      case 'quorum':
        if (!members.some((m) => m.kind !== 'arbiter' && this.lost(m.id))) return NO_RECOVERY;
        return quorumFailover({ group: group.id, failoverSeconds: group.failoverSeconds });
    }
  }

  /** An item that serves clients now: `up`. */
  private serves(id: string): boolean {
    return this.evaluation.stateOf(id)?.state === 'up';
  }

  /** An item that served before this scenario and does not now. */
  private lost(id: string): boolean {
    const before = this.baseline.stateOf(id)?.state;
    const now = this.evaluation.stateOf(id)?.state;
    return before === 'up' && now !== 'up';
  }

  /** The balancer's targets behind an alternative that were lost: a pool's members count one by one. */
  private lostMembers(id: string): string[] {
    const group = this.index.groups.get(id);
    if (group?.kind === 'pool')
      return (this.index.membersByGroup.get(id) ?? []).filter((m) => this.lost(m.id)).map((m) => m.id);
    return this.lost(id) ? [id] : [];
  }

  private lossOf(id: string): TargetLoss {
    const service = this.index.services.get(id);
    if (service?.host !== undefined) {
      const site = this.index.hosts.get(service.host)?.site;
      if (this.failed.has(service.host) || (site !== undefined && this.failed.has(site)))
        return 'unreachable';
    }
    if (this.failed.has(id)) return 'refused';
    return 'unhealthy';
  }
}

/** Whether a generated backend is (a member of) the target of `link`, on the link's port. */
function carries(backend: Backend, link: ResolvedLink): boolean {
  return (
    (backend.service.id === link.to || backend.service.group === link.to) &&
    backend.port === (link.port ?? mainPortOf(backend.service))
  );
}

/** A service's traffic links, one list per requirement (per port when ports differ). */
function groupByPort(index: DesignIndex, traffic: readonly ResolvedLink[]): ResolvedLink[][] {
  const keys = trafficPortKeys(traffic, (id) => {
    const service = index.services.get(id);
    return service && mainPortOf(service);
  });
  const byKey = new Map<string, ResolvedLink[]>();
  traffic.forEach((link, i) => {
    const key = keys[i] ?? '';
    byKey.set(key, [...(byKey.get(key) ?? []), link]);
  });
  return [...byKey.values()];
}

/** Sentinel's `replica-priority` of a redis member, 100 unless the design sets it (0 = never promoted). */
function replicaPriorityOf(service: Service): number {
  const priority = (service as { replicaPriority?: unknown }).replicaPriority;
  return typeof priority === 'number' ? priority : 100;
}
