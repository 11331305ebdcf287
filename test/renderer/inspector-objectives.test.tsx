// @vitest-environment happy-dom
/**
 * The objectives read and are typed the same in the inspector and in the Resilience view: the
 * same labels, availability in percent, the RTO in seconds, the same refusal of what is not one.
 */
import { act, cleanup, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppServices } from '../../renderer/app/services';
import { Inspector } from '../../renderer/inspector/Inspector';
import { ResiliencePanel } from '../../renderer/panels/ResiliencePanel';
import { example, testApp } from './fixtures';
import { commit, renderInApp } from './render-inspector';

afterEach(cleanup);

function renderBoth(services: AppServices) {
  act(() => services.store.getState().setPanel('resilience'));
  return renderInApp(
    services,
    <>
      <Inspector />
      <ResiliencePanel />
    </>,
  );
}

/** The inspector's Objectives box and the input of each of its fields, by the label a person reads. */
function inspectorObjectives(view: ReturnType<typeof renderInApp>) {
  const box = view.container.querySelector<HTMLElement>('fieldset[data-field="objectives"]')!;
  expect(box).not.toBeNull();
  const labels = [...box.querySelectorAll('label')].map((label) => label.textContent);
  const input = (label: string) => within(box).getByLabelText(label) as HTMLInputElement;
  return { box, labels, input };
}

describe('the objectives in the inspector', () => {
  it('are named as in the Resilience view, and availability is typed in percent there too', () => {
    const design = { ...example('tessera-ha.topo.json'), objectives: { availability: 0.9995 } };
    const { services } = testApp(design);
    const view = renderBoth(services);
    const objectives = inspectorObjectives(view);
    expect(objectives.labels).toEqual(['Availability objective (%)', 'RTO objective (s)']);
    expect(view.container.textContent).not.toContain('Rto seconds');
    // The same label names the inspector's field and the Resilience view's, each showing 99.95.
    const availabilityFields = screen.getAllByLabelText('Availability objective (%)') as HTMLInputElement[];
    expect(availabilityFields).toContain(screen.getByTestId('resilience-objective-availability'));
    // The inspector's and the design's in the view; each entrypoint's own follow, empty (inherited).
    expect(availabilityFields.map((field) => field.value).slice(0, 2)).toEqual(['99.95', '99.95']);
    expect(screen.getAllByLabelText('RTO objective (s)')).toContain(
      screen.getByTestId('resilience-objective-rto'),
    );

    commit(objectives.input('Availability objective (%)'), '99.9');
    expect(services.store.getState().design.objectives).toEqual({ availability: 0.999 });
    expect((screen.getByTestId('resilience-objective-availability') as HTMLInputElement).value).toBe('99.9');
    commit(objectives.input('RTO objective (s)'), '5 s');
    expect(services.store.getState().design.objectives).toEqual({ availability: 0.999, rtoSeconds: 5 });
    expect((screen.getByTestId('resilience-objective-rto') as HTMLInputElement).value).toBe('5');
  });

  it('refuses what is not an objective with the Resilience view’s sentence, and leaves the design alone', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const view = renderBoth(services);
    const before = services.store.getState().design;
    const objectives = inspectorObjectives(view);
    commit(objectives.input('Availability objective (%)'), '120');
    expect(within(objectives.box).getByRole('alert').textContent).toBe(
      '120% is not an availability: type a percentage above 0, at most 100',
    );
    expect(services.store.getState().design).toBe(before);
  });

  it('names an entrypoint’s own objectives the same way', () => {
    const design = example('tessera-ha.topo.json');
    const { services } = testApp(design);
    act(() => services.store.getState().select([design.entrypoints![0]!.id]));
    const view = renderBoth(services);
    const objectives = inspectorObjectives(view);
    expect(objectives.labels).toEqual(['Availability objective (%)', 'RTO objective (s)']);
    commit(objectives.input('Availability objective (%)'), '99.99');
    expect(services.store.getState().design.entrypoints![0]!.objectives).toEqual({ availability: 0.9999 });
  });
});
