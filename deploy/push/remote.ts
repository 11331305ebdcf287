/**
 * The POSIX shell scripts push runs on a host, and the reading of what they print.
 *
 * Each script is sent on the standard input of `sh -s` (so the login shell never parses it and
 * its length is not limited) inside one `{ … }` block, which the shell reads whole before running
 * any of it. Every line the script prints for push starts with a random marker, so nothing a
 * check or reload prints can pass for one.
 *
 * - The lock script takes the host's push lock (a directory, created atomically by `mkdir`) and
 *   then keeps it: its shell stays alive, reading its standard input, until push closes it or the
 *   connection drops; then it releases the lock. Push sends the commit script into that same
 *   shell, so the lock is held for exactly as long as the commit runs, even after a connection
 *   lost halfway, and no second session is opened.
 * - The plan script reads what the host has.
 * - The commit script is the host's transaction: it runs the checks, keeps backups, renames the
 *   new files into place, reloads, and restores the backups when a reload fails or push cancels,
 *   all on the host. It ignores SIGHUP and SIGPIPE and captures every command's output, so a
 *   connection lost halfway cannot stop it between two renames: the host still ends with all its
 *   new files or all its old ones. Every check and reload runs under `timeout(1)`, which kills
 *   its whole process group when it takes too long.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GENERATED_MARK } from '../../core/push';
import { shellQuote } from '../../core/shell';

export { shellQuote } from '../../core/shell';

/** The path of `path` on a host whose files live under `root`. */
export function rootedPath(root: string, path: string): string {
  return root === '/' ? path : posix.join(root, path);
}

