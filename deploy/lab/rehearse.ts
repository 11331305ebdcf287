/**
 * The rehearsal (docs/rehearse.md): the design deployed into a lab by the real push, stand-ins for
 * what this machine cannot run, probes from the client namespace, and every scenario of the
 * simulator injected for real (a host crashed, a site lost, a network cut, a service killed),
 * measured against the prediction of the availability model and the recovery estimates.
 *
 * The engine reports as it goes through `onEvent` (every probe sample, each injection, runbook
 * step and verdict), so a live view can draw the timelines while it runs.
 */
import type { AvailabilityModel } from '../../core/availability';
import type { Design } from '../../core/model';
import { listeningPortsOf } from '../../core/model';
import type { Recovery } from '../../core/recovery/mechanisms';
import { estimatePartitionRecovery } from '../../core/recovery/estimate';
import { HAPROXY_SETTINGS } from '../../core/generate/haproxy/view';
import { NGINX_SETTINGS } from '../../core/generate/nginx';
import { planVrrp } from '../../core/vrrp';
import { deployToLab, startStandIns } from './deploy';
import { restoreSentinelPrimaries } from './sentinel';
import { crashHost, restartHost, runInHost, startLab, stopLab } from './index';
import type { LabState } from './index';
import { planLab } from './plan';
import { startProbes, probeTargetsOf } from './probe';
import type { ProbeSample } from './probe';
import type { StandIn } from './standin';
import { isExecutable, mustRun } from './system';

/** Successes in a row that count an entrypoint as served again (SPEC section 7). */
export const SERVED_RUN = 5;

/** The longest a lab may take to serve every entrypoint before a scenario (and after a restore). */
const HEALTHY_TIMEOUT_MS = 90_000;

/** How long a `manual` prediction is watched before the runbook step, to show it is not served. */
const MANUAL_WATCH_MS = 2_500;

/** How long an entrypoint predicted `manual` is watched after the runbook step. */
const MANUAL_START_WATCH_MS = 10_000;

/** How long an entrypoint predicted `down` is watched to show that it stays down. */
const DOWN_WATCH_MS = 5_000;

/**
 * keepalived announces an address it takes twice: gratuitous ARPs at once and again after
 * `vrrp_garp_master_delay`, 5 s by default, which the generated configs keep (measured in the lab:
 * 4.8 to 5 s apart). A scenario that starts before a holder's second announcement has gone out
 * meets it later: a holder beyond a cut announces itself after the backup took over, and the
 * clients' router sends them back to it.
 */
const GARP_REPEAT_MS = 5_000;

/** How long every floating address must sit on its holder before a scenario starts. */
const SETTLED_MS = GARP_REPEAT_MS + 1_000;

/** How long the floating addresses may take to settle on their holders. */
const SETTLE_TIMEOUT_MS = 30_000;

/** The allowed difference between a measured interruption and its estimate: max(1 s, 50 %). */
export function toleranceSeconds(estimate: number): number {
  return Math.max(1, estimate * 0.5);
}

/** A scenario to rehearse: what fails, and the partition's sides. */
export interface RehearsalScenario {
  failed: string[];
  partition: string[][];
  kind: 'host' | 'site' | 'service' | 'partition' | 'combination';
}

/** The result for one entrypoint in one scenario (SPEC section 7). */
export interface EntrypointRehearsal {
  id: string;
  predicted: { state: 'up' | 'manual' | 'down'; degraded: boolean; recovery: Recovery | null };
  measured: { state: 'up' | 'manual' | 'down'; interruptionSeconds: number | null; failedRequests: number };
  verdict: 'match' | 'mismatch';
  /** What differs, in words; empty for a match. */
  differences: string[];
}

/** The probe timeline of one scenario, times in milliseconds from its injection. */
export interface ScenarioTimeline {
  /** From the first probe sample kept (before the injection) to the end of the measurement. */
  from: number;
  to: number;
  /** When the runbook's start step ran, for a `manual` prediction. */
  runbookAt?: number;
  /** Per entrypoint, when it was served again (the first of its successes in a row), if it was. */
  recoveredAt: Record<string, number | null>;
  /** Per entrypoint, `[time, 1|0]` for every probe request. */
  samples: Record<string, [number, 0 | 1][]>;
}

