import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRedisConfig } from '../../core/import/redis-config';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('Redis and Sentinel configs', () => {
  it('reads directives with quoted and escaped words and their lines', () => {
    const text = [
      '# Redis configuration',
      'bind 10.0.0.1 -::1',
      '',
      'Port 6379',
      'sentinel monitor "cache main" 10.0.0.1 6379 2',
      'sentinel known-replica mymaster 10.0.0.2 6379',
      'logfile "/var/log/redis\\x2ftm.log"',
      "rename-command CONFIG 'its'",
    ].join('\n');
    const result = parseRedisConfig(text);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.directives.map((directive) => [directive.line, directive.name, ...directive.args])).toEqual(
      [
        [2, 'bind', '10.0.0.1', '-::1'],
        [4, 'port', '6379'],
        [5, 'sentinel', 'monitor', 'cache main', '10.0.0.1', '6379', '2'],
        [6, 'sentinel', 'known-replica', 'mymaster', '10.0.0.2', '6379'],
        [7, 'logfile', '/var/log/redis/tm.log'],
        [8, 'rename-command', 'CONFIG', 'its'],
      ],
    );
  });

  it("reads the redis.conf and sentinel.conf Debian's packages install", () => {
    const redis = parseRedisConfig(readFileSync('/etc/redis/redis.conf', 'utf8'));
    expect(redis).toMatchObject({ ok: true });
    if (redis.ok)
      expect(redis.directives.find((directive) => directive.name === 'port')?.args).toEqual(['6379']);
    const sentinel = parseRedisConfig(readFileSync('/etc/redis/sentinel.conf', 'utf8'));
    expect(sentinel).toMatchObject({ ok: true });
    if (sentinel.ok) {
      expect(
        sentinel.directives.some(
          (directive) => directive.name === 'sentinel' && directive.args[0] === 'monitor',
        ),
      ).toBe(true);
    }
  });

  it('reads every Redis and Sentinel config of the golden bundles', () => {
    const files = filesUnder(GOLDEN).filter((path) => /\/etc\/redis\/(redis|sentinel)\.conf$/.test(path));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = parseRedisConfig(readFileSync(file, 'utf8'));
      expect(result, file).toMatchObject({ ok: true });
      if (result.ok) expect(result.directives.length, file).toBeGreaterThan(0);
    }
  });

  it.each([
    ['a binary file', 'port 6379\n\0\x01', 2, /binary/],
    ['an open quote', 'port 6379\nrequirepass "abc\n', 2, /never closed/],
    ['a quote glued to a word', 'dir "/var/lib"redis\n', 1, /followed by a space/],
  ] as const)('refuses %s with its line', (_label, text, line, message) => {
    const result = parseRedisConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.line).toBe(line);
    expect(result.error.message).toMatch(message);
  });
});
