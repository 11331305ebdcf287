/**
 * What the push dialog does: plan (a dry run on every host), trust an unknown host key, push the
 * chosen hosts. The host (core/host.ts) does the work; in a browser it has no push members and
 * the dialog says how to push instead.
 */
import { designText } from './commands';
import type { AppServices } from './services';

/** Whether this platform can push (the desktop app can; a browser page cannot). */
export function canPush(services: AppServices): boolean {
  return services.host.planPush !== undefined && services.host.push !== undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Opens the push dialog; plans at once where pushing is possible and nothing runs yet. */
export function openPush(services: AppServices): void {
  const state = services.store.getState();
  state.openDialog({ kind: 'push' });
  const phase = state.pushRun.phase;
  if (canPush(services) && phase !== 'planning' && phase !== 'pushing') void planPush(services);
}

/** Plans the current design: host keys, and each host's files with their diffs. Changes nothing. */
export async function planPush(services: AppServices): Promise<void> {
  const { host, store } = services;
  if (!host.planPush) return;
  const text = designText(store.getState().design);
  store.getState().startPushPlan(text);
  try {
    const report = await host.planPush({
      designText: text,
      confirmedHostKeys: store.getState().pushRun.confirmed,
      ...(store.getState().pushRun.labCertificates ? { labCertificates: true } : {}),
    });
    store.getState().finishPushPlan(report);
  } catch (error) {
    store.getState().failPush(messageOf(error));
  }
}

/** Trusts a host's unknown key (the person compared its fingerprint) and plans again. */
export function trustHostKey(services: AppServices, host: string, fingerprint: string): Promise<void> {
  services.store.getState().trustHostKey(host, fingerprint);
  return planPush(services);
}

/**
 * Turns the lab-certificates choice on or off and plans again: with it, a host that lacks only
 * certificates is planned to get self-signed ones instead of stopping.
 */
export function setLabCertificates(services: AppServices, on: boolean): Promise<void> {
  services.store.getState().setLabCertificates(on);
  return planPush(services);
}

/**
 * Cancels the running plan or push: hosts not started are not pushed, and every host being pushed
 * ends with its old files. The running plan or push then finishes with its report as usual.
 */
export async function cancelPush(services: AppServices): Promise<void> {
  const { host, store } = services;
  if (!host.cancelPush) return;
  store.getState().markPushCancelling();
  try {
    await host.cancelPush();
  } catch (error) {
    store.getState().notify(`Cancel: ${messageOf(error)}`, 'error');
  }
}

/** Pushes the planned design to the chosen hosts. */
export async function runPush(services: AppServices): Promise<void> {
  const { host, store } = services;
  const run = store.getState().pushRun;
  if (!host.push || run.designText === undefined || run.selected.length === 0) return;
  const hosts = run.plan
    ? run.plan.hosts.map((entry) => entry.host).filter((id) => run.selected.includes(id))
    : [];
  store.getState().startPush();
  try {
    const report = await host.push({
      designText: run.designText,
      hosts,
      confirmedHostKeys: run.confirmed,
      ...(run.labCertificates ? { labCertificates: true } : {}),
    });
    store.getState().finishPush(report);
    const { changed, unchanged, failed } = report.summary;
    store
      .getState()
      .notify(
        `Push: ${changed} changed, ${unchanged} unchanged, ${failed} failed`,
        failed > 0 ? 'error' : 'success',
      );
  } catch (error) {
    store.getState().failPush(messageOf(error));
  }
}
