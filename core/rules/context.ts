/**
 * What every check receives, and the small helpers the checks share.
 */
import type { AvailabilityModel } from '../availability';
import type { DesignIndex } from '../design-index';
import type { Service } from '../model';
import type { RuleId } from './catalogue';

/** What a check receives: the design's index, its availability model, and where to report findings. */
export interface RuleContext {
  index: DesignIndex;
  model: AvailabilityModel;
  report: (rule: RuleId, subjects: string[], message: string) => void;
}

/** One check of the rules: reads the context and reports what it finds. */
export type Check = (context: RuleContext) => void;

/** `API (api-1) on host App 1`: the service and its host, by label where the design gives one. */
export function describeService(index: DesignIndex, service: Service): string {
  const name = service.label ? `${service.label} (${service.id})` : service.id;
  if (service.host === undefined) return `${name}, an external service,`;
  const host = index.hosts.get(service.host);
  return `${name} on host ${host?.label ?? service.host}`;
}

/** Items grouped by a key, each group in the items' order. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    map.set(k, [...(map.get(k) ?? []), item]);
  }
  return map;
}

/** The items without repeats, in their first order. */
export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
