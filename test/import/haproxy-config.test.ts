import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHaproxyConfig } from '../../core/import/haproxy-config';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('HAProxy configs', () => {
  it('reads sections, directives, quoted words and lines', () => {
    const text = [
      'global',
      '    log /dev/log local0   # syslog',
      'listen stats',
      '    bind :8404',
      'backend app',
      '    option httpchk GET /health',
      '    http-check expect string "all ok # really"',
      '    server app-1 10.0.0.1:8080 check',
      '    server app-2 10.0.0.2:8080 check backup',
    ].join('\n');
    const result = parseHaproxyConfig(text);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.sections.map((section) => [section.line, section.kind, ...section.args])).toEqual([
      [1, 'global'],
      [3, 'listen', 'stats'],
      [5, 'backend', 'app'],
    ]);
    expect(result.sections[0]!.directives[0]).toEqual({ name: 'log', args: ['/dev/log', 'local0'], line: 2 });
    const backend = result.sections[2]!.directives;
    expect(backend.find((directive) => directive.name === 'http-check')!.args).toEqual([
      'expect',
      'string',
      'all ok # really',
    ]);
    expect(
      backend
        .filter((directive) => directive.name === 'server')
        .map((server) => [server.line, ...server.args]),
    ).toEqual([
      [8, 'app-1', '10.0.0.1:8080', 'check'],
      [9, 'app-2', '10.0.0.2:8080', 'check', 'backup'],
    ]);
  });

  it("reads the config Debian's haproxy package installs", () => {
    const result = parseHaproxyConfig(readFileSync('/etc/haproxy/haproxy.cfg', 'utf8'));
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.sections.map((section) => section.kind)).toEqual(['global', 'defaults']);
  });

  it('reads every HAProxy config of the golden bundles, with their backends and servers', () => {
    const files = filesUnder(GOLDEN).filter((path) => path.endsWith('/etc/haproxy/haproxy.cfg'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = parseHaproxyConfig(readFileSync(file, 'utf8'));
      expect(result, file).toMatchObject({ ok: true });
      if (!result.ok) continue;
      const backends = result.sections.filter(
        (section) => section.kind === 'backend' || section.kind === 'listen',
      );
      expect(backends.length, file).toBeGreaterThan(0);
      expect(
        backends.some((section) => section.directives.some((directive) => directive.name === 'server')),
        file,
      ).toBe(true);
    }
  });

  it.each([
    ['a binary file', 'global\n  maxconn 10\n\0\x7f', 3, /binary/],
    ['a directive before any section', '# hand-written\nmaxconn 10\nglobal\n', 2, /before any section/],
    ['an open quote', 'backend b\n  http-check expect string "ok\n', 2, /quoted string/],
  ] as const)('refuses %s with its line', (_label, text, line, message) => {
    const result = parseHaproxyConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ line });
    expect(result.error.message).toMatch(message);
  });
});
