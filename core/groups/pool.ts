/** The `pool` group kind: interchangeable workers, as good as its best member (docs/availability.md). */
import type { GroupId } from '../model';
import { PLAIN_MEMBER } from './descriptor';
import type { GroupKindDescriptor } from './descriptor';

/** Interchangeable workers; `load` is the capacity the tier must carry (rule `capacity.n-plus-1`). */
export interface PoolGroup {
  id: GroupId;
  kind: 'pool';
  label?: string;
  /** Capacity the tier must carry. */
  load?: number;
}

/** The descriptor of `pool`. */
export const POOL: GroupKindDescriptor<'pool'> = {
  kind: 'pool',
  memberKinds: undefined,
  evaluation: 'best-member',
  roleOf: () => PLAIN_MEMBER,
  rolloutRank: undefined,
  voterNoun: 'voter',
  addVoter: 'add a member',
  rules: ['capacity.n-plus-1'],
  inspectorFields: ['load'],
  idPrefix: 'pool',
};