/** A hidden name beside `path`: `/etc/x/.name.topoforge-KIND`. */
function besidePrefix(path: string, kind: 'new' | 'backup'): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.topoforge-${kind}`);
}

/**
 * Where a new file is uploaded and checked before it is renamed over `path`, in the push run
 * `run`: unique per run, so two pushes never write one temporary file.
 */
export function temporaryPathOf(path: string, run: string): string {
  return `${besidePrefix(path, 'new')}-${run}`;
}

/** Where the push run `run` keeps the previous version of `path`. */
export function backupPathOf(path: string, run: string): string {
  return `${besidePrefix(path, 'backup')}-${run}`;
}

/** A fresh id for one host's push run: it names the run's temporary and backup files. */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
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

/** The lines every script starts with: the marker and `say`, which prints a line for push. */
function preamble(marker: string): string[] {
  return [`M=${shellQuote(marker)}`, 'say() { printf "%s\\n" "$M $*"; }'];
}

function wrap(marker: string, body: string[]): string {
  return ['{', 'exec 0</dev/null', ...preamble(marker), ...body, 'say end', '}', ''].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Lock

/** Where a host's push lock lives: one per `ssh.root`, so staged roll-outs do not block each other. */
export interface LockPaths {
  /**
   * The folder of the lock, created once: it also holds the running commit's outputs, and
   * `flock` on it guards breaking a stale lock.
   */
  parent: string;
  /**
   * The lock itself: a file that exists exactly while a push holds the host, created with
   * O_EXCL (the shell's noclobber), holding three lines: the holder's token, its keeper's
   * `PID START BOOT`, and the holder's own line of JSON.
   */
  file: string;
}

/** The lock of a host whose files live under `root`. */
export function lockPathsOf(root: string): LockPaths {
  const parent = rootedPath(root, '/var/lib/topoforge');
  return { parent, file: `${parent}/push.lock` };
}

/**
 * Shell functions around the lock file: `readlock` reads its three lines, `alive` tells whether
 * the keeper recorded there still runs (the same boot, and a process with that pid that started at
 * the same clock tick, field 22 of /proc/PID/stat, so a reused pid is not taken for the holder;
 * without /proc, `kill -0`), `owned` whether this run holds it. Only builtins: starting a process
 * costs tens of milliseconds on a busy host, and push runs these on every host.
 */
const LIVENESS = [
  'boot() { bt=; read -r bt 2>/dev/null < /proc/sys/kernel/random/boot_id; }',
  'started() { st=; l=; read -r l 2>/dev/null < "/proc/$1/stat" || return 0; l=${l##*") "}; set -- $l; st=${20}; }',
  'readlock() { lt=; lp=; ls=; lb=; lh=; { read -r lt; read -r lp ls lb; read -r lh; } 2>/dev/null < "$L"; }',
  'alive() {',
  '  readlock',
  '  case $lp in ""|*[!0-9]*) return 1;; esac',
  '  if [ -r /proc/self/stat ]; then boot; started "$lp"; [ -n "$st" ] && [ "$lb" = "$bt" ] && [ "$st" = "$ls" ]; else kill -0 "$lp" 2>/dev/null; fi',
  '}',
  'owned() { readlock; [ "$lt" = "$T" ]; }',
];

/** What the lock script needs. */
export interface LockPlan {
  lock: LockPaths;
  /** Random, this run's: only the holder of this token releases the lock. */
  token: string;
  /** One line of JSON about the push (design, user, machine, pid, start), shown to a refused push. */
  holder: string;
  /** Break a stale lock (its holder is gone): `--break-lock`. */
  breakStale: boolean;
  /**
   * Name prefixes of the temporary files a cut-off push may have left (one per destination):
   * removed once the lock is held, as nothing else can be writing them then.
   */
  leftoverPrefixes: string[];
  /** Folders matching this prefix (sudo staging folders of this lock's pushes) are removed too. */
  leftoverFolderPrefix?: string;
  /** Only say whether another push holds the lock (`free`, `held`, `stale`); take nothing: a dry run. */
  probe?: boolean;
}

/**
 * The lock script, run on a channel whose input push keeps open. It prints `locked` (and every
 * leftover it removed), or `held`/`stale` with the holder's line, or `error`. Once locked, its
 * shell waits on its input; when that ends (push is done, or the connection is gone) it releases
 * the lock (after the commit push sent it, if any, has finished), and prints `released`.
 */
export function lockScript(marker: string, plan: LockPlan): string {
  const q = shellQuote;
  const body = [
    ...preamble(marker),
    "trap '' HUP PIPE",
    `P=${q(plan.lock.parent)}; L=${q(plan.lock.file)}; T=${q(plan.token)}`,
    'show() { say output; printf "%s\\n" "$1"; say output-end; }',
    ...LIVENESS,
    'command -v timeout >/dev/null 2>&1 || { say error notimeout; exit 0; }',
    // A dry run creates nothing on the host, not even the lock's folder.
    ...(plan.probe
      ? []
      : ['[ -d "$P" ] || o=$(mkdir -p -- "$P" 2>&1) || { say error mkdir; show "$o"; exit 0; }']),
    // Created with O_EXCL and written in one go, the holder's line last. A lock file left empty
    // was created by this take on a full or read-only disk: another taker writes within
    // microseconds of its create.
    'take() {',
    '  started $$; boot',
    '  set -C',
    `  if printf "%s\\n%s %s %s\\n%s\\n" "$T" $$ "$st" "$bt" ${q(plan.holder)} 2>/dev/null > "$L"; then set +C; return 0; fi`,
    '  set +C',
    '  [ -s "$L" ] && return 1',
    '  sleep 0.2; [ -s "$L" ] && return 1',
    '  o=$(set -C; : 2>&1 > "$L"); [ -e "$L" ] && [ ! -s "$L" ] && rm -f -- "$L"',
    '  say error write; show "$o"; exit 0',
    '}',
    'describe() { readlock; say holder; printf "%s\\n" "$lh"; }',
    // A lock without its holder's line is being taken this instant: wait for it. One that stays
    // without it for a minute lost its taker between the create and the write.
    'settled() { i=0; while readlock && [ -z "$lh" ] && [ -e "$L" ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; }',
    'isstale() {',
    '  settled; readlock',
    '  if [ -z "$lh" ]; then [ -n "$(find "$L" -maxdepth 0 -mmin +1 2>/dev/null)" ]; return; fi',
    '  ! alive',
    '}',
  ];
  if (plan.probe) {
    body.push(
      'if [ -e "$L" ]; then if isstale; then say stale; else say held; fi; describe; else say free; fi',
      'exit 0',
    );
    return ['{', ...body, '} </dev/null', ''].join('\n');
  }
  body.push('if ! take; then');
  if (plan.breakStale) {
    // Two pushes breaking one stale lock at once must not both take it: check, break and take
    // under an flock of the lock's folder (util-linux; without it, the create alone decides).
    body.push(
      '  if command -v flock >/dev/null 2>&1; then exec 8<"$P" && flock -w 10 8; fi',
      '  if [ -e "$L" ] && isstale; then describe; say broke; rm -f -- "$L"; fi',
      '  if ! take; then',
      '    if isstale; then say stale; else say held; fi; describe; exit 0',
      '  fi',
      '  exec 8<&-',
    );
  } else {
    body.push('  if isstale; then say stale; else say held; fi; describe; exit 0');
  }
  body.push(
    'fi',
    // One process: the lock and the outputs of this run's commit (see commitFrame) go together.
    'release() {',
    '  owned && rm -f -- "$L" "$P/.run-$T".*',
    // Its own marker: a commit run in this shell since has set M to the commit's.
    `  printf "%s released\\n" ${q(marker)}`,
    '}',
    'trap release EXIT',
  );
  for (const prefix of plan.leftoverPrefixes) {
    body.push(
      `for f in ${q(prefix)}*; do if [ -f "$f" ] || [ -L "$f" ]; then rm -f -- "$f" && say leftover "$f"; fi; done`,
    );
  }
  if (plan.leftoverFolderPrefix !== undefined) {
    body.push(
      `for f in ${q(plan.leftoverFolderPrefix)}*; do if [ -d "$f" ]; then rm -rf -- "$f" && say leftover "$f"; fi; done`,
    );
  }
  body.push('say locked');
  // Not `exec 0</dev/null`: after the block the shell reads on, and its input ending is the release.
  return ['{', ...body, '} </dev/null', ''].join('\n');
}

/** Why the lock script could not take the lock. */
export type LockError = 'notimeout' | 'mkdir' | 'write';

/** The lock script's answer. */
export type LockOutcome =
  | { state: 'locked'; leftovers: string[]; broke?: string }
  | { state: 'free' }
  | { state: 'held' | 'stale'; holder: string }
  | { state: 'error'; reason: LockError; output: string };

/** Reads the lock script's output, line by line, until it is locked or has said why not. */
export class LockReader {
  private leftovers: string[] = [];
  private holder: string | undefined;
  private broken: string | undefined;
  private expectHolder = false;
  private capture: string[] | undefined;
  /** Set once the script has answered. */
  outcome: LockOutcome | undefined;
  /** The script printed `released`. */
  released = false;

  constructor(private readonly marker: string) {}

  /** Feeds one stdout line. */
  line(line: string): void {
    if (this.capture !== undefined) {
      if (line === `${this.marker} output-end`) {
        if (this.outcome?.state === 'error')
          this.outcome = { ...this.outcome, output: this.capture.join('\n') };
        this.capture = undefined;
      } else this.capture.push(line);
      return;
    }
    if (this.expectHolder) {
      this.expectHolder = false;
      this.holder = line;
      if (this.outcome?.state === 'held' || this.outcome?.state === 'stale')
        this.outcome = { ...this.outcome, holder: line };
      return;
    }
    if (!line.startsWith(`${this.marker} `)) return;
    const [word, ...rest] = line.slice(this.marker.length + 1).split(' ');
    switch (word) {
      case 'holder':
        this.expectHolder = true;
        break;
      case 'broke':
        this.broken = this.holder ?? '';
        break;
      case 'free':
        this.outcome = { state: 'free' };
        break;
      case 'held':
      case 'stale':
        this.outcome = { state: word, holder: this.holder ?? '' };
        break;
      case 'leftover':
        this.leftovers.push(rest.join(' '));
        break;
      case 'locked':
        this.outcome = {
          state: 'locked',
          leftovers: this.leftovers,
          ...(this.broken !== undefined ? { broke: this.broken } : {}),
        };
        break;
      case 'error':
        this.outcome = {
          state: 'error',
          reason: rest[0] === 'notimeout' ? 'notimeout' : rest[0] === 'write' ? 'write' : 'mkdir',
          output: '',
        };
        break;
      case 'output':
        this.capture = [];
        break;
      case 'released':
        this.released = true;
        break;
      default:
        break;
    }
  }
}

/**
 * A script that stops a running commit: SIGTERM to its shell (the lock's keeper), only while this
 * run still holds the lock and the keeper recorded there is the one with `pid`, so a reused pid is
 * never hit.
 */
export function cancelScript(marker: string, lock: LockPaths, token: string, pid: number): string {
  return wrap(marker, [
    `L=${shellQuote(lock.file)}; T=${shellQuote(token)}`,
    ...LIVENESS,
    `if owned && [ "$lp" = ${pid} ]; then kill -TERM ${pid} && say sent; fi`,
  ]);
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
      /**
       * Asked of create-only files only: whether its first line is Topoforge's
       * ({@link GENERATED_MARK}), so that it is the cluster's own and not a package's stock file.
       */
      generated?: boolean;
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
export function planScript(
  marker: string,
  paths: readonly string[],
  directories: readonly string[],
  marked: ReadonlySet<number> = new Set(),
): string {
  const body = ['set --'];
  // The first line read by the shell itself: no process per file.
  const mark = shellQuote(GENERATED_MARK);
  for (const index of marked) {
    const path = shellQuote(paths[index]!);
    body.push(
      `if [ -f ${path} ] && IFS= read -r l < ${path}; then case "$l" in ${mark}*) say ours ${index};; *) say theirs ${index};; esac; fi`,
    );
  }
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
  const generated = new Map<number, boolean>();
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
    else if (word === 'ours' || word === 'theirs') generated.set(Number(fields[0]), word === 'ours');
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
      ...(generated.has(index) ? { generated: generated.get(index)! } : {}),
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
  /**
   * When `owner` does not exist on the host yet (its package is not installed), root owns the file
   * with mode 0600 instead of the push failing (docs/push.md).
   */
  rootUntilOwnerExists?: boolean;
  /** The check command, ready to run on the temporary file. */
  check?: string;
  /** `create-only`: never replaces a file that appeared meanwhile. */
  createOnly: boolean;
}

/** Everything the commit script needs. */
export interface CommitPlan {
  files: CommitFile[];
  /** The run's lock: the commit runs only while this token holds it, and keeps its outputs there. */
  lock: LockPaths;
  token: string;
  /** Sudo mode: directories to create (parents first) before installing the files. */
  createDirectories: string[];
  /** Directories push created (in either mode), removed again if the host ends with its old files. */
  createdDirectories: string[];
  /** The reload commands in order, `systemctl daemon-reload` first when units changed. */
  reloads: string[];
  /** How long one check or reload may run before `timeout(1)` kills it, in seconds. */
  commandTimeoutSeconds: number;
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
 * The script's frame: the lock check and registration, output capture, the TERM trap that
 * cancels, and the `run` function that runs one check or reload under `timeout(1)`.
 *
 * `run` starts the command in the background and waits for it, because a trapped signal
 * interrupts `wait` at once (POSIX), where it would wait for a foreground command to end. A
 * cancel (SIGTERM from push) kills the running command's process group, which `timeout` leads.
 */
function commitFrame(plan: CommitPlan): string[] {
  const q = shellQuote;
  const seconds = plan.commandTimeoutSeconds;
  const temporaries = plan.files.map((file) => q(file.temporary)).join(' ');
  const deepestFirst = [...plan.createdDirectories].reverse().map(q).join(' ');
  return [
    "trap '' HUP PIPE",
    `P=${q(plan.lock.parent)}; L=${q(plan.lock.file)}; T=${q(plan.token)}`,
    // Where the commands' outputs go: beside the lock, named after the run, removed with it.
    'O="$P/.run-$T"',
    'show() { say output; printf "%s\\n" "$1"; say output-end; }',
    ...LIVENESS,
    'cleanup() {',
    `  rm -f -- ${temporaries}`,
    ...(deepestFirst === '' ? [] : [`  rmdir -- ${deepestFirst} 2>/dev/null`]),
    ...(plan.staging ? [`  rm -rf -- ${q(plan.staging)}`] : []),
    '  :',
    '}',
    'abort() { cleanup; say end; exit 0; }',
    `if ! owned; then say fail lock - 1; show "the push lock is no longer this push's"; cleanup; say end; exit 0; fi`,
    'say pid $$',
    'cancelled=0; child=',
    `trap 'cancelled=1; if [ -n "$child" ]; then kill -TERM -"$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null; fi' TERM`,
    'run() {',
    `  (trap - PIPE; exec timeout -k 5 ${seconds} sh -c "$1") </dev/null >"$O.output" 2>&1 &`,
    '  child=$!',
    '  wait "$child"; s=$?',
    '  if [ $cancelled -eq 1 ]; then wait "$child" 2>/dev/null; fi',
    '  child=',
    '}',
    // What the command printed: read only when it failed, which is when push reports it.
    'printed() { o=$(cat -- "$O.output" 2>/dev/null); }',
  ];
}

/**
 * The restore function. It needs no record of what was done: a file was replaced exactly when its
 * temporary file is gone (a kept create-only file keeps its temporary until the cleanup), and it
 * had a previous version exactly when its backup exists, because replacing removes a stale backup
 * first.
 */
function restoreStep(plan: CommitPlan): string[] {
  const q = shellQuote;
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
  return restore;
}

/**
 * docs/push.md, step 3 (on the host): install staged copies (sudo), set owners, flush, and run
 * every check on the temporary files. Any failure, a timeout or a cancel aborts with nothing
 * replaced.
 */
function checkStep(plan: CommitPlan): string[] {
  const q = shellQuote;
  const body = ['say step checking'];
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
    if (file.owner !== undefined && file.rootUntilOwnerExists === true)
      steps.push(
        `{ chown -- ${q(file.owner)} ${q(file.temporary)} 2>/dev/null || { chown -- 0:0 ${q(file.temporary)} && chmod 0600 -- ${q(file.temporary)}; }; }`,
      );
    else if (file.owner !== undefined) steps.push(`chown -- ${q(file.owner)} ${q(file.temporary)}`);
    if (steps.length > 0)
      body.push(
        `o=$( { ${steps.join(' && ')}; } 2>&1) || { say fail prepare ${index} $?; show "$o"; abort; }`,
      );
  });
  if ((plan.staging !== undefined || plan.syncTemporaries === true) && plan.files.length > 0)
    body.push(`sync -- ${plan.files.map((file) => q(file.temporary)).join(' ')} 2>/dev/null`);
  // The checks are independent (each reads its own temporary file), so they run side by side,
  // in one shell under one timeout(1): started together, each has the whole limit, and a batch
  // costs two processes more than the checks themselves, not two more per check. Each check
  // leaves its exit status in a file; one without it was still running when the time ran out.
  const checked = plan.files.flatMap((file, index) => (file.check === undefined ? [] : [{ file, index }]));
  body.push('bad=0');
  if (checked.length > 0) {
    const batch = [
      'O=$1',
      // Each job records its own status as soon as its check ends, whatever the others do.
      ...checked.map(
        ({ file, index }) =>
          `{ ( eval ${q(file.check!)} ); echo $? > "$O.status-${index}"; } </dev/null >"$O.output-${index}" 2>&1 &`,
      ),
      'wait',
    ].join('\n');
    body.push(
      'if [ $cancelled -eq 0 ]; then',
      `  (trap - PIPE; exec timeout -k 5 ${plan.commandTimeoutSeconds} sh -c ${q(batch)} sh "$O") </dev/null >"$O.batch" 2>&1 &`,
      '  child=$!',
      ...checked.map(({ index }) => `  say run check ${index}`),
      '  wait "$child"; sb=$?',
      '  if [ $cancelled -eq 1 ]; then wait "$child" 2>/dev/null; fi',
      '  child=',
      'fi',
    );
    for (const { index } of checked) {
      body.push(
        'if [ $cancelled -eq 0 ]; then',
        `  s=; read -r s 2>/dev/null < "$O.status-${index}"`,
        `  o=; if [ "$s" != 0 ]; then o=$(cat -- "$O.output-${index}" 2>/dev/null); fi`,
        `  if [ -z "$s" ] && { [ $sb -eq 124 ] || [ $sb -eq 137 ]; }; then say fail check ${index} $sb timeout; show "$o"; bad=1`,
        `  elif [ -z "$s" ]; then say fail check ${index} $sb; show "$o$(cat -- "$O.batch" 2>/dev/null)"; bad=1`,
        `  elif [ "$s" -ne 0 ]; then say fail check ${index} $s; show "$o"; bad=1; fi`,
        'fi',
      );
    }
  }
  body.push('if [ $cancelled -eq 1 ]; then say cancelled checking; abort; fi', '[ $bad -eq 0 ] || abort');
  return body;
}

/**
 * docs/push.md, step 4 (on the host): keep each previous version (backup), then rename each
 * temporary file over its destination. A failure restores what was replaced.
 */
function swapStep(plan: CommitPlan): string[] {
  const q = shellQuote;
  const body = ['say step replacing'];
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
    // The renames run to their end even when push cancels meanwhile; then they are undone.
    'if [ $cancelled -eq 1 ]; then say cancelled replacing; restore; abort; fi',
    'say replaced',
  );
  return body;
}

/**
 * docs/push.md, step 5 (on the host): run each reload once, in order. When one fails, times
 * out, or push cancels, restore the previous files and run again the reloads that had run.
 */
function reloadStep(plan: CommitPlan): string[] {
  const q = shellQuote;
  if (plan.reloads.length === 0) return [];
  const body = ['say step reloading', 'failed=-1; last=-1'];
  // A reload that push's cancel stopped has not failed: it runs again after the restore.
  const run = (index: number, round: string): string[] => [
    `say run ${round} ${index}`,
    `run ${q(plan.reloads[index]!)}`,
    `if [ $s -eq 0 ]; then say ${round}-ok ${index}; ${round === 'reload' ? 'elif [ $cancelled -eq 1 ]; then :; ' : ''}else printed; say ${round}-fail ${index} $s; show "$o"; failed=${index}; fi`,
  ];
  plan.reloads.forEach((_, index) => {
    body.push(
      `if [ $failed -lt 0 ] && [ $cancelled -eq 0 ]; then`,
      `  last=${index}`,
      ...run(index, 'reload').map((line) => `  ${line}`),
      'fi',
    );
  });
  body.push(
    'if [ $failed -ge 0 ] || [ $cancelled -eq 1 ]; then',
    '  if [ $cancelled -eq 1 ]; then say cancelled reloading; fi',
    '  say restoring',
    '  restore',
    '  cleanup',
    '  again=$last; failed=-1',
  );
  plan.reloads.forEach((_, index) => {
    body.push(
      `  if [ ${index} -le $again ]; then`,
      ...run(index, 'again').map((line) => `    ${line}`),
      '  fi',
    );
  });
  body.push('  say end; exit 0', 'fi');
  return body;
}

/**
 * After a change that holds: the backups of earlier runs go (this run's stays, for a person to
 * compare or put back), as does everything the run staged.
 */
function finishStep(plan: CommitPlan): string[] {
  const q = shellQuote;
  const body: string[] = [];
  for (const file of plan.files) {
    const prefix = besidePrefix(file.destination, 'backup');
    body.push(
      `for f in ${q(prefix)}*; do if { [ -e "$f" ] || [ -L "$f" ]; } && [ "$f" != ${q(file.backup)} ]; then rm -f -- "$f"; fi; done`,
    );
  }
  if (plan.files.some((file) => file.createOnly)) body.push('cleanup');
  if (plan.staging !== undefined) body.push(`rm -rf -- ${q(plan.staging)}`);
  return body;
}

/**
 * Builds the commit script; see the module comment for what it guarantees. It is one `{ … }` block
 * with its input from /dev/null, so that the shell that runs it (the lock's keeper) reads on from
 * push's channel after it, and it ends its shell only where it stops early (`exit`).
 */
export function commitScript(marker: string, plan: CommitPlan): string {
  return [
    '{',
    ...preamble(marker),
    ...commitFrame(plan),
    ...restoreStep(plan),
    ...checkStep(plan),
    ...swapStep(plan),
    ...reloadStep(plan),
    ...finishStep(plan),
    'say end',
    '} </dev/null',
    '',
  ].join('\n');
}

/** A command that failed on the host, with what it printed. */
export interface RemoteFailure {
  /** `lock`, `prepare`, `check`, `backup`, `replace`. */
  what: string;
  /** Index into the commit's files, or undefined for the whole host. */
  file: number | undefined;
  exitCode: number;
  output: string;
  /** `timeout(1)` killed it. */
  timedOut?: boolean;
}

/** How the commit script's run went, as far as its output tells. */
export interface CommitOutcome {
  /** The script reached its end (false: connection lost or script killed). */
  ended: boolean;
  /** The commit script's shell on the host, for a cancel. */
  pid?: number;
  steps: string[];
  failures: RemoteFailure[];
  /** Files that got a backup of their previous version. */
  backedUp: number[];
  /** create-only files that appeared on the host between plan and commit; left as they were. */
  kept: number[];
  replaced: boolean;
  reloads: {
    index: number;
    ok: boolean;
    exitCode?: number;
    output?: string;
    again: boolean;
    timedOut?: boolean;
  }[];
  restored: boolean;
  restoreFailures: { file: number; output: string }[];
  /** The step in which push's cancel took effect. */
  cancelled?: 'checking' | 'replacing' | 'reloading';
  /** What runs now: a check of a file, or a reload, by index. */
  running?: { what: 'check' | 'reload' | 'again'; index: number };
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

  /** When the running command started, as this side saw its `run` line. */
  /** When each running command started (`check 3`, `reload 0`), as this side saw its `run` line. */
  private readonly runStarted = new Map<string, number>();

  /**
   * `commandTimeoutMs` is the limit `timeout(1)` enforces on the host: a command that exits 124 or
   * 137 (killed) after running that long timed out. Push tells it by the clock here rather than
   * starting two more processes per command on the host.
   */
  constructor(
    private readonly marker: string,
    private readonly onStep: (step: string) => void,
    private readonly onPid: (pid: number) => void = () => undefined,
    private readonly commandTimeoutMs = Number.POSITIVE_INFINITY,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private timedOut(command: string, exitCode: number): boolean {
    const slack = Math.min(500, this.commandTimeoutMs / 4);
    const started = this.runStarted.get(command) ?? Number.POSITIVE_INFINITY;
    return (exitCode === 124 || exitCode === 137) && this.now() - started >= this.commandTimeoutMs - slack;
  }

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
      case 'pid':
        outcome.pid = Number(fields[0]);
        this.onPid(outcome.pid);
        break;
      case 'step':
        outcome.steps.push(fields[0] ?? '');
        this.onStep(fields[0] ?? '');
        break;
      case 'run':
        this.runStarted.set(`${fields[0]} ${fields[1]}`, this.now());
        outcome.running = {
          what: fields[0] === 'check' ? 'check' : fields[0] === 'again' ? 'again' : 'reload',
          index: Number(fields[1]),
        };
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
          ...(fields[0] === 'check' && fields[3] === 'timeout' ? { timedOut: true } : {}),
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
      case 'cancelled':
        outcome.cancelled =
          fields[0] === 'replacing' ? 'replacing' : fields[0] === 'reloading' ? 'reloading' : 'checking';
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
          ...(this.timedOut(`${word === 'again-fail' ? 'again' : 'reload'} ${fields[0]}`, Number(fields[1]))
            ? { timedOut: true }
            : {}),
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
        outcome.running = undefined;
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

/** Name prefixes whose matches are leftovers of earlier runs: temporaries of every destination. */
export function leftoverPrefixesOf(destinations: readonly string[]): string[] {
  return destinations.map((destination) => besidePrefix(destination, 'new'));
}
