/**
 * The POSIX shell scripts push runs on a host, and the reading of what they print.
 *
 * Each script is sent on the standard input of `sh -s` (so the login shell never parses it and
 * its length is not limited) inside one `{ … }` block, which the shell reads whole before running
 * any of it. Every line the script prints for push starts with a random marker, so nothing a
 * check or reload prints can pass for one.
 *
 * The commit script is the host's transaction: it runs the checks, keeps backups, renames the new
 * files into place, reloads, and restores the backups when a reload fails, all on the host. It
 * ignores SIGHUP and SIGPIPE and captures every command's output, so a connection lost halfway
 * cannot stop it between two renames: the host still ends with all its new files or all its old
 * ones.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The path of `path` on a host whose files live under `root`. */
export function rootedPath(root: string, path: string): string {
  return root === '/' ? path : posix.join(root, path);
}

/** A hidden name beside `path`: `/etc/x/.name.topoforge-SUFFIX`. */
function besidePath(path: string, suffix: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.topoforge-${suffix}`);
}

/** Where a new file is uploaded and checked before it is renamed over `path`. */
export function temporaryPathOf(path: string): string {
  return besidePath(path, 'new');
}

/** Where the previous version of `path` is kept. */
export function backupPathOf(path: string): string {
  return besidePath(path, 'backup');
}

/** The command that runs a script from stdin, through `sudo -n` when the host asks for it. */
export function scriptCommand(sudo: boolean): string {
  return sudo ? 'sudo -n sh -s' : 'sh -s';
}

/** A fresh marker for one script run. */
export function newMarker(): string {
  return `@@topoforge-${randomBytes(8).toString('hex')}`;
}

/** Every ancestor directory of `paths`, parents before children, without `/`. */
export function ancestorDirectories(paths: readonly string[]): string[] {
  const directories = new Set<string>();
  for (const path of paths) {
    for (let directory = posix.dirname(path); directory !== '/'; directory = posix.dirname(directory)) {
      directories.add(directory);
    }
  }
  return [...directories].sort((left, right) => depthOf(left) - depthOf(right) || (left < right ? -1 : 1));
}

function depthOf(path: string): number {
  return path.split('/').length;
}

function wrap(marker: string, body: string[]): string {
  return [
    '{',
    'exec 0</dev/null',
    `M=${shellQuote(marker)}`,
    'say() { printf "%s\\n" "$M $*"; }',
    ...body,
    'say end',
    '}',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Plan

/** What a host has at one destination path. */
export type RemoteFileState =
  | { kind: 'missing' }
  | {
      kind: 'file';
      mode: number;
      size: number;
      user: string;
      group: string;
      sha256: string;
      /** The content, when the plan read it (small files over SFTP). */
      content?: Buffer;
    }
  | { kind: 'other'; type: string }
  | { kind: 'unreadable'; message: string };

/** A host's current state for a plan. */
export interface RemoteState {
  files: RemoteFileState[];
  /** Ancestor directories (of {@link ancestorDirectories}) that do not exist. */
  missingDirectories: string[];
  /** Ancestor paths that exist but are not directories. */
  blockingPaths: string[];
}

/**
 * The plan script: for each destination whether it exists, its mode, size, owner and sha256 (one
 * `stat` and one `sha256sum` for all of them), and which ancestor directories are missing. It
 * changes nothing.
 */
export function planScript(marker: string, paths: readonly string[], directories: readonly string[]): string {
  const body = ['set --'];
  paths.forEach((path, index) => {
    body.push(
      `if [ -e ${shellQuote(path)} ]; then set -- "$@" ${shellQuote(path)}; else say missing ${index}; fi`,
    );
  });
  directories.forEach((directory, index) => {
    const quoted = shellQuote(directory);
    body.push(
      `if [ ! -d ${quoted} ]; then if [ -e ${quoted} ] || [ -L ${quoted} ]; then say notdir ${index}; else say nodir ${index}; fi; fi`,
    );
  });
  body.push(
    'if [ $# -gt 0 ]; then',
    `  stat -L -c "$M stat %a %s %U %G %F\t%n" -- "$@"`,
    '  sha256sum -- "$@"',
    'fi',
  );
  return wrap(marker, body);
}

/**
 * A file name as GNU `sha256sum` prints it when the line starts with `\`: a backslash, newline or
 * carriage return in the name is escaped (`\\`, `\n`, `\r`). Bundle paths hold backslashes in
 * systemd's unit-name escapes (`mnt-shared\x2dnfs.mount`).
 */
function unescapeChecksumName(name: string): string {
  return name.replace(/\\([\\nr])/gu, (_match, character: string) =>
    character === 'n' ? '\n' : character === 'r' ? '\r' : '\\',
  );
}

/** Reads the plan script's output. */
export function parsePlanOutput(
  marker: string,
  stdout: string,
  stderr: string,
  paths: readonly string[],
  directories: readonly string[],
): RemoteState | { error: string } {
  const files: RemoteFileState[] = paths.map(() => ({
    kind: 'unreadable',
    message: 'the plan said nothing about it',
  }));
  const byPath = new Map(paths.map((path, index) => [path, index]));
  const missingDirectories: string[] = [];
  const blockingPaths: string[] = [];
  const stats = new Map<number, { mode: number; size: number; user: string; group: string; type: string }>();
  const hashes = new Map<number, string>();
  const errors = stderr.split('\n').filter((line) => line.trim() !== '');
  let ended = false;
  for (const line of stdout.split('\n')) {
    const hash = /^(\\?)([0-9a-f]{64}) {2}(.*)$/u.exec(line);
    if (hash) {
      const index = byPath.get(hash[1] ? unescapeChecksumName(hash[3]!) : hash[3]!);
      if (index !== undefined) hashes.set(index, hash[2]!);
      continue;
    }
    if (!line.startsWith(`${marker} `)) continue;
    const rest = line.slice(marker.length + 1);
    const [word, ...fields] = rest.split(' ');
    if (word === 'end') ended = true;
    else if (word === 'missing') files[Number(fields[0])] = { kind: 'missing' };
    else if (word === 'nodir') missingDirectories.push(directories[Number(fields[0])]!);
    else if (word === 'notdir') blockingPaths.push(directories[Number(fields[0])]!);
    else if (word === 'stat') {
      const tab = rest.indexOf('\t');
      const [, mode, size, user, group, ...type] = rest.slice(0, tab).split(' ');
      const index = byPath.get(rest.slice(tab + 1));
      if (index !== undefined)
        stats.set(index, {
          mode: Number.parseInt(mode ?? '', 8),
          size: Number(size),
          user: user ?? '',
          group: group ?? '',
          type: type.join(' '),
        });
    }
  }
  if (!ended) return { error: 'the plan script ended early' };
  files.forEach((state, index) => {
    if (state.kind === 'missing') return;
    const stat = stats.get(index);
    if (!stat) {
      files[index] = { kind: 'unreadable', message: errors.join('\n') || 'stat said nothing about it' };
      return;
    }
    if (!stat.type.startsWith('regular')) {
      files[index] = { kind: 'other', type: stat.type };
      return;
    }
    const sha256 = hashes.get(index);
    if (sha256 === undefined) {
      const message = errors.find((text) => text.includes(paths[index]!)) ?? errors.join('\n');
      files[index] = { kind: 'unreadable', message: message || 'sha256sum said nothing about it' };
      return;
    }
    files[index] = {
      kind: 'file',
      mode: stat.mode,
      size: stat.size,
      user: stat.user,
      group: stat.group,
      sha256,
    };
  });
  return { files, missingDirectories, blockingPaths };
}

/** A script that prints each of `paths` base64-encoded, for dry-run diffs. */
export function contentScript(marker: string, paths: readonly string[]): string {
  const body = paths.flatMap((path, index) => [
    `say content ${index}`,
    `base64 -w 0 -- ${shellQuote(path)} 2>/dev/null`,
    'echo',
  ]);
  return wrap(marker, body);
}

/** Reads {@link contentScript}'s output: the content of each path, where it could be read. */
export function parseContentOutput(marker: string, stdout: string, count: number): (Buffer | undefined)[] {
  const contents: (Buffer | undefined)[] = Array.from({ length: count }, () => undefined);
  let current: number | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(`${marker} content `)) {
      current = Number(line.slice(marker.length + 9));
      continue;
    }
    if (line.startsWith(`${marker} `)) {
      current = undefined;
      continue;
    }
    if (current !== undefined && line !== '') contents[current] = Buffer.from(line, 'base64');
    current = undefined;
  }
  return contents;
}

// ---------------------------------------------------------------------------------------------
// Commit

/** One file of a commit. */
export interface CommitFile {
  /** Rooted destination on the host. */
  destination: string;
  temporary: string;
  backup: string;
  /** Sudo mode: the uploaded copy to install as the temporary file. */
  staged?: string;
  /** Octal permission bits, e.g. `0644`; applied by the script in sudo mode. */
  mode: string;
  owner?: string;
  /** The check command, `{}` already replaced by the quoted temporary path. */
  check?: string;
  /** `create-only`: never replaces a file that appeared meanwhile. */
  createOnly: boolean;
}

/** Everything the commit script needs. */
export interface CommitPlan {
  files: CommitFile[];
  /** Sudo mode: directories to create (parents first) before installing the files. */
  createDirectories: string[];
  /** Directories push created (in either mode), removed again if the host ends with its old files. */
  createdDirectories: string[];
  /** The reload commands in order, `systemctl daemon-reload` first when units changed. */
  reloads: string[];
  /** Sudo mode: the staging directory, removed at the end. */
  staging?: string;
  /** Flush the temporary files with sync(1): the upload could not (sudo, or no fsync@openssh.com). */
  syncTemporaries?: boolean;
  /**
   * How the files are backed up and renamed: `auto` uses one `perl` process when the host has
   * perl (every Debian and Ubuntu: perl-base is essential), else coreutils (`ln`, `mv`), two
   * processes per file. `coreutils` forces the fallback, for tests.
   */
  replaceWith?: 'auto' | 'coreutils';
}

/**
 * Backs up and replaces every file, in order; arguments: the marker, then per file `c` (create-only)
 * or `r` (replace), destination, temporary, backup. On the first failure it prints it and exits 3,
 * leaving the rest to the shell's stateless restore. Plain perl, no modules: perl-base has few.
 */
const PERL_REPLACE = `
my ($m, @a) = @ARGV; $| = 1;
sub emit { print "$m @_\\n" }
sub gone { !-e $_[0] && !-l $_[0] }
sub fail { my ($what, $i, $e) = @_; emit "fail $what $i 1"; emit 'output'; print "$e\\n"; emit 'output-end'; exit 3 }
sub copy {
  my ($from, $to) = @_;
  -f $from or return 0;
  open(my $in, '<', $from) or return 0; open(my $out, '>', $to) or return 0;
  binmode $in; binmode $out; my ($buffer, $n);
  while ($n = sysread($in, $buffer, 65536)) { syswrite($out, $buffer, $n) == $n or return 0 }
  defined $n or return 0; close $out or return 0; my @s = stat $from; chmod($s[2] & 07777, $to); chown($s[4], $s[5], $to); 1
}
for (my $i = 0; @a; $i++) {
  my ($kind, $d, $t, $b) = splice(@a, 0, 4);
  if ($kind eq 'c') {
    unlink $b;
    if (link $t, $d) { unlink $t; next }
    my $e = $!;
    if (!gone($d)) { emit "kept $i"; next }
    fail('replace', $i, $e);
  }
  if (gone($d)) { unlink $b }
  else {
    unlink $b;
    link($d, $b) or copy($d, $b) or fail('backup', $i, $!);
    emit "backup $i";
  }
  rename($t, $d) or fail('replace', $i, $!);
}
`.trim();

/**
 * Builds the commit script; see the module comment for what it guarantees.
 *
 * Restoring needs no record of what was done: a file was replaced exactly when its temporary file
 * is gone (a kept create-only file keeps its temporary until the cleanup), and it had a previous
 * version exactly when its backup exists, because replacing removes a stale backup first.
 */
export function commitScript(marker: string, plan: CommitPlan): string {
  const q = shellQuote;
  const body: string[] = ["trap '' HUP PIPE", 'show() { say output; printf "%s\\n" "$1"; say output-end; }'];
  const temporaries = plan.files.map((file) => q(file.temporary)).join(' ');
  const deepestFirst = [...plan.createdDirectories].reverse().map(q).join(' ');
  body.push(
    'cleanup() {',
    `  rm -f -- ${temporaries}`,
    ...(deepestFirst === '' ? [] : [`  rmdir -- ${deepestFirst} 2>/dev/null`]),
    ...(plan.staging ? [`  rm -rf -- ${q(plan.staging)}`] : []),
    '  :',
    '}',
    'abort() { cleanup; say end; exit 0; }',
  );
  const restore = ['restore() {'];
  [...plan.files.keys()].reverse().forEach((index) => {
    const file = plan.files[index]!;
    const [destination, temporary, backup] = [q(file.destination), q(file.temporary), q(file.backup)];
    restore.push(
      `  if [ ! -e ${temporary} ] && [ ! -L ${temporary} ]; then`,
      `    if [ -e ${backup} ] || [ -L ${backup} ]; then o=$(mv -f -T -- ${backup} ${destination} 2>&1); else o=$(rm -f -- ${destination} 2>&1); fi || { say restore-failed ${index}; show "$o"; }`,
      '  fi',
    );
  });
  restore.push('  :', '}');
  body.push(...restore);

  body.push('say step checking');
  if (plan.createDirectories.length > 0) {
    body.push(
      `o=$(mkdir -p -- ${plan.createDirectories.map(q).join(' ')} 2>&1) || { say fail prepare - $?; show "$o"; abort; }`,
    );
  }
  plan.files.forEach((file, index) => {
    const steps: string[] = [];
    if (file.staged !== undefined) {
      steps.push(
        `cp -- ${q(file.staged)} ${q(file.temporary)}`,
        `chmod ${file.mode} -- ${q(file.temporary)}`,
      );
    }
    if (file.owner !== undefined) steps.push(`chown -- ${q(file.owner)} ${q(file.temporary)}`);
    if (steps.length > 0)
      body.push(
        `o=$( { ${steps.join(' && ')}; } 2>&1) || { say fail prepare ${index} $?; show "$o"; abort; }`,
      );
  });
  if ((plan.staging !== undefined || plan.syncTemporaries === true) && plan.files.length > 0)
    body.push(`sync -- ${temporaries} 2>/dev/null`);
  body.push('bad=0');
  plan.files.forEach((file, index) => {
    if (file.check === undefined) return;
    body.push(
      `c=${q(file.check)}`,
      `o=$(trap - PIPE; eval "$c" 2>&1 </dev/null); s=$?`,
      `if [ $s -ne 0 ]; then say fail check ${index} $s; show "$o"; bad=1; fi`,
    );
  });
  body.push('[ $bad -eq 0 ] || abort');

  body.push('say step replacing');
  const perlArguments = plan.files
    .flatMap((file) => [file.createOnly ? 'c' : 'r', file.destination, file.temporary, file.backup])
    .map(q)
    .join(' ');
  const coreutils: string[] = [];
  plan.files.forEach((file, index) => {
    const [destination, temporary, backup] = [q(file.destination), q(file.temporary), q(file.backup)];
    const failAt = (what: string): string => `{ say fail ${what} ${index} 1; show "$o"; restore; abort; }`;
    if (file.createOnly) {
      coreutils.push(
        `  rm -f -- ${backup}`,
        `  if o=$(ln -- ${temporary} ${destination} 2>&1); then rm -f -- ${temporary}`,
        `  elif [ -e ${destination} ] || [ -L ${destination} ]; then say kept ${index}`,
        `  else ${failAt('replace')}; fi`,
      );
      return;
    }
    coreutils.push(
      `  rm -f -- ${backup}`,
      `  if [ -e ${destination} ] || [ -L ${destination} ]; then`,
      `    o=$(ln -- ${destination} ${backup} 2>&1) || o=$(cp -p -- ${destination} ${backup} 2>&1) || ${failAt('backup')}`,
      `    say backup ${index}`,
      '  fi',
      `  o=$(mv -f -T -- ${temporary} ${destination} 2>&1) || ${failAt('replace')}`,
    );
  });
  const usePerl = (plan.replaceWith ?? 'auto') === 'auto';
  body.push(
    `if ${usePerl ? 'command -v perl >/dev/null 2>&1' : 'false'}; then`,
    `  perl -e ${q(PERL_REPLACE)} "$M" ${perlArguments} || { restore; abort; }`,
    'else',
    ...coreutils,
    'fi',
    'say replaced',
  );

  if (plan.reloads.length > 0) {
    body.push('say step reloading', 'failed=-1');
    const run = (index: number, round: string): string[] => [
      `c=${q(plan.reloads[index]!)}`,
      `o=$(trap - PIPE; eval "$c" 2>&1 </dev/null); s=$?`,
      `if [ $s -eq 0 ]; then say ${round}-ok ${index}; else say ${round}-fail ${index} $s; show "$o"; failed=${index}; fi`,
    ];
    plan.reloads.forEach((_, index) => {
      body.push(`if [ $failed -lt 0 ]; then`, ...run(index, 'reload').map((line) => `  ${line}`), 'fi');
    });
    body.push(
      'if [ $failed -ge 0 ]; then',
      '  say restoring',
      '  restore',
      '  cleanup',
      '  again=$failed; failed=-1',
    );
    plan.reloads.forEach((_, index) => {
      body.push(
        `  if [ ${index} -le $again ]; then`,
        ...run(index, 'again').map((line) => `    ${line}`),
        '  fi',
      );
    });
    body.push('fi');
  }
  body.push(...(plan.files.some((file) => file.createOnly) ? ['cleanup'] : []));
  if (plan.staging !== undefined) body.push(`rm -rf -- ${q(plan.staging)}`);
  return wrap(marker, body);
}

/** A command that failed on the host, with what it printed. */
export interface RemoteFailure {
  /** `prepare`, `check`, `backup`, `replace`. */
  what: string;
  /** Index into the commit's files, or undefined for the whole host. */
  file: number | undefined;
  exitCode: number;
  output: string;
}

/** How the commit script's run went, as far as its output tells. */
export interface CommitOutcome {
  /** The script reached its end (false: connection lost or script killed). */
  ended: boolean;
  steps: string[];
  failures: RemoteFailure[];
  /** Files that got a backup of their previous version. */
  backedUp: number[];
  /** create-only files that appeared on the host between plan and commit; left as they were. */
  kept: number[];
  replaced: boolean;
  reloads: { index: number; ok: boolean; exitCode?: number; output?: string; again: boolean }[];
  restored: boolean;
  restoreFailures: { file: number; output: string }[];
}

/** Reads the commit script's output line by line, as it arrives. */
export class CommitReader {
  readonly outcome: CommitOutcome = {
    ended: false,
    steps: [],
    failures: [],
    backedUp: [],
    kept: [],
    replaced: false,
    reloads: [],
    restored: false,
    restoreFailures: [],
  };
  private capture: string[] | undefined;
  private attach: ((output: string) => void) | undefined;

  constructor(
    private readonly marker: string,
    private readonly onStep: (step: string) => void,
  ) {}

  /** Feeds one stdout line. */
  line(line: string): void {
    if (this.capture !== undefined) {
      if (line === `${this.marker} output-end`) {
        this.attach?.(this.capture.join('\n'));
        this.capture = undefined;
        this.attach = undefined;
      } else {
        this.capture.push(line);
      }
      return;
    }
    if (!line.startsWith(`${this.marker} `)) return;
    const [word, ...fields] = line.slice(this.marker.length + 1).split(' ');
    const outcome = this.outcome;
    const number = (value: string | undefined): number | undefined =>
      value === undefined || value === '-' ? undefined : Number(value);
    switch (word) {
      case 'step':
        outcome.steps.push(fields[0] ?? '');
        this.onStep(fields[0] ?? '');
        break;
      case 'output':
        this.capture = [];
        break;
      case 'fail': {
        const failure: RemoteFailure = {
          what: fields[0] ?? '',
          file: number(fields[1]),
          exitCode: number(fields[2]) ?? 1,
          output: '',
        };
        outcome.failures.push(failure);
        this.attach = (output) => (failure.output = output);
        break;
      }
      case 'backup':
        outcome.backedUp.push(Number(fields[0]));
        break;
      case 'kept':
        outcome.kept.push(Number(fields[0]));
        break;
      case 'replaced':
        outcome.replaced = true;
        break;
      case 'reload-ok':
      case 'again-ok':
        outcome.reloads.push({ index: Number(fields[0]), ok: true, again: word === 'again-ok' });
        break;
      case 'reload-fail':
      case 'again-fail': {
        const reload = {
          index: Number(fields[0]),
          ok: false,
          exitCode: Number(fields[1]),
          output: '',
          again: word === 'again-fail',
        };
        outcome.reloads.push(reload);
        this.attach = (output) => (reload.output = output);
        break;
      }
      case 'restoring':
        outcome.restored = true;
        break;
      case 'restore-failed': {
        const failure = { file: Number(fields[0]), output: '' };
        outcome.restoreFailures.push(failure);
        this.attach = (output) => (failure.output = output);
        break;
      }
      case 'end':
        outcome.ended = true;
        break;
      default:
        break;
    }
  }
}

/** A script that removes temporary files and the directories push created, after a failed upload. */
export function cleanupScript(
  marker: string,
  temporaries: string[],
  createdDirectories: string[],
  staging?: string,
): string {
  const body = [`rm -f -- ${temporaries.map(shellQuote).join(' ')}`];
  if (createdDirectories.length > 0)
    body.push(`rmdir -- ${[...createdDirectories].reverse().map(shellQuote).join(' ')} 2>/dev/null`);
  if (staging !== undefined) body.push(`rm -rf -- ${shellQuote(staging)}`);
  return wrap(marker, body);
}
