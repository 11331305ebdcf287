import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseUnitFile } from '../../core/import/systemd-unit';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('systemd units', () => {
  it('reads sections, settings, continued lines and their lines', () => {
    const text = [
      '# written by hand',
      '[Unit]',
      'Description=Capture node',
      '',
      '[Service]',
      'ExecStart=/usr/bin/capture \\',
      '  --port 9000 \\',
      '  --verbose',
      '; a comment',
      'Restart = on-failure',
    ].join('\n');
    const result = parseUnitFile(text);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.settings).toEqual([
      { section: 'Unit', key: 'Description', value: 'Capture node', line: 3 },
      { section: 'Service', key: 'ExecStart', value: '/usr/bin/capture  --port 9000  --verbose', line: 6 },
      { section: 'Service', key: 'Restart', value: 'on-failure', line: 10 },
    ]);
  });

  it("reads the units Debian's nginx, haproxy, keepalived and redis packages install", () => {
    for (const file of [
      '/lib/systemd/system/nginx.service',
      '/lib/systemd/system/haproxy.service',
      '/lib/systemd/system/keepalived.service',
      '/lib/systemd/system/redis-server.service',
    ]) {
      const result = parseUnitFile(readFileSync(file, 'utf8'));
      expect(result, file).toMatchObject({ ok: true });
      if (result.ok)
        expect(
          result.settings.some((setting) => setting.key === 'ExecStart'),
          file,
        ).toBe(true);
    }
  });

  it('reads every unit of the golden bundles', () => {
    const files = filesUnder(GOLDEN).filter((path) =>
      /\/etc\/systemd\/system\/[^/]+\.(service|mount)$/.test(path),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = parseUnitFile(readFileSync(file, 'utf8'));
      expect(result, file).toMatchObject({ ok: true });
      const wanted = file.endsWith('.mount') ? 'Where' : 'ExecStart';
      if (result.ok)
        expect(
          result.settings.some((setting) => setting.key === wanted),
          file,
        ).toBe(true);
    }
  });

  it.each([
    ['a binary file', '[Unit]\n\0', 2, /binary/],
    ['a setting before any section', 'Description=x\n[Unit]\n', 1, /before any \[section\]/],
    ['a line that is no setting', '[Service]\nExecStart /bin/true\n', 2, /neither a \[section\]/],
  ] as const)('refuses %s with its line', (_label, text, line, message) => {
    const result = parseUnitFile(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.line).toBe(line);
    expect(result.error.message).toMatch(message);
  });
});
