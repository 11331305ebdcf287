// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { syntheticDesign } from '../../bench/synthetic';
import { deleteSelection } from '../../renderer/app/commands';
import { edgeIdOf } from '../../renderer/state/edge-ids';
import { example, testApp } from './fixtures';
import { commit, renderInspector } from './render-inspector';

afterEach(cleanup);

describe('the inspector', () => {
  it('edits the selected link, not the one at its old place, after an undo brings an earlier link back', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const state = () => services.store.getState();
    const linkId = (index: number) => edgeIdOf({ role: 'link', link: state().linkIds[index]! });
    // Delete the first link: every later link moves up one place.
    act(() => state().select([linkId(0)]));
    act(() => deleteSelection(services));
    expect(state().design.links).toHaveLength(13);
    // Select lb-a → tessera-a on 9101, now the second link.
    expect(state().design.links![1]).toMatchObject({ from: 'lb-a', to: 'tessera-a', port: 9101 });
    const chosen = linkId(1);
    act(() => state().select([chosen]));
    // Undo the deletion: the first link is back, and the chosen link is the third again.
    act(() => state().undo());
    expect(state().design.links).toHaveLength(14);
    expect(state().selection).toEqual([chosen]);
    renderInspector(services);
    expect(screen.getByText('lb-a → tessera-a')).toBeDefined();
    const port = screen.getByTestId('field-port') as HTMLInputElement;
    expect(port.value).toBe('9101');
    commit(port, '9102');
    const links = state().design.links!;
    expect(links[2]).toMatchObject({ from: 'lb-a', to: 'tessera-a', port: 9102 });
    // Nothing else changed: the link at the chosen link's old place keeps its port.
    expect(links[1]).toMatchObject({ from: 'lb-a', to: 'tessera-b', port: 9080 });
    expect(links.filter((l) => l.port === 9102)).toHaveLength(1);
    // The edit keeps the link's identity: it is still selected, and still the one shown.
    expect(state().selection).toEqual([chosen]);
    expect(state().linkIds[2]).toBe(chosen.slice('link:'.length));
  });

  it('shows an invalid value inline with the schema message and leaves the design alone', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    act(() => services.store.getState().select(['lb-1']));
    renderInspector(services);
    const before = services.store.getState().design;
    const address = screen.getByTestId('field-address') as HTMLInputElement;
    expect(address.value).toBe('10.40.0.11');
    commit(address, 'not an address!');
    expect(screen.getByTestId('error-address').textContent).toBe(
      "'not an address!' is not an IPv4 or IPv6 address or a DNS name",
    );
    expect(address.getAttribute('aria-invalid')).toBe('true');
    expect(services.store.getState().design).toBe(before);

    commit(address, 'lb-1.example.net');
    expect(screen.queryByTestId('error-address')).toBeNull();
    expect(services.store.getState().design.hosts[0]!.address).toBe('lb-1.example.net');
    expect(services.store.getState().past.at(-1)?.label).toBe('Set lb-1 address');
  });

  it('refuses a number out of range and text where a number belongs', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    act(() => services.store.getState().select(['tessera-a']));
    renderInspector(services);
    const port = screen.getByTestId('field-port');
    commit(port, '0');
    expect(screen.getByTestId('error-port').textContent).toBe(
      '0 is out of range: must be a whole number from 1 to 65535',
    );
    commit(port, 'eighty');
    expect(screen.getByTestId('error-port').textContent).toBe(
      "must be a whole number, not the text 'eighty'",
    );
    expect(services.store.getState().past).toEqual([]);
  });

  it('renames an item with its references, and refuses an id that is taken', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    act(() => services.store.getState().select(['lb-1']));
    renderInspector(services);
    const id = screen.getByTestId('field-id');
    commit(id, 'tessera-1');
    expect(screen.getByTestId('error-id').textContent).toMatch(
      /'tessera-1' is already the id of host tessera-1; ids are unique/,
    );
    commit(id, 'edge-1');
    const design = services.store.getState().design;
    expect(design.hosts[0]!.id).toBe('edge-1');
    expect(design.services.find((s) => s.id === 'lb-a')?.host).toBe('edge-1');
    expect(services.store.getState().selection).toEqual(['edge-1']);
  });

  it('collects the required fields of a new object before committing it', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    act(() => services.store.getState().select(['lb-a']));
    renderInspector(services);
    const before = services.store.getState().design;
    commit(screen.getByTestId('field-tls.cert'), '/etc/ssl/tessera.pem');
    expect(screen.getByText('Fill in key to apply.')).toBeDefined();
    expect(services.store.getState().design).toBe(before);
    commit(screen.getByTestId('field-tls.key'), '/etc/ssl/private/tessera.key');
    const lb = services.store.getState().design.services.find((s) => s.id === 'lb-a');
    expect(lb).toMatchObject({ tls: { cert: '/etc/ssl/tessera.pem', key: '/etc/ssl/private/tessera.key' } });
    commit(screen.getByTestId('field-tls.key'), 'relative/key');
    expect(screen.getByTestId('error-key').textContent).toMatch(/must be an absolute path/);
  });

  it('edits the design itself when nothing is selected', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    renderInspector(services);
    commit(screen.getByTestId('field-name'), '');
    expect(screen.getByTestId('error-name').textContent).toBe('must not be empty');
    commit(screen.getByTestId('field-name'), 'Tessera, second site');
    expect(services.store.getState().design.name).toBe('Tessera, second site');
  });
});

