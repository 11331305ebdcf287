// @vitest-environment happy-dom
/**
 * The push dialog in a page: in a browser it says pushing needs the desktop app or
 * `topoforge push`, and offers the export; with a desktop host it shows what the host's plan and
 * events say. The real plan and push against sshd are in test/electron and test/e2e.
 */
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PushRequest } from '../../core/host';
import type { HostReport, PushEvent, PushReport } from '../../core/push';
import { connectHost } from '../../renderer/app/host-bridge';
import { openPush } from '../../renderer/app/push';
import type { AppServices } from '../../renderer/app/services';
import { Dialogs } from '../../renderer/chrome/Dialogs';
import { TitleBar } from '../../renderer/chrome/TitleBar';
import { example, testApp } from './fixtures';
import { renderInApp } from './render-inspector';

function renderApp(services: AppServices) {
  return renderInApp(
    services,
    <>
      <TitleBar />
      <Dialogs />
    </>,
  );
}

afterEach(cleanup);

const FINGERPRINT = 'SHA256:2Cq0Ndx9bEg0x0qg1jVbY3yJ3Wcc8c7hK0a0qkzJ4kI';

function hostReport(host: string, fields: Partial<HostReport>): HostReport {
  return {
    host,
    address: `10.0.0.${host.at(-1)}`,
    port: 22,
    status: 'changed',
    files: [],
    reloads: [],
    warnings: [],
    durationMs: 1,
    ...fields,
  };
}

function report(hosts: HostReport[], dryRun: boolean): PushReport {
  const count = (status: HostReport['status']) => hosts.filter((host) => host.status === status).length;
  return {
    ok: count('failed') === 0,
    dryRun,
    summary: { changed: count('changed'), unchanged: count('unchanged'), failed: count('failed') },
    hosts,
    warnings: [],
    durationMs: 1,
  };
}

describe('the push dialog in a browser', () => {
  it('says pushing needs the desktop app or topoforge push, and offers the bundle export', async () => {
    const { services, log } = testApp(example('tessera-ha.topo.json'));
    expect(services.host.planPush).toBeUndefined();
    renderApp(services);
    fireEvent.click(screen.getByTestId('menu-file'));
    fireEvent.click(screen.getByTestId('menu-push'));
    const body = screen.getByTestId('push-unavailable').textContent!;
    expect(body).toContain('Pushing to hosts needs the desktop app');
    expect(body).toContain('topoforge push');
    fireEvent.click(screen.getByTestId('push-export-bundle'));
    await waitFor(() => expect(log.bundles).toHaveLength(1));
    expect(screen.queryByTestId('dialog')).toBeNull();
    // The toolbar button opens the same dialog.
    fireEvent.click(screen.getByTestId('push-button'));
    expect(screen.getByTestId('push-unavailable')).toBeTruthy();
  });
});

