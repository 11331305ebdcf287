/**
 * `topoforge rehearse --events` before any lab exists: the stream's reader (the desktop app) gets
 * every failure as one JSON line on stdout, exactly the line `--json` prints, and the option is in
 * the usage. The stream itself, through the real sudo against a real lab, is checked in
 * test/electron/rehearse-service.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

const DESIGN = join(import.meta.dirname, '../fixtures/designs/rehearse-two-hosts.topo.json');

describe('rehearse --events', () => {
  it('says a wrong id as the one JSON line --json prints, with the same exit code', async () => {
    const streamed = await runCli(['rehearse', DESIGN, '--fail', 'app-hots', '--events']);
    const json = await runCli(['rehearse', DESIGN, '--fail', 'app-hots', '--json']);
    expect(streamed.code).toBe(2);
    expect(streamed.stdout).toBe(json.stdout);
    expect(streamed.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(streamed.stdout)).toMatchObject({
      ok: false,
      error: {
        message: expect.stringContaining("there is no host, site or service 'app-hots'"),
        path: '--fail',
      },
    });
    expect(streamed.stderr).toBe('');
  });

  it('is in the usage, with how to cancel it', async () => {
    const help = await runCli(['rehearse', '--help']);
    expect(help.stdout).toContain('--events');
    expect(help.stdout).toContain('closing stdin cancels it');
  });
});
