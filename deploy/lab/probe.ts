/**
 * Probes (docs/rehearse.md): what the design's clients see, measured from the lab's client
 * namespace. Each entrypoint is tried at a steady rate: an HTTP GET of its health path where it
 * speaks HTTP, elsewhere a TCP connect answered with a byte (after a `PING` line, which Redis
 * answers and a stand-in too); a `vip` at its floating address, `direct` and
 * `external-lb` at every target (served when any answers). Node cannot open a socket in another
 * network namespace, so the probes run as one child process inside the client namespace and
 * report one line per request.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { DesignIndex } from '../../core/design-index';
import type { Design, Service } from '../../core/model';
import { mainPortOf } from '../../core/model';
import { systemEnvironment } from './system';

/** Requests per second per entrypoint (SPEC: at least 20). */
export const PROBE_RATE = 25;

/**
 * How long one probe request may take before it counts as failed. The request itself stays open
 * longer ({@link PROBE_ABANDON_MS}): a balancer counts a slow target as failed only when its own
 * timeout ends, and a client that hung up first would hide that failure from it.
 */
const PROBE_TIMEOUT_MS = 1_000;

/** When a probe request is abandoned: beyond every connect timeout the generators write. */
const PROBE_ABANDON_MS = 6_000;

/**
 * The probes' scheduling priority (`nice`). The design's clients run on machines of their own;
 * the lab's share the machine's cores with every lab host. Under load, when a failover ends and
 * the requests that waited for it all complete at once (a TLS handshake each), a probe at the
 * hosts' priority fell behind: it started no request for 2 to 3 s and counted answers that had
 * arrived as too slow (docs/rehearse.md, "The seed figures measured under load"). At -10 it
 * gets the CPU it needs before the lab hosts do, so what it measures is the design's failover.
 */
export const PROBE_NICENESS = -10;

/** One entrypoint as the probes try it. */
export interface ProbeTarget {
  entrypoint: string;
  protocol: 'http' | 'https' | 'tcp';
  /** The path an HTTP probe asks for. */
  path: string;
  endpoints: { address: string; port: number }[];
}

/** One probe request: when it started (ms since the epoch) and whether the entrypoint served it. */
export interface ProbeSample {
  entrypoint: string;
  at: number;
  ok: boolean;
}

type IndexedEntrypoint = DesignIndex['entrypoints'][number];

function listenerProtocol(service: Service, port: number): 'http' | 'https' | 'tcp' | undefined {
  if (service.kind === 'nginx' || service.kind === 'haproxy') {
    const listener = (service.listen ?? [{ port: 80, protocol: 'http' as const }]).find(
      (candidate) => candidate.port === port,
    );
    return listener?.protocol;
  }
  if (service.kind === 'app' && 'healthCheck' in service && service.healthCheck !== undefined) return 'http';
  return undefined;
}

/** The health path of the first service behind `service` that names one. */
function healthPathBehind(design: Design, service: Service, seen = new Set<string>()): string | undefined {
  if (seen.has(service.id)) return undefined;
  seen.add(service.id);
  if ('healthCheck' in service && service.healthCheck?.path !== undefined) return service.healthCheck.path;
  for (const link of design.links ?? []) {
    if (link.from !== service.id) continue;
    const target = design.services.find((candidate) => candidate.id === link.to);
    const path = target === undefined ? undefined : healthPathBehind(design, target, seen);
    if (path !== undefined) return path;
  }
  return undefined;
}