/** One rehearsed scenario. */
export interface ScenarioRehearsal extends RehearsalScenario {
  label: string;
  entrypoints: EntrypointRehearsal[];
  /** Runbook steps run, e.g. `systemctl start rep-2.service on rep-host-2`. */
  runbook: string[];
  timeline: ScenarioTimeline;
}

/** The whole rehearsal. */
export interface RehearsalResult {
  lab: { id: string; hosts: number; deploySeconds: number; probeRate: number };
  standIns: { service: string; kind: string; host: string; unit: string; reason: string }[];
  scenarios: ScenarioRehearsal[];
  seconds: number;
}

/** What the engine reports as it runs, for a live view. */
export type RehearsalEvent =
  | { type: 'progress'; line: string }
  | { type: 'scenario'; index: number; count: number; label: string }
  | { type: 'sample'; index: number; sample: ProbeSample }
  | { type: 'injected'; index: number; at: number }
  | { type: 'runbook'; index: number; at: number; step: string }
  | { type: 'verdict'; index: number; scenario: ScenarioRehearsal };

/** Options for {@link rehearse}. */
export interface RehearseOptions {
  design: Design;
  model: AvailabilityModel;
  designFile: string;
  /** The lab directory. */
  directory: string;
  /** The scenarios; every single failure and site cut-off when not given (as `simulate`). */
  scenarios?: RehearsalScenario[];
  signal?: AbortSignal;
  onEvent?: (event: RehearsalEvent) => void;
}

/** The rehearsal could not run (the lab would not deploy, or never served an entrypoint). */
export class RehearsalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RehearsalError';
  }
}

function delay(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The simulator's default sweep: every single host and site failure, every site cut off. */
export function defaultScenarios(model: AvailabilityModel): RehearsalScenario[] {
  return [
    ...model.singleFailures().map((scenario) => ({
      failed: [scenario.failed],
      partition: [],
      kind: scenario.kind,
    })),
    ...model.sitePartitions().map((scenario) => ({
      failed: [],
      partition: [[scenario.site]],
      kind: 'partition' as const,
    })),
  ];
}

/** A scenario's name for people: `host lb-1`, `east cut off`. */
export function scenarioLabel(scenario: RehearsalScenario): string {
  const parts: string[] = [];
  if (scenario.failed.length > 0)
    parts.push(`${scenario.kind === 'combination' ? 'fail' : scenario.kind} ${scenario.failed.join(', ')}`);
  if (scenario.partition.length > 0)
    parts.push(`${scenario.partition.map((side) => side.join(',')).join(' | ')} cut off`);
  return parts.join(' + ');
}

/** How long starting a host's units may take: a busy machine starts five of them slowly. */
const START_TIMEOUT_MS = 120_000;

async function inHost(state: LabState, host: string, args: string[], input?: string): Promise<string> {
  const result = await runInHost(state, host, args, input, START_TIMEOUT_MS);
  if (result.exitCode !== 0)
    throw new RehearsalError(
      `on lab host ${host}: ${args.join(' ')} exited ${result.exitCode ?? result.signal}: ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' / ')}`,
    );
  return result.stdout;
}

/** The units running on each host: what a restored host starts again, as its boot would. */
async function runningUnits(state: LabState): Promise<Map<string, string[]>> {
  const units = new Map<string, string[]>();
  for (const host of state.hosts) {
    const listing = await inHost(state, host.id, [
      'sh',
      '-c',
      'cd /run/topoforge-lab/units 2>/dev/null && for f in *.pid *.mounted; do [ -e "$f" ] && echo "$f"; done; true',
    ]);
    units.set(
      host.id,
      listing
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.replace(/\.(pid|mounted)$/u, '')),
    );
  }
  return units;
}

