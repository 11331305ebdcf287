import { describe, expect, it, vi } from 'vitest';
import { discardingAction, DocumentGuard, windowTitle } from '../../electron/main/document-guard';
import type { DiscardAnswer } from '../../electron/main/document-guard';

function guard(answer: DiscardAnswer, dirty = true) {
  const timers: (() => void)[] = [];
  const ask = vi.fn(async () => answer);
  const requestSave = vi.fn();
  const subject = new DocumentGuard({
    ask,
    requestSave,
    setTimeout: (callback) => timers.push(callback) - 1,
    clearTimeout: (handle) => {
      timers[handle as number] = () => undefined;
    },
  });
  subject.update({ fileName: 'plan.topo.json', location: '/d/plan.topo.json', dirty });
  return { subject, ask, requestSave, expire: () => timers.forEach((timer) => timer()) };
}

describe('the unsaved-changes prompt', () => {
  it('does not ask about a design without changes', async () => {
    const { subject, ask } = guard('cancel', false);
    expect(await subject.confirmDiscard('closing')).toBe(true);
    expect(ask).not.toHaveBeenCalled();
  });

  it("lets the design go on Don't Save, and keeps it on Cancel", async () => {
    expect(await guard('discard').subject.confirmDiscard('closing')).toBe(true);
    const cancelled = guard('cancel');
    expect(await cancelled.subject.confirmDiscard('quitting')).toBe(false);
    expect(cancelled.ask).toHaveBeenCalledWith(
      expect.objectContaining({ fileName: 'plan.topo.json' }),
      'quitting',
    );
  });

  it('on Save, asks the page to save and lets go only once the save wrote the file', async () => {
    const { subject, requestSave } = guard('save');
    const decision = subject.confirmDiscard('closing');
    await vi.waitFor(() => expect(requestSave).toHaveBeenCalled());
    subject.saveStarted();
    subject.saveFinished(true);
    expect(await decision).toBe(true);
    expect(subject.state.dirty).toBe(false);
  });

  it('keeps the design when the save is cancelled in its dialog or fails', async () => {
    const { subject, requestSave } = guard('save');
    const decision = subject.confirmDiscard('closing');
    await vi.waitFor(() => expect(requestSave).toHaveBeenCalled());
    subject.saveStarted();
    subject.saveFinished(false);
    expect(await decision).toBe(false);
    expect(subject.state.dirty).toBe(true);
  });

  it('gives up when the page never starts the save, but waits for a save dialog as long as it takes', async () => {
    const silent = guard('save');
    const decision = silent.subject.confirmDiscard('closing');
    await vi.waitFor(() => expect(silent.requestSave).toHaveBeenCalled());
    silent.expire();
    expect(await decision).toBe(false);

    const slow = guard('save');
    const waiting = slow.subject.confirmDiscard('closing');
    await vi.waitFor(() => expect(slow.requestSave).toHaveBeenCalled());
    slow.subject.saveStarted();
    slow.expire();
    slow.subject.saveFinished(true);
    expect(await waiting).toBe(true);
  });

  it('asks once when a close is requested twice', async () => {
    const { subject, ask } = guard('discard');
    const [first, second] = await Promise.all([
      subject.confirmDiscard('closing'),
      subject.confirmDiscard('closing'),
    ]);
    expect([first, second]).toEqual([true, true]);
    expect(ask).toHaveBeenCalledTimes(1);
  });

  it('asks before New and Open, and not before commands that keep the design', () => {
    expect(discardingAction('new')).toBe('starting a new design');
    expect(discardingAction('open')).toBe('opening another design');
    for (const command of ['save', 'save-as', 'export-bundle', 'push', 'undo', 'redo'] as const)
      expect(discardingAction(command), command).toBeUndefined();
  });

  it('titles the window with the file name and a dot while dirty', () => {
    expect(windowTitle({ fileName: 'plan.topo.json', dirty: true })).toBe('● plan.topo.json — Topoforge');
    expect(windowTitle({ fileName: 'plan.topo.json', dirty: false })).toBe('plan.topo.json — Topoforge');
  });
});
