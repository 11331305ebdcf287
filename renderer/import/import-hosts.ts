/**
 * File › Import from hosts (docs/import.md): the desktop app collects the configs of running hosts
 * over SSH, as `topoforge collect` does, with a progress bar per host; then imports them as
 * File › Import folder does, opening the design with the unused list beside it. The host
 * (core/host.ts) does the SSH work; in a browser it has no collect member and the dialog says how
 * to do it instead.
 */
import type { ImportProblem } from '../../core/import/build-design';
import type { AppServices } from '../app/services';
import { targetsOf } from '../state/collect-slice';
import { importFiles } from './import-folder';

/** Whether this platform can collect from hosts (the desktop app can; a browser page cannot). */
export function canCollect(services: AppServices): boolean {
  return services.host.collectConfigs !== undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Opens the dialog; a finished collection's rows stay until the next one starts. */
export function openImportHosts(services: AppServices): void {
  services.store.getState().openDialog({ kind: 'import-hosts' });
}

/** The name the imported design gets: its hosts, or the first and how many more. */
function importName(hosts: readonly string[]): string {
  if (hosts.length <= 2) return hosts.join('-and-') || 'hosts';
  return `${hosts[0]}-and-${hosts.length - 1}-more`;
}

/**
 * Collects the typed targets. When every host was read, imports at once; otherwise the dialog
 * shows which failed and why, for the person to trust a key and collect again, or to import what
 * was read.
 */
export async function collectFromHosts(services: AppServices): Promise<void> {
  const { host, store } = services;
  if (!host.collectConfigs) return;
  const run = store.getState().collectRun;
  if (run.phase === 'collecting') return;
  const { targets, lines, problems } = targetsOf(run.targetsText);
  if (problems.length > 0) {
    const first = problems[0]!;
    store
      .getState()
      .failCollect(`line ${first.line}: '${first.text}' is not user@address[:port], e.g. root@10.0.0.5:22`);
    return;
  }
  if (targets.length === 0) {
    store.getState().failCollect('write one host per line: user@address[:port], e.g. root@10.0.0.5');
    return;
  }
  store.getState().startCollect(targets);
  try {
    const report = await host.collectConfigs({ targets: lines, confirmedHostKeys: run.confirmed });
    store.getState().finishCollect(report);
    if (!report.cancelled && report.hosts.every((entry) => entry.state === 'done'))
      await importCollected(services);
  } catch (error) {
    store.getState().failCollect(messageOf(error));
  }
}

/**
 * Imports what the last collection read, as File › Import folder imports a folder. What the hosts
 * could not give (a failed host, a file too large, an include loop) is listed with the import's
 * own problems, so nothing is left out silently.
 */
export async function importCollected(services: AppServices): Promise<void> {
  const report = services.store.getState().collectRun.report;
  if (!report || report.cancelled) return;
  const read = report.hosts.filter((entry) => entry.state === 'done');
  if (read.length === 0) return;
  const problems: ImportProblem[] = [
    ...report.hosts.flatMap((entry) =>
      entry.problems.map((problem) => ({
        host: entry.host,
        file: problem.path === undefined ? `${entry.user}@${entry.address}:${entry.port}` : problem.path,
        message: entry.state === 'failed' ? `not imported: ${problem.message}` : problem.message,
      })),
    ),
    ...report.problems,
  ];
  await importFiles(services, importName(read.map((entry) => entry.host)), report.files, problems);
}

/** Trusts a host's unknown key (the person compared its fingerprint); the next collection uses it. */
export function trustCollectKey(services: AppServices, host: string, fingerprint: string): void {
  services.store.getState().trustCollectKey(host, fingerprint);
}

/** Cancels the running collection: it disconnects at once, and nothing of it is imported. */
export async function cancelCollect(services: AppServices): Promise<void> {
  const { host, store } = services;
  if (!host.cancelCollect) return;
  store.getState().markCollectCancelling();
  try {
    await host.cancelCollect();
  } catch (error) {
    store.getState().notify(`Cancel: ${messageOf(error)}`, 'error');
  }
}
