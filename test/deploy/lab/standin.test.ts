/**
 * Stand-ins: which services of a seed run as one on a machine without their program, what each
 * needs, and the stand-in program itself on loopback: it accepts connections only while its needs
 * accept theirs, so a failure behind it shows in front of it.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STAND_IN_PROGRAM, standInsOf, standInSpecification } from '../../../deploy/lab/standin';
import type { StandIn } from '../../../deploy/lab/standin';
import { loadExample } from '../../fixtures/examples';
import { freePort, sleep } from '../../lab/processes';
import { temporaryFolder } from '../../lab/temporary';

const NOTHING_INSTALLED = (): boolean => false;
const BALANCERS_ONLY = (path: string): boolean => ['/usr/sbin/nginx', '/usr/sbin/haproxy'].includes(path);

describe('standInsOf', () => {
  it('stands in for the Tessera nodes, which need a traffic-free database that is external', () => {
    const design = loadExample('tessera-ha.topo.json');
    const units = new Map([
      ['tessera-1', new Set(['tessera-a.service'])],
      ['tessera-2', new Set(['tessera-b.service'])],
    ]);
    const standIns = standInsOf(design, units, BALANCERS_ONLY);
    expect(standIns.map((s) => [s.service, s.host, s.unit, s.labUnit, s.reason])).toEqual([
      ['tessera-a', 'tessera-1', 'tessera-a.service', false, '/opt/tessera/bin/tessera is not installed'],
      ['tessera-b', 'tessera-2', 'tessera-b.service', false, '/opt/tessera/bin/tessera is not installed'],
    ]);
    // The balancers send 9080, 9101 and 9000 to each node: the stand-in listens on all three.
    expect(standIns[0]!.ports).toEqual([9000, 9080, 9101]);
    // Its database is a managed service outside the lab, taken as up: nothing to wait for.
    expect(standIns[0]!.needs).toEqual([]);
  });

  it('makes balancers stand-ins too where their program is missing, needing a target per port', () => {
    const design = loadExample('tessera-ha.topo.json');
    const standIn = standInsOf(design, new Map(), NOTHING_INSTALLED).find((s) => s.service === 'lb-a')!;
    expect(standIn.labUnit).toBe(true);
    expect(standIn.unit).toBe('standin-lb-a.service');
    expect(standIn.needs.map((need) => [need.what, need.anyOf])).toEqual([
      [
        'traffic to port 9080',
        [
          { address: '10.40.1.11', port: 9080 },
          { address: '10.40.1.12', port: 9080 },
        ],
      ],
      [
        'traffic to port 9101',
        [
          { address: '10.40.1.11', port: 9101 },
          { address: '10.40.1.12', port: 9101 },
        ],
      ],
      [
        'traffic to port 9000',
        [
          { address: '10.40.1.11', port: 9000 },
          { address: '10.40.1.12', port: 9000 },
        ],
      ],
    ]);
  });

  it('runs mongod as a stand-in from its generated unit when mongod is missing', () => {
    const design = loadExample('expertflow-two-sites.topo.json');
    const units = new Map([['ef-arbiter', new Set(['mongod.service'])]]);
    const arbiter = standInsOf(design, units, BALANCERS_ONLY).find((s) => s.kind === 'arbiter')!;
    expect(arbiter.unit).toBe('mongod.service');
    expect(arbiter.reason).toBe('/usr/bin/mongod is not installed');
  });
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(50);
  }
  return false;
}

const children: ReturnType<typeof spawn>[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const server of servers.splice(0)) server.close();
});

describe('the stand-in program', () => {
  it('accepts connections only while its dependency does, and answers HTTP with 200', async () => {
    const folder = await temporaryFolder('topoforge-standin-');
    const [own, dependency] = [await freePort(), await freePort()];
    const standIn: StandIn = {
      service: 'web',
      kind: 'app',
      host: 'h',
      unit: 'web.service',
      labUnit: false,
      reason: 'test',
      ports: [own],
      needs: [{ what: 'uses db', anyOf: [{ address: '127.0.0.1', port: dependency }] }],
      coldStandby: false,
    };
    writeFileSync(join(folder, 'program.js'), STAND_IN_PROGRAM);
    writeFileSync(join(folder, 'web.json'), standInSpecification(standIn));
    const child = spawn(process.execPath, [join(folder, 'program.js'), join(folder, 'web.json')], {
      stdio: 'ignore',
    });
    children.push(child);

    // The database is not there yet: the stand-in does not listen.
    await sleep(500);
    expect(await accepts(own)).toBe(false);

    const database = await listen(dependency);
    servers.push(database);
    expect(await waitFor(() => accepts(own))).toBe(true);
    const response = await fetch(`http://127.0.0.1:${own}/upcheck`);
    expect(response.status).toBe(200);

    // The database goes away: so does the stand-in, as a real application would stop serving.
    await new Promise((resolve) => database.close(resolve));
    servers.pop();
    expect(await waitFor(async () => !(await accepts(own)))).toBe(true);
  });
});