/** How long to watch a scenario after its injection: long enough for every estimate to play out. */
function watchMilliseconds(predictions: readonly EntrypointRehearsal['predicted'][]): number {
  let watch = 3_000;
  for (const prediction of predictions) {
    if (prediction.state === 'down') watch = Math.max(watch, DOWN_WATCH_MS);
    // After the runbook step the cold standby and what needs it start in a chain; there is no
    // estimate for that, only the state to show, so it is watched long enough for a busy machine.
    else if (prediction.state === 'manual') watch = Math.max(watch, MANUAL_START_WATCH_MS);
    else if (prediction.state === 'up') {
      const seconds = prediction.recovery?.seconds ?? 10;
      watch = Math.max(watch, (seconds + toleranceSeconds(seconds)) * 1000 + 2_000);
    }
  }
  return Math.min(watch, 60_000);
}

/** Where in `samples` (sorted by time, from `start`) the entrypoint was served again, if it was. */
function servedAgain(
  samples: readonly ProbeSample[],
): { at: number; failed: number } | { at: null; failed: number } {
  const failed = samples.filter((sample) => !sample.ok).length;
  let run = 0;
  let runStart = 0;
  let recovered: number | null = null;
  for (const sample of samples) {
    if (sample.ok) {
      if (run === 0) runStart = sample.at;
      run += 1;
      if (run >= SERVED_RUN && recovered === null) recovered = runStart;
    } else {
      run = 0;
      recovered = null;
    }
  }
  return { at: recovered, failed };
}

/**
 * Deploys `design` into a new lab, rehearses every scenario, removes the lab, and returns what
 * was measured. The lab is removed on every path out, an abort included.
 */
