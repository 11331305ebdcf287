/**
 * Running the system tools the lab is built with (`ip`, `ssh-keygen`, `nsenter`), and telling
 * whether this machine can build a lab at all.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Where Debian keeps the tools, for runs whose PATH lacks the sbin directories. */
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** `environment` with the system directories appended to PATH. */
export function systemEnvironment(environment: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const entries = (environment.PATH ?? '').split(':').filter((entry) => entry !== '');
  return { ...environment, PATH: [...new Set([...entries, ...SYSTEM_PATH])].join(':') };
}

/** How a finished command ended and what it printed. */
export interface ToolResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order, trimmed; says so when the command was killed. */
  output: string;
  timedOut: boolean;
}

/** A lab step that failed: the command and what it said. */
export class LabCommandError extends Error {
  constructor(
    readonly command: string[],
    readonly result: ToolResult,
  ) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
    const how = result.timedOut ? 'timed out' : `exited ${result.exitCode ?? result.signal}`;
    super(`${command.join(' ')} ${how}${said === '' ? '' : `: ${said}`}`);
    this.name = 'LabCommandError';
  }
}

/**
 * Runs a command to completion (killed after `timeoutMs`) and collects its output. `input` is
 * written to its stdin; `environment` adds variables, e.g. a password that must not appear on the
 * command line (`REDISCLI_AUTH`).
 */
export function runTool(
  command: string,
  args: string[],
  timeoutMs = 20_000,
  input?: string,
  environment: NodeJS.ProcessEnv = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...systemEnvironment(), ...environment },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin!.end(input);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const both: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      both.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      both.push(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const killedNote = timedOut ? `\n(lab: killed after ${timeoutMs} ms)` : '';
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        output: (Buffer.concat(both).toString('utf8') + killedNote).trim(),
        timedOut,
      });
    });
  });
}

/** {@link runTool}, throwing {@link LabCommandError} unless the command exits 0. */
export async function mustRun(
  command: string,
  args: string[],
  timeoutMs?: number,
  input?: string,
): Promise<string> {
  const result = await runTool(command, args, timeoutMs, input);
  if (result.exitCode !== 0) throw new LabCommandError([command, ...args], result);
  return result.stdout;
}

/** Programs the lab needs, and the Debian package that has each. */
const REQUIRED_PROGRAMS: readonly { path: string; package: string }[] = [
  { path: '/usr/sbin/sshd', package: 'openssh-server' },
  { path: '/usr/bin/ssh-keygen', package: 'openssh-client' },
  { path: '/usr/bin/unshare', package: 'util-linux' },
  { path: '/usr/bin/nsenter', package: 'util-linux' },
];

/** Whether `path` is a file this process may run. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findIp(): string | undefined {
  return ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find(isExecutable);
}

/**
 * Why this machine cannot build a lab, in one line, or undefined when it can. The lab needs Linux
 * network, mount and UTS namespaces, which only root may create and name here.
 */
export function labUnsupportedReason(
  platform: NodeJS.Platform = process.platform,
  uid: number | undefined = process.getuid?.(),
): string | undefined {
  if (platform !== 'linux')
    return `the lab needs Linux network namespaces; this is ${platform}: rehearse on a Linux machine`;
  if (uid !== 0)
    return 'the lab needs root to create network namespaces (run it with sudo); rootless labs in user namespaces are not supported yet';
  if (findIp() === undefined) return 'the lab needs the ip command: apt-get install iproute2';
  const missing = REQUIRED_PROGRAMS.find((program) => !isExecutable(program.path));
  if (missing !== undefined) return `the lab needs ${missing.path}: apt-get install ${missing.package}`;
  return undefined;
}
