/**
 * What the availability engine answers: the state of an item, an evaluation, scenarios and partitions.
 */

/** Ordered `up > manual > down`: manual means a person must act before it serves. */
export type AvailabilityState = 'up' | 'manual' | 'down';

/** The state of one service, group or entrypoint in one scenario. */
export interface ItemAvailability {
  id: string;
  state: AvailabilityState;
  /** An `up` result that lost redundancy on its way. */
  degraded: boolean;
}

/** One evaluated scenario. */
export interface Evaluation {
  /** The failed hosts, sites and services, as given. */
  failed: readonly string[];
  /** State of a service, group or entrypoint; undefined for other ids. */
  stateOf(id: string): ItemAvailability | undefined;
  /** Every entrypoint, in design order. */
  entrypoints(): ItemAvailability[];
  /** Why an item is in its state, in a sentence a person reads. */
  explain(id: string): string;
}

/** One single-failure scenario: a host or a site. */
export interface ScenarioId {
  failed: string;
  kind: 'host' | 'site';
}

/** The entrypoints of one single-failure scenario. */
export interface SingleFailure extends ScenarioId {
  entrypoints: ItemAvailability[];
}

/** One side of a partition: the ids that name it, and the hosts they stand for. */
export interface PartitionSide {
  /** Site and host ids as given; the side of the hosts named in no side has none. */
  ids: string[];
  hosts: string[];
  /** Everything as seen from this side: the hosts of the other sides count as failed. */
  evaluation: Evaluation;
}

/**
 * One partition scenario (docs/availability.md, network partitions): every side evaluated on
 * its own, entrypoints the best over the sides (their clients reach every side).
 */
export interface PartitionEvaluation {
  /** Failed hosts, sites and services on top of the partition, as given. */
  failed: readonly string[];
  sides: PartitionSide[];
  /** Every entrypoint, in design order: the best over the sides. */
  entrypoints(): ItemAvailability[];
  /** A service or group at its best over the sides; an entrypoint as {@link entrypoints} says. */
  stateOf(id: string): ItemAvailability | undefined;
  /** Groups that are up on two or more sides: two primaries accept writes. */
  splitBrain: string[];
  /** Why an entrypoint is in its state, from the side that serves it best. */
  explain(id: string): string;
}

/** One site cut off from the others, with the results of {@link PartitionEvaluation}. */
export interface SitePartition {
  site: string;
  entrypoints: ItemAvailability[];
  splitBrain: string[];
  explain(id: string): string;
}

/** What an id given as a failure is. */
export type FailureKind = 'host' | 'site' | 'service';
