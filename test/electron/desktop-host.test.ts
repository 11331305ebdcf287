import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { HostCommand } from '../../core/host';
import { DesignService } from '../../electron/main/design-service';
import { DocumentGuard } from '../../electron/main/document-guard';
import type { HostContext } from '../../electron/main/host-channels';
import { RecentDesignsStore } from '../../electron/main/recent-designs';
import { RecoveryStore } from '../../electron/main/recovery';
import {
  COLLECT_EVENT_CHANNEL,
  COMMAND_CHANNEL,
  INVOKE_CHANNELS,
  PUSH_EVENT_CHANNEL,
  REHEARSAL_EVENT_CHANNEL,
} from '../../electron/preload/protocol';
import { scriptedDialogs, temporaryFolder } from './fakes';
import { desktopHostOver, hostGate } from './gate';

const WINDOW = 3;

/** The page's host, wired through the preload and main's gate to the real services. */
async function desktop() {
  const folder = await temporaryFolder();
  const documents = join(folder, 'Documents');
  await mkdir(documents);
  const recent = await RecentDesignsStore.open({ file: join(folder, 'recent-designs.json') });
  const recovery = new RecoveryStore({ folder: join(folder, 'recovery') });
  const dialogs = scriptedDialogs();
  const service = new DesignService<string>({ dialogs, recent, documentsFolder: documents });
  const guard = new DocumentGuard({ ask: async () => 'cancel', requestSave: () => undefined });
  const saved = vi.fn();
  const context: HostContext<string> = {
    window: 'designer',
    guard,
    recoveryId: 'window-3',
    documentChanged: (state) => guard.update(state),
    saved,
  };
  const { router, log } = hostGate({ design: service, recovery }, (id) =>
    id === WINDOW ? context : undefined,
  );
  const sent: { channel: string; args: unknown[] }[] = [];
  let commandListener: ((event: unknown, command: HostCommand) => void) | undefined;
  const host = desktopHostOver(router, WINDOW, {
    sent,
    on: (channel: string, listener: (event: unknown, command: HostCommand) => void) => {
      expect([COMMAND_CHANNEL, PUSH_EVENT_CHANNEL, COLLECT_EVENT_CHANNEL, REHEARSAL_EVENT_CHANNEL]).toContain(
        channel,
      );
      if (channel === COMMAND_CHANNEL) commandListener = listener;
    },
  });
  const command = (value: HostCommand) => commandListener!({ sender: 'ipcRenderer' }, value);
  return { host, service, dialogs, recovery, guard, saved, documents, router, sent, log, command };
}

describe('the desktop host, through the preload and the gate', () => {
  it('has one function per member of the host interface and says it is the desktop', async () => {
    const { host } = await desktop();
    expect(host.platform).toBe('desktop');
    const members = Object.keys(host)
      .filter((key) => key !== 'platform')
      .sort();
    expect(members).toEqual(
      [
        ...Object.keys(INVOKE_CHANNELS),
        'onCommand',
        'onPushEvent',
        'onCollectEvent',
        'onRehearsalEvent',
      ].sort(),
    );
    for (const member of members) expect(typeof host[member as keyof typeof host], member).toBe('function');
  });

  it('opens, saves and lists recent designs end to end, every message passing the schema', async () => {
    const { host, dialogs, documents, saved, log } = await desktop();
    const file = join(documents, 'plan.topo.json');
    await writeFile(file, '{"format":1}');
    dialogs.answers.open = file;
    const opened = await host.openDesign();
    expect(opened).toEqual({ fileName: 'plan.topo.json', text: '{"format":1}', location: file });
    expect(await host.saveDesign({ fileName: 'plan.topo.json', text: 'saved', location: file })).toEqual({
      fileName: 'plan.topo.json',
      location: file,
    });
    expect(await readFile(file, 'utf8')).toBe('saved');
    expect(saved).toHaveBeenCalledWith({ fileName: 'plan.topo.json', location: file });
    await vi.waitFor(async () =>
      expect((await host.recentDesigns()).map((recentDesign) => recentDesign.location)).toEqual([file]),
    );
    const [entry] = await host.recentDesigns();
    expect(await host.openRecentDesign(entry!)).toMatchObject({ text: 'saved' });
    expect(log).toEqual([]);
  });

  it('sends the fields main accepts and nothing else the page put on a request', async () => {
    const { host, sent, dialogs } = await desktop();
    await host.saveDesignAs({ fileName: 'a.topo.json', text: 'x', extra: 'dropped' } as never);
    expect(sent.at(-1)).toEqual({
      channel: INVOKE_CHANNELS.saveDesignAs,
      args: [{ fileName: 'a.topo.json', text: 'x' }],
    });
    expect(dialogs.asked.at(-1)).toMatchObject({ dialog: 'save-as' });
  });

  it('exports a bundle from the design text, never from a bundle the page made', async () => {
    const { host, sent, dialogs, documents } = await desktop();
    const designText = await readFile(
      join(import.meta.dirname, '..', '..', 'examples', 'tessera-ha.topo.json'),
      'utf8',
    );
    dialogs.answers.bundleFolder = join(documents, 'bundle');
    const forged = {
      files: [{ path: '/etc/sudoers', content: 'ALL ALL=(ALL) NOPASSWD: ALL' }],
      manifest: {},
    };
    const result = await host.exportBundle({ name: 'bundle', bundle: forged as never, designText });
    expect(result?.location).toBe(join(documents, 'bundle'));
    expect(sent.at(-1)!.args).toEqual([{ name: 'bundle', designText }]);
    await expect(host.exportBundle({ name: 'bundle', bundle: forged as never })).rejects.toThrow(
      /pass designText/,
    );
  });

  it('turns a refusal or a failure into an Error with main’s sentence', async () => {
    const { host } = await desktop();
    await expect(
      host.openRecentDesign({ fileName: 'id_rsa', location: '/home/me/.ssh/id_rsa', usedAt: '' }),
    ).rejects.toThrow('that design is not on the recent list; open it with File › Open');
    await expect(host.reportDocumentState({ fileName: '', dirty: true })).rejects.toThrow(
      /^Topoforge refused the request: the request does not match its schema/,
    );
  });

  it('keeps the document state, dropping a location main did not hand out', async () => {
    const { host, guard } = await desktop();
    await host.reportDocumentState({ fileName: 'plan.topo.json', location: '/etc/passwd', dirty: true });
    expect(guard.state).toEqual({ fileName: 'plan.topo.json', dirty: true });
  });

  it('writes a recovery copy only while the design is dirty', async () => {
    const { host, recovery } = await desktop();
    await host.writeRecoveryCopy({ fileName: 'plan.topo.json', text: 'unsaved' });
    expect(await recovery.list()).toEqual([]);
    await host.reportDocumentState({ fileName: 'plan.topo.json', dirty: true });
    await host.writeRecoveryCopy({ fileName: 'plan.topo.json', location: '/etc/passwd', text: 'unsaved' });
    const [copy] = await recovery.list();
    expect(copy).toMatchObject({ id: 'window-3', fileName: 'plan.topo.json', text: 'unsaved' });
    expect(copy).not.toHaveProperty('location');
  });

  it('keeps commands that arrive before the page listens, and stops delivering on unsubscribe', async () => {
    const { host, command } = await desktop();
    command({ type: 'open-design', design: { fileName: 'a.topo.json', text: '{}' }, recovered: false });
    const received: HostCommand[] = [];
    const stop = host.onCommand((value) => received.push(value));
    command({ type: 'save' });
    stop();
    command({ type: 'undo' });
    expect(received.map((value) => value.type)).toEqual(['open-design', 'save']);
  });
});
