/**
 * Round trip (docs/import.md): importing the bundle generated from a design gives a design with
 * the same findings and the same single-failure simulation, ids kept, for everything the configs
 * carry. SPEC 8 leaves out what no config carries (sites, services outside the hosts, `uses` links
 * of applications, quorum and pool groups, an external load balancer); `configView` removes
 * exactly those from the original, and the import must list each kind of them as `missing`. A mode
 * is in the configs only two ways: a cold standby's own unit is not enabled (the manifest's reload),
 * and a service that gets traffic only as a `backup` server is a hot standby.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDesign, type ImportResult } from '../../core/import/build-design';
import type { Design, Service } from '../../core/model';
import { validateDesign } from '../../core/rules';
import { checkedDesign, exampleFiles, loadExample } from '../fixtures/examples';
import { bundleFolder } from './bundle-folder';
import { validDesign } from '../fixtures/random-design';

/** The design as far as its generated configs carry it (SPEC 8's exceptions taken out). */
function configView(design: Design, imported: Design): Design {
  const kept = new Set(imported.services.map((service) => service.id as string));
  const groupsKept = new Set(
    (design.groups ?? [])
      .filter((group) => group.kind === 'mongodb-replica-set' || group.kind === 'redis-sentinel')
      .map((group) => group.id as string),
  );
  const importedAddresses = new Set(imported.hosts.map((host) => host.address));
  const importedPorts = new Map(imported.services.map((service) => [service.id as string, service.port]));
  const COMMAND_KINDS = ['app', 'capture', 'router', 'processing', 'reporting'];
  const hasOwnUnit = (service: Service): boolean =>
    COMMAND_KINDS.includes(service.kind) && typeof (service as { command?: unknown }).command === 'string';
  const services = design.services
    .filter((service) => kept.has(service.id))
    .map((service) => {
      const copy = { ...service } as Service & Record<string, unknown>;
      // An application's port is in a config only when a balancer sends it traffic.
      if (copy.kind === 'app' && importedPorts.get(copy.id) === undefined) delete copy.port;
      delete copy.site;
      if (!(copy.mode === 'cold-standby' && hasOwnUnit(service))) delete copy.mode;
      delete copy.stateful;
      delete copy.label;
      if (copy.group !== undefined && !groupsKept.has(copy.group)) delete copy.group;
      return copy as Service;
    });
  // SPEC 1: a link's kind defaults to traffic from a balancer, capture or router, else uses.
  const defaultKindOf = (from: string): string =>
    ['nginx', 'haproxy', 'capture', 'router'].includes(
      design.services.find((service) => service.id === from)?.kind ?? '',
    )
      ? 'traffic'
      : 'uses';
  const fromConfig = (link: NonNullable<Design['links']>[number]): boolean =>
    kept.has(link.from) &&
    (kept.has(link.to) || groupsKept.has(link.to)) &&
    ((link.kind ?? defaultKindOf(link.from)) === 'traffic' ||
      design.services.find((service) => service.id === link.to)?.kind === 'storage');
  const links = (design.links ?? []).filter(fromConfig);
  for (const service of services) {
    const incoming = links.filter(
      (link) => link.to === service.id && (link.kind ?? defaultKindOf(link.from)) === 'traffic',
    );
    if (service.mode === undefined && incoming.length > 0 && incoming.every((link) => link.backup === true))
      service.mode = 'hot-standby';
  }
  return checkedDesign({
    format: 1,
    name: design.name,
    // A host with no generated file is in no bundle; one a balancer names comes back, by address.
    hosts: design.hosts
      .filter((host) => importedAddresses.has(host.address))
      .map(({ site: _site, ...host }) => host),
    services,
    groups: (design.groups ?? []).filter((group) => groupsKept.has(group.id)),
    links,
    // Only a floating address is in a config (keepalived); a direct or external-lb entrypoint is not.
    entrypoints: (design.entrypoints ?? []).filter((entrypoint) => entrypoint.via === 'vip'),
  });
}

/** Findings as rule and subjects; subjects sorted, since the order of services in a file is no config fact. */
function findingsOf(design: Design): string[] {
  // Hosts by address: a host only a balancer's server line names has no id in any file.
  const addressOf = new Map(design.hosts.map((host) => [host.id as string, host.address]));
  return validateDesign(design)
    .findings.map(
      (finding) =>
        `${finding.rule} ${finding.subjects
          .map((id) => addressOf.get(id) ?? id)
          .sort()
          .join(',')}`,
    )
    .sort();
}

/**
 * Every single failure's entrypoint states, each entrypoint named by its port and targets and
 * each host by its address: a host that only a balancer's server line names has no id in any file.
 */
