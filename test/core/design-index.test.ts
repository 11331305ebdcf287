import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { indexDesign } from '../../core/design-index';
import { generateBundle } from '../../core/generate/index';
import { validateDesign } from '../../core/rules';
import { exampleFiles, loadExample } from '../fixtures/examples';
import { makeDesign } from './builders';

function twoRedundantApps() {
  return makeDesign({
    services: [
      { id: 'app-1', kind: 'app', host: 'node-1', port: 8080, group: 'apps' },
      { id: 'app-2', kind: 'app', host: 'node-2', port: 8080, group: 'apps' },
    ],
    groups: [{ id: 'apps', kind: 'pool' }],
  });
}

describe('the design index, once per revision', () => {
  it('indexes a frozen revision once, and the rules run once on it', () => {
    const revision = produce(twoRedundantApps(), () => {});
    expect(Object.isFrozen(revision)).toBe(true);
    expect(indexDesign(revision)).toBe(indexDesign(revision));
    const first = validateDesign(revision);
    expect(validateDesign(revision)).toBe(first);
    expect(validateDesign(indexDesign(revision)).model).toBe(first.model);
  });

  it('sees an edit: the next revision gets its own index and its own findings', () => {
    const before = produce(twoRedundantApps(), () => {});
    const after = produce(before, (draft) => {
      draft.services = draft.services.filter((service) => service.id !== 'app-2');
    });
    expect(validateDesign(before).findings.some((f) => f.rule === 'spof.host')).toBe(false);
    expect(validateDesign(after).findings.some((f) => f.rule === 'spof.host')).toBe(true);
    expect(indexDesign(after).services.has('app-2')).toBe(false);
  });

  it('indexes an unfrozen design anew, so an edit in place is never hidden by an old index', () => {
    const design = twoRedundantApps();
    expect(validateDesign(design).findings.some((f) => f.rule === 'spof.host')).toBe(false);
    design.services.pop();
    expect(validateDesign(design).findings.some((f) => f.rule === 'spof.host')).toBe(true);
  });

  it('generates the same bytes from an index passed down as from the design', () => {
    for (const file of exampleFiles.slice(0, 2)) {
      const design = loadExample(file);
      const fromDesign = generateBundle(design).files.map((f) => [f.path, f.content]);
      const fromIndex = generateBundle(indexDesign(design)).files.map((f) => [f.path, f.content]);
      expect(fromIndex).toEqual(fromDesign);
    }
  });
});
