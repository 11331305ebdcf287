// @vitest-environment happy-dom
import { act, cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { whereInWords } from '../../renderer/inspector/problem-words';
import { example, testApp } from './fixtures';
import { commit, renderInspector } from './render-inspector';

afterEach(cleanup);

describe('the inspector says where, by label', () => {
  it('names the other host, by label, when an address is taken, whichever comes first in the file', () => {
    const design = example('tessera-ha.topo.json');
    const labelled = {
      ...design,
      hosts: design.hosts.map((h, i) => (i === 1 ? { ...h, label: 'Balancer two' } : h)),
    };
    const { services } = testApp(labelled);
    // lb-1 comes before lb-2 in the file: the loader alone would report the clash on lb-2.
    act(() => services.store.getState().select(['lb-1']));
    renderInspector(services);
    const before = services.store.getState().design;
    commit(screen.getByTestId('field-address'), labelled.hosts[1]!.address);
    expect(screen.getByTestId('error-address').textContent).toBe(
      `'${labelled.hosts[1]!.address}' is already the address of host Balancer two (lb-2); two hosts may not share an address`,
    );
    expect(services.store.getState().design).toBe(before);
  });

  it('puts the label and field first and the file path in the details', () => {
    const design = example('tessera-ha.topo.json');
    const labelled = {
      ...design,
      hosts: design.hosts.map((h, i) => (i === 1 ? { ...h, label: 'Balancer two' } : h)),
    };
    expect(whereInWords(labelled, ['hosts', 1, 'address'])).toBe('host Balancer two (lb-2), address');
    expect(whereInWords(labelled, ['hosts', 0, 'ssh', 'port'])).toBe('host lb-1, ssh port');
    expect(whereInWords(labelled, ['links', 2, 'to'])).toBe('link 3, to');
  });

  it('marks the fields of an empty optional object as optional until one is filled', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    act(() => services.store.getState().select(['lb-a']));
    const view = renderInspector(services);
    const tls = view.container.querySelector('[data-field="tls"]')!;
    expect(tls).not.toBeNull();
    expect(tls.querySelectorAll('.required')).toHaveLength(0);
    commit(tls.querySelector('input')!, '/etc/ssl/lb.pem');
    expect(tls.querySelectorAll('.required').length).toBeGreaterThan(0);
  });
});