describe('a reference field of a large design', () => {
  it('holds only the chosen item until the person reaches for it, then every choice', () => {
    const { services } = testApp(syntheticDesign({ services: 300, seed: 3 }));
    const state = () => services.store.getState();
    const service = state().design.services.find((s) => s.host !== undefined)!;
    act(() => state().select([service.id]));
    renderInspector(services);
    const host = screen.getByTestId('field-host') as HTMLSelectElement;
    // Closed, the list shows what is chosen, and holds no more than that (and "none").
    expect(host.value).toBe(service.host);
    expect([...host.options].map((option) => option.value)).toEqual(['', service.host]);
    act(() => {
      fireEvent.pointerDown(host);
      fireEvent.focus(host);
    });
    expect(host.options).toHaveLength(state().design.hosts.length + 1);
    expect(host.value).toBe(service.host);
    const other = state().design.hosts.find((h) => h.id !== service.host)!.id;
    act(() => {
      fireEvent.change(host, { target: { value: other } });
    });
    expect(state().design.services.find((s) => s.id === service.id)!.host).toBe(other);
  });
});

describe('the link list of a service in a large design', () => {
  it('holds nothing to choose until the person reaches for it, then every other service and group', () => {
    const { services } = testApp(syntheticDesign({ services: 300, seed: 3 }));
    const state = () => services.store.getState();
    const [service, other] = state().design.services;
    act(() => state().select([service!.id]));
    renderInspector(services);
    const target = screen.getByTestId('link-target') as HTMLSelectElement;
    // Closed and untouched, the list shows "Link to…" and holds nothing else.
    expect([...target.options].map((option) => option.value)).toEqual(['']);
    // A drop elsewhere (a new revision of the design) leaves it so.
    act(() => void state().editDesign('Rename', (draft) => void (draft.name = 'moved')));
    expect(screen.getByTestId('link-target').querySelectorAll('option')).toHaveLength(1);
    act(() => {
      fireEvent.pointerDown(target);
      fireEvent.focus(target);
    });
    const groups = state().design.groups ?? [];
    expect(target.options).toHaveLength(1 + state().design.services.length - 1 + groups.length);
    expect([...target.options].some((option) => option.value === service!.id)).toBe(false);
    act(() => {
      fireEvent.change(target, { target: { value: other!.id } });
    });
    act(() => {
      fireEvent.click(screen.getByTestId('add-link'));
    });
    expect(state().design.links).toContainEqual(
      expect.objectContaining({ from: service!.id, to: other!.id }),
    );
  });
});
