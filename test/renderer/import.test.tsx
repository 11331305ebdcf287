// @vitest-environment happy-dom
/**
 * File › Import in the designer: a folder of configs (here the generated bundle of an example)
 * becomes the open design, laid out, and the dialog beside it lists what import did not use and
 * what no config carries, with the file and line of each.
 */
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../../renderer/app/app-commands';
import type { AppServices } from '../../renderer/app/services';
import { Dialogs } from '../../renderer/chrome/Dialogs';
import { importFiles } from '../../renderer/import/import-folder';
import { bundleFolder } from '../import/bundle-folder';
import { example, testApp } from './fixtures';
import { renderInApp } from './render-inspector';

function renderDialogs(services: AppServices) {
  return renderInApp(services, <Dialogs />);
}

afterEach(cleanup);

describe('File › Import', () => {
  it('is a command of the File menu', () => {
    const command = registry.all().find((candidate) => candidate.id === 'file.import-folder');
    expect(command?.testId).toBe('menu-import');
    expect(command?.menus?.[0]?.menu).toBe('file');
  });

  it('opens the imported design laid out, with the unused and missing lists beside it', async () => {
    const { services } = testApp();
    renderDialogs(services);
    await importFiles(services, 'teramind-configs', bundleFolder(example('teramind-ha.topo.json')));
    const state = services.store.getState();
    expect(state.design.services.map((service) => service.id)).toEqual(
      expect.arrayContaining(['lb-a', 'lb-b', 'node-1', 'redis-1', 'sentinel-5', 'recordings']),
    );
    expect((state.design.entrypoints ?? []).map((entrypoint) => entrypoint.id).sort()).toEqual([
      'agents',
      'dashboard',
    ]);
    // Laid out: every service has a place on the canvas.
    await waitFor(() => expect(Object.keys(services.store.getState().design.layout ?? {})).toContain('lb-a'));

    const dialog = await screen.findByRole('dialog', { name: 'Imported teramind-configs' });
    const unused = within(dialog).getByTestId('import-unused');
    expect(within(unused).getAllByText('hosts/tm-1/etc/redis/redis.conf:10').length).toBeGreaterThan(0);
    expect(within(dialog).getByTestId('import-missing').textContent).toContain('sites (failure domains)');
  });
});
