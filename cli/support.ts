/**
 * What every `topoforge` command shares: the exit codes of docs/cli.md, argument parsing, the one
 * way a failure is reported (JSON on stdout with `--json`, one line on stderr without), and reading
 * a design file. Commands import it; it imports no command, so cli/main.ts can import them all.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { describeFileError } from '../core/file-errors';
import { describeProblem, parseDesign } from '../core/load';
import type { LoadProblem } from '../core/load';
import type { Design } from '../core/model';

/** The process around a command: its streams and files; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readText: (path: string) => Promise<string>;
  /** Whether stdout is a terminal that shows colour. */
  color: boolean;
}

/** Exit codes of docs/cli.md: 1 is error findings for the checks and a failure for the others. */
export const EXIT = { ok: 0, findings: 1, failed: 1, usage: 2 } as const;

/** Wrong arguments: the command says what is wrong, shows its usage and exits 2. */
export class UsageError extends Error {}

/** `args` parsed with `options` and `-h/--help`, strictly; a wrong option is a {@link UsageError}. */
export function parseOptions<T extends ParseArgsConfig['options']>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Reports a failure and returns its exit code; `path` is the JSON path or option at fault. */
export type Fail = (message: string, code?: number, path?: string) => number;

/** How one command reports failures and wrong arguments. */
export interface CommandOutput {
  /** Whether the command was asked for JSON. */
  json: boolean;
  /** `{"ok": false, "error": {message, path}}` with --json, else `topoforge COMMAND: message`. */
  fail: Fail;
  /** Wrong arguments: as `fail` with exit 2, and the command's usage after the message on stderr. */
  usage: (message: string) => number;
}

/** The output of `topoforge <command>`, whose usage text is `usage`. */
export function commandOutput(command: string, usage: string, json: boolean, io: CliIo): CommandOutput {
  const fail: Fail = (message, code = EXIT.usage, path = '(arguments)') => {
    if (json) io.stdout(`${JSON.stringify({ ok: false, error: { message, path } })}\n`);
    else io.stderr(`topoforge ${command}: ${message}\n`);
    return code;
  };
  return {
    json,
    fail,
    usage: (message) => {
      if (json) return fail(message);
      io.stderr(`topoforge ${command}: ${message}\n\n${usage}`);
      return EXIT.usage;
    },
  };
}

/** A design file's text parsed, or every problem that makes it not a design (one when unreadable). */
export type LoadedDesign = { ok: true; design: Design } | { ok: false; problems: LoadProblem[] };

/** Reads and parses the design in `file`; a file that cannot be read is one problem at `$`. */
export async function loadDesignFile(file: string, io: CliIo): Promise<LoadedDesign> {
  let text: string;
  try {
    text = await io.readText(file);
  } catch (error) {
    return { ok: false, problems: [{ path: '$', segments: [], message: cannotRead(file, error) }] };
  }
  return parseDesign(text);
}

/**
 * The design in `file`, or the exit code once `fail` has said why not: it cannot be read, or it
 * is not a design (its first problem, with its JSON path). `option` (`--design`) is the path a
 * failure names when an option gave the file.
 */
export async function readDesignFile(
  file: string,
  io: CliIo,
  fail: Fail,
  option?: string,
): Promise<{ design: Design } | { exitCode: number }> {
  let text: string;
  try {
    text = await io.readText(file);
  } catch (error) {
    return { exitCode: fail(cannotRead(file, error), EXIT.usage, option ?? '$') };
  }
  const loaded = parseDesign(text);
  if (loaded.ok) return { design: loaded.design };
  const [first] = loaded.problems;
  return {
    exitCode: fail(`${file} is not a design: ${describeProblem(first!)}`, EXIT.usage, option ?? first!.path),
  };
}

function cannotRead(file: string, error: unknown): string {
  return `cannot read ${file}: ${describeFileError(error)}`;
}
