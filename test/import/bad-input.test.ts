/**
 * Bad input to `topoforge import`: binary and truncated files, unknown directives, two hosts with
 * one address, a host listed twice. Each gets a message naming the file and line, never a crash;
 * the design is written only when the user asks for what could be read (`--partial`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../../core/import/build-design';
import { runCli } from '../cli/run-cli';
import { loadExample } from '../fixtures/examples';
import { temporaryFolder } from '../lab/temporary';
import { bundleFolder } from './bundle-folder';

async function folderWith(files: Record<string, string | Buffer>): Promise<string> {
  const root = await temporaryFolder('topoforge-import-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const upstreamConf = `http {
    upstream app { server 10.0.0.21:8080; }
    server { listen 80; location / { proxy_pass http://app; } }
}
`;

describe('topoforge import with bad input', () => {
  it('a binary file: exit 1 naming the file and line, nothing written; --partial writes the rest', async () => {
    const root = await folderWith({
      'hosts/lb-1/etc/nginx/nginx.conf': upstreamConf,
      'hosts/cache-1/etc/redis/redis.conf': Buffer.from([0x70, 0x6f, 0x72, 0x74, 0x0a, 0x00, 0xff, 0x13]),
    });
    const out = join(root, 'imported.topo.json');
    const refused = await runCli(['import', root, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('hosts/cache-1/etc/redis/redis.conf:2: this is a binary file');
    expect(existsSync(out)).toBe(false);

    const partial = await runCli(['import', root, '--out', out, '--partial', '--json']);
    expect(partial.code).toBe(1);
    const report = JSON.parse(partial.stdout);
    expect(report).toMatchObject({ ok: false, written: true });
    expect(report.problems).toEqual([
      expect.objectContaining({ file: 'hosts/cache-1/etc/redis/redis.conf', line: 2 }),
    ]);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written.services.map((service: { kind: string }) => service.kind).sort()).toEqual([
      'app',
      'nginx',
    ]);
  });

  it('a truncated nginx config names the line where the open block starts', async () => {
    const root = await folderWith({ 'hosts/lb-1/etc/nginx/nginx.conf': upstreamConf.slice(0, 60) });
    const result = await runCli(['import', root, '--out', join(root, 'x.topo.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/hosts\/lb-1\/etc\/nginx\/nginx\.conf:\d+: .*(never closed|does not end)/);
  });

  it('an unknown directive is listed as unused with its line, and the import goes on', async () => {
    const root = await folderWith({
      'hosts/lb-1/etc/haproxy/haproxy.cfg':
        'global\n    daemon\nfrontend web\n    bind :80\n    frobnicate hard\n    default_backend app\nbackend app\n    server a 10.0.0.21:8080 check\n',
    });
    const result = await runCli(['import', root, '--out', join(root, 'x.topo.json'), '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.unused).toContainEqual(
      expect.objectContaining({
        host: 'lb-1',
        file: 'hosts/lb-1/etc/haproxy/haproxy.cfg',
        line: 5,
        text: 'frobnicate hard',
      }),
    );
  });

  it('two hosts with one address, and a host listed twice, are named in inventory.json', async () => {
    const root = await folderWith({
      'inventory.json': JSON.stringify([
        { host: 'lb-1', address: '10.0.0.11' },
        { host: 'lb-2', address: '10.0.0.11' },
        { host: 'lb-1', address: '10.0.0.12' },
      ]),
      'hosts/lb-1/etc/nginx/nginx.conf': upstreamConf,
    });
    const result = await runCli(['import', root, '--out', join(root, 'x.topo.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('inventory.json: entry 3: the host lb-1 is listed twice');
    expect(result.stderr).toContain('hosts lb-1 and lb-2 both have the address 10.0.0.11');
  });

  it('a file over the size limit is refused by name', async () => {
    const root = await folderWith({
      'hosts/lb-1/etc/nginx/nginx.conf': `# ${'x'.repeat(1024 * 1024 + 1)}\n`,
    });
    const result = await runCli(['import', root, '--out', join(root, 'x.topo.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('hosts/lb-1/etc/nginx/nginx.conf: 1048580 bytes: larger than');
  });

  it('an nginx include loop is refused with the chain of files', () => {
    const result = buildDesign([
      { path: 'hosts/lb-1/etc/nginx/nginx.conf', text: 'http { include /etc/nginx/a.conf; }\n' },
      { path: 'hosts/lb-1/etc/nginx/a.conf', text: 'include /etc/nginx/b.conf;\n' },
      { path: 'hosts/lb-1/etc/nginx/b.conf', text: 'include /etc/nginx/a.conf;\n' },
    ]);
    expect(result.problems).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining(
          'include loop: /etc/nginx/nginx.conf includes /etc/nginx/a.conf includes /etc/nginx/b.conf includes /etc/nginx/a.conf',
        ),
      }),
    );
  });

  it('never crashes on damaged configs (fuzz: bytes cut, replaced and inserted in a real bundle)', () => {
    const files = bundleFolder(loadExample('teramind-ha.topo.json')).filter((file) =>
      file.path.startsWith('hosts/'),
    );
    const runs = Math.max(1, Math.round(60 * Number(process.env.FUZZ_SCALE ?? 1)));
    fc.assert(
      fc.property(
        fc.nat(files.length - 1),
        fc.nat(),
        fc.nat(40),
        fc.string({ maxLength: 6 }),
        (which, at, cut, insert) => {
          const target = files[which]!;
          const position = at % (target.text.length + 1);
          const damaged = target.text.slice(0, position) + insert + target.text.slice(position + cut);
          const result = buildDesign(
            files.map((file) => (file === target ? { ...file, text: damaged } : file)),
          );
          for (const problem of result.problems) expect(problem.file).toMatch(/^hosts\/|^inventory\.json$/);
        },
      ),
      { numRuns: runs },
    );
  });
});
