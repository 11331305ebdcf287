/**
 * The prerequisites step of a host's push (docs/push.md, "Prerequisites"): before anything is
 * uploaded, push looks on the host for what the manifest says the bundle needs there
 * (core/prerequisites.ts) and turns each missing thing into one line that names the host, the
 * thing, why the bundle needs it and how to provide it.
 *
 * - A missing certificate or key, or a network interface keepalived names, stops the host.
 *   `--lab-certs` creates a missing certificate and key pair self-signed on the host (with the
 *   host's openssl, so no key ever leaves it), create-only, and reports each one.
 * - sudo where `ssh.sudo` is set is looked at first, before push takes the host's lock: a host
 *   without it stops with the reason in words.
 * - A missing program does not stop the host: its unit is checked with the program stood in for
 *   (a stub in a private mount namespace, for `systemd-analyze verify` only) and installed, but
 *   neither enabled nor started, and the report says what to install.
 */
import { remoteRootProblem } from '../../core/bundle-path';
import { DAEMONS } from '../../core/daemons';
import { interfaceField } from '../../core/prerequisites';
import type { CertificatePrerequisite, Prerequisite, ProgramPrerequisite } from '../../core/prerequisites';
import type { HostPrerequisites } from '../../core/push';
import { shellCommand, shellQuote } from '../../core/shell';
import type { PushHost } from './bundle';
import type { CommandResult } from './connection';
import { newMarker, rootedPath } from './remote';

/** What the host had, and what push does about it. */
export interface PrerequisiteOutcome {
  /** For the host's report. */
  report: HostPrerequisites;
  /** Paths of files whose reload waits until their program is installed (never enabled or started). */
  held: Set<string>;
  /** The programs a file's check must have stood in for, by the file's path. */
  stubs: Map<string, string[]>;
}

/** Runs a script on the host through push's shell (sudo included), within its limits. */
export type RunScript = (script: string) => Promise<CommandResult>;

/** A line of a tool's output that says what is wrong. */
const ERROR_LINE =
  /error|fail|cannot|can't|unable|not |no such|invalid|unknown|missing|denied|warning|emerg|alert|fatal/iu;

/**
 * The first lines of a tool's output that say what is wrong (else its first lines), on one line,
 * for a message: `[emerg] cannot load certificate "/etc/nginx/tls/a.crt" …`.
 */
export function firstLines(output: string, count = 3): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const errors = lines.filter((line) => ERROR_LINE.test(line));
  const chosen = errors.length > 0 ? errors : lines;
  const shown = chosen.slice(0, count).join(' | ');
  return chosen.length > count ? `${shown} | …` : shown;
}

/**
 * Why sudo cannot be used on the host, in words, or undefined when `sudo -n true` works. `result`
 * is that command's run, without sudo in front.
 */
export function sudoProblem(host: PushHost, result: CommandResult): string | undefined {
  if (result.code === 0) return undefined;
  const said = firstLines(result.stderr || result.stdout, 1);
  const instead = `or log in as root and set hosts[${host.id}].ssh.sudo to false`;
  if (result.code === 127 || /command not found|not found/iu.test(said))
    return (
      `sudo is not installed on ${host.id}, and ssh.sudo is set: push runs every command there through ` +
      `sudo -n: install sudo and let ${host.user} run commands as root without a password, ${instead}`
    );
  if (/password is required|a terminal is required/iu.test(said))
    return (
      `${host.user} may not run commands as root without a password on ${host.id} (sudo -n says: ${said}), and ` +
      `ssh.sudo is set: add a NOPASSWD rule for ${host.user} to the sudoers, ${instead}`
    );
  return (
    `sudo -n refuses ${host.user} on ${host.id} (${said || `exit ${result.code}`}), and ssh.sudo is set: let ` +
    `${host.user} run commands as root without a password, ${instead}`
  );
}

/** The file paths of a certificate, as they are on the host (under `ssh.root`). */
function certificatePaths(host: PushHost, certificate: CertificatePrerequisite): string[] {
  return [certificate.path, ...(certificate.key === undefined ? [] : [certificate.key])].map((path) =>
    rootedPath(host.root, path),
  );
}

/** One question the probe asks the host. */
type Question = { test: 'exists' | 'installed' | 'user' | 'group'; subject: string };

