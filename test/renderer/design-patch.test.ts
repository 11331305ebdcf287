/**
 * The analysis worker gets each new revision as what changed since the one it holds. What it
 * rebuilds must be the design itself, or the findings a user reads would be of another design.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { produce } from 'immer';
import type { Design } from '../../core/model';
import { syntheticDesign } from '../../bench/synthetic';
import { connectAnalysis } from '../../renderer/app/analysis';
import { createAppStore } from '../../renderer/state/store';
import type { AnalysisRequest } from '../../renderer/workers/analysis-protocol';
import { Analyzer } from '../../renderer/workers/analyze';
import { AnswerWriter } from '../../renderer/workers/analysis-diff';
import { applyDesignPatch, diffDesign } from '../../renderer/workers/design-patch';
import { arrangeDesign } from '../../renderer/layout/auto-layout';

function laidOut(services: number): Design {
  const design = syntheticDesign({ services, seed: 3 });
  return produce({ ...design, layout: arrangeDesign(design, { aspect: 1.6 }) }, () => {});
}

type Edit =
  | { kind: 'move' | 'label' | 'remove' | 'unplace'; item: number }
  | { kind: 'add' | 'describe' | 'forget-description'; item: number };

const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('move', 'label', 'remove', 'unplace', 'add', 'describe', 'forget-description'),
  item: fc.nat(),
});

function apply(design: Design, edits: readonly Edit[]): Design {
  return produce(design, (draft) => {
    for (const { kind, item } of edits) {
      const service = draft.services[item % draft.services.length]!;
      if (kind === 'move') draft.layout![service.id] = { x: item, y: item * 2 };
      else if (kind === 'label') service.label = `renamed ${item}`;
      else if (kind === 'remove') draft.services.splice(item % draft.services.length, 1);
      else if (kind === 'unplace') delete draft.layout![service.id];
      else if (kind === 'add')
        draft.services.splice(item % draft.services.length, 0, {
          ...service,
          id: `new-${item}` as typeof service.id,
        });
      else if (kind === 'describe') draft.description = `described ${item}`;
      else delete draft.description;
    }
  });
}

describe('design patches', () => {
  it('rebuild the new design exactly from the one the worker holds', () => {
    const start = laidOut(60);
    fc.assert(
      fc.property(fc.array(edit, { minLength: 0, maxLength: 6 }), (edits) => {
        const next = apply(start, edits);
        // Through a copy, as a message to a worker is.
        const patch = structuredClone(diffDesign(start, next));
        expect(applyDesignPatch(structuredClone(start), patch)).toEqual(next);
      }),
      { numRuns: 200 },
    );
  });

  it('carry what an edit changed, not the design', () => {
    const start = laidOut(2000);
    const moved = apply(start, [{ kind: 'move', item: 5 }]);
    const size = JSON.stringify(diffDesign(start, moved)).length;
    expect(size).toBeLessThan(200);
    expect(JSON.stringify(moved).length).toBeGreaterThan(size * 1000);
  });

  it('give the findings of the whole design after every edit', async () => {
    const store = createAppStore();
    const start = laidOut(40);
    store.getState().replaceDocument(start, { name: 'test.topo.json' });
    const worker = new Analyzer();
    const writer = new AnswerWriter();
    const sent: AnalysisRequest[] = [];
    const { stop } = connectAnalysis(store, async (request) => {
      sent.push(request);
      // Both ways through a structured clone, as postMessage copies them.
      const copy = structuredClone(request);
      return structuredClone(writer.answer(worker.analyze(copy), copy.answerBase));
    });
    const settled = () =>
      new Promise<void>((resolve) => {
        const check = () =>
          store.getState().analysis?.revision === store.getState().revision
            ? resolve()
            : setTimeout(check, 5);
        check();
      });
    await settled();
    const service = start.services[3]!;
    store.getState().editDesign('Rename', (draft) => {
      draft.services[3]!.label = 'renamed';
      draft.services[4]!.port = 99999;
    });
    await settled();
    store.getState().editDesign('Move', (draft) => {
      draft.layout![service.id] = { x: 1, y: 2 };
    });
    await settled();
    stop();
    expect(sent[0]!.design).toBeDefined();
    expect(sent.slice(1).every((request) => request.design === undefined && request.patch)).toBe(true);
    const whole = new Analyzer().analyze({
      revision: 0,
      design: store.getState().design,
      failed: [],
      detail: false,
    });
    expect(store.getState().analysis!.findings).toEqual(whole.findings);
    expect(whole.findings.length).toBeGreaterThan(0);
  });
});
