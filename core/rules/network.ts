/**
 * Network rules: ports that clash on a host, floating addresses.
 */
import { siteOfService } from '../design-index';
import { listeningPortsOf } from '../model';
import type { Service } from '../model';
import { planVrrp } from '../vrrp';
import type { Check } from './context';

/** The check of `net.port-conflict` (docs/rules.md). */
export const checkPorts: Check = ({ index, report }) => {
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

/** The check of `keepalived.priority` and `vip.sites` (docs/rules.md). */
export const checkVip: Check = ({ index, report }) => {
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
