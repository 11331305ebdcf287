/**
 * Drawing a connection: a link, a group membership or an entrypoint target, and why one is
 * refused.
 */
import { descriptorOf } from '../groups';
import { linkKindOf } from '../model';
import type { Design, Link, LinkKind, ServiceId } from '../model';
import { admitsMember, joinGroup } from './place';

/** What a new connection drawn from `source` to `target` means. */
export type ConnectionKind = 'link' | 'member' | 'target';

/** Why a connection cannot be made, or undefined when it can. */
export function connectionProblem(
  design: Design,
  source: string,
  target: string,
  kind: ConnectionKind,
): string | undefined {
  if (source === target) return 'an item cannot need itself';
  const services = new Map(design.services.map((s) => [s.id as string, s]));
  const groups = new Map((design.groups ?? []).map((g) => [g.id as string, g]));
  if (kind === 'member') {
    const service = services.get(source);
    const group = groups.get(target);
    if (!service || !group) return 'only a service can join a group';
    if (!admitsMember(group, service)) {
      const admitted = descriptorOf(group).memberKinds ?? [];
      return `${group.id} is a ${group.kind}, which holds only ${admitted.join(' and ')} services`;
    }
    if (service.group === target) return `${source} is already a member of ${target}`;
    return undefined;
  }
  if (!services.has(target) && !groups.has(target)) return 'the target must be a service or a group';
  if (kind === 'target') {
    const entrypoint = (design.entrypoints ?? []).find((e) => e.id === source);
    if (!entrypoint) return 'only an entrypoint has targets';
    if (entrypoint.targets.includes(target as ServiceId)) return `${target} is already a target of ${source}`;
    return undefined;
  }
  if (!services.has(source)) return 'a link starts at a service';
  return undefined;
}

/**
 * Draws a connection: a link (`from` needs `to`, default kind for the source), a group membership,
 * or an entrypoint target. Returns the index of a new link, if one was made.
 */
export function connect(
  design: Design,
  source: string,
  target: string,
  kind: ConnectionKind,
  linkKind?: LinkKind,
): number | undefined {
  if (kind === 'member') {
    joinGroup(design, source, target);
    return undefined;
  }
  if (kind === 'target') {
    const entrypoint = (design.entrypoints ?? []).find((e) => e.id === source);
    entrypoint?.targets.push(target as ServiceId);
    return undefined;
  }
  const link: Link = { from: source as ServiceId, to: target as ServiceId };
  const from = design.services.find((s) => s.id === source);
  if (linkKind !== undefined && linkKind !== linkKindOf(link, from)) link.kind = linkKind;
  design.links ??= [];
  design.links.push(link);
  return design.links.length - 1;
}