export async function rehearse(options: RehearseOptions): Promise<RehearsalResult> {
  const started = Date.now();
  const { design, model, directory, signal } = options;
  const emit = options.onEvent ?? (() => undefined);
  const progress = (line: string) => emit({ type: 'progress', line });
  const scenarios = options.scenarios ?? defaultScenarios(model);
  // A rehearsal's lab ends with it: after a crash, the next start removes it even though it was ready.
  const { state } = await startLab({
    design,
    designFile: options.designFile,
    directory,
    signal,
    progress,
    ephemeral: true,
  });
  try {
    const deployStart = Date.now();
    const push = await deployToLab({ design, directory, state, signal });
    if (!push.ok || push.report.hosts.some((host) => host.status === 'failed')) {
      const failures = push.ok
        ? push.report.hosts
            .filter((host) => host.status === 'failed')
            .map((host) => `${host.host}: ${host.failure?.step ?? ''} ${host.failure?.message ?? ''}`.trim())
        : [push.problem.message];
      throw new RehearsalError(`the push into the lab failed: ${failures.join('; ')}`);
    }
    const standIns = await startStandIns(design, directory, state);
    const units = await runningUnits(state);
    const deploySeconds = (Date.now() - deployStart) / 1000;
    progress(`deployed in ${deploySeconds.toFixed(1)} s; ${standIns.length} stand-in(s)`);

    const targets = probeTargetsOf(design, model.index.entrypoints);
    const samples = new Map<string, ProbeSample[]>(targets.map((target) => [target.entrypoint, []]));
    let current = -1;
    const probes = startProbes(state.client!.namespace, targets, (sample) => {
      samples.get(sample.entrypoint)?.push(sample);
      if (current >= 0) emit({ type: 'sample', index: current, sample });
    });
    const results: ScenarioRehearsal[] = [];
    const baseline: ScenarioContext['baseline'] = { holders: expectedHolders(design, model) };
    try {
      for (const [index, scenario] of scenarios.entries()) {
        if (signal?.aborted === true) break;
        current = index;
        emit({ type: 'scenario', index, count: scenarios.length, label: scenarioLabel(scenario) });
        const result = await rehearseScenario({
          design,
          model,
          directory,
          state,
          scenario,
          samples,
          units,
          standIns,
          signal,
          onRunbook: (at, step) => emit({ type: 'runbook', index, at, step }),
          onInjected: (at) => emit({ type: 'injected', index, at }),
          progress,
          baseline,
        });
        results.push(result);
        emit({ type: 'verdict', index, scenario: result });
      }
    } finally {
      probes.stop();
    }
    return {
      lab: { id: state.id, hosts: state.hosts.length, deploySeconds, probeRate: 25 },
      standIns: standIns.map((standIn) => ({
        service: standIn.service,
        kind: standIn.kind,
        host: standIn.host,
        unit: standIn.unit,
        reason: standIn.reason,
      })),
      scenarios: results,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await stopLab(directory);
  }
}

interface ScenarioContext {
  design: Design;
  model: AvailabilityModel;
  directory: string;
  state: LabState;
  scenario: RehearsalScenario;
  samples: Map<string, ProbeSample[]>;
  units: Map<string, string[]>;
  standIns: readonly StandIn[];
  signal?: AbortSignal;
  onRunbook: (at: number, step: string) => void;
  onInjected: (at: number) => void;
  progress: (line: string) => void;
  /**
   * The host that holds each floating address before any failure, as the model predicts from
   * (the first instance of its VRRP plan), and since when the lab has been seen in that state with
   * every announcement of it made; undefined while it has not, or a scenario moved an address.
   */
  baseline: { holders: Map<string, string>; settledAt?: number };
}

/** The host each floating address (a `vip` entrypoint's) sits on before any failure. */
function expectedHolders(design: Design, model: AvailabilityModel): Map<string, string> {
  const holders = new Map<string, string>();
  for (const entrypoint of model.index.entrypoints) {
    const address = (design.entrypoints ?? []).find((declared) => declared.id === entrypoint.id)?.address;
    if (entrypoint.via !== 'vip' || address === undefined || holders.has(address)) continue;
    const holder = planVrrp(model.index, entrypoint).members[0]?.host;
    if (holder !== undefined) holders.set(address, holder);
  }
  return holders;
}

/** Which lab hosts hold each of `addresses` right now (two during a split brain). */
async function floatingHolders(state: LabState, addresses: Iterable<string>): Promise<Map<string, string[]>> {
  const holders = new Map<string, string[]>([...addresses].map((address) => [address, []]));
  if (holders.size === 0) return holders;
  for (const host of state.hosts) {
    const shown = await mustRun('ip', ['-n', host.namespace, '-4', '-o', 'address', 'show']);
    for (const [address, hosts] of holders) if (shown.includes(`inet ${address}/`)) hosts.push(host.id);
  }
  return holders;
}

/** Whether every floating address sits on its baseline holder and on no other host. */
async function atBaseline(context: ScenarioContext): Promise<boolean> {
  const baseline = context.baseline.holders;
  const now = await floatingHolders(context.state, baseline.keys());
  return [...baseline].every(([address, host]) => {
    const hosts = now.get(address) ?? [];
    return hosts.length === 1 && hosts[0] === host;
  });
}

/**
 * Puts each Sentinel group's primary back on the design's `primary` (./sentinel.ts) and gives
 * the balancers the time to take back what dropped out meanwhile; then waits until every
 * floating address sits on the host the model predicts from (keepalived
 * preempts back to the highest priority after a restore) and has stayed there beyond the
 * holder's second announcement ({@link GARP_REPEAT_MS}): until then a scenario would not start
 * from the baseline the model predicts from, and a late announcement could send the clients back
 * to a holder that a partition has just cut off.
 */
async function waitForBaseline(context: ScenarioContext): Promise<void> {
  const options = { signal: context.signal, progress: context.progress };
  if (await restoreSentinelPrimaries(context.design, context.directory, context.state, options)) {
    const everyHost = new Set(context.design.hosts.map((host) => host.id));
    await delay(readmissionMilliseconds(context.design, everyHost), context.signal);
  }
  const baseline = context.baseline;
  if (baseline.holders.size === 0) return;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    if (context.signal?.aborted === true) return;
    const checkedAt = Date.now();
    if (await atBaseline(context)) baseline.settledAt ??= checkedAt;
    else baseline.settledAt = undefined;
    if (baseline.settledAt !== undefined && Date.now() - baseline.settledAt >= SETTLED_MS) return;
    if (Date.now() > deadline) {
      // The scenario still runs, from wherever the addresses are: its verdicts show what differs.
      const now = await floatingHolders(context.state, baseline.holders.keys());
      context.progress(
        `the floating addresses did not settle on their holders within ${SETTLE_TIMEOUT_MS / 1000} s before "${scenarioLabel(context.scenario)}": ${[
          ...baseline.holders,
        ]
          .map(
            ([address, host]) =>
              `${address} on ${(now.get(address) ?? []).join(' and ') || 'no host'}, expected on ${host}`,
          )
          .join('; ')}`,
      );
      return;
    }
    await delay(200, context.signal);
  }
}

