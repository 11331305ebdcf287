/**
 * What the Rehearse view does (docs/rehearse.md): ask whether this machine can run a lab, run the
 * rehearsal of the open design through the host (the desktop's main process runs the same engine
 * as `topoforge rehearse`), feed its events to the store while it runs, and cancel it. In a
 * browser the host has no rehearsal members and the view says how to run it from the CLI.
 */
import { designText } from './commands';
import type { AppServices } from './services';

/** The command a person runs where the app cannot rehearse (the web build). */
export const REHEARSE_COMMAND = 'topoforge rehearse design.json --report report.html';

/** Whether this platform can rehearse (the desktop app can; a browser page cannot). */
export function canRehearse(services: AppServices): boolean {
  return services.host.rehearse !== undefined && services.host.rehearsalSupport !== undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Asks the host whether this machine can run a lab, once. */
export async function checkRehearsalSupport(services: AppServices): Promise<void> {
  const { host, store } = services;
  if (!host.rehearsalSupport || store.getState().rehearsalRun.support !== undefined) return;
  try {
    store.getState().setRehearsalSupport(await host.rehearsalSupport());
  } catch (error) {
    store.getState().setRehearsalSupport({ supported: false, reason: messageOf(error) });
  }
}

/** Rehearses the open design, every scenario of the single-failure analysis; events go to the store. */
export async function runRehearsal(services: AppServices): Promise<void> {
  const { host, store } = services;
  if (!host.rehearse || store.getState().rehearsalRun.phase === 'running') return;
  store.getState().startRehearsal();
  const stop = host.onRehearsalEvent?.((event) => store.getState().applyRehearsalEvent(event));
  try {
    const outcome = await host.rehearse({ designText: designText(store.getState().design) });
    store.getState().finishRehearsal(outcome);
    const mismatches = outcome.scenarios.flatMap((scenario) =>
      scenario.entrypoints.filter((entrypoint) => entrypoint.verdict === 'mismatch'),
    ).length;
    store
      .getState()
      .notify(
        outcome.status === 'cancelled'
          ? 'Rehearsal cancelled; the lab was removed'
          : mismatches === 0
            ? `Rehearsal: every entrypoint as predicted in ${outcome.scenarios.length} scenario(s)`
            : `Rehearsal: ${mismatches} mismatch(es)`,
        outcome.status === 'cancelled' ? 'info' : mismatches === 0 ? 'success' : 'warning',
      );
  } catch (error) {
    store.getState().failRehearsal(messageOf(error));
  } finally {
    stop?.();
  }
}

/** Cancels the running rehearsal; its lab is removed before it reports `cancelled`. */
export async function cancelRehearsal(services: AppServices): Promise<void> {
  const { host, store } = services;
  if (!host.cancelRehearsal) return;
  store.getState().markRehearsalCancelling();
  try {
    await host.cancelRehearsal();
  } catch (error) {
    store.getState().notify(`Cancel: ${messageOf(error)}`, 'error');
  }
}
