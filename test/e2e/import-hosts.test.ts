/**
 * End to end: File › Import from hosts in the built designer in Debian's Chromium, against real
 * OpenSSH servers. As in test/e2e/push.test.ts, the page gets a desktop-like host whose collect
 * members reach, through playwright bindings, main's gate and import service in this Node process;
 * progress events come back into the page the way the preload delivers them, and the native
 * menu's command arrives as the preload delivers it. Nothing of this is in the app.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectEvent } from '../../core/collect';
import { ImportService } from '../../electron/main/import-service';
import { INVOKE_CHANNELS } from '../../electron/preload/protocol';
import { loginTarget, placeFiles, requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab, SshLabHost } from '../lab/sshd';
import { installDesktopHostStubs, startDesktopGate } from './desktop-host';
import { Designer, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 120_000;
const WINDOW = 6;

/** Gives the context's pages a desktop host whose collect members call main's gate through bindings. */
async function installDesktopHost(context: BrowserContext, lab: SshLab): Promise<void> {
  const gate = await startDesktopGate('topoforge-e2e-import-', WINDOW);
  const knownHosts = join(gate.folder, 'known_hosts');
  writeFileSync(knownHosts, lab.knownHosts());
  const roots = new Map(lab.hosts.map((host) => [host.address, host.root]));
  const imports = new ImportService<Page>({
    send: gate.sender<CollectEvent>('topoforgeTestCollectEvent'),
    authentication: () => ({ identityFile: lab.identityFile }),
    knownHosts: { read: [knownHosts], write: knownHosts },
    rootOf: (target) => roots.get(target.address),
    temporaryDirectory: gate.folder,
  });
  await gate.route({ imports });
  await gate.expose(context, 'topoforgeTestCollect', INVOKE_CHANNELS.collectConfigs);
  await installDesktopHostStubs(context);
  await context.addInitScript(() => {
    type Reply = { ok: true; value: unknown } | { ok: false; message: string };
    const page = window as unknown as Record<string, unknown>;
    const collectListeners = new Set<(event: unknown) => void>();
    const commandListeners = new Set<(command: unknown) => void>();
    page.topoforgeTestCollectEvent = (event: unknown) =>
      collectListeners.forEach((listener) => listener(event));
    page.topoforgeTestCommand = (command: unknown) =>
      commandListeners.forEach((listener) => listener(command));
    Object.assign(page.topoforgeHost as object, {
      onCommand: (listener: (command: unknown) => void) => {
        commandListeners.add(listener);
        return () => commandListeners.delete(listener);
      },
      collectConfigs: async (request: unknown) => {
        const reply = await (page.topoforgeTestCollect as (request: unknown) => Promise<Reply>)(request);
        if (!reply.ok) throw new Error(reply.message);
        return reply.value;
      },
      cancelCollect: async () => undefined,
      onCollectEvent: (listener: (event: unknown) => void) => {
        collectListeners.add(listener);
        return () => collectListeners.delete(listener);
      },
    });
  });
}

