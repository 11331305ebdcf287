/**
 * Rules of voting groups: enough voters, an odd number of them, spread over hosts and sites.
 */
import { siteOfService } from '../design-index';
import type { DesignIndex } from '../design-index';
import { descriptorOf, isVoter, isVotingGroup } from '../groups';
import { groupBy } from './context';
import type { Check } from './context';
import type { Group, Service } from '../model';
import type { RuleId } from './catalogue';

interface Voters {
  group: Group;
  voters: Service[];
}

function votingGroups(index: DesignIndex): Voters[] {
  return (index.design.groups ?? []).filter(isVotingGroup).map((group) => ({
    group,
    voters: (index.membersByGroup.get(group.id) ?? []).filter((m) => isVoter(group, m)),
  }));
}

/** True when the group's kind owns the rule (its descriptor lists it). */
export function owns(group: Group, rule: RuleId): boolean {
  return descriptorOf(group).rules.includes(rule);
}

/** The check of `quorum.even` and `quorum.too-small` (docs/rules.md). */
export const checkQuorumSize: Check = ({ index, report }) => {
  for (const { group, voters } of votingGroups(index)) {
    const n = voters.length;
    const { voterNoun: noun, addVoter: fix } = descriptorOf(group);
    // No voters at all is too small, not even: quorum.too-small says it.
    if (n > 0 && n % 2 === 0 && owns(group, 'quorum.even')) {
      report(
        'quorum.even',
        [group.id],
        `${group.id} has ${n} ${noun}s, an even number that tolerates no more failures than ${Math.max(n - 1, 0)}: ${n >= 2 ? `${fix} to make ${n + 1}, or remove one` : fix}.`,
      );
    }
    if (n < 3 && owns(group, 'quorum.too-small')) {
      report(
        'quorum.too-small',
        [group.id],
        `${group.id} has ${n} ${noun}${n === 1 ? '' : 's'} and cannot lose any: ${fix} to reach at least 3.`,
      );
    }
  }
};

/** The check of `quorum.same-host` and `quorum.site-majority` (docs/rules.md). */
export const checkQuorumPlacement: Check = ({ index, report }) => {
  for (const { group, voters } of votingGroups(index)) {
    const byHost = groupBy(voters, (v) => v.host);
    for (const [host, shared] of byHost) {
      if (host === undefined || shared.length < 2 || !owns(group, 'quorum.same-host')) continue;
      report(
        'quorum.same-host',
        [...shared.map((s) => s.id), host, group.id],
        `${shared.map((s) => s.id).join(' and ')} of ${group.id} share host ${host}, so losing it loses ${shared.length} votes at once: move all but one to other hosts.`,
      );
    }
    if (!index.multiSite || voters.length === 0 || !owns(group, 'quorum.site-majority')) continue;
    const bySite = groupBy(voters, (v) => siteOfService(index, v));
    for (const [site, inSite] of bySite) {
      if (site === undefined || inSite.length * 2 < voters.length) continue;
      report(
        'quorum.site-majority',
        [site, group.id],
        `Site ${site} holds ${inSite.length} of the ${voters.length} ${descriptorOf(group).voterNoun}s of ${group.id}, so losing it loses the majority: spread them so no site holds half, e.g. a tie-breaker in a third site.`,
      );
    }
  }
};
