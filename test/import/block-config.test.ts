import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBlockConfig, type BlockDirective } from '../../core/import/block-config';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

/** Every file under `directory`, recursively. */
function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The regular files a Debian package installed, read from dpkg so the test follows the package. */
function packageFiles(name: string, pattern: RegExp): string[] {
  return execFileSync('dpkg', ['-L', name], { encoding: 'utf8' })
    .split('\n')
    .filter((path) => pattern.test(path) && statSync(path, { throwIfNoEntry: false })?.isFile() === true);
}

function find(directives: readonly BlockDirective[], name: string): BlockDirective[] {
  return directives.flatMap((directive) => [
    ...(directive.name === name ? [directive] : []),
    ...find(directive.block ?? [], name),
  ]);
}

describe('nginx configs', () => {
  it('reads directives, arguments, blocks and their lines', () => {
    const text = [
      '# a comment { ;',
      'upstream app {',
      '    server 10.0.0.1:8080 max_fails=3;',
      '    server 10.0.0.2:8080 backup; # spare',
      '}',
      'server {',
      '    listen 80;',
      '    location / { return 200 "a { b } ; c"; }',
      '    if (!-f $request_filename) { return 404; }',
      '}',
    ].join('\n');
    const result = parseBlockConfig(text, 'semicolon');
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    const servers = find(result.directives, 'server').filter((directive) => directive.block === undefined);
    expect(servers.map((server) => [server.line, ...server.args])).toEqual([
      [3, '10.0.0.1:8080', 'max_fails=3'],
      [4, '10.0.0.2:8080', 'backup'],
    ]);
    expect(find(result.directives, 'return').map((directive) => [directive.line, ...directive.args])).toEqual(
      [
        [8, '200', 'a { b } ; c'],
        [9, '404'],
      ],
    );
    expect(find(result.directives, 'if')[0]!.args).toEqual(['(!-f', '$request_filename)']);
  });

  it("reads every config Debian's nginx package installs", () => {
    const files = packageFiles(
      'nginx-common',
      /^\/etc\/nginx\/(nginx\.conf|sites-available\/.*|snippets\/.*\.conf)$/,
    );
    expect(files).toContain('/etc/nginx/nginx.conf');
    for (const file of files) {
      const result = parseBlockConfig(readFileSync(file, 'utf8'), 'semicolon');
      expect(result, file).toMatchObject({ ok: true });
    }
    const main = parseBlockConfig(readFileSync('/etc/nginx/nginx.conf', 'utf8'), 'semicolon');
    if (!main.ok) return;
    expect(find(main.directives, 'include').map((directive) => directive.args[0])).toContain(
      '/etc/nginx/sites-enabled/*',
    );
  });

  it('reads every nginx config of the golden bundles', () => {
    const files = filesUnder(GOLDEN).filter((path) => path.includes('/etc/nginx/') && path.endsWith('.conf'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = parseBlockConfig(readFileSync(file, 'utf8'), 'semicolon');
      expect(result, file).toMatchObject({ ok: true });
      if (result.ok) expect(find(result.directives, 'upstream').length, file).toBeGreaterThan(0);
    }
  });
});

describe('keepalived configs', () => {
  it('reads directives that end at the end of the line, with `!` and `#` comments', () => {
    const text = [
      '! Configuration File for keepalived',
      'vrrp_script chk_haproxy {',
      '  script "/usr/bin/killall -0 haproxy"   # cheap',
      '  interval 2',
      '}',
      'vrrp_instance VI_1 {',
      '  state MASTER',
      '  virtual_ipaddress {',
      '    192.0.2.10/24 dev eth0',
      '  }',
      '  track_script {',
      '    chk_haproxy',
      '  }',
      '}',
    ].join('\n');
    const result = parseBlockConfig(text, 'newline');
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(find(result.directives, 'script')[0]).toEqual({
      name: 'script',
      args: ['/usr/bin/killall -0 haproxy'],
      line: 3,
    });
    expect(find(result.directives, 'virtual_ipaddress')[0]!.block).toEqual([
      { name: '192.0.2.10/24', args: ['dev', 'eth0'], line: 9 },
    ]);
    expect(find(result.directives, 'track_script')[0]!.block).toEqual([
      { name: 'chk_haproxy', args: [], line: 12 },
    ]);
  });

  it("reads every sample config Debian's keepalived package installs", () => {
    const files = packageFiles('keepalived', /\/samples\/keepalived\.conf\./);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      expect(parseBlockConfig(readFileSync(file, 'utf8'), 'newline'), file).toMatchObject({ ok: true });
    }
  });

  it('reads every keepalived config of the golden bundles', () => {
    const files = filesUnder(GOLDEN).filter((path) => path.endsWith('/etc/keepalived/keepalived.conf'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = parseBlockConfig(readFileSync(file, 'utf8'), 'newline');
      expect(result, file).toMatchObject({ ok: true });
      if (result.ok) expect(find(result.directives, 'vrrp_instance').length, file).toBeGreaterThan(0);
    }
  });
});

describe('bad input', () => {
  it.each([
    ['a binary file', 'worker_processes 1;\n\0\x01\x02', 'semicolon', 2, /binary/],
    ['a truncated block', 'http {\n  server {\n    listen 80;\n', 'semicolon', 2, /never closed.*truncated/],
    [
      'a truncated directive',
      'events {}\nworker_processes',
      'semicolon',
      2,
      /does not end with `;`.*truncated/,
    ],
    [
      'a directive without `;` before `}`',
      'http {\n  sendfile on\n}\n',
      'semicolon',
      2,
      /`sendfile` does not end with `;`/,
    ],
    ['a stray `}`', 'events {}\n}\n', 'semicolon', 2, /closes no block/],
    [
      'an open quoted string',
      'vrrp_script x {\n  script "/bin/true\n}\n',
      'newline',
      2,
      /quoted string.*never closed/,
    ],
    ['a `{` with no name', 'global_defs {\n}\n{\n}\n', 'newline', 3, /no directive name/],
  ] as const)('refuses %s with its line', (_label, text, end, line, message) => {
    const result = parseBlockConfig(text, end);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.line).toBe(line);
    expect(result.error.message).toMatch(message);
  });

  it('never throws on cut or damaged configs (a small fuzz)', () => {
    const sources = [
      readFileSync('/etc/nginx/nginx.conf', 'utf8'),
      ...filesUnder(GOLDEN)
        .filter((path) => path.endsWith('keepalived.conf'))
        .slice(0, 1)
        .map((path) => readFileSync(path, 'utf8')),
    ];
    let seed = 16;
    const random = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    const scale = Number(process.env.FUZZ_SCALE ?? '1');
    for (let round = 0; round < 300 * scale; round += 1) {
      const source = sources[round % sources.length]!;
      const cut = source.slice(0, random(source.length + 1));
      const position = random(cut.length + 1);
      const damaged = cut.slice(0, position) + '{};"\'#!\n\0'[random(9)] + cut.slice(position);
      for (const end of ['semicolon', 'newline'] as const) {
        const result = parseBlockConfig(damaged, end);
        if (!result.ok) {
          expect(result.error.line).toBeGreaterThanOrEqual(1);
          expect(result.error.line).toBeLessThanOrEqual(damaged.split('\n').length);
        }
      }
    }
  });
});
