/**
 * The worker answers with what changed since the analysis the page holds. Whatever the sequence
 * of edits and failures, the analysis the page rebuilds must be the one the worker computed, and
 * what did not change must stay the very object the panels and nodes already read.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { produce } from 'immer';
import type { Design } from '../../core/model';
import { syntheticDesign } from '../../bench/synthetic';
import { AnswerReader, AnswerWriter } from '../../renderer/workers/analysis-diff';
import type { AnalysisAnswer } from '../../renderer/workers/analysis-diff';
import type { Analysis, AnalysisRequest } from '../../renderer/workers/analysis-protocol';
import { Analyzer } from '../../renderer/workers/analyze';
import { itemEntries, itemValue } from '../../renderer/workers/item-table';

/** A worker in-process: the analyzer and the answer writer, messages copied as postMessage does. */
function worker(): (request: AnalysisRequest) => { analysis: Analysis; answer: AnalysisAnswer } {
  const analyzer = new Analyzer();
  const writer = new AnswerWriter();
  return (request) => {
    const copy = structuredClone(request);
    const analysis = analyzer.analyze(copy, () => 0);
    return { analysis, answer: structuredClone(writer.answer(analysis, copy.answerBase)) };
  };
}

const base = syntheticDesign({ services: 60, seed: 5 });

type Step =
  | { kind: 'fail'; item: number }
  | { kind: 'recover' }
  | { kind: 'label'; item: number }
  | { kind: 'unlink'; item: number }
  | { kind: 'detail'; on: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('fail' as const), item: fc.nat() }),
  fc.record({ kind: fc.constant('recover' as const) }),
  fc.record({ kind: fc.constant('label' as const), item: fc.nat() }),
  fc.record({ kind: fc.constant('unlink' as const), item: fc.nat() }),
  fc.record({ kind: fc.constant('detail' as const), on: fc.boolean() }),
);

describe('answers as changes', () => {
  it('rebuild exactly the analysis the worker computed, over random edits and failures', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        const ask = worker();
        const reader = new AnswerReader();
        let design: Design = base;
        let revision = 1;
        let failed: string[] = [];
        let detail = true;
        let sendDesign = true;
        const request = () => {
          const { analysis, answer } = ask({
            revision,
            ...(sendDesign ? { design } : {}),
            failed,
            detail,
            answerBase: reader.base,
          });
          sendDesign = false;
          const read = reader.read(answer);
          expect(read).toEqual(analysis);
          return { read, answer };
        };
        let last = request();
        for (const s of steps) {
          if (s.kind === 'fail') {
            const hosts = design.hosts;
            failed = [...failed, hosts[s.item % hosts.length]!.id];
          } else if (s.kind === 'recover') failed = [];
          else if (s.kind === 'detail') detail = s.on;
          else {
            design = produce(design, (draft) => {
              if (s.kind === 'label') draft.services[s.item % draft.services.length]!.label = `s ${s.item}`;
              else if (draft.links && draft.links.length > 0)
                draft.links.splice(s.item % draft.links.length, 1);
            });
            revision++;
            sendDesign = true;
          }
          const next = request();
          expect(next.answer.kind).toBe('changes');
          // What did not change is the object the page held.
          for (const field of ['findings', 'badges', 'groups', 'singleFailures', 'entrypoints'] as const)
            if (JSON.stringify(next.read[field]) === JSON.stringify(last.read[field]))
              expect(next.read[field]).toBe(last.read[field]);
          last = next;
        }
      }),
      { numRuns: 40 },
    );
  });

  it('send a what-if failure as the states it changed, and keep the findings and their badges', () => {
    const ask = worker();
    const reader = new AnswerReader();
    const first = ask({ revision: 1, design: base, failed: [], detail: true });
    const before = reader.read(first.answer);
    const host = base.hosts[0]!.id;
    const { analysis, answer } = ask({ revision: 1, failed: [host], detail: true, answerBase: reader.base });
    const after = reader.read(answer);
    expect(after).toEqual(analysis);
    expect(answer.kind).toBe('changes');
    if (answer.kind !== 'changes') return;
    // Neither the findings nor the single-failure table travel again.
    expect(answer.changes.findings).toBeUndefined();
    expect(answer.changes.singleFailures).toBeUndefined();
    expect(after.findings).toBe(before.findings);
    expect(after.badges).toBe(before.badges);
    expect(after.singleFailures).toBe(before.singleFailures);
    // The states: only those the failure changed, the host itself among them.
    const changed = [...itemEntries(before.states)]
      .filter(([id, state]) => state !== itemValue(after.states, id))
      .map(([id]) => id);
    expect(changed).toContain(host);
    const sent = answer.changes.states;
    expect(sent && 'record' in sent ? Object.keys(sent.record.set).sort() : []).toEqual(changed.sort());
    expect(changed.length).toBeLessThan(after.states.size / 4);
  });

  it('come whole when the page holds another answer than the worker last sent', () => {
    const ask = worker();
    const reader = new AnswerReader();
    reader.read(ask({ revision: 1, design: base, failed: [], detail: true }).answer);
    // A page that lost its analysis (it started anew) asks without a base.
    const fresh = new AnswerReader();
    const { answer } = ask({ revision: 1, failed: [], detail: true, answerBase: fresh.base });
    expect(answer.kind).toBe('whole');
    // An answer of changes from one the page does not hold is refused, not misapplied.
    const changes = ask({ revision: 1, failed: [], detail: true, answerBase: 2 }).answer;
    expect(changes.kind).toBe('changes');
    expect(() => fresh.read(changes)).toThrow(/does not hold/);
  });
});
