// @vitest-environment happy-dom
/**
 * File › Import from hosts in a page: in a browser it says the desktop app or `topoforge collect`
 * is needed; with a desktop host it shows a progress bar per host from the host's events (files,
 * bytes, state, the reason of a failure), lets the person trust an unknown key, cancels, and
 * imports what was collected as File › Import folder does. The real collection against sshd is in
 * test/electron/import-service.test.ts.
 */
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { CollectEvent, CollectReport, CollectRequest, CollectedHostReport } from '../../core/collect';
import type { HostCommand } from '../../core/host';
import { registry } from '../../renderer/app/app-commands';
import { connectHost } from '../../renderer/app/host-bridge';
import type { AppServices } from '../../renderer/app/services';
import { Dialogs } from '../../renderer/chrome/Dialogs';
import { bundleFolder } from '../import/bundle-folder';
import { example, testApp } from './fixtures';
import { renderInApp } from './render-inspector';

function renderDialogs(services: AppServices) {
  return renderInApp(services, <Dialogs />);
}

afterEach(cleanup);

const FINGERPRINT = 'SHA256:2Cq0Ndx9bEg0x0qg1jVbY3yJ3Wcc8c7hK0a0qkzJ4kI';

function hostReport(
  host: string,
  address: string,
  fields: Partial<CollectedHostReport>,
): CollectedHostReport {
  return {
    host,
    address,
    port: 22,
    user: 'root',
    state: 'done',
    files: 0,
    bytes: 0,
    problems: [],
    ...fields,
  };
}

/** A desktop host whose collection the test drives: it emits events and answers when told. */
function desktopApp() {
  const { services } = testApp();
  const requests: CollectRequest[] = [];
  let emit: (event: CollectEvent) => void = () => undefined;
  let answer: (report: CollectReport) => void = () => undefined;
  let cancels = 0;
  let menuCommand: (command: HostCommand) => void = () => undefined;
  services.host = {
    ...services.host,
    platform: 'desktop',
    onCommand: (listener) => {
      menuCommand = listener;
      return () => undefined;
    },
    onCollectEvent: (listener) => {
      emit = listener;
      return () => undefined;
    },
    collectConfigs: (request) => {
      requests.push(request);
      return new Promise((resolve) => (answer = resolve));
    },
    cancelCollect: async () => {
      cancels += 1;
    },
  };
  const stop = connectHost(services);
  renderDialogs(services);
  return {
    services,
    requests,
    emit: (event: CollectEvent) => act(() => emit(event)),
    answer: (report: CollectReport) => act(async () => answer(report)),
    cancels: () => cancels,
    menu: (command: HostCommand) => act(() => menuCommand(command)),
    stop,
  };
}

function openDialog(services: AppServices, targets: string) {
  act(() => registry.run('file.import-hosts', services));
  const dialog = screen.getByRole('dialog', { name: 'Import from hosts' });
  fireEvent.change(within(dialog).getByTestId('import-hosts-targets'), { target: { value: targets } });
  return dialog;
}

describe('File › Import from hosts in a browser', () => {
  it('is in the File menu and says it needs the desktop app or topoforge collect', () => {
    const command = registry.all().find((candidate) => candidate.id === 'file.import-hosts');
    expect(command?.label).toBe('Import from hosts…');
    expect(command?.menus?.[0]?.menu).toBe('file');
    const { services } = testApp();
    renderDialogs(services);
    act(() => registry.run('file.import-hosts', services));
    const text = screen.getByTestId('import-hosts-unavailable').textContent ?? '';
    expect(text).toContain('needs the desktop app');
    expect(text).toContain('topoforge collect');
    expect(text).toContain('Import configs from a folder');
  });
});