/** Waits until every entrypoint's last {@link SERVED_RUN} probes succeeded. */
async function waitHealthy(context: ScenarioContext, since: number): Promise<void> {
  const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
  for (;;) {
    const waiting = [...context.samples].filter(([, list]) => {
      const recent = list.filter((sample) => sample.at >= since).slice(-SERVED_RUN);
      return recent.length < SERVED_RUN || recent.some((sample) => !sample.ok);
    });
    if (waiting.length === 0) return;
    if (Date.now() > deadline || context.signal?.aborted === true)
      throw new RehearsalError(
        `the lab did not serve ${waiting.map(([id]) => id).join(', ')} within ${HEALTHY_TIMEOUT_MS / 1000} s before "${scenarioLabel(context.scenario)}"`,
      );
    await delay(50, context.signal);
  }
}

/** The hosts a scenario fails, with the hosts of each partition side. */
function hostsOf(context: ScenarioContext): { crashed: string[]; services: string[]; sides: string[][] } {
  const { design, scenario, model } = context;
  const crashed = new Set<string>();
  const services: string[] = [];
  for (const id of scenario.failed) {
    const kind = model.failureKind(id);
    if (kind === 'host') crashed.add(id);
    else if (kind === 'site') for (const host of design.hosts) if (host.site === id) crashed.add(host.id);
    if (kind === 'service') services.push(id);
  }
  const sides =
    scenario.partition.length === 0
      ? []
      : model.evaluatePartition(scenario.partition, []).sides.map((s) => s.hosts);
  return { crashed: [...crashed], services, sides };
}

/** Blackhole routes that cut each partition side off from the others (in both directions). */
function partitionRoutes(design: Design, sides: readonly string[][]): Map<string, string[]> {
  const address = new Map<string, string>(design.hosts.map((host) => [host.id, host.address]));
  const sideOf = new Map<string, number>();
  sides.forEach((side, index) => side.forEach((host) => sideOf.set(host, index)));
  // A floating address belongs to the side of its targets' hosts when they are all on one side.
  const serviceHost = new Map<string, string | undefined>(
    design.services.map((service) => [service.id, service.host]),
  );
  const floating: { address: string; side: number }[] = [];
  for (const entrypoint of design.entrypoints ?? []) {
    if (entrypoint.via !== 'vip' || entrypoint.address === undefined) continue;
    const targetSides = new Set(
      entrypoint.targets
        .map((target) => sideOf.get(serviceHost.get(target) ?? ''))
        .filter((s) => s !== undefined),
    );
    if (targetSides.size === 1) floating.push({ address: entrypoint.address, side: [...targetSides][0]! });
  }
  const routes = new Map<string, string[]>();
  for (const [host, side] of sideOf) {
    const blocked = [
      ...[...sideOf].filter(([, other]) => other !== side).map(([other]) => address.get(other)!),
      ...floating.filter((entry) => entry.side !== side).map((entry) => entry.address),
    ];
    routes.set(host, [...new Set(blocked)]);
  }
  return routes;
}

/** The nftables table in a lab host that drops what comes from the other sides of a partition. */
const PARTITION_TABLE = 'topoforge_partition';
const NFT = '/usr/sbin/nft';

/**
 * Adds or deletes a partition in each host's namespace, in one batch per host: blackhole routes
 * for the addresses of the other sides (nothing leaves for them), and an nftables rule that drops
 * every packet from them. Routes alone did not stop keepalived's adverts (sent past the routing
 * table), so a keepalived pair split by the cut still heard each other.
 */