describe.skipIf(!availability.run || !requireSshd())(
  'File › Import from hosts against real OpenSSH servers',
  () => {
    const lab = useLab();
    let ssh: SshLab;

    beforeAll(async () => {
      ssh = await startSshLab({ hosts: ['edge', 'app'], addresses: ['127.0.0.91', '127.0.0.92'] });
    }, 60_000);

    afterAll(async () => {
      await ssh?.stop();
    });

    it(
      'collects two hosts with a progress bar each, shows a failed one with its reason, and opens the design',
      async () => {
        const [edge, app] = ssh.hosts as [SshLabHost, SshLabHost];
        placeFiles(edge, {
          'etc/nginx/nginx.conf':
            'events {}\nhttp {\n    upstream shop {\n        server 127.0.0.92:8000;\n    }\n    server {\n        listen 80;\n        location / { proxy_pass http://shop; }\n    }\n    client_max_body_size 10m;\n}\n',
          'etc/keepalived/keepalived.conf':
            'vrrp_instance edge {\n    interface lo\n    virtual_router_id 7\n    priority 100\n    virtual_ipaddress {\n        192.0.2.10\n    }\n}\n',
        });
        placeFiles(app, {
          'etc/systemd/system/shop.service':
            '[Unit]\nDescription=Shop\n[Service]\nExecStart=/opt/shop/bin/shop --port 8000\n',
        });
        const designer = await Designer.open(lab(), 'import-hosts', {
          prepare: (context) => installDesktopHost(context, ssh),
        });
        const page = designer.page;
        const byId = (id: string) => page.getByTestId(id);
        try {
          await byId('menu-examples').waitFor();
          await page.evaluate(() =>
            (window as unknown as { topoforgeTestCommand(command: unknown): void }).topoforgeTestCommand({
              type: 'import-hosts',
            }),
          );
          // A third target where nothing listens: it fails with the reason, the others are read.
          await byId('import-hosts-targets').fill(
            `${loginTarget(edge)}\n${loginTarget(app)}\nroot@127.0.0.93:${app.port}`,
          );
          await designer.shot('targets');
          await byId('import-hosts-start').click();
          await expect
            .poll(() => byId('import-hosts-state-host-127-0-0-93').textContent(), { timeout: 20_000 })
            .toBe('failed');
          expect(await byId('import-hosts-reason-host-127-0-0-93').textContent()).toMatch(
            /refused the connection/u,
          );
          await expect
            .poll(() => byId('import-hosts-state-host-127-0-0-91').textContent(), { timeout: 20_000 })
            .toBe('done');
          expect(await byId('import-hosts-count-host-127-0-0-91').textContent()).toMatch(
            /^2 files · \d+ B$/u,
          );
          // The hosts are read at once, each at its own pace: the second may finish after the first.
          await expect
            .poll(() => byId('import-hosts-state-host-127-0-0-92').textContent(), { timeout: 20_000 })
            .toBe('done');
          expect(
            await byId('import-hosts-progress-host-127-0-0-92').evaluate(
              (bar) => (bar as HTMLProgressElement).position,
            ),
          ).toBe(1);
          await designer.shot('collected');

          await byId('import-hosts-import').click();
          const report = page.getByRole('dialog', { name: 'Imported host-127-0-0-91-and-host-127-0-0-92' });
          await report.waitFor();
          expect(await report.getByTestId('import-problems').textContent()).toContain('not imported');
          expect(await report.getByTestId('import-unused').textContent()).toContain(
            'client_max_body_size 10m;',
          );
          // Every reason is read in full inside the dialog, a few lines at most, never a word a line.
          const dialogBox = (await report.boundingBox())!;
          const reasons = report.getByTestId('import-unused').locator('tbody td:last-child');
          expect(await reasons.count()).toBeGreaterThan(0);
          for (const reason of await reasons.all()) {
            const box = (await reason.boundingBox())!;
            const lineHeight = await reason.evaluate((cell) => {
              const style = getComputedStyle(cell);
              return style.lineHeight === 'normal'
                ? 1.25 * parseFloat(style.fontSize)
                : parseFloat(style.lineHeight);
            });
            expect(box.x + box.width).toBeLessThanOrEqual(dialogBox.x + dialogBox.width);
            expect(box.height).toBeLessThanOrEqual(3 * lineHeight + 12);
          }
          const snapshot = await designer.settled();
          expect(snapshot.design.services.map((service) => service.id).sort()).toEqual([
            'host-127-0-0-91-nginx',
            // The upstream's server: the unit's ExecStart names no port import reads, so it is its own app.
            'host-127-0-0-92-8000',
            'shop',
          ]);
          expect(snapshot.design.entrypoints?.map((entrypoint) => entrypoint.id)).toEqual(['edge-80']);
          await designer.shot('imported');
          expect(designer.errors).toEqual([]);
        } finally {
          await designer.shot('last');
          await designer.close();
        }
      },
      TIMEOUT,
    );
  },
);
