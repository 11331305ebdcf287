import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMongodConfig } from '../../core/import/mongod-config';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('mongod.conf', () => {
  it('reads settings by dotted path with their lines', () => {
    const text = [
      '# mongod.conf, by hand',
      'net:',
      '  port: 27017',
      '  bindIp: 10.0.0.1,127.0.0.1',
      'replication:',
      '  replSetName: "rs0"',
    ].join('\n');
    expect(parseMongodConfig(text)).toEqual({
      ok: true,
      settings: [
        { path: 'net.port', value: '27017', line: 3 },
        { path: 'net.bindIp', value: '10.0.0.1,127.0.0.1', line: 4 },
        { path: 'replication.replSetName', value: 'rs0', line: 6 },
      ],
    });
  });

  it('reads every mongod.conf of the golden bundles, with its replica set name', () => {
    const files = filesUnder(GOLDEN).filter((path) => /\/etc\/mongod[^/]*\.conf$/.test(path));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = parseMongodConfig(readFileSync(file, 'utf8'));
      expect(result, file).toMatchObject({ ok: true });
      if (result.ok)
        expect(
          result.settings.some((setting) => setting.path === 'replication.replSetName'),
          file,
        ).toBe(true);
    }
  });

  it.each([
    ['a binary file', 'net:\n  port: 1\n\0', 3, /binary/],
    ['broken YAML', 'net:\n  port: 1\n bad: [\n', 3, /./],
    ['a list at the top', '- net\n', 1, /not a mapping/],
  ] as const)('refuses %s with its line', (_label, text, line, message) => {
    const result = parseMongodConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.line).toBe(line);
    expect(result.error.message).toMatch(message);
  });
});