describe('File › Import from hosts on the desktop', () => {
  it('shows a progress bar per host, the reason a host failed, and imports what was read', async () => {
    const app = desktopApp();
    const dialog = openDialog(app.services, 'root@10.0.0.5\n\nops@10.0.0.6:2222\n');
    fireEvent.click(within(dialog).getByTestId('import-hosts-start'));
    expect(app.requests).toEqual([
      { targets: ['root@10.0.0.5', 'ops@10.0.0.6:2222'], confirmedHostKeys: [] },
    ]);

    const first = 'host-10-0-0-5';
    const second = 'host-10-0-0-6';
    expect(screen.getByTestId(`import-hosts-state-${first}`).textContent).toBe('waiting');
    app.emit({ type: 'state', host: first, address: '10.0.0.5', port: 22, state: 'connecting' });
    app.emit({ type: 'state', host: first, address: '10.0.0.5', port: 22, state: 'collecting' });
    app.emit({ type: 'file', host: first, path: '/etc/nginx/nginx.conf', files: 1, bytes: 900, wanted: 3 });
    app.emit({
      type: 'file',
      host: first,
      path: '/etc/haproxy/haproxy.cfg',
      files: 2,
      bytes: 2400,
      wanted: 3,
    });
    expect(screen.getByTestId(`import-hosts-state-${first}`).textContent).toBe('collecting');
    expect(screen.getByTestId(`import-hosts-count-${first}`).textContent).toBe('2 files · 2.4 kB');
    const bar = screen.getByTestId(`import-hosts-progress-${first}`) as HTMLProgressElement;
    expect([bar.getAttribute('value'), bar.getAttribute('max')]).toEqual(['2', '3']);
    expect(screen.getByTestId('import-hosts-cancel')).toBeTruthy();

    const reason = 'the connection was lost: read ECONNRESET';
    app.emit({ type: 'state', host: second, address: '10.0.0.6', port: 2222, state: 'connecting' });
    app.emit({ type: 'state', host: second, address: '10.0.0.6', port: 2222, state: 'failed', reason });
    expect(screen.getByTestId(`import-hosts-reason-${second}`).textContent).toBe(reason);

    // The first host's files: a real bundle's, under its own host folder.
    const files = bundleFolder(example('tessera-ha.topo.json'));
    await app.answer({
      cancelled: false,
      hosts: [
        hostReport(first, '10.0.0.5', { files: 3, bytes: 3100 }),
        hostReport(second, '10.0.0.6', {
          port: 2222,
          user: 'ops',
          state: 'failed',
          problems: [{ message: reason }],
        }),
      ],
      files,
      problems: [],
    });
    expect(screen.getByTestId(`import-hosts-state-${first}`).textContent).toBe('done');
    // Not every host was read: nothing is imported until the person says so.
    expect(app.services.store.getState().design.services).toEqual([]);
    fireEvent.click(screen.getByTestId('import-hosts-import'));

    const report = await screen.findByRole('dialog', { name: `Imported ${first}` });
    expect(within(report).getByTestId('import-problems').textContent).toContain(
      `ops@10.0.0.6:2222not imported: ${reason}`,
    );
    expect(app.services.store.getState().design.services.length).toBeGreaterThan(0);
    expect(app.services.store.getState().file.name).toBe(`${first}.topo.json`);
    app.stop();
  });

  it('imports at once when every host was read, with the unused list beside the design', async () => {
    const app = desktopApp();
    openDialog(app.services, 'root@lb-1.example.net');
    fireEvent.click(screen.getByTestId('import-hosts-start'));
    await app.answer({
      cancelled: false,
      hosts: [hostReport('lb-1-example-net', 'lb-1.example.net', { files: 12, bytes: 20_000 })],
      files: bundleFolder(example('teramind-ha.topo.json')),
      problems: [],
    });
    const report = await screen.findByRole('dialog', { name: 'Imported lb-1-example-net' });
    expect(within(report).getByTestId('import-unused').textContent).toContain(
      'hosts/tm-1/etc/redis/redis.conf',
    );
    await waitFor(() =>
      expect(Object.keys(app.services.store.getState().design.layout ?? {})).toContain('lb-a'),
    );
    app.stop();
  });

  it('shows an unknown key with its fingerprint; trusting it sends it with the next collection', async () => {
    const app = desktopApp();
    openDialog(app.services, 'root@10.0.0.5');
    fireEvent.click(screen.getByTestId('import-hosts-start'));
    await app.answer({
      cancelled: false,
      hosts: [
        hostReport('host-10-0-0-5', '10.0.0.5', {
          state: 'failed',
          problems: [{ message: 'the ssh-ed25519 key was not confirmed' }],
          refusedKey: { type: 'ssh-ed25519', fingerprint: FINGERPRINT, state: 'unknown' },
        }),
      ],
      files: [],
      problems: [],
    });
    expect(screen.getByTestId('import-hosts-fingerprint-host-10-0-0-5').textContent).toBe(FINGERPRINT);
    expect(screen.queryByTestId('import-hosts-import')).toBeNull();
    fireEvent.click(screen.getByTestId('import-hosts-trust-host-10-0-0-5'));
    fireEvent.click(screen.getByTestId('import-hosts-start'));
    expect(app.requests[1]).toEqual({
      targets: ['root@10.0.0.5'],
      confirmedHostKeys: [{ host: 'host-10-0-0-5', fingerprint: FINGERPRINT }],
    });
    app.stop();
  });

  it('cancels: asks the host to stop, imports nothing and says so', async () => {
    const app = desktopApp();
    const before = app.services.store.getState().design;
    openDialog(app.services, 'root@10.0.0.5');
    fireEvent.click(screen.getByTestId('import-hosts-start'));
    app.emit({ type: 'state', host: 'host-10-0-0-5', address: '10.0.0.5', port: 22, state: 'collecting' });
    fireEvent.click(screen.getByTestId('import-hosts-cancel'));
    await waitFor(() => expect(app.cancels()).toBe(1));
    expect(screen.getByTestId('import-hosts-cancel').textContent).toBe('Cancelling…');
    await app.answer({
      cancelled: true,
      hosts: [
        hostReport('host-10-0-0-5', '10.0.0.5', {
          state: 'failed',
          problems: [{ message: 'cancelled: not read' }],
        }),
      ],
      files: [],
      problems: [],
    });
    expect(screen.getByTestId('import-hosts-cancelled').textContent).toBe('Cancelled: nothing was imported.');
    expect(screen.getByTestId('import-hosts-reason-host-10-0-0-5').textContent).toBe('cancelled: not read');
    expect(screen.queryByTestId('import-hosts-import')).toBeNull();
    expect(app.services.store.getState().design).toBe(before);
    app.stop();
  });

  it('opens from the native File menu (there is no page File menu on the desktop)', () => {
    const app = desktopApp();
    app.menu({ type: 'import-hosts' });
    expect(screen.getByRole('dialog', { name: 'Import from hosts' })).toBeTruthy();
    expect(screen.getByTestId('import-hosts-targets')).toBeTruthy();
    app.stop();
  });

  it('names a line that is not a target and sends nothing', () => {
    const app = desktopApp();
    openDialog(app.services, 'root@10.0.0.5\nroot@10.0.0.6:99999');
    fireEvent.click(screen.getByTestId('import-hosts-start'));
    expect(screen.getByTestId('import-hosts-error').textContent).toBe(
      "line 2: 'root@10.0.0.6:99999' is not user@address[:port], e.g. root@10.0.0.5:22",
    );
    expect(app.requests).toEqual([]);
    app.stop();
  });
});
