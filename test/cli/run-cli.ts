import { readFileSync } from 'node:fs';
import { main } from '../../cli/main';

/** Runs the CLI in-process and captures what a user would see. */
export async function runCli(
  args: string[],
  options: { color?: boolean; readText?: (path: string) => Promise<string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    readText: options.readText ?? (async (path) => readFileSync(path, 'utf8')),
    color: options.color ?? false,
  });
  return { code, stdout, stderr };
}
