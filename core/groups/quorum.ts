/** The `quorum` group kind: a generic 2n+1 cluster where every member votes (docs/availability.md). */
import type { GroupId } from '../model';
import type { GroupKindDescriptor } from './descriptor';

/** A 2n+1 cluster (Teramind nodes, Expertflow with a witness). */
export interface QuorumGroup {
  id: GroupId;
  kind: 'quorum';
  label?: string;
  /** Seconds the cluster takes to move its leader; no default is known (docs/availability.md). */
  failoverSeconds?: number;
}

/** The descriptor of `quorum`: every member votes, every member but an arbiter bears data. */
export const QUORUM: GroupKindDescriptor<'quorum'> = {
  kind: 'quorum',
  memberKinds: undefined,
  evaluation: 'majority',
  roleOf: (member) => ({
    voter: true,
    dataBearing: member.kind !== 'arbiter',
    primary: false,
    promotable: false,
  }),
  rolloutRank: () => 0,
  voterNoun: 'voter',
  addVoter: 'add a voter or an arbiter in a third site',
  rules: ['quorum.even', 'quorum.too-small', 'quorum.same-host', 'quorum.site-majority'],
  inspectorFields: ['failoverSeconds'],
  idPrefix: 'quorum',
};
