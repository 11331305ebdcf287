/**
 * HAProxy's statistics page, served by the real HAProxy from the generated haproxy.cfg: on
 * loopback only by default; exposed on the host's address only behind the user "admin" and the
 * password that the secret store renders into the environment file systemd reads (here passed to
 * HAProxy's environment, as systemd would); and closed (503), never open, when that password is
 * missing. The drop-in that names the environment file passes systemd-analyze verify with Debian's
 * haproxy.service.
 */
import { describe, expect, test } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { STATS_DROP_IN } from '../../core/generate/haproxy/stats';
import { checkDesign, describeProblem } from '../../core/load';
import type { Design } from '../../core/model';
import { prepareIsolated } from '../lab/namespace';
import { freePort, startProcess, waitForPort } from '../lab/processes';
import type { LabContext } from '../lab/processes';
import { checkHaproxy, requireTool, verifySystemdUnits } from '../lab/tools';
import { labSecrets } from './lab-secrets';

/** One HAProxy with a statistics page on `port`, on host address `address` (a loopback address). */
function statsDesign(
  address: string,
  stats: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Design {
  const result = checkDesign({
    format: 1,
    name: 'Statistics page',
    hosts: [{ id: 'lb-1', address }],
    services: [
      { id: 'edge', kind: 'haproxy', host: 'lb-1', listen: [{ port: 1, protocol: 'http' }], stats, ...extra },
    ],
  });
  if (!result.ok) throw new Error(result.problems.map(describeProblem).join('\n'));
  return result.design;
}

/** Runs a generated haproxy.cfg at its production path, with `environment` as systemd would set it. */
function startHaproxy(cfg: string, environment: Record<string, string>, context: LabContext): void {
  const prepared = prepareIsolated(['haproxy', '-db', '-f', '/etc/haproxy/haproxy.cfg'], {
    files: { '/etc/haproxy/haproxy.cfg': cfg, '/run/haproxy/.lab': '' },
    tmpfs: ['/run'],
  });
  startProcess(prepared.command, prepared.args, {
    name: 'haproxy',
    context,
    env: { ...process.env, ...environment },
    cleanup: prepared.dispose,
  });
}

/** The status of GET / on the page, with `credentials` (user:password) or none; 0 when refused. */
async function statusOf(address: string, port: number, credentials?: string): Promise<number> {
  try {
    const response = await fetch(`http://${address}:${port}/`, {
      headers:
        credentials === undefined
          ? {}
          : { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
      signal: AbortSignal.timeout(3000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** `VARIABLE=value` lines of an environment file, as systemd reads them. */
function parseEnvironmentFile(content: string): Record<string, string> {
  return Object.fromEntries(
    content
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** A stand-in for the listener every design here needs; the page is what these tests look at. */
async function withListener(design: Design): Promise<Design> {
  const copy = structuredClone(design);
  const edge = copy.services[0]!;
  if (edge.kind === 'haproxy') edge.listen = [{ port: await freePort(), protocol: 'http' }];
  return copy;
}

describe.skipIf(!requireTool('haproxy'))('the HAProxy statistics page', () => {
  test('by default it answers on loopback only, without a password', async (context) => {
    const port = await freePort();
    const design = await withListener(statsDesign('127.0.74.1', { port }));
    const bundle = generateBundle(design);
    const cfg = bundle.files.find((file) => file.path === '/etc/haproxy/haproxy.cfg')!.content;
    expect(bundle.manifest.secrets).toEqual([]);
    expect(bundle.files.some((file) => file.path === STATS_DROP_IN)).toBe(false);
    startHaproxy(cfg, {}, context);
    await waitForPort(port, '127.0.0.1');
    expect(await statusOf('127.0.0.1', port)).toBe(200);
    expect(await statusOf('127.0.74.1', port)).toBe(0);
  });

  test('exposed, it asks for the password the store rendered, on the host address and on loopback', async (context) => {
    const port = await freePort();
    const design = await withListener(statsDesign('127.0.74.2', { port, expose: true }));
    const bundle = generateBundle(design);
    const cfg = bundle.files.find((file) => file.path === '/etc/haproxy/haproxy.cfg')!;
    expect((await checkHaproxy(cfg.content)).ok).toBe(true);

    const secrets = await labSecrets(bundle.manifest, context);
    const [environmentFile] = secrets.uploads.get('lb-1')!;
    expect(environmentFile).toMatchObject({
      path: '/etc/haproxy/stats-edge.env',
      owner: 'root:root',
      mode: 0o400,
      policy: 'create-only',
      reload: 'systemctl restart haproxy',
    });
    const password = await secrets.value('edge', 'haproxy-stats');
    expect(cfg.content).not.toContain(password);
    const environment = parseEnvironmentFile(environmentFile!.content.toString('utf8'));
    expect(environment).toEqual({ TOPOFORGE_STATS_PASSWORD_EDGE: password });

    startHaproxy(cfg.content, environment, context);
    await waitForPort(port, '127.0.74.2');
    expect(await statusOf('127.0.74.2', port)).toBe(401);
    expect(await statusOf('127.0.74.2', port, 'admin:wrong')).toBe(401);
    expect(await statusOf('127.0.74.2', port, `admin:${password}`)).toBe(200);
    expect(await statusOf('127.0.0.1', port)).toBe(401);
    expect(await statusOf('127.0.0.1', port, `admin:${password}`)).toBe(200);
  });

  test('exposed, without its password in the environment it refuses everyone (503), never opens', async (context) => {
    const port = await freePort();
    const design = await withListener(statsDesign('127.0.74.3', { port, expose: true }));
    const cfg = generateBundle(design).files.find((file) => file.path === '/etc/haproxy/haproxy.cfg')!;
    startHaproxy(cfg.content, {}, context);
    await waitForPort(port, '127.0.74.3');
    expect(await statusOf('127.0.74.3', port)).toBe(503);
    expect(await statusOf('127.0.74.3', port, 'admin:')).toBe(503);
  });

  test('exposed with auth: false, it answers anyone, and the design gets security.open-datastore', async (context) => {
    const port = await freePort();
    const design = await withListener(
      statsDesign(
        '127.0.74.4',
        { port, expose: true },
        { auth: false, authReason: 'read-only page on a lab network' },
      ),
    );
    const bundle = generateBundle(design);
    expect(bundle.manifest.secrets).toEqual([]);
    startHaproxy(bundle.files.find((file) => file.path === '/etc/haproxy/haproxy.cfg')!.content, {}, context);
    await waitForPort(port, '127.0.74.4');
    expect(await statusOf('127.0.74.4', port)).toBe(200);
    expect(bundle.files.find((file) => file.path === 'README.md')!.content).toContain(
      '`security.open-datastore`: edge lets clients in without authentication ("read-only page on a lab network")',
    );
  });

  test.skipIf(!requireTool('systemd-analyze'))(
    'the drop-in that reads the password file passes systemd-analyze verify with haproxy.service',
    async () => {
      const design = statsDesign('10.0.0.1', { port: 8404, expose: true });
      const dropIn = generateBundle(design).files.find((file) => file.path === STATS_DROP_IN)!;
      expect(dropIn).toMatchObject({ host: 'lb-1', mode: '0644', reload: 'systemctl restart haproxy' });
      expect(dropIn.content).toContain('\n[Service]\nEnvironmentFile=/etc/haproxy/stats-edge.env\n');
      const result = await verifySystemdUnits(
        { 'haproxy.service.d/topoforge-stats.conf': dropIn.content },
        {
          extraFiles: {
            '/etc/haproxy/stats-edge.env': { content: 'TOPOFORGE_STATS_PASSWORD_EDGE=x\n', mode: 0o400 },
          },
        },
      );
      expect(result.output).toBe('');
      expect(result.ok).toBe(true);
    },
  );
});
