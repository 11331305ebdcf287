/**
 * Issue 12, item 1: every group kind is one descriptor (core/groups/), and the availability
 * engine, the rules, the roll-out order, the inspector and the editor read it. The table below
 * checks each registered kind against each reader; the second part changes a descriptor and sees
 * every reader follow, which a reader with its own switch on the kind would not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compileAvailability } from '../../core/availability';
import { addGroup } from '../../core/edit/add';
import { admitsMember } from '../../core/edit/place';
import { serialGroupsOf } from '../../core/generate/rollout';
import { GROUP_DESCRIPTORS } from '../../core/groups';
import type { GroupKindDescriptor } from '../../core/groups';
import { GROUP_KINDS } from '../../core/model';
import type { Design, GroupKind, ServiceKind } from '../../core/model';
import { validateDesign } from '../../core/rules';
import { fieldsOfItem } from '../../renderer/inspector/schema-fields';
import { makeDesign } from './builders';

/** Three members of each kind on three hosts: the first is the primary where the kind has one. */
const MEMBERS: Record<GroupKind, Record<string, unknown>[]> = {
  'mongodb-replica-set': [
    { id: 'm1', kind: 'mongodb', host: 'h1', group: 'g', priority: 2 },
    { id: 'm2', kind: 'mongodb', host: 'h2', group: 'g' },
    { id: 'm3', kind: 'arbiter', host: 'h3', group: 'g' },
  ],
  'redis-sentinel': [
    { id: 'r1', kind: 'redis', host: 'h1', group: 'g', primary: true },
    { id: 'r2', kind: 'redis', host: 'h2', group: 'g' },
    { id: 's1', kind: 'sentinel', host: 'h1', group: 'g' },
    { id: 's2', kind: 'sentinel', host: 'h2', group: 'g' },
    { id: 's3', kind: 'sentinel', host: 'h3', group: 'g' },
  ],
  quorum: [
    { id: 'n1', kind: 'app', host: 'h1', group: 'g' },
    { id: 'n2', kind: 'app', host: 'h2', group: 'g' },
    { id: 'n3', kind: 'app', host: 'h3', group: 'g' },
  ],
  pool: [
    { id: 'w1', kind: 'app', host: 'h1', group: 'g' },
    { id: 'w2', kind: 'app', host: 'h2', group: 'g' },
    { id: 'w3', kind: 'app', host: 'h3', group: 'g' },
  ],
};

function designOf(kind: GroupKind, drop: string[] = []): Design {
  return makeDesign({
    services: MEMBERS[kind].filter((m) => !drop.includes(m.id as string)),
    groups: [{ id: 'g', kind }],
    entrypoints: [{ id: 'e', port: 1, targets: ['g'], via: 'direct' }],
  });
}

function rulesFired(design: Design): Set<string> {
  return new Set(validateDesign(design).findings.map((f) => f.rule));
}