describe('the push dialog on the desktop', () => {
  it('plans, lets the person trust an unknown key and see a diff, and pushes what was planned', async () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    const requests: { member: string; request: PushRequest }[] = [];
    let emit: (event: PushEvent) => void = () => undefined;
    const diff = '--- a\n+++ b\n@@ -0,0 +1 @@\n+listen 80\n';
    services.host = {
      ...services.host,
      platform: 'desktop',
      onPushEvent: (listener) => {
        emit = listener;
        return () => undefined;
      },
      planPush: async (request) => {
        requests.push({ member: 'planPush', request });
        const trusted = request.confirmedHostKeys?.some((key) => key.fingerprint === FINGERPRINT);
        return report(
          [
            hostReport('lb-1', {
              hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:known', trust: 'known' },
              files: [{ path: '/etc/nginx/nginx.conf', action: 'create', diff }],
            }),
            trusted
              ? hostReport('lb-2', {
                  hostKey: { type: 'ssh-ed25519', fingerprint: FINGERPRINT, trust: 'confirmed' },
                  files: [{ path: '/etc/nginx/nginx.conf', action: 'unchanged' }],
                  status: 'unchanged',
                })
              : hostReport('lb-2', {
                  status: 'failed',
                  failure: {
                    step: 'verifying',
                    message: 'not confirmed',
                    hostKey: { type: 'ssh-ed25519', fingerprint: FINGERPRINT, state: 'unknown' },
                  },
                }),
            hostReport('lb-3', {
              status: 'failed',
              failure: {
                step: 'verifying',
                message: 'HOST KEY CHANGED',
                hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:other', state: 'changed' },
              },
            }),
          ],
          true,
        );
      },
      push: async (request) => {
        requests.push({ member: 'push', request });
        emit({ type: 'step', host: 'lb-1', step: 'uploading' });
        return report(
          [
            hostReport('lb-1', {
              status: 'failed',
              failure: {
                step: 'checking',
                message: 'the check failed',
                stderr: 'nginx: [emerg] bad "listen"',
              },
            }),
          ],
          false,
        );
      },
    };
    connectHost(services);
    renderApp(services);
    // Desktop: the native menu has File; the page shows Examples instead.
    expect(screen.queryByTestId('menu-file')).toBeNull();
    expect(screen.getByTestId('menu-examples')).toBeTruthy();

    act(() => openPush(services));
    await waitFor(() => expect(screen.getByTestId('push-key-lb-2').dataset.state).toBe('unknown'));
    expect(screen.getByTestId('push-fingerprint-lb-2').textContent).toBe(FINGERPRINT);
    expect(screen.getByTestId('push-key-lb-3').dataset.state).toBe('changed');
    expect(screen.getByTestId('push-key-lb-3').textContent).toContain("ssh-keygen -R '10.0.0.3'");
    expect(screen.getByTestId('push-key-lb-3').textContent).toContain('never accepted');
    expect((screen.getByTestId('push-select-lb-3') as HTMLInputElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('push-diff-toggle-lb-1:/etc/nginx/nginx.conf'));
    const shown = screen.getByTestId('push-diff-lb-1:/etc/nginx/nginx.conf');
    expect(shown.querySelector('.diff-added')!.textContent).toBe('+listen 80\n');

    fireEvent.click(screen.getByTestId('push-trust-lb-2'));
    await waitFor(() => expect(screen.getByTestId('push-key-lb-2').dataset.state).toBe('trusted'));
    expect(requests.at(-1)!.request.confirmedHostKeys).toEqual([{ host: 'lb-2', fingerprint: FINGERPRINT }]);
    expect(screen.getByTestId('push-run').textContent).toBe('Push to 2 hosts');
    fireEvent.click(screen.getByTestId('push-select-lb-2'));
    expect(screen.getByTestId('push-run').textContent).toBe('Push to 1 host');
    fireEvent.click(screen.getByTestId('push-run'));
    await waitFor(() =>
      expect(screen.getByTestId('push-outcome-lb-1').textContent).toBe('failed at checking'),
    );
    expect(screen.getByTestId('push-stderr-lb-1').textContent).toBe('nginx: [emerg] bad "listen"');
    const pushed = requests.at(-1)!;
    expect(pushed.member).toBe('push');
    expect(pushed.request.hosts).toEqual(['lb-1']);
    expect(pushed.request.designText).toBe(requests[0]!.request.designText);
  });
});

describe('secret files in the plan', () => {
  it('shows a secret file as "secret, not shown", with no diff to open', async () => {
    const { services } = testApp(example('teramind-ha.topo.json'));
    services.host = {
      ...services.host,
      platform: 'desktop',
      onPushEvent: () => () => undefined,
      planPush: async () =>
        report(
          [
            hostReport('tm-1', {
              hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:known', trust: 'known' },
              files: [
                {
                  path: '/etc/redis/redis.acl',
                  action: 'update',
                  reasons: ['content'],
                  diff: 'tm-1:/etc/redis/redis.acl: secret, not shown\n',
                  secret: true,
                },
                { path: '/etc/redis/redis.auth.conf', action: 'kept', secret: true },
              ],
            }),
          ],
          true,
        ),
      push: async () => report([], false),
    };
    connectHost(services);
    renderApp(services);
    act(() => openPush(services));
    await waitFor(() => expect(screen.getByTestId('push-secret-tm-1:/etc/redis/redis.acl')).toBeTruthy());
    expect(screen.getByTestId('push-secret-tm-1:/etc/redis/redis.acl').textContent).toBe('secret, not shown');
    expect(screen.getByTestId('push-secret-tm-1:/etc/redis/redis.auth.conf').textContent).toBe(
      'secret, not shown',
    );
    expect(screen.queryByTestId('push-diff-toggle-tm-1:/etc/redis/redis.acl')).toBeNull();
  });
});