async function blackholes(
  state: LabState,
  routes: ReadonlyMap<string, string[]>,
  change: 'add' | 'del',
): Promise<void> {
  if (change === 'add' && [...routes.values()].some((blocked) => blocked.length > 0) && !isExecutable(NFT))
    throw new Error(`a partition in the lab needs ${NFT}: apt-get install nftables`);
  // Every host at once, as a real cut falls: one host after the other took most of a second on the
  // 2-core machine at load 13, and that delay counted in every interruption measured from the
  // injection. In each host the drop rule goes in first: once every host drops what comes from the
  // other sides the cut is whole (keepalived's adverts stop there), and a loaded machine's second
  // command no longer delays it; the routes then make what leaves for the other sides fail at once.
  await Promise.all(
    [...routes]
      .filter(([, blocked]) => blocked.length > 0)
      .map(async ([host, blocked]) => {
        const namespace = state.hosts.find((record) => record.id === host)!.namespace;
        const rules =
          change === 'add'
            ? [
                `table ip ${PARTITION_TABLE} {`,
                '  chain input {',
                '    type filter hook input priority 0; policy accept;',
                `    ip saddr { ${blocked.join(', ')} } drop`,
                '  }',
                '}',
              ]
            : [`delete table ip ${PARTITION_TABLE}`];
        await mustRun('ip', ['netns', 'exec', namespace, NFT, '-f', '-'], undefined, `${rules.join('\n')}\n`);
        await mustRun(
          'ip',
          ['-n', namespace, '-batch', '-'],
          undefined,
          `${blocked.map((address) => `route ${change} blackhole ${address}/32`).join('\n')}\n`,
        );
      }),
  );
}

async function setLink(context: ScenarioContext, hosts: readonly string[], up: boolean): Promise<void> {
  if (hosts.length === 0) return;
  const plan = planLab(context.design, context.state.id);
  const commands = hosts
    .map((id) => plan.hosts.find((host) => host.id === id)!)
    .map((host) => `link set ${host.coreInterface} ${up ? 'up' : 'down'}`);
  await mustRun('ip', ['-n', plan.core.namespace, '-batch', '-'], undefined, `${commands.join('\n')}\n`);
}

/** Restarts crashed hosts as a reboot would: addresses only its own, then its units started. */
async function restoreHost(context: ScenarioContext, hostId: string): Promise<void> {
  const { state, directory } = context;
  const record = state.hosts.find((host) => host.id === hostId)!;
  // A floating address the crashed keepalived held would still answer: a reboot loses it.
  const shown = await mustRun('ip', [
    '-n',
    record.namespace,
    '-4',
    '-o',
    'address',
    'show',
    'dev',
    record.interface,
  ]);
  for (const line of shown.split('\n')) {
    const cidr = /inet (\S+)/u.exec(line)?.[1];
    if (cidr !== undefined && cidr !== `${record.address}/32`)
      await mustRun('ip', ['-n', record.namespace, 'address', 'del', cidr, 'dev', record.interface]);
  }
  await restartHost(directory, state, hostId);
  await startUnits(context, hostId);
}

async function startUnits(context: ScenarioContext, hostId: string): Promise<void> {
  const units = context.units.get(hostId) ?? [];
  if (units.length > 0) await inHost(context.state, hostId, ['systemctl', 'start', ...units]);
}

/**
 * How long the balancers take to send traffic again to the services on `hosts` once they are
 * back: nginx leaves a failed server out for `fail_timeout`, HAProxy needs `rise` (2) good checks.
 * A scenario that starts earlier would meet a balancer still avoiding them, not the baseline.
 */
