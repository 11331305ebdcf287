// @vitest-environment happy-dom
/**
 * The inspector shows `auth`, which the schema gives a default of true, as on until the design sets
 * it false, and turning it off takes a reason first, as the design file does.
 */
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, expect, it } from 'vitest';
import { example, testApp } from './fixtures';
import { renderInspector } from './render-inspector';

afterEach(cleanup);

it('authentication is on until turned off, and turning it off takes a reason', () => {
  const { services } = testApp(example('teramind-ha.topo.json'));
  act(() => services.store.getState().select(['redis-2']));
  renderInspector(services);
  const redis = () => services.store.getState().design.services.find((service) => service.id === 'redis-2')!;
  const auth = screen.getByTestId('field-auth') as HTMLInputElement;
  expect(auth.checked).toBe(true);
  expect('auth' in redis()).toBe(false);

  act(() => void fireEvent.click(auth));
  expect(screen.getAllByRole('alert').map((alert) => alert.textContent)).toContain(
    "auth: false needs an 'authReason': say in words why this service may let anyone who reaches it in",
  );
  expect('auth' in redis()).toBe(false);

  const reason = screen.getByTestId('field-authReason');
  act(() => {
    fireEvent.change(reason, { target: { value: 'a lab without strangers' } });
    fireEvent.keyDown(reason, { key: 'Enter' });
  });
  act(() => void fireEvent.click(screen.getByTestId('field-auth')));
  expect(redis()).toMatchObject({ auth: false, authReason: 'a lab without strangers' });
  expect((screen.getByTestId('field-auth') as HTMLInputElement).checked).toBe(false);

  // Back on: the default again, so the file does not carry auth: true.
  act(() => void fireEvent.click(screen.getByTestId('field-auth')));
  expect('auth' in redis()).toBe(false);
});
