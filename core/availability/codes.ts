/**
 * The integer codes of the compiled graph: states, node kinds and group evaluations.
 */
import type { GroupEvaluation } from '../groups';
import type { AvailabilityState } from './types';

/** State code: down. */
export const DOWN = 0;

/** State code: a person must act before it serves. */
export const MANUAL = 1;

/** State code: up. */
export const UP = 2;

/** The name of each state code, by code. */
export const STATE_NAMES: readonly AvailabilityState[] = ['down', 'manual', 'up'];

/** Node kind code: a service. */
export const SERVICE_NODE = 0;

/** Node kind code: a group. */
export const GROUP_NODE = 1;

/** Node kind code: an entrypoint. */
export const ENTRYPOINT_NODE = 2;

/** Group evaluation code: the best of its members (`best-member`). */
export const POOL = 0;

const VOTING = 1;

/** Group evaluation code: a Sentinel group (`sentinel`). */
export const SENTINEL = 2;

/** The code of each way of evaluating a group (the group descriptors' `evaluation`). */
export const EVALUATION_CODES: Readonly<Record<GroupEvaluation, number>> = {
  'best-member': POOL,
  majority: VOTING,
  sentinel: SENTINEL,
};