function readmissionMilliseconds(design: Design, hosts: ReadonlySet<string>): number {
  const services = new Map<string, Design['services'][number]>(
    design.services.map((service) => [service.id, service]),
  );
  let wait = 0;
  for (const link of design.links ?? []) {
    const balancer = services.get(link.from);
    const target = services.get(link.to);
    if (balancer === undefined || target === undefined || !hosts.has(target.host ?? '')) continue;
    const interval = 'healthCheck' in target ? target.healthCheck?.intervalMs : undefined;
    if (balancer.kind === 'nginx') wait = Math.max(wait, interval ?? NGINX_SETTINGS.defaultFailTimeoutMs);
    if (balancer.kind === 'haproxy')
      wait = Math.max(wait, 2 * (interval ?? HAPROXY_SETTINGS.defaultIntervalMs));
  }
  return wait;
}

/** Kills the processes of a service: every process listening on its ports on its host. */
async function killService(context: ScenarioContext, serviceId: string): Promise<string> {
  const service = context.design.services.find((candidate) => candidate.id === serviceId)!;
  const standIn = context.standIns.find((candidate) => candidate.service === serviceId);
  const ports = standIn?.ports ?? listeningPortsOf(service);
  const script =
    'for port in "$@"; do ss -H -l -t -n -p "sport = :$port" | grep -o "pid=[0-9]*" | cut -d= -f2; done | sort -u | xargs -r kill -KILL';
  await inHost(context.state, service.host!, ['sh', '-c', script, 'sh', ...ports.map(String)]);
  return service.host!;
}