/** How the probes try each entrypoint of `design`. */
export function probeTargetsOf(design: Design, entrypoints: readonly IndexedEntrypoint[]): ProbeTarget[] {
  const services = new Map<string, Service>(design.services.map((service) => [service.id, service]));
  const hosts = new Map<string, string>(design.hosts.map((host) => [host.id, host.address]));
  return entrypoints.map((entrypoint) => {
    // Implicit entrypoints (a design without any) stand for one service or group.
    const targets = entrypoint.targets.flatMap((id) => {
      const service = services.get(id);
      if (service !== undefined) return [service];
      return design.services.filter((member) => member.group === id && member.kind !== 'sentinel');
    });
    const port =
      entrypoint.port !== undefined
        ? entrypoint.port
        : (targets.map(mainPortOf).find((candidate) => candidate !== undefined) ?? 0);
    const protocol =
      targets.map((target) => listenerProtocol(target, port)).find((candidate) => candidate !== undefined) ??
      'tcp';
    const path =
      targets.map((target) => healthPathBehind(design, target)).find((p) => p !== undefined) ?? '/';
    const address = (design.entrypoints ?? []).find((declared) => declared.id === entrypoint.id)?.address;
    const endpoints =
      entrypoint.via === 'vip' && address !== undefined
        ? [{ address, port }]
        : targets
            .filter((target) => target.host !== undefined)
            .map((target) => ({
              address: hosts.get(target.host!)!,
              port: port || (mainPortOf(target) ?? 0),
            }));
    return { entrypoint: entrypoint.id, protocol, path, endpoints };
  });
}

/** The probe program: `node -e PROGRAM JSON`; prints `id 1|0 time` per request. */
const PROBE_PROGRAM = String.raw`
const net = require('net'), http = require('http'), https = require('https');
const { targets, rate, timeout, abandon } = JSON.parse(process.argv[1]);
const agentOptions = { keepAlive: false };
function tryHttp(target, endpoint) {
  return new Promise((resolve) => {
    const module = target.protocol === 'https' ? https : http;
    const request = module.get({ host: endpoint.address, port: endpoint.port, path: target.path, timeout: abandon,
      rejectUnauthorized: false, agent: new module.Agent(agentOptions), headers: { connection: 'close' } }, (response) => {
      response.resume();
      resolve(response.statusCode < 500);
    });
    request.on('timeout', () => { request.destroy(); resolve(false); });
    request.on('error', () => resolve(false));
  });
}
function tryTcp(target, endpoint) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.address, port: endpoint.port });
    const done = (ok) => { clearTimeout(timer); socket.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), abandon);
    // A balancer in TCP mode accepts before it has a backend: only an answer shows it is served.
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', () => done(true));
    socket.on('end', () => done(false));
    socket.on('error', () => done(false));
  });
}
function probe(target) {
  const at = Date.now();
  const attempt = target.protocol === 'tcp' ? tryTcp : tryHttp;
  let reported = false;
  const report = (ok) => {
    if (reported) return;
    reported = true;
    process.stdout.write(target.entrypoint + ' ' + (ok ? 1 : 0) + ' ' + at + '\n');
  };
  // Too slow is failed for the client, but the request goes on, as a patient client's would.
  const slow = setTimeout(() => report(false), timeout);
  // Served as soon as any target answers: a dead target that hangs must not hold the answer back.
  let pending = target.endpoints.length;
  for (const endpoint of target.endpoints)
    attempt(target, endpoint).then((ok) => {
      pending -= 1;
      if (ok || pending === 0) {
        clearTimeout(slow);
        report(ok);
      }
    });
}
for (const target of targets) setInterval(() => probe(target), Math.round(1000 / rate));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** Running probes: stop them with {@link Probes.stop}. */
export interface Probes {
  stop(): void;
}

/** Starts the probes in `namespace`; `onSample` gets every request's outcome as it ends. */
export function startProbes(
  namespace: string,
  targets: readonly ProbeTarget[],
  onSample: (sample: ProbeSample) => void,
): Probes {
  const child: ChildProcess = spawn(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      'nice',
      '-n',
      String(PROBE_NICENESS),
      process.execPath,
      '-e',
      PROBE_PROGRAM,
      JSON.stringify({ targets, rate: PROBE_RATE, timeout: PROBE_TIMEOUT_MS, abandon: PROBE_ABANDON_MS }),
    ],
    { stdio: ['pipe', 'pipe', 'ignore'], env: systemEnvironment() },
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [entrypoint, ok, at] = line.split(' ');
    if (entrypoint !== undefined && at !== undefined)
      onSample({ entrypoint, ok: ok === '1', at: Number(at) });
  });
  return {
    stop: () => {
      child.stdin?.end();
      child.kill('SIGKILL');
    },
  };
}