function simulationOf(design: Design): string[] {
  const nameOf = new Map(
    (design.entrypoints ?? []).map((entrypoint) => [
      entrypoint.id as string,
      `${entrypoint.port}>${[...entrypoint.targets].sort().join(',')}`,
    ]),
  );
  const addressOf = new Map(design.hosts.map((host) => [host.id as string, host.address]));
  return validateDesign(design)
    .model.singleFailures()
    .flatMap((scenario) =>
      scenario.entrypoints.map(
        (entrypoint) =>
          `${scenario.kind} ${addressOf.get(scenario.failed) ?? scenario.failed}: ${nameOf.get(entrypoint.id) ?? entrypoint.id} ${entrypoint.state}${entrypoint.degraded ? ' degraded' : ''}`,
      ),
    )
    .sort();
}

function importOf(design: Design): ImportResult {
  const result = buildDesign(bundleFolder(design));
  expect(result.problems).toEqual([]);
  checkedDesign(result.design);
  return result;
}

describe('import of a generated bundle', () => {
  const examples = exampleFiles.filter((file) => !file.includes('broken'));
  it.each(examples)('%s: same findings and simulation as the design, for what its configs carry', (file) => {
    const original = loadExample(file);
    const { design, missing } = importOf(original);
    if (design.services.length === 0) {
      // tealeaf-resilient: its services have no command, so the bundle holds no host file at all.
      expect(original.services.every((service) => !('command' in service))).toBe(true);
      return;
    }
    const view = configView(original, design);
    expect(findingsOf(design)).toEqual(findingsOf(view));
    expect(simulationOf(design)).toEqual(simulationOf(view));
    // Ids are kept: every hosted service of the original that a config names comes back by its id.
    const ids = new Set(design.services.map((service) => service.id as string));
    expect(view.services.every((service) => ids.has(service.id))).toBe(true);
    // What the view took out is named as missing.
    const missingText = missing.map((item) => item.what).join('\n');
    if ((original.sites ?? []).length > 0) expect(missingText).toContain('sites');
    if (original.services.some((service) => service.host === undefined))
      expect(missingText).toContain('services outside the hosts');
    if ((original.entrypoints ?? []).some((entrypoint) => entrypoint.via === 'external-lb'))
      expect(missingText).toContain('how clients reach port');
  });

  it('keeps the ids of hosts, services, groups and entrypoints that the files name', () => {
    const original = loadExample('teramind-ha.topo.json');
    const { design } = importOf(original);
    expect(design.hosts.map((host) => host.id).sort()).toEqual(original.hosts.map((host) => host.id).sort());
    expect((design.groups ?? []).map((group) => group.id)).toEqual(['redis-ha']);
    expect((design.entrypoints ?? []).map((entrypoint) => entrypoint.id).sort()).toEqual([
      'agents',
      'dashboard',
    ]);
    const primary = design.services.find((service) => service.kind === 'redis' && service.primary === true);
    expect(primary?.id).toBe('redis-1');
    // Sentinel's write safety and promotion order come back from every member's redis.conf.
    const group = (design.groups ?? [])[0]!;
    const originalGroup = (original.groups ?? []).find((candidate) => candidate.id === 'redis-ha')!;
    expect(group.kind === 'redis-sentinel' && group.minReplicasToWrite).toBe(
      originalGroup.kind === 'redis-sentinel' && originalGroup.minReplicasToWrite,
    );
    expect(group.kind === 'redis-sentinel' && group.minReplicasMaxLagSeconds).toBe(
      originalGroup.kind === 'redis-sentinel' && originalGroup.minReplicasMaxLagSeconds,
    );
    const priorities = (d: Design) =>
      d.services.flatMap((service) =>
        service.kind === 'redis' ? [`${service.id} ${service.replicaPriority ?? 100}`] : [],
      );
    expect(priorities(design).sort()).toEqual(priorities(original).sort());
  });

  it('holds for random valid designs (property; FUZZ_SCALE scales the runs)', () => {
    const runs = Math.max(10, Math.round(40 * Number(process.env.FUZZ_SCALE ?? 1)));
    fc.assert(
      fc.property(validDesign({ maxHosts: 4 }), (original) => {
        let bundle;
        try {
          bundle = bundleFolder(original);
        } catch {
          return; // a design generate refuses (an unsafe value) has no bundle to import
        }
        const result = buildDesign(bundle);
        expect(result.problems).toEqual([]);
        const design = checkedDesign(result.design);
        const view = configView(original, design);
        // Generate writes a check for every backend of a balancer (HAProxy `check`, nginx
        // `max_fails`) whether or not the app has a health check, so "no health check" is not in
        // the configs: lb.health-check is compared on the examples only.
        const comparable = (findings: string[]) =>
          findings.filter((finding) => !finding.startsWith('lb.health-check '));
        expect(comparable(findingsOf(design))).toEqual(comparable(findingsOf(view)));
        expect(simulationOf(design)).toEqual(simulationOf(view));
      }),
      { numRuns: runs },
    );
  }, 120_000);
});