async function rehearseScenario(context: ScenarioContext): Promise<ScenarioRehearsal> {
  const { model, scenario, state, samples, signal } = context;
  const evaluation = model.evaluatePartition(scenario.partition, scenario.failed);
  const recoveries = new Map(
    estimatePartitionRecovery(model, evaluation).map((entry) => [entry.id, entry.recovery]),
  );
  const predictions = evaluation.entrypoints().map((entrypoint) => ({
    id: entrypoint.id,
    predicted: {
      state: entrypoint.state,
      degraded: entrypoint.degraded,
      recovery: recoveries.get(entrypoint.id) ?? null,
    },
  }));

  const waitStart = Date.now();
  await waitForBaseline(context);
  await waitHealthy(context, Date.now());
  const waited = Date.now() - waitStart;
  const before = Date.now() - 2_000;
  const { crashed, services, sides } = hostsOf(context);
  const routes = partitionRoutes(context.design, sides);

  // Inject. A lost host is cut off when its link goes down, so that is when the clock starts: on a
  // loaded machine the `ip` command that does it ran up to 0.9 s after it was started, and that
  // delay counted in every interruption measured from the injection.
  const injecting = Date.now();
  await setLink(context, crashed, false);
  const injectedAt = crashed.length > 0 ? Date.now() : injecting;
  context.onInjected(injectedAt);
  await Promise.all(crashed.map((host) => crashHost(state, host)));
  const serviceHosts: string[] = [];
  for (const service of services) serviceHosts.push(await killService(context, service));
  await blackholes(state, routes, 'add');

  // Watch; a `manual` prediction first shows it is not served, then a person runs the runbook.
  const runbook: string[] = [];
  let measureFrom = injectedAt;
  let runbookAt: number | undefined;
  const cold = context.standIns.filter(
    (standIn) =>
      standIn.coldStandby && !crashed.includes(standIn.host) && !services.includes(standIn.service),
  );
  const coldUnits = [
    ...cold.map((standIn) => ({ host: standIn.host, unit: standIn.unit })),
    ...context.design.services
      .filter(
        (service) =>
          service.mode === 'cold-standby' &&
          service.host !== undefined &&
          !crashed.includes(service.host) &&
          !context.standIns.some((standIn) => standIn.service === service.id),
      )
      .map((service) => ({ host: service.host!, unit: `${service.id}.service` })),
  ];
  if (predictions.some((prediction) => prediction.predicted.state === 'manual') && coldUnits.length > 0) {
    await delay(MANUAL_WATCH_MS, signal);
    runbookAt = Date.now();
    for (const { host, unit } of coldUnits) {
      const step = `systemctl start ${unit} on ${host}`;
      context.onRunbook(Date.now(), step);
      const result = await runInHost(state, host, ['systemctl', 'start', unit]);
      runbook.push(result.exitCode === 0 ? step : `${step} (failed: ${result.stderr.trim()})`);
    }
    measureFrom = runbookAt;
  }
  const watchUntil = measureFrom + watchMilliseconds(predictions.map((prediction) => prediction.predicted));
  await delay(Math.max(0, watchUntil - Date.now()) + 1_100, signal);
  const endedAt = watchUntil;

  // Measure.
  const timeline: ScenarioTimeline = {
    from: before - injectedAt,
    to: endedAt - injectedAt,
    ...(runbookAt === undefined ? {} : { runbookAt: runbookAt - injectedAt }),
    recoveredAt: {},
    samples: {},
  };
  const entrypoints: EntrypointRehearsal[] = predictions.map(({ id, predicted }) => {
    const all = (samples.get(id) ?? []).filter((sample) => sample.at >= before && sample.at <= endedAt);
    all.sort((a, b) => a.at - b.at);
    timeline.samples[id] = all.map((sample) => [sample.at - injectedAt, sample.ok ? 1 : 0]);
    const afterInjection = all.filter((sample) => sample.at >= injectedAt);
    const fromStart = all.filter((sample) => sample.at >= measureFrom);
    const served = servedAgain(fromStart);
    const failedRequests = afterInjection.filter((sample) => !sample.ok).length;
    let state: EntrypointRehearsal['measured']['state'] = served.at === null ? 'down' : 'up';
    if (runbookAt !== undefined && served.at !== null) {
      const beforeRunbook = servedAgain(afterInjection.filter((sample) => sample.at < runbookAt!));
      if (beforeRunbook.at === null) state = 'manual';
    }
    const interruptionSeconds = served.at === null ? null : Math.max(0, served.at - measureFrom) / 1000;
    timeline.recoveredAt[id] = served.at === null ? null : served.at - injectedAt;
    const differences: string[] = [];
    if (state !== predicted.state) differences.push(`predicted ${predicted.state}, measured ${state}`);
    else if (
      state === 'up' &&
      predicted.recovery?.seconds !== null &&
      predicted.recovery !== null &&
      interruptionSeconds !== null
    ) {
      const estimate = predicted.recovery.seconds;
      const tolerance = toleranceSeconds(estimate);
      if (Math.abs(interruptionSeconds - estimate) > tolerance)
        differences.push(
          `interrupted ${interruptionSeconds.toFixed(2)} s, estimated ${estimate} s (${predicted.recovery.by}; allowed ±${tolerance.toFixed(2)} s)`,
        );
    }
    return {
      id,
      predicted,
      measured: { state, interruptionSeconds, failedRequests },
      verdict: differences.length === 0 ? 'match' : 'mismatch',
      differences,
    };
  });

  // An address the scenario moved moves back in the restore, with new announcements to wait for.
  if (!(await atBaseline(context))) context.baseline.settledAt = undefined;

  // Restore: network first, then hosts as after a reboot, then what was stopped.
  await blackholes(state, routes, 'del');
  await setLink(context, crashed, true);
  await Promise.all(crashed.map((host) => restoreHost(context, host)));
  for (const host of new Set(serviceHosts)) await startUnits(context, host);
  for (const { host, unit } of coldUnits) await runInHost(state, host, ['systemctl', 'stop', unit]);
  const restartedAt = Date.now();
  const restoreSeconds = (restartedAt - endedAt) / 1000;
  const readmission = readmissionMilliseconds(
    context.design,
    new Set([...crashed, ...serviceHosts, ...routes.keys()]),
  );
  if (readmission > 0) {
    await waitHealthy(context, restartedAt);
    await delay(Math.max(0, restartedAt + readmission + 500 - Date.now()), signal);
  }

  context.progress(
    `${scenarioLabel(scenario)}: baseline after ${(waited / 1000).toFixed(1)} s, watched ${((endedAt - injectedAt) / 1000).toFixed(1)} s, restored in ${restoreSeconds.toFixed(1)} s, balancers re-admitted after ${((Date.now() - restartedAt) / 1000).toFixed(1)} s`,
  );
  return {
    ...scenario,
    label: scenarioLabel(scenario),
    entrypoints,
    runbook,
    timeline,
  };
}
