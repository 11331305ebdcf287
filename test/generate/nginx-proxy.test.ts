/**
 * What the generated nginx.conf does to traffic, with the real nginx on loopback: it keeps its
 * connections to a backend open and reuses them (the upstream's keepalive), and a WebSocket upgrade
 * still goes through it to the backend and back.
 *
 * A user notices the first as throughput (a new TCP connection per request halves it, and under
 * load runs out of ephemeral ports) and the second as a WebSocket that connects at all.
 */
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { indexDesign } from '../../core/design-index';
import { generateNginx } from '../../core/generate/nginx';
import type { Design } from '../../core/model';
import { checkedDesign } from '../fixtures/examples';
import { startBalancer } from '../lab/balancers';
import { freePort, waitForPort } from '../lab/processes';
import type { LabContext } from '../lab/processes';
import { checkNginx, requireTool } from '../lab/tools';
import { mapToLoopback } from './loopback';

/** nginx on one host in front of one app, on made-up addresses that are then put on loopback. */
function proxyDesign(listenPort: number, appPort: number): Design {
  return checkedDesign({
    format: 1,
    name: 'nginx in front of one app',
    hosts: [
      { id: 'lb-1', address: '10.75.0.10' },
      { id: 'app-1', address: '10.75.1.11' },
    ],
    services: [
      { id: 'lb', kind: 'nginx', host: 'lb-1', listen: [{ port: listenPort, protocol: 'http' }] },
      { id: 'chat', kind: 'app', host: 'app-1', port: appPort, healthCheck: { path: '/health' } },
    ],
    links: [{ from: 'lb', to: 'chat' }],
  });
}

/** A backend in this process that counts the TCP connections it accepted. */
interface Backend {
  server: ReturnType<typeof createServer>;
  connections: () => number;
}

async function startBackend(address: string, port: number, context: LabContext): Promise<Backend> {
  let connections = 0;
  const server = createServer((incoming, response) => {
    incoming.resume();
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(`${incoming.headers.connection ?? 'no connection header'}\n`);
  });
  server.on('connection', () => {
    connections += 1;
  });
  server.listen(port, address);
  await once(server, 'listening');
  context.onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { server, connections: () => connections };
}

/** Generates the design's nginx.conf, checks it, starts it, and returns where it listens. */
async function startGeneratedNginx(
  network: string,
  context: LabContext,
): Promise<{ url: string; backend: Backend; address: string; port: number }> {
  const listenPort = await freePort();
  const appPort = await freePort();
  const { design, hosts } = mapToLoopback(proxyDesign(listenPort, appPort), { network });
  const backend = await startBackend(hosts.get('app-1')!, appPort, context);
  const [file] = generateNginx({ index: indexDesign(design) });
  if (file === undefined) throw new Error('no nginx.conf generated');
  const check = await checkNginx(file.content);
  expect(check.output).toBe('');
  startBalancer('nginx', file.content, { context });
  const address = hosts.get('lb-1')!;
  await waitForPort(listenPort, address);
  return { url: `http://${address}:${listenPort}`, backend, address, port: listenPort };
}

/** One GET on a fresh client connection; resolves with the status and body. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent: false, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url} within 5 s`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe.skipIf(!requireTool('nginx'))('the generated nginx proxies like a tuned one', () => {
  test('50 requests reach the backend over at most one connection per worker, not one each', async (context) => {
    const { url, backend } = await startGeneratedNginx('127.0.76', context);
    const answers: { status: number; body: string }[] = [];
    for (let index = 0; index < 50; index += 1) answers.push(await get(`${url}/items/${index}`));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // HTTP/1.1 keeps the connection open by default: nginx sends no "Connection: close".
    expect(new Set(answers.map((answer) => answer.body))).toEqual(new Set(['no connection header\n']));
    // nginx starts one worker per CPU (worker_processes auto); each keeps its own idle connections.
    expect(backend.connections()).toBeGreaterThanOrEqual(1);
    expect(backend.connections()).toBeLessThanOrEqual(availableParallelism());
  });

  test('a WebSocket upgrade goes through to the backend and messages come back', async (context) => {
    const { address, port, backend } = await startGeneratedNginx('127.0.77', context);
    const sockets = new WebSocketServer({ server: backend.server, path: '/chat' });
    const upgrades: Record<string, string | string[] | undefined>[] = [];
    sockets.on('connection', (socket, incoming) => {
      upgrades.push(incoming.headers);
      socket.on('message', (data) => socket.send(`echo: ${String(data)}`));
    });
    context.onTestFinished(() => new Promise<void>((resolve) => sockets.close(() => resolve())));

    const client = new WebSocket(`ws://${address}:${port}/chat`);
    context.onTestFinished(() => client.terminate());
    await once(client, 'open');
    client.send('hello through nginx');
    const [reply] = (await once(client, 'message')) as [Buffer];
    expect(String(reply)).toBe('echo: hello through nginx');
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0]).toMatchObject({ upgrade: 'websocket', connection: 'upgrade' });
    expect(upgrades[0]!['x-forwarded-for']).toMatch(/^127\./u);

    // The upgraded connection stays a tunnel; a second message takes the same way.
    client.send('again');
    const [second] = (await once(client, 'message')) as [Buffer];
    expect(String(second)).toBe('echo: again');
    client.close();
    await once(client, 'close');
  });
});