describe('reviewing and cancelling a push on the desktop', () => {
  it('lists every command the plan will run, and Cancel stops the running push', async () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    let emit: (event: PushEvent) => void = () => undefined;
    let cancels = 0;
    let finish: (report: PushReport) => void = () => undefined;
    const commands = [
      {
        step: 'checking' as const,
        command: 'nginx -t -q -c /etc/nginx/.nginx.conf.topoforge-new-0a1b2c3d4e5f',
        path: '/etc/nginx/nginx.conf',
      },
      { step: 'reloading' as const, command: 'systemctl reload nginx', path: '/etc/nginx/nginx.conf' },
    ];
    services.host = {
      ...services.host,
      platform: 'desktop',
      onPushEvent: (listener) => {
        emit = listener;
        return () => undefined;
      },
      planPush: async () =>
        report(
          [
            hostReport('lb-1', {
              hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:known', trust: 'known' },
              files: [{ path: '/etc/nginx/nginx.conf', action: 'update', reasons: ['content'] }],
              commands,
            }),
          ],
          true,
        ),
      push: () =>
        new Promise<PushReport>((resolve) => {
          finish = resolve;
          emit({ type: 'step', host: 'lb-1', step: 'checking' });
        }),
      cancelPush: async () => {
        cancels += 1;
        finish(
          report(
            [
              hostReport('lb-1', {
                status: 'failed',
                failure: {
                  step: 'checking',
                  message: 'cancelled while checking; nothing was replaced',
                  cancelled: true,
                },
              }),
            ],
            false,
          ),
        );
      },
    };
    connectHost(services);
    renderApp(services);
    act(() => openPush(services));
    await waitFor(() => expect(screen.getByTestId('push-commands-toggle-lb-1')).toBeTruthy());
    expect(screen.getByTestId('push-commands-toggle-lb-1').textContent).toBe('Show the 2 commands it runs');
    // Nothing to cancel while nothing runs.
    expect(screen.queryByTestId('push-cancel')).toBeNull();
    fireEvent.click(screen.getByTestId('push-commands-toggle-lb-1'));
    expect(screen.getByTestId('push-command-lb-1-0').textContent).toBe(`check ${commands[0]!.command}`);
    expect(screen.getByTestId('push-command-lb-1-1').textContent).toBe('reload systemctl reload nginx');

    fireEvent.click(screen.getByTestId('push-run'));
    await waitFor(() => expect(screen.getByTestId('push-progress-lb-1').textContent).toBe('checking…'));
    fireEvent.click(screen.getByTestId('push-cancel'));
    await waitFor(() =>
      expect(screen.getByTestId('push-outcome-lb-1').textContent).toBe(
        'cancelled while checking · old files kept',
      ),
    );
    expect(cancels).toBe(1);
    expect(screen.queryByTestId('push-cancel')).toBeNull();
    expect(screen.getByTestId('push-failure-lb-1').textContent).toContain('nothing was replaced');
  });
});

describe('the lab-certificates choice (issue 19)', () => {
  it('is off by default; turned on, it plans again with it and the push sends it, and the plan says what it would create', async () => {
    const { services } = testApp(example('expertflow-two-sites.topo.json'));
    const requests: { member: string; request: PushRequest }[] = [];
    const missing = 'certificate /etc/nginx/tls/hybrid-chat-a.crt does not exist on ef-a: …';
    const wouldCreate =
      'would create a self-signed lab certificate /etc/nginx/tls/hybrid-chat-a.crt and key /etc/nginx/tls/hybrid-chat-a.key on ef-a for chat.example.com (--lab-certs: fit for a lab only)';
    services.host = {
      ...services.host,
      platform: 'desktop',
      onPushEvent: () => () => undefined,
      planPush: async (request) => {
        requests.push({ member: 'planPush', request });
        return report(
          [
            request.labCertificates
              ? hostReport('ef-a', {
                  files: [{ path: '/etc/nginx/nginx.conf', action: 'create' }],
                  prerequisites: { missing: [], notInstalled: [], labCertificates: [wouldCreate] },
                })
              : hostReport('ef-a', {
                  status: 'failed',
                  failure: {
                    step: 'planning',
                    message: `1 prerequisite missing on ef-a, so nothing was uploaded:\n- ${missing}`,
                  },
                  prerequisites: { missing: [missing], notInstalled: [], labCertificates: [] },
                }),
          ],
          true,
        );
      },
      push: async (request) => {
        requests.push({ member: 'push', request });
        return report(
          [hostReport('ef-a', { files: [{ path: '/etc/nginx/nginx.conf', action: 'create' }] })],
          false,
        );
      },
    };
    connectHost(services);
    renderApp(services);
    act(() => openPush(services));
    await waitFor(() => expect(screen.getByTestId('push-failure-ef-a').textContent).toContain(missing));
    const choice = screen.getByTestId('push-lab-certs') as HTMLInputElement;
    expect(choice.checked).toBe(false);
    expect(choice.parentElement!.textContent).toContain('fit for a lab only');
    expect((screen.getByTestId('push-run') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(choice);
    await waitFor(() => expect(screen.getByTestId('push-prerequisite-ef-a').textContent).toBe(wouldCreate));
    expect(requests.map((entry) => [entry.member, entry.request.labCertificates])).toEqual([
      ['planPush', undefined],
      ['planPush', true],
    ]);
    fireEvent.click(screen.getByTestId('push-run'));
    await waitFor(() => expect(requests).toHaveLength(3));
    expect(requests[2]).toMatchObject({
      member: 'push',
      request: { hosts: ['ef-a'], labCertificates: true },
    });
  });
});
