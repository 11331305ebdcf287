/**
 * MongoDB rules: replica-set priorities and votes, arbiters, authentication.
 */
import { isPrimarySecondaryArbiter, mongoPriorityOf, mongoVotesOf } from '../model';
import type { Check } from './context';

/** The check of `mongodb.arbiter-host`, `mongodb.arbiters`, `mongodb.member`, `mongodb.members-max`, `mongodb.no-electable`, `mongodb.psa` and `mongodb.voting-max` (docs/rules.md). */
export const checkMongoDB: Check = ({ index, report }) => {
  for (const group of index.design.groups ?? []) {
    if (group.kind !== 'mongodb-replica-set') continue;
    const members = index.membersByGroup.get(group.id) ?? [];
    const voting = members.filter((m) => mongoVotesOf(m) === 1);
    const arbiters = members.filter((m) => m.kind === 'arbiter');
    const data = members.filter((m) => m.kind === 'mongodb');
    if (voting.length > 7) {
      report(
        'mongodb.voting-max',
        [group.id],
        `${group.id} has ${voting.length} voting members but MongoDB allows at most 7: set votes 0 (and priority 0) on ${voting.length - 7} of them.`,
      );
    }
    if (members.length > 50) {
      report(
        'mongodb.members-max',
        [group.id],
        `${group.id} has ${members.length} members but MongoDB allows at most 50: split it or remove members.`,
      );
    }
    if (arbiters.length > 1) {
      report(
        'mongodb.arbiters',
        [...arbiters.map((a) => a.id), group.id],
        `${group.id} has ${arbiters.length} arbiters; MongoDB advises at most one: replace the others with data-bearing members.`,
      );
    }
    if (!data.some((m) => mongoPriorityOf(m) > 0 && mongoVotesOf(m) === 1)) {
      report(
        'mongodb.no-electable',
        [group.id],
        `No data-bearing member of ${group.id} has priority above 0 and a vote, so none can become primary: give one priority 1 and votes 1.`,
      );
    }
    for (const member of data) {
      if (member.kind !== 'mongodb') continue;
      const priority = mongoPriorityOf(member);
      if (priority > 0 && mongoVotesOf(member) === 0) {
        report(
          'mongodb.member',
          [member.id, group.id],
          `${member.id} has priority ${priority} but no vote, which MongoDB refuses: set its priority to 0 or its votes to 1.`,
        );
      }
      if (member.hidden === true && priority > 0) {
        report(
          'mongodb.member',
          [member.id, group.id],
          `${member.id} is hidden with priority ${priority}, which MongoDB refuses: hidden members need priority 0.`,
        );
      }
    }
    for (const arbiter of arbiters) {
      const sharing = data.filter((m) => m.host !== undefined && m.host === arbiter.host);
      for (const member of sharing) {
        report(
          'mongodb.arbiter-host',
          [arbiter.id, member.id, member.host!, group.id],
          `Arbiter ${arbiter.id} shares host ${member.host} with ${member.id}, so one host failure costs two votes: move the arbiter to a host (ideally a site) of its own.`,
        );
      }
    }
    if (isPrimarySecondaryArbiter(members)) {
      report(
        'mongodb.psa',
        [group.id],
        `${group.id} is primary-secondary-arbiter, so MongoDB's default write concern falls to w:1: the init script sets the default write concern explicitly before adding the arbiter.`,
      );
    }
  }
};
