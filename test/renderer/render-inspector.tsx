/** The inspector rendered as the app renders it, for the inspector's tests, and a field edit. */
import { act, fireEvent, render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { ServicesContext } from '../../renderer/app/services';
import type { AppServices } from '../../renderer/app/services';
import { Inspector } from '../../renderer/inspector/Inspector';
import { StoreContext } from '../../renderer/state/store';

export function renderInspector(services: AppServices) {
  return renderInApp(services, <Inspector />);
}

/** Renders `element` inside the app's store and services, as the app's window does. */
export function renderInApp(services: AppServices, element: ReactNode) {
  return render(
    <StoreContext.Provider value={services.store}>
      <ServicesContext.Provider value={services}>{element}</ServicesContext.Provider>
    </StoreContext.Provider>,
  );
}

/** Types `value` into a field and presses Enter, as a person commits an edit. */
export function commit(input: HTMLElement, value: string) {
  act(() => {
    fireEvent.change(input, { target: { value } });
    fireEvent.keyDown(input, { key: 'Enter' });
  });
}
