/**
 * Step 3: the plan: which files change, the commands that will run, and in a dry run the diffs.
 */
import { checkCommandFor, DAEMON_RELOAD } from '../../../core/daemons';
import type { SshConnection } from '../connection';
import { DIFF_SIZE_LIMIT, unifiedDiff } from '../diff';
import { SECRET_NOT_SHOWN } from '../../secrets/uploads';
import { stubbedCheck } from '../prerequisites';
import {
  ancestorDirectories,
  contentScript,
  newMarker,
  parseContentOutput,
  rootedPath,
  shellQuote,
  temporaryPathOf,
} from '../remote';
import { octal, StepFailure, tail, UNIT_DIRECTORY } from './run';
import type { HostPlan, PlannedFile, HostRun } from './run';
import { runScript, survey } from './survey';
import type { PushFile } from '../bundle';
import type { FileReport, PlannedCommand } from '../types';

/**
 * docs/push.md, step 2: what each file needs, by sha256, mode and owner (unchanged files are
 * skipped), and every command the commit will run.
 */
export async function plan(run: HostRun, connection: SshConnection): Promise<HostPlan> {
  const { context, report } = run;
  if (run.step !== 'planning') run.enter('planning');
  const { host, files } = context;
  const destinations = files.map((file) => rootedPath(host.root, file.path));
  const directories = ancestorDirectories(destinations);
  const state = await survey(run, connection, destinations, directories);
  if (state.blockingPaths.length > 0)
    throw new StepFailure(`${state.blockingPaths[0]} on the host is not a directory`);

  const planned = files.map((file, index): PlannedFile => {
    const remote = state.files[index]!;
    const destination = destinations[index]!;
    const fileReport: FileReport = {
      path: file.path,
      action: 'unchanged',
      ...(file.secret ? { secret: true } : {}),
    };
    if (remote.kind === 'missing') fileReport.action = 'create';
    else if (remote.kind === 'other')
      throw new StepFailure(`${destination} on the host is a ${remote.type}, not a file`, {
        path: file.path,
      });
    else if (remote.kind === 'unreadable')
      throw new StepFailure(`cannot read ${destination} on the host`, {
        path: file.path,
        stderr: tail(remote.message),
      });
    else if (file.policy === 'create-only' && remote.generated !== false) fileReport.action = 'kept';
    else if (file.policy === 'create-only') {
      // Not Topoforge's (a package's stock file): nothing the cluster learned, so it is replaced.
      fileReport.action = 'update';
      fileReport.reasons = ['content'];
      report.warnings.push(
        `${file.path} on the host was not written by Topoforge (a package's own file, it seems): replaced, ` +
          'the old one kept as a backup; from now on push keeps it, as the cluster rewrites it',
      );
    } else {
      const reasons: NonNullable<FileReport['reasons']> = [];
      if (remote.sha256 !== file.sha256) reasons.push('content');
      if ((remote.mode & 0o7777) !== file.mode) reasons.push('mode');
      if (file.owner !== undefined) {
        const [user, group] = file.owner.split(':');
        if (user !== remote.user || (group !== undefined && group !== remote.group)) reasons.push('owner');
      }
      if (reasons.length > 0) {
        fileReport.action = 'update';
        fileReport.reasons = reasons;
      }
    }
    return { file, destination, state: remote, report: fileReport };
  });
  report.files = planned.map((entry) => entry.report);
  report.warnings.push(...ownerWarnings(planned));
  const changed = planned.filter(
    (entry) => entry.report.action === 'create' || entry.report.action === 'update',
  );
  const reloads = reloadsOf(changed, planned, run.prerequisites?.held);
  const commands: PlannedCommand[] = [
    ...changed.flatMap((entry): PlannedCommand[] =>
      entry.file.check === undefined
        ? []
        : [
            {
              step: 'checking',
              command: checkCommandOf(entry.file, temporaryPathOf(entry.destination, run.id), run),
              path: entry.file.path,
            },
          ],
    ),
    ...reloads.map((command): PlannedCommand => {
      const file = changed.find((entry) => entry.file.reload === command);
      return { step: 'reloading', command, ...(file ? { path: file.file.path } : {}) };
    }),
  ];
  report.commands = commands;
  context.emit({
    type: 'planned',
    host: host.id,
    files: changed.map((entry) => entry.report),
    commands,
  });
  return { files: planned, changed, missingDirectories: state.missingDirectories, reloads, commands };
}

/**
 * A file push created while its owner did not exist is root's (docs/push.md): once the service's
 * package is installed, its user must be given it. A replaced file is, by the next push; a
 * create-only one (a secret, Sentinel's own config) never is, so the person is told.
 */
