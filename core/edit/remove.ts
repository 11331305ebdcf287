/**
 * Deleting items and links, and every reference to them, so that the result loads again.
 */
import type { Design } from '../model';

/**
 * Deletes items the way the canvas shows them: a site or host goes with what it contains, a
 * service with its links, a group leaves its members in place, and an entrypoint left without
 * targets goes too. `links` are indexes into `design.links` of links to delete on their own.
 */
export function removeItems(design: Design, ids: Iterable<string>, links: Iterable<number> = []): void {
  const doomed = new Set<string>(ids);
  const doomedLinks = new Set<number>(links);
  for (const host of design.hosts) if (host.site !== undefined && doomed.has(host.site)) doomed.add(host.id);
  for (const service of design.services) {
    if (service.host !== undefined && doomed.has(service.host)) doomed.add(service.id);
  }

  design.sites = design.sites?.filter((s) => !doomed.has(s.id));
  design.hosts = design.hosts.filter((h) => !doomed.has(h.id));
  design.services = design.services.filter((s) => !doomed.has(s.id));
  design.groups = design.groups?.filter((g) => !doomed.has(g.id));
  for (const service of design.services)
    if (service.group !== undefined && doomed.has(service.group)) delete service.group;
  design.links = design.links?.filter(
    (link, index) => !doomedLinks.has(index) && !doomed.has(link.from) && !doomed.has(link.to),
  );
  design.entrypoints = design.entrypoints
    ?.filter((e) => !doomed.has(e.id))
    .map((e) => {
      if (e.targets.some((t) => doomed.has(t))) e.targets = e.targets.filter((t) => !doomed.has(t));
      return e;
    })
    .filter((e) => e.targets.length > 0);
  if (design.layout) for (const id of doomed) delete design.layout[id];
  tidyOptionalLists(design);
}

/** Drops empty optional lists, so that a design edited back to nothing saves as it started. */
function tidyOptionalLists(design: Design): void {
  if (design.sites?.length === 0) delete design.sites;
  if (design.groups?.length === 0) delete design.groups;
  if (design.links?.length === 0) delete design.links;
  if (design.entrypoints?.length === 0) delete design.entrypoints;
}
