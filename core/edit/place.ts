/**
 * Moving things: into and out of groups, services onto hosts, hosts into sites, anything on
 * the canvas; each keeps the layout's relative positions right (core/edit/add.ts).
 */
import { descriptorOf } from '../groups';
import { setPosition } from './add';
import type { Design, Group, GroupId, HostId, Service, SiteId } from '../model';
import type { Point } from './ids';

/** True when a group of this kind admits a service of that kind (docs/design-file.md, groups). */
export function admitsMember(group: Pick<Group, 'kind'>, service: Pick<Service, 'kind'>): boolean {
  const admitted = descriptorOf(group).memberKinds;
  return admitted === undefined || admitted.includes(service.kind);
}

/** Makes a service a member of a group (a service belongs to at most one group). */
export function joinGroup(design: Design, serviceId: string, groupId: string): void {
  const service = design.services.find((s) => s.id === serviceId);
  if (service) service.group = groupId as GroupId;
}

/** Takes a service out of its group. */
export function leaveGroup(design: Design, serviceId: string): void {
  const service = design.services.find((s) => s.id === serviceId);
  if (service) delete service.group;
}

/**
 * Puts a service on another host, or makes it external with `undefined`; `position` is relative
 * to its new container.
 */
export function placeService(
  design: Design,
  serviceId: string,
  host: string | undefined,
  position: Point,
): void {
  const service = design.services.find((s) => s.id === serviceId);
  if (!service) return;
  if (host === undefined) delete service.host;
  else service.host = host as HostId;
  setPosition(design, serviceId, position);
}

/** Puts a host in a site, or in none with `undefined`; `position` is relative to the new site. */
export function placeHost(design: Design, hostId: string, site: string | undefined, position: Point): void {
  const host = design.hosts.find((h) => h.id === hostId);
  if (!host) return;
  if (site === undefined) delete host.site;
  else host.site = site as SiteId;
  setPosition(design, hostId, position);
}

/** Moves an item without changing its container. */
export function moveItem(design: Design, id: string, position: Point): void {
  const previous = design.layout?.[id];
  setPosition(design, id, position);
  if (previous?.width !== undefined || previous?.height !== undefined) {
    const entry = design.layout![id]!;
    if (previous.width !== undefined) entry.width = previous.width;
    if (previous.height !== undefined) entry.height = previous.height;
  }
}