/** A name push can put into a certificate's subject: a host name or an address, else a fixed one. */
function commonNameOf(name: string): string {
  return /^[A-Za-z0-9*](?:[A-Za-z0-9.*:-]{0,62})$/u.test(name) ? name : 'topoforge-lab';
}

/** The probe: one `$M answer INDEX yes|no` line per question, the host's interfaces, openssl. */
function probeScript(marker: string, questions: Question[]): string {
  const m = shellQuote(marker);
  const lines = questions.map((question, index) => {
    const subject = shellQuote(question.subject);
    const test =
      question.test === 'exists'
        ? `[ -e ${subject} ]`
        : question.test === 'installed'
          ? // A path that exists but is no executable file is not "not installed": its check says what is wrong.
            `[ -e ${subject} ] || [ -L ${subject} ]`
          : question.test === 'user'
            ? `getent passwd ${subject} >/dev/null 2>&1`
            : `getent group ${subject} >/dev/null 2>&1`;
    return `if ${test}; then echo ${m} answer ${index} yes; else echo ${m} answer ${index} no; fi`;
  });
  return [
    ...lines,
    `for n in /sys/class/net/*; do [ -e "$n" ] && echo ${m} interface "\${n##*/}"; done`,
    `if command -v openssl >/dev/null 2>&1; then echo ${m} openssl yes; fi`,
    `echo ${m} end`,
    '',
  ].join('\n');
}

/**
 * A script that makes a self-signed certificate and its key with the host's openssl and puts each
 * at its path only if nothing is there (a hard link of a file made beside it: create-only, in one
 * step). Prints `$M created` when both are in place.
 */
function labCertificateScript(
  marker: string,
  certificate: string,
  key: string | undefined,
  name: string,
): string {
  const q = shellQuote;
  const subject = q(`/CN=${name}`);
  const alternative = /^[0-9.]+$|:/u.test(name) ? `IP:${name}` : `DNS:${name}`;
  return [
    'umask 077',
    `c=${q(certificate)}`,
    `k=${key === undefined ? "''" : q(key)}`,
    'mkdir -p -m 0755 "$(dirname "$c")" || exit 1',
    '[ -z "$k" ] || mkdir -p -m 0755 "$(dirname "$k")" || exit 1',
    't=$(mktemp -d "$(dirname "$c")/.topoforge-lab-certificate.XXXXXX") || exit 1',
    'trap \'rm -rf "$t"\' EXIT',
    `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 -subj ${subject} ` +
      `-addext ${q(`subjectAltName=${alternative}`)} -keyout "$t/key" -out "$t/certificate" 2>"$t/error" || { cat "$t/error" >&2; exit 1; }`,
    'if [ -z "$k" ]; then',
    '  cat "$t/certificate" "$t/key" > "$t/pem" && chmod 0600 "$t/pem" && ln "$t/pem" "$c" || exit 1',
    'else',
    '  chmod 0644 "$t/certificate" && chmod 0600 "$t/key" || exit 1',
    '  ln "$t/key" "$k" || exit 1',
    '  ln "$t/certificate" "$c" || { rm -f "$k"; exit 1; }',
    'fi',
    `echo ${shellQuote(marker)} created`,
    '',
  ].join('\n');
}

/**
 * A check command that runs `check` with each of `programs` stood in for by a stub that exits 0:
 * in a private mount namespace (unshare -m), an overlay over the nearest folder of its path that
 * exists, so `systemd-analyze verify` finds an executable there. Nothing outside the namespace
 * changes but an empty temporary folder, removed when the check ends. Everything else about the
 * unit is checked as it is: a broken unit still fails.
 */
