import { describe, expect, it, vi } from 'vitest';
import { createIpcRouter, HostError } from '../../electron/main/ipc';
import type { AnyChannelEntry, IpcLogEntry } from '../../electron/main/ipc';
import { requestValidators } from '../../electron/main/host-schemas';
import { eventFrom } from './fakes';

const SECRET = 'design text that must never reach a log';

function router(handle = vi.fn(async (_context: string, request: unknown) => request)) {
  const log: IpcLogEntry[] = [];
  const entries: AnyChannelEntry<string>[] = [
    { channel: 'topoforge:save-design', request: requestValidators.saveDesign, handle },
    { channel: 'topoforge:recent-designs', request: undefined, handle: async () => [] },
    {
      channel: 'topoforge:fails',
      request: undefined,
      handle: async () => {
        throw new HostError('the disk is full: plan.topo.json was not changed');
      },
    },
  ];
  const windows = new Map([[7, 'window seven']]);
  return {
    log,
    handle,
    router: createIpcRouter({ entries, contextOf: (id) => windows.get(id), log: (entry) => log.push(entry) }),
  };
}

const request = { fileName: 'plan.topo.json', text: SECRET, location: '/designs/plan.topo.json' };

describe('the IPC gate', () => {
  it('passes a well-formed message from the app to its handler, with the window as context', async () => {
    const { router: gate, handle, log } = router();
    const reply = await gate.dispatch('topoforge:save-design', eventFrom(7), [request]);
    expect(reply).toEqual({ ok: true, value: request });
    expect(handle).toHaveBeenCalledWith('window seven', request);
    expect(log).toEqual([]);
  });

  it('lists the channels to register', () => {
    expect(router().router.channels).toEqual([
      'topoforge:save-design',
      'topoforge:recent-designs',
      'topoforge:fails',
    ]);
  });

  it.each([
    ['a channel without the prefix', 'open-design', eventFrom(7), [], 'the channel is not one of the app'],
    ['an unknown channel', 'topoforge:read-any-file', eventFrom(7), [], 'the channel is unknown'],
    [
      'a window that is not the app',
      'topoforge:recent-designs',
      eventFrom(8),
      [],
      'the sender is not a Topoforge window',
    ],
    [
      'a subframe',
      'topoforge:recent-designs',
      eventFrom(7, 'app://topoforge/index.html', {}),
      [],
      'the sender is not the main frame',
    ],
    [
      'another origin',
      'topoforge:recent-designs',
      eventFrom(7, 'https://example.com/'),
      [],
      'the sender does not show the app',
    ],
    [
      'a file page',
      'topoforge:recent-designs',
      eventFrom(7, 'file:///tmp/x.html'),
      [],
      'the sender does not show the app',
    ],
    [
      'a frame that is gone',
      'topoforge:recent-designs',
      { sender: { id: 7 }, senderFrame: null },
      [],
      'the sending frame is gone',
    ],
    ['an extra argument', 'topoforge:recent-designs', eventFrom(7), [1], 'expected 0 arguments, got 1'],
    ['a missing argument', 'topoforge:save-design', eventFrom(7), [], 'expected 1 argument, got 0'],
  ])('refuses %s', async (_case, channel, event, args, reason) => {
    const { router: gate, handle, log } = router();
    const reply = await gate.dispatch(channel, event, args);
    expect(reply.ok).toBe(false);
    expect(handle).not.toHaveBeenCalled();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ outcome: 'refused', reason });
  });

  it.each([
    ['an unknown key', { ...request, path: '/etc/passwd' }],
    ['a wrong type', { ...request, text: 42 }],
    ['a missing field', { fileName: 'plan.topo.json' }],
    ['an empty file name', { ...request, fileName: '' }],
    ['a text longer than any design', { ...request, text: 'x'.repeat(64 * 1024 * 1024 + 1) }],
    ['not an object', 'save everything'],
  ])('refuses arguments with %s, and logs no payload', async (_case, argument) => {
    const { router: gate, handle, log } = router();
    const reply = await gate.dispatch('topoforge:save-design', eventFrom(7), [argument]);
    expect(reply.ok).toBe(false);
    expect(handle).not.toHaveBeenCalled();
    expect(log[0]?.reason).toMatch(/^the request does not match its schema/);
    const logged = JSON.stringify(log);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain('/etc/passwd');
    expect(logged).not.toContain('/designs/');
  });

  it('logs a hostile channel name cut short and printable', async () => {
    const { router: gate, log } = router();
    await gate.dispatch(`topoforge:${'\u0000'.repeat(5)}${'x'.repeat(500)}`, eventFrom(7), []);
    expect(log[0]!.channel.length).toBeLessThanOrEqual(80);
    expect(log[0]!.channel).not.toMatch(/[^\x20-\x7e]/);
  });

  it('sends a failure back as its own sentence', async () => {
    const { router: gate } = router();
    expect(await gate.dispatch('topoforge:fails', eventFrom(7), [])).toEqual({
      ok: false,
      message: 'the disk is full: plan.topo.json was not changed',
    });
  });

  it('refuses a table with a channel outside the prefix or twice', () => {
    const entry = { channel: 'open', request: undefined, handle: async () => undefined };
    expect(() => createIpcRouter({ entries: [entry], contextOf: () => 1, log: () => undefined })).toThrow(
      /lacks/,
    );
    const twice = { ...entry, channel: 'topoforge:x' };
    expect(() =>
      createIpcRouter({ entries: [twice, twice], contextOf: () => 1, log: () => undefined }),
    ).toThrow(/twice/);
  });
});