describe('the group-kind registry', () => {
  it('has one descriptor for every group kind of the design file, under its own kind', () => {
    expect(Object.keys(GROUP_DESCRIPTORS).sort()).toEqual([...GROUP_KINDS].sort());
    for (const [kind, descriptor] of Object.entries(GROUP_DESCRIPTORS)) expect(descriptor.kind).toBe(kind);
  });

  for (const kind of GROUP_KINDS) {
    const descriptor = GROUP_DESCRIPTORS[kind] as GroupKindDescriptor;
    describe(kind, () => {
      it('availability: a voting kind goes down when its voters lose their majority, a pool lives on one member', () => {
        const design = designOf(kind);
        const members = design.services;
        const model = compileAvailability(design);
        const voters = members.filter((m) => descriptor.roleOf(m, members).voter);
        if (descriptor.evaluation === 'best-member') {
          expect(voters).toEqual([]);
          expect(model.evaluate(['h1', 'h2']).stateOf('g')!.state).toBe('up');
          return;
        }
        const hosts = [...new Set(voters.map((v) => v.host!))].filter((h) => h !== 'h1');
        if (descriptor.evaluation === 'sentinel') {
          // Serves from its primary (on h1) whatever the sentinels do; without it, needs a majority of them.
          expect(model.evaluate(hosts).stateOf('g')!.state).toBe('up');
          expect(model.evaluate(['h1', 'h3']).stateOf('g')!.state).toBe('down');
          expect(model.evaluate(['h1']).stateOf('g')!.state).toBe('up');
          return;
        }
        // Fail the hosts of all but a minority of voters, sparing the primary's host where there is one.
        expect(model.evaluate(hosts).stateOf('g')!.state).toBe('down');
        expect(model.evaluate([hosts[0]!]).stateOf('g')!.state).toBe('up');
      });

      it('rules: the group rules fire only for the kinds that own them', () => {
        // Two voters: quorum.even and quorum.too-small for a kind that owns them.
        const voters = MEMBERS[kind].filter(
          (m) => descriptor.roleOf(m as never, MEMBERS[kind] as never).voter,
        );
        const design = designOf(
          kind,
          voters.slice(2).map((v) => v.id as string),
        );
        const fired = rulesFired(design);
        for (const rule of ['quorum.even', 'quorum.too-small'] as const) {
          expect(fired.has(rule), `${rule} for ${kind}`).toBe(
            descriptor.rules.includes(rule) && voters.length > 0,
          );
        }
      });

      it('roll-out: members go one at a time, the primary last, exactly when the kind asks for it', () => {
        const design = designOf(kind);
        const group = serialGroupsOf(design).find((g) => g.id === 'g');
        if (descriptor.rolloutRank === undefined) {
          expect(group).toBeUndefined();
          return;
        }
        expect(group?.hosts.slice().sort()).toEqual(['h1', 'h2', 'h3']);
        const primary = design.services.find((m) => descriptor.roleOf(m, design.services).primary);
        if (primary) expect(group!.hosts.at(-1)).toBe(primary.host);
      });

      it("inspector: shows its kind's fields and hides the other kinds'", () => {
        const keys = fieldsOfItem('groups', { id: 'g', kind }).map((f) => f.key);
        for (const field of descriptor.inspectorFields) expect(keys).toContain(field);
        for (const other of GROUP_KINDS) {
          if (other === kind) continue;
          for (const field of GROUP_DESCRIPTORS[other].inspectorFields) {
            if (!(descriptor.inspectorFields as readonly string[]).includes(field))
              expect(keys, `${field} on ${kind}`).not.toContain(field);
          }
        }
      });

      it('editor: admits exactly the service kinds it lists', () => {
        const kinds: ServiceKind[] = ['redis', 'mongodb', 'app'];
        for (const service of kinds)
          expect(admitsMember({ kind }, { kind: service })).toBe(
            descriptor.memberKinds === undefined || descriptor.memberKinds.includes(service),
          );
      });
    });
  }
});

describe('a changed descriptor changes every reader', () => {
  const quorum = GROUP_DESCRIPTORS.quorum;
  const original = { ...quorum };
  afterEach(() => Object.assign(quorum, original));

  it('evaluation: a quorum evaluated as best-member survives losing its majority', () => {
    expect(compileAvailability(designOf('quorum')).evaluate(['h1', 'h2']).stateOf('g')!.state).toBe('down');
    Object.assign(quorum, { evaluation: 'best-member' });
    expect(compileAvailability(designOf('quorum')).evaluate(['h1', 'h2']).stateOf('g')!.state).toBe('up');
  });

  it('rules: a quorum that no longer owns quorum.even is not told it is even', () => {
    const even = designOf('quorum', ['n3']);
    expect(rulesFired(even).has('quorum.even')).toBe(true);
    Object.assign(quorum, { rules: quorum.rules.filter((rule) => rule !== 'quorum.even') });
    expect(rulesFired(even).has('quorum.even')).toBe(false);
  });

  it('roll-out, inspector, editor and loader follow the descriptor', () => {
    const design = designOf('quorum');
    Object.assign(quorum, {
      rolloutRank: undefined,
      inspectorFields: ['load'],
      memberKinds: ['redis'],
      idPrefix: 'cluster',
    });
    expect(serialGroupsOf(design).some((g) => g.id === 'g')).toBe(false);
    expect(fieldsOfItem('groups', { id: 'g', kind: 'quorum' }).map((f) => f.key)).toContain('load');
    expect(admitsMember({ kind: 'quorum' }, { kind: 'app' })).toBe(false);
    expect(addGroup(design, 'quorum', { x: 0, y: 0 })).toBe('cluster-1');
    expect(() => designOf('quorum')).toThrow(/holds only redis services, not an app service/);
  });
});