export function stubbedCheck(check: string, programs: readonly string[]): string {
  const script = [
    'c=$1; shift',
    't=$(mktemp -d) || exit 125',
    'trap \'umount -l "$t" 2>/dev/null; rmdir "$t" 2>/dev/null\' EXIT',
    'mount -t tmpfs -o mode=0700 topoforge-stub "$t" || exit 125',
    'n=0',
    'for p in "$@"; do',
    '  a=$(dirname "$p"); while [ ! -d "$a" ]; do a=$(dirname "$a"); done',
    '  [ "$a" != / ] || { echo "cannot stand in for $p: no folder of its path exists" >&2; exit 125; }',
    '  n=$((n + 1)); u="$t/$n/upper"; r=${p#"$a"}',
    '  mkdir -p "$u$(dirname "$r")" "$t/$n/work" || exit 125',
    '  printf \'#!/bin/sh\\nexit 0\\n\' > "$u$r" && chmod 0755 "$u$r" || exit 125',
    '  mount -t overlay topoforge-stub -o "lowerdir=$a,upperdir=$u,workdir=$t/$n/work" "$a" || exit 125',
    'done',
    'eval "$c"',
  ].join('\n');
  return shellCommand([
    'unshare',
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    script,
    'topoforge-stub',
    check,
    ...programs,
  ]);
}

/**
 * The files of a program's unit, as far as the daemon catalogue agrees they belong to it: a
 * manifest is data anyone can edit, and must not hold back another daemon's reload.
 */
function heldFiles(prerequisite: ProgramPrerequisite): string[] {
  return prerequisite.files.filter((path) =>
    DAEMONS.some((daemon) => daemon.unitOf(path) === prerequisite.unit),
  );
}

/** A plain absolute path push may name on the host, else undefined. */
function plain(path: string): boolean {
  return path.startsWith('/') && remoteRootProblem(path) === undefined;
}

/** Options of {@link checkPrerequisites}. */
export interface PrerequisiteOptions {
  host: PushHost;
  /** The manifest's prerequisites of this host. */
  prerequisites: readonly Prerequisite[];
  /** Runs push's scripts on the host. */
  run: RunScript;
  /** `--lab-certs`: create a missing certificate and key pair, self-signed. */
  labCertificates: boolean;
  dryRun: boolean;
}

/**
 * Looks on the host for every prerequisite and, with `labCertificates` and nothing else missing
 * that stops the host, creates the missing certificates (not in a dry run). The outcome's
 * `report.missing` lines stop the host.
 */
