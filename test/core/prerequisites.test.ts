/**
 * Issue 19, items 1 and 5: what the generators know a host needs before its bundle works there
 * (core/prerequisites.ts), in the manifest for push and in the bundle README for a person; and the
 * stand-in that lets `systemd-analyze verify` check a unit whose program is not installed yet,
 * while a broken unit still fails (deploy/push/prerequisites.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { stubbedCheck } from '../../deploy/push/prerequisites';
import { loadExample } from '../fixtures/examples';
import { removeTemporaryFolderSync, temporaryFolderSync } from '../lab/temporary';
import { requireTool } from '../lab/tools';

describe('the prerequisites of the seed examples', () => {
  it('Expertflow: the gateway certificate and key, and the programs of every unit, per host', () => {
    const { manifest } = generateBundle(loadExample('expertflow-two-sites.topo.json'));
    expect(manifest.prerequisites.filter((prerequisite) => prerequisite.host === 'ef-a')).toEqual([
      {
        host: 'ef-a',
        kind: 'certificate',
        path: '/etc/nginx/tls/hybrid-chat-a.crt',
        key: '/etc/nginx/tls/hybrid-chat-a.key',
        commonName: 'chat.example.com',
        service: 'gw-a',
        why: 'nginx gw-a serves HTTPS on port 443 with it',
      },
      expect.objectContaining({
        kind: 'program',
        path: '/usr/bin/docker',
        unit: 'amq-a.service',
        service: 'amq-a',
      }),
      expect.objectContaining({
        kind: 'program',
        path: '/usr/bin/docker',
        unit: 'chat-a.service',
        service: 'chat-a',
      }),
      {
        host: 'ef-a',
        kind: 'program',
        path: '/usr/bin/mongod',
        unit: 'mongod.service',
        user: 'mongodb',
        group: 'mongodb',
        provider: 'MongoDB (package mongodb-org)',
        service: 'mongo-a',
        files: ['/etc/mongod.conf', '/etc/systemd/system/mongod.service'],
      },
    ]);
  });

  it('Tessera: the interface each balancer names; Helix TeamHub: sudo and the HAProxy certificate', () => {
    const tessera = generateBundle(loadExample('tessera-ha.topo.json')).manifest.prerequisites;
    expect(tessera.filter((prerequisite) => prerequisite.kind === 'interface')).toEqual([
      {
        host: 'lb-1',
        kind: 'interface',
        name: 'ens192',
        named: true,
        why: 'keepalived holds the floating address 10.40.0.10 on it',
      },
      {
        host: 'lb-2',
        kind: 'interface',
        name: 'ens192',
        named: true,
        why: 'keepalived holds the floating address 10.40.0.10 on it',
      },
    ]);
    const helix = generateBundle(loadExample('helix-teamhub.topo.json')).manifest.prerequisites;
    expect(
      helix.filter((prerequisite) => prerequisite.host === 'lb-1').map((prerequisite) => prerequisite.kind),
    ).toEqual(['certificate', 'interface', 'sudo']);
    expect(helix.find((prerequisite) => prerequisite.kind === 'sudo')).toEqual({
      host: 'lb-1',
      kind: 'sudo',
      user: 'deploy',
    });
  });

  it('the bundle README lists them per host, in the order of application', () => {
    const { files } = generateBundle(loadExample('tessera-ha.topo.json'));
    const readme = files.find((file) => file.path === 'README.md')!.content;
    const section = readme.slice(
      readme.indexOf('## Prerequisites'),
      readme.indexOf('\n## ', readme.indexOf('## Prerequisites') + 1),
    );
    // Application services come before the balancers in the order of application.
    expect(section.indexOf('- `tessera-1`')).toBeGreaterThan(0);
    expect(section.indexOf('- `tessera-1`')).toBeLessThan(section.indexOf('- `lb-1`'));
    expect(section).toContain(
      '  - network interface `ens192`: keepalived holds the floating address 10.40.0.10 on it; a host whose ' +
        'interface has another name sets it in `hosts[lb-1].interface`',
    );
    expect(section).toContain(
      '  - program `/opt/tessera/bin/tessera` from the software of tessera-a: `tessera-a.service` starts it;',
    );
  });
});

describe('a unit whose program is not installed yet is checked with the program stood in for', () => {
  const scratch = temporaryFolderSync('topoforge-stub-check-');
  afterAll(() => removeTemporaryFolderSync(scratch));
  const enabled = requireTool('systemd-analyze');
  const program = '/opt/topoforge-absent/bin/server';
  const unit = (extra: string): string =>
    `[Unit]\nDescription=test\n\n[Service]\nExecStart=${program} --flag\n${extra}\n[Install]\nWantedBy=multi-user.target\n`;
  const check = (path: string): string => `systemd-analyze verify --man=no ${path}:absent-app.service`;
  const run = (command: string) => spawnSync('sh', ['-c', command], { encoding: 'utf8' });

  it.skipIf(!enabled)('passes a good unit, where the plain check fails on the missing program', () => {
    const path = join(scratch, 'good.service');
    writeFileSync(path, unit(''));
    const plain = run(check(path));
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toContain(`Command ${program} is not executable`);
    const temporaries = (): string =>
      execFileSync('sh', ['-c', 'ls -d /tmp/tmp.* 2>/dev/null; true'], { encoding: 'utf8' });
    const before = temporaries();
    const stubbed = run(stubbedCheck(check(path), [program]));
    expect(stubbed.stderr).toBe('');
    expect(stubbed.status).toBe(0);
    // The stand-in lived in the check's own mount namespace only, and its folder is gone.
    expect(spawnSync('test', ['-e', program]).status).not.toBe(0);
    expect(temporaries()).toBe(before);
  });

  it.skipIf(!enabled)('still fails a broken unit', () => {
    const path = join(scratch, 'broken.service');
    writeFileSync(path, unit('').replace('[Service]', 'Requires=topoforge-no-such.service\n\n[Service]'));
    const stubbed = run(stubbedCheck(check(path), [program]));
    expect(stubbed.stderr).toContain('Unit topoforge-no-such.service not found');
    expect(stubbed.status).not.toBe(0);
  });
});
