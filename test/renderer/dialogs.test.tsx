// @vitest-environment happy-dom
/**
 * The buttons of the dialogs that only close or confirm: a confirmation offers Cancel, which
 * closes it and does nothing, beside its primary button, which closes it and then acts; a dialog
 * with nothing to confirm offers one primary Close.
 */
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { exportBundle } from '../../renderer/app/commands';
import type { AppServices } from '../../renderer/app/services';
import { Dialogs } from '../../renderer/chrome/Dialogs';
import { example, testApp } from './fixtures';
import { renderInApp } from './render-inspector';

function renderDialogs(services: AppServices) {
  return renderInApp(services, <Dialogs />);
}

/** The dialog's buttons, in order: their words and whether each is the primary one. */
function buttons(): { text: string; primary: boolean }[] {
  return within(screen.getByTestId('dialog'))
    .getAllByRole('button')
    .map((button) => ({ text: button.textContent!, primary: button.classList.contains('primary') }));
}

afterEach(cleanup);

describe('a confirmation', () => {
  it('closes on Cancel without acting, and its primary button closes it and then acts', async () => {
    const { services, log } = testApp(example('tessera-ha-broken.topo.json'));
    renderDialogs(services);
    await act(() => exportBundle(services));
    expect(buttons()).toEqual([
      { text: 'Cancel', primary: false },
      { text: 'Export anyway', primary: true },
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('dialog')).toBeNull();
    expect(log.bundles).toEqual([]);

    await act(() => exportBundle(services));
    fireEvent.click(screen.getByTestId('confirm'));
    expect(screen.queryByTestId('dialog')).toBeNull();
    await waitFor(() => expect(log.bundles).toHaveLength(1));
  });
});

describe('a dialog with nothing to confirm', () => {
  it('offers one primary Close that closes it', () => {
    const { services } = testApp();
    renderDialogs(services);
    act(() => services.store.getState().openDialog({ kind: 'shortcuts' }));
    expect(buttons()).toEqual([{ text: 'Close', primary: true }]);
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('dialog')).toBeNull();
  });
});