export async function checkPrerequisites(options: PrerequisiteOptions): Promise<PrerequisiteOutcome> {
  const { host, prerequisites } = options;
  const report: HostPrerequisites = { missing: [], notInstalled: [], labCertificates: [] };
  const outcome: PrerequisiteOutcome = { report, held: new Set(), stubs: new Map() };
  const questions: Question[] = [];
  const ask = (question: Question): number => questions.push(question) - 1;

  const certificates: { prerequisite: CertificatePrerequisite; answers: number[] }[] = [];
  const programs: { prerequisite: ProgramPrerequisite; program: number; user?: number; group?: number }[] =
    [];
  const interfaces: Prerequisite[] = [];
  for (const prerequisite of prerequisites) {
    if (prerequisite.kind === 'certificate') {
      const paths = certificatePaths(host, prerequisite);
      if (!paths.every(plain)) {
        report.missing.push(
          `the manifest names a certificate of ${host.id} by a path push cannot use: ${paths.join(', ')}`,
        );
        continue;
      }
      certificates.push({
        prerequisite,
        answers: paths.map((path) => ask({ test: 'exists', subject: path })),
      });
    } else if (prerequisite.kind === 'program') {
      if (!plain(prerequisite.path)) continue;
      programs.push({
        prerequisite,
        program: ask({ test: 'installed', subject: prerequisite.path }),
        ...(prerequisite.user === undefined
          ? {}
          : { user: ask({ test: 'user', subject: prerequisite.user }) }),
        ...(prerequisite.group === undefined
          ? {}
          : { group: ask({ test: 'group', subject: prerequisite.group }) }),
      });
    } else if (prerequisite.kind === 'interface') {
      interfaces.push(prerequisite);
    }
  }
  if (questions.length === 0 && interfaces.length === 0) return outcome;

  const marker = newMarker();
  const result = await options.run(probeScript(marker, questions));
  const answers = new Map<number, boolean>();
  const present: string[] = [];
  let openssl = false;
  let ended = false;
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith(`${marker} `)) continue;
    const [what, first, second] = line.slice(marker.length + 1).split(' ');
    if (what === 'answer') answers.set(Number(first), second === 'yes');
    else if (what === 'interface' && first !== undefined) present.push(first);
    else if (what === 'openssl') openssl = true;
    else if (what === 'end') ended = true;
  }
  if (!ended)
    throw new Error(
      `cannot look for the host's prerequisites: ${firstLines(result.stderr) || `the script exited ${result.code}`}`,
    );

  const creatable: CertificatePrerequisite[] = [];
  for (const { prerequisite, answers: asked } of certificates) {
    const exists = asked.map((index) => answers.get(index) === true);
    if (exists.every(Boolean)) continue;
    const provide = `copy it there (bundle README, "Prerequisites")`;
    const lab = options.labCertificates
      ? exists.some(Boolean)
        ? `; --lab-certs makes only a missing pair, never one half of a pair`
        : openssl
          ? ''
          : '; --lab-certs needs openssl on the host: apt-get install openssl'
      : ', or push with --lab-certs for a self-signed one in a lab';
    if (options.labCertificates && !exists.some(Boolean) && openssl) {
      creatable.push(prerequisite);
      continue;
    }
    const names =
      prerequisite.key === undefined
        ? [`certificate and key ${prerequisite.path} (one PEM file)`]
        : [`certificate ${prerequisite.path}`, `key ${prerequisite.key}`];
    names.forEach((name, index) => {
      if (!exists[index])
        report.missing.push(`${name} does not exist on ${host.id}: ${prerequisite.why}; ${provide}${lab}`);
    });
  }

  for (const prerequisite of interfaces) {
    if (prerequisite.kind !== 'interface' || present.includes(prerequisite.name)) continue;
    const others = present.filter((name) => name !== 'lo');
    report.missing.push(
      `interface ${prerequisite.name} does not exist on ${host.id}; ` +
        `${others.length > 0 ? `it has ${others.join(', ')}` : 'it has no interface but lo'}: ` +
        `set ${interfaceField(host.id)} (${prerequisite.why})`,
    );
  }

  for (const { prerequisite, program, user, group } of programs) {
    if (answers.get(program) !== true) {
      report.notInstalled.push(
        `${prerequisite.path} is not installed on ${host.id}: ${prerequisite.unit} is installed but neither enabled ` +
          `nor started; install ${prerequisite.provider}, then run systemctl enable --now ${prerequisite.unit}`,
      );
      for (const path of heldFiles(prerequisite)) outcome.held.add(path);
      const unitPath = prerequisite.files.find((path) => path.endsWith(`/${prerequisite.unit}`));
      if (unitPath !== undefined)
        outcome.stubs.set(unitPath, [...(outcome.stubs.get(unitPath) ?? []), prerequisite.path]);
    } else {
      // The unit's user, else its group, that its package creates.
      const account =
        user !== undefined && answers.get(user) !== true
          ? { what: 'user', name: prerequisite.user }
          : group !== undefined && answers.get(group) !== true
            ? { what: 'group', name: prerequisite.group }
            : undefined;
      if (account === undefined) continue;
      report.notInstalled.push(
        `${account.what} ${account.name} does not exist on ${host.id}: ${prerequisite.unit} runs as it; it is installed ` +
          `but neither enabled nor started: create the ${account.what} (or reinstall ${prerequisite.provider}), then run ` +
          `systemctl enable --now ${prerequisite.unit}`,
      );
      for (const path of heldFiles(prerequisite)) outcome.held.add(path);
    }
  }

  if (report.missing.length > 0) return outcome;
  for (const certificate of creatable) {
    const [certificatePath, keyPath] = certificatePaths(host, certificate);
    const what =
      certificate.key === undefined
        ? `a self-signed lab certificate and key ${certificate.path} (one PEM file)`
        : `a self-signed lab certificate ${certificate.path} and key ${certificate.key}`;
    const name = commonNameOf(certificate.commonName);
    if (options.dryRun) {
      report.labCertificates.push(
        `would create ${what} on ${host.id} for ${name} (--lab-certs: fit for a lab only)`,
      );
      continue;
    }
    const created = newMarker();
    const made = await options.run(labCertificateScript(created, certificatePath!, keyPath, name));
    if (!made.stdout.includes(`${created} created`)) {
      report.missing.push(
        `cannot create a lab certificate ${certificate.path} on ${host.id}: ${firstLines(made.stderr) || `exit ${made.code}`}`,
      );
      continue;
    }
    report.labCertificates.push(
      `created ${what} on ${host.id} for ${name} (--lab-certs: fit for a lab only)`,
    );
  }
  return outcome;
}