function ownerWarnings(planned: PlannedFile[]): string[] {
  return planned.flatMap(({ file, state, report, destination }) => {
    if (report.action !== 'kept' || state.kind !== 'file' || file.owner === undefined) return [];
    if (`${state.user}:${state.group}` === file.owner) return [];
    return [
      `the ${file.secret ? 'secret ' : ''}file ${file.path} belongs to ${state.user}:${state.group}, not ${file.owner} ` +
        `(push makes it root's while its user does not exist): once the user exists, run chown ${file.owner} ` +
        `${destination} on the host`,
    ];
  });
}

/**
 * The command that checks `file` at `path`: built from the catalogue's words, each quoted, for a
 * file the catalogue knows; a hand-made manifest's own text (which the person vouched for by its
 * digest) with `{}` replaced otherwise.
 */
export function checkCommandOf(file: PushFile, path: string, run: HostRun): string {
  const command =
    file.checkWords !== undefined
      ? checkCommandFor(file.checkWords, path)
      : (file.check ?? '').replaceAll('{}', shellQuote(path));
  const stubs = run.prerequisites?.stubs.get(file.path);
  return stubs === undefined ? command : stubbedCheck(command, stubs);
}

/**
 * The reloads a set of changed files needs, each once, in file order; daemon-reload first for
 * units. A file whose program is not installed (`held`) is installed without its reload: its unit
 * is neither enabled nor started.
 */
function reloadsOf(
  changed: PlannedFile[],
  planned: PlannedFile[],
  held: ReadonlySet<string> = new Set(),
): string[] {
  // A unit whose program is not installed is neither started nor restarted: not for its own files
  // (held), and not for a file it shares a reload with, such as its secret (mongod's keyFile).
  const heldReloads = new Set(
    planned.filter((entry) => held.has(entry.file.path)).map((entry) => entry.file.reload),
  );
  const reloads: string[] = [];
  if (changed.some((entry) => UNIT_DIRECTORY.test(entry.file.path))) reloads.push(DAEMON_RELOAD);
  for (const entry of changed) {
    if (held.has(entry.file.path)) continue;
    const reload = entry.file.reload;
    if (reload !== undefined && !heldReloads.has(reload) && !reloads.includes(reload)) reloads.push(reload);
  }
  return reloads;
}

/** Adds a unified diff to each changed file's report, reading the host's versions in one command. */
export async function addDiffs(
  run: HostRun,
  connection: SshConnection,
  changed: PlannedFile[],
): Promise<void> {
  const hostId = run.context.host.id;
  const readable = changed.filter(
    (entry) =>
      !entry.file.secret &&
      entry.state.kind === 'file' &&
      entry.state.content === undefined &&
      entry.report.reasons?.includes('content') &&
      entry.state.size <= DIFF_SIZE_LIMIT,
  );
  let contents: (Buffer | undefined)[] = [];
  if (readable.length > 0) {
    const marker = newMarker();
    const result = await runScript(
      run,
      connection,
      contentScript(
        marker,
        readable.map((entry) => entry.destination),
      ),
    );
    contents = parseContentOutput(marker, result.stdout, readable.length);
  }
  for (const entry of changed) {
    const { state, file, report } = entry;
    const notes: string[] = [];
    if (state.kind === 'file' && report.reasons?.includes('mode'))
      notes.push(`mode ${octal(state.mode & 0o7777)} -> ${octal(file.mode)}`);
    if (state.kind === 'file' && report.reasons?.includes('owner'))
      notes.push(`owner ${state.user}:${state.group} -> ${file.owner}`);
    const header = notes.length > 0 ? `${hostId}:${file.path}: ${notes.join(', ')}\n` : '';
    if (file.secret) {
      // Neither the host's secret nor the store's is ever shown or compared as text.
      report.diff = `${header}${hostId}:${file.path}: ${SECRET_NOT_SHOWN}\n`;
    } else if (state.kind === 'missing') {
      report.diff = header + unifiedDiff(hostId, file.path, undefined, file.content);
    } else if (report.reasons?.includes('content')) {
      const index = readable.indexOf(entry);
      const before =
        state.kind === 'file' && state.content ? state.content : index >= 0 ? contents[index] : undefined;
      report.diff =
        header +
        (before === undefined
          ? `Files ${hostId}:${file.path} (on the host) and (bundle) differ (sha256 ${state.kind === 'file' ? state.sha256.slice(0, 12) : '?'} -> ${file.sha256.slice(0, 12)})\n`
          : unifiedDiff(hostId, file.path, before, file.content));
    } else {
      report.diff = header;
    }
  }
}
