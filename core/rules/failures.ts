/**
 * Single points of failure, partitions and dependency cycles, from the availability engine.
 */
import { siteOfService } from '../design-index';
import type { DesignIndex } from '../design-index';
import { owns } from './quorum';
import type { Group, Service } from '../model';
import type { Check } from './context';

/** The check of `failover.manual`, `spof.host` and `spof.site` (docs/rules.md). */
export const checkSinglePointsOfFailure: Check = ({ index, model, report }) => {
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
export const checkPartitions: Check = ({ index, model, report }) => {
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

/** The check of `link.cycle` (docs/rules.md). */
export const checkCycles: Check = ({ model, report }) => {
  for (const cycle of model.cycles()) {
    report(
      'link.cycle',
      cycle,
      `${cycle.join(', ')} need${cycle.length === 1 ? 's' : ''} ${cycle.length === 1 ? 'itself' : 'each other'} through their links, so none can start: remove or reverse one link of the cycle.`,
    );
  }
};
