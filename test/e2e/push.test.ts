/**
 * End to end: the push dialog of the built designer in Debian's Chromium, against real OpenSSH
 * servers. The page gets a desktop-like host whose push members reach, through playwright
 * bindings, the very gate and push service of the main process (IPC router, request schema,
 * PushService) in this Node process; progress events come back into the page the way the preload
 * delivers them (test/e2e/desktop-host.ts). Nothing of this is in the app.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushEvent } from '../../core/push';
import { INVOKE_CHANNELS } from '../../electron/preload/protocol';
import { knownHostsEntry, labAddress, labDesignText, labPushService } from '../electron/lab-design';
import { requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab } from '../lab/sshd';
import { installDesktopHostStubs, startDesktopGate } from './desktop-host';
import { Designer, e2eAvailability, useLab } from './driver';

const availability = e2eAvailability();
const TIMEOUT = 120_000;
const WINDOW = 5;

/**
 * Gives the context's pages a desktop host: the file members do nothing, the push members call
 * main's gate through bindings, and `topoforgeTestPushEvent` delivers an event to the listeners.
 */
async function installDesktopHost(context: BrowserContext, lab: SshLab): Promise<{ knownHosts: string }> {
  const gate = await startDesktopGate('topoforge-e2e-push-', WINDOW);
  const pushing = labPushService<Page>(lab, undefined, gate.sender<PushEvent>('topoforgeTestPushEvent'));
  await gate.route({ push: pushing.service });
  await gate.expose(context, 'topoforgeTestPlanPush', INVOKE_CHANNELS.planPush);
  await gate.expose(context, 'topoforgeTestPush', INVOKE_CHANNELS.push);
  await installDesktopHostStubs(context);
  await context.addInitScript(() => {
    type Reply = { ok: true; value: unknown } | { ok: false; message: string };
    const page = window as unknown as Record<string, unknown>;
    const listeners = new Set<(event: unknown) => void>();
    const call = async (binding: string, request: unknown) => {
      const reply = await (page[binding] as (request: unknown) => Promise<Reply>)(request);
      if (!reply.ok) throw new Error(reply.message);
      return reply.value;
    };
    page.topoforgeTestPushEvent = (event: unknown) => listeners.forEach((listener) => listener(event));
    Object.assign(page.topoforgeHost as object, {
      planPush: (request: unknown) => call('topoforgeTestPlanPush', request),
      push: (request: unknown) => call('topoforgeTestPush', request),
      onPushEvent: (listener: (event: unknown) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
  });
  return { knownHosts: pushing.knownHosts };
}

describe.skipIf(!availability.run || !requireSshd())('the push dialog against real OpenSSH servers', () => {
  const lab = useLab();
  let ssh: SshLab;

  beforeAll(async () => {
    ssh = await startSshLab({ hosts: ['web-1', 'web-2', 'web-3'] });
  }, 60_000);

  afterAll(async () => {
    await ssh?.stop();
  });

  it(
    'trusts unknown keys by their real fingerprints, shows the diffs, pushes with progress, then finds nothing to change',
    async () => {
      let knownHosts = '';
      const app = await Designer.open(lab(), 'push-dialog', {
        prepare: async (context) => {
          ({ knownHosts } = await installDesktopHost(context, ssh));
        },
      });
      const page = app.page;
      const byId = (id: string) => page.getByTestId(id);
      try {
        // On the desktop the native menu has File; the page keeps Examples.
        expect(await byId('menu-file').count()).toBe(0);
        await byId('menu-examples').waitFor();
        await app.openText('push-lab.topo.json', labDesignText(ssh));

        await byId('push-button').click();
        for (const [index, host] of ssh.hosts.entries()) {
          await expect.poll(() => byId(`push-key-${host.id}`).getAttribute('data-state')).toBe('unknown');
          expect(await byId(`push-fingerprint-${host.id}`).textContent()).toBe(host.hostKeyFingerprint);
          expect(await byId(`push-host-${host.id}`).textContent()).toContain(
            `${labAddress(index)}:${host.port}`,
          );
        }
        expect(await byId('push-run').isDisabled()).toBe(true);
        await app.shot('unknown-keys');

        // Trusting a key plans again; the plan now reads the host's files.
        for (const host of ssh.hosts) {
          await byId(`push-trust-${host.id}`).click();
          await expect.poll(() => byId(`push-key-${host.id}`).getAttribute('data-state')).toBe('trusted');
        }
        expect(existsSync(knownHosts)).toBe(false);
        const unit = 'web-1:/etc/systemd/system/app-1.service';
        await byId(`push-diff-toggle-${unit}`).click();
        const diff = await byId(`push-diff-${unit}`).textContent();
        expect(diff).toContain('+ExecStart=/usr/bin/true');
        expect(await byId(`push-diff-${unit}`).locator('.diff-added').count()).toBeGreaterThan(5);
        await byId('push-diff-toggle-web-3:/etc/systemd/system/app-3.service').click();
        await app.shot('plan-with-diffs');
        expect(await byId('push-run').textContent()).toBe('Push to 3 hosts');
        // Nothing was sent by the plan.
        for (const host of ssh.hosts) expect(existsSync(join(host.root, 'etc'))).toBe(false);

        // Every progress text the page shows while pushing, in order.
        await page.evaluate(() => {
          const seen: string[] = [];
          (window as unknown as { progressSeen: string[] }).progressSeen = seen;
          const note = () => {
            for (const element of document.querySelectorAll('[data-testid^="push-progress-"]')) {
              const text = `${element.getAttribute('data-testid')!.slice('push-progress-'.length)}: ${element.textContent}`;
              if (seen.at(-1) !== text && !seen.includes(text)) seen.push(text);
            }
          };
          new MutationObserver(note).observe(document.body, {
            subtree: true,
            childList: true,
            characterData: true,
          });
        });
        await byId('push-run').click();
        await expect.poll(() => byId('push-progress-web-2').textContent()).toBe('waiting for web-1');
        await app.shot('pushing');
        await expect
          .poll(() => byId('push-outcome-web-1').textContent(), { timeout: 30_000 })
          .toBe('changed');
        await expect
          .poll(() => byId('push-outcome-web-2').textContent(), { timeout: 30_000 })
          .toBe('changed');
        await expect.poll(() => byId('push-outcome-web-3').textContent()).toBe('failed at checking');
        const stderr = await byId('push-stderr-web-3').textContent();
        expect(stderr).toContain('app-3.service: Command /etc/debian_version is not executable');
        await app.shot('pushed');

        const seen = await page.evaluate(
          () => (window as unknown as { progressSeen: string[] }).progressSeen,
        );
        expect(seen).toContain('web-2: waiting for web-1');
        for (const step of ['connecting…', 'uploading…', 'checking…', 'reloading…'])
          expect(seen, step).toContain(`web-1: ${step}`);
        expect(seen.indexOf('web-1: uploading…')).toBeLessThan(seen.indexOf('web-1: reloading…'));
        expect(seen).toContain('web-3: checking…');

        // What the dialog said is what the hosts have.
        expect(readFileSync(join(ssh.hosts[0]!.root, 'etc/systemd/system/app-1.service'), 'utf8')).toContain(
          'ExecStart=/usr/bin/true',
        );
        expect(existsSync(join(ssh.hosts[2]!.root, 'etc/systemd/system/app-3.service'))).toBe(false);
        for (const [index, host] of ssh.hosts.entries())
          expect(knownHostsEntry(knownHosts, labAddress(index), host.port)).not.toBe('');

        // Again: the keys are known now, and the two app servers have nothing to change.
        await byId('push-replan').click();
        await expect.poll(() => byId('push-progress-web-1').textContent()).toBe('up to date');
        expect(await byId('push-key-web-1').textContent()).toContain('trusted: in known_hosts');
        await byId('push-select-web-3').uncheck();
        await byId('push-run').click();
        await expect.poll(() => byId('push-outcome-web-1').textContent()).toBe('unchanged');
        expect(await byId('push-outcome-web-2').textContent()).toBe('unchanged');
        await app.shot('pushed-again');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );
});
