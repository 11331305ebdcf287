// @vitest-environment happy-dom
/**
 * The Rehearse view fed the events of a recorded rehearsal (Tessera: lb-1 fails and the VIP moves,
 * then a host whose loss nobody notices), as the desktop host delivers them: the scenario list
 * fills in with verdicts as scenarios finish, the live counts follow the samples, and selecting a
 * finished scenario paints it on the canvas through what-if mode, with each entrypoint's verdict.
 * Without the desktop host, the view explains the CLI route; without root, the command's reason.
 */
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ReactFlowProvider } from '@xyflow/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { TopoforgeHost } from '../../core/host';
import type {
  RehearsalOutcome,
  RehearsalStreamEvent,
  RehearseRequest,
  RehearsedScenario,
} from '../../core/rehearse';
import { nodeTypes } from '../../renderer/canvas/nodes';
import { REHEARSE_COMMAND } from '../../renderer/app/rehearse';
import { ServicesContext } from '../../renderer/app/services';
import type { AppServices } from '../../renderer/app/services';
import { RehearsePanel } from '../../renderer/panels/RehearsePanel';
import { timelineBuckets } from '../../renderer/panels/rehearsal-chart';
import { StoreContext } from '../../renderer/state/store';
import { example, testApp } from './fixtures';

afterEach(cleanup);

const ENTRYPOINTS = ['third-party', 'q2t', 'p2p'];
const T0 = 1_800_000_000_000;

function scenarioResult(failed: string, verdicts: Record<string, 'match' | 'mismatch'>): RehearsedScenario {
  return {
    failed: [failed],
    partition: [],
    kind: 'host',
    label: `host ${failed}`,
    runbook: [],
    recoveredAt: Object.fromEntries(ENTRYPOINTS.map((id) => [id, failed === 'lb-1' ? 2_900 : 0])),
    entrypoints: ENTRYPOINTS.map((id) => ({
      id,
      predicted: {
        state: 'up',
        degraded: true,
        recovery: { seconds: failed === 'lb-1' ? 3.41 : 0, by: 'keepalived', detail: 'the VIP moves' },
      },
      measured: { state: 'up', interruptionSeconds: failed === 'lb-1' ? 2.9 : 0, failedRequests: 70 },
      verdict: verdicts[id] ?? 'match',
      differences: verdicts[id] === 'mismatch' ? ['interrupted 9.1 s, predicted 3.41 s ± 1.71 s'] : [],
    })),
  };
}

/** Samples of every entrypoint: served until the injection, failing for 3 s, served again. */
function samples(index: number, from: number, to: number): RehearsalStreamEvent {
  const list = [];
  for (let at = from; at < to; at += 40)
    for (const entrypoint of ENTRYPOINTS)
      list.push({ entrypoint, at: T0 + at, ok: at < 0 || at >= 3_000 || index === 1 });
  return { type: 'samples', index, samples: list };
}

/** A desktop host whose rehearsal is driven by the test, event by event. */
function desktopHost(base: TopoforgeHost, supported = true) {
  const listeners = new Set<(event: RehearsalStreamEvent) => void>();
  let finish: ((outcome: RehearsalOutcome) => void) | undefined;
  const requests: RehearseRequest[] = [];
  let cancels = 0;
  const host: TopoforgeHost = {
    ...base,
    platform: 'desktop',
    rehearsalSupport: async () =>
      supported
        ? { supported: true }
        : { supported: false, reason: 'the lab needs root to create network namespaces (run it with sudo)' },
    rehearse: (request) => {
      requests.push(request);
      return new Promise((resolve) => (finish = resolve));
    },
    cancelRehearsal: async () => {
      cancels += 1;
    },
    onRehearsalEvent: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
  return {
    host,
    requests,
    cancels: () => cancels,
    emit: (event: RehearsalStreamEvent) => act(() => listeners.forEach((listener) => listener(event))),
    finish: (outcome: RehearsalOutcome) => act(() => finish!(outcome)),
  };
}

/**
 * The Rehearse view of Tessera in a desktop host that can run a lab, once Start was pressed
 * (as soon as the machine check turned it on).
 */
async function startedRehearsal() {
  const { services } = testApp(example('tessera-ha.topo.json'));
  const desktop = desktopHost(services.host);
  services.host = desktop.host;
  renderView(services);
  await waitFor(() =>
    expect((screen.getByTestId('rehearse-start') as HTMLButtonElement).disabled).toBe(false),
  );
  fireEvent.click(screen.getByTestId('rehearse-start'));
  return { services, desktop };
}

function renderView(services: AppServices) {
  act(() => services.store.getState().setPanel('rehearse'));
  return render(
    <StoreContext.Provider value={services.store}>
      <ServicesContext.Provider value={services}>
        <RehearsePanel />
      </ServicesContext.Provider>
    </StoreContext.Provider>,
  );
}

/** The Tessera entrypoint node as the canvas draws it. */
function renderEntrypointNode(services: AppServices, id: string) {
  const entrypoint = services.store.getState().design.entrypoints!.find((e) => e.id === id)!;
  // The canvas hands a node more props; these are the ones the entrypoint node reads.
  const Node = nodeTypes.entrypoint as unknown as (props: {
    id: string;
    data: { entrypoint: typeof entrypoint };
    selected: boolean;
    type: string;
  }) => React.ReactElement;
  return render(
    <StoreContext.Provider value={services.store}>
      <ReactFlowProvider>
        <Node id={id} data={{ entrypoint }} selected={false} type="entrypoint" />
      </ReactFlowProvider>
    </StoreContext.Provider>,
  );
}

describe('the Rehearse view', () => {
  it('in a browser, explains how to rehearse from the CLI and offers no button', () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    renderView(services);
    expect(screen.getByTestId('rehearse-cli-route').textContent).toContain('a browser page cannot');
    expect(screen.getByTestId('rehearse-command').textContent).toBe(REHEARSE_COMMAND);
    expect(REHEARSE_COMMAND).toBe('topoforge rehearse design.json --report report.html');
    expect(screen.queryByTestId('rehearse-start')).toBeNull();
  });

  it('without root, says the command’s one-line reason and keeps the button off', async () => {
    const { services } = testApp(example('tessera-ha.topo.json'));
    services.host = desktopHost(services.host, false).host;
    renderView(services);
    await waitFor(() =>
      expect(screen.getByTestId('rehearse-unsupported').textContent).toBe(
        'the lab needs root to create network namespaces (run it with sudo)',
      ),
    );
    expect((screen.getByTestId('rehearse-start') as HTMLButtonElement).disabled).toBe(true);
  });

  it('streams scenarios and verdicts, and paints a finished scenario on the canvas', async () => {
    const { services, desktop } = await startedRehearsal();
    // The page sends the open design, as the file would hold it.
    expect(JSON.parse(desktop.requests[0]!.designText).name).toBe(services.store.getState().design.name);
    expect(desktop.requests[0]!.fail).toBeUndefined();

    desktop.emit({ type: 'progress', line: 'network: 5 hosts in 1 segment(s), a core and a client' });
    expect(screen.getByTestId('rehearse-progress').textContent).toBe(
      'network: 5 hosts in 1 segment(s), a core and a client',
    );
    desktop.emit({ type: 'scenario', index: 0, count: 2, label: 'host lb-1' });
    expect(screen.getByTestId('rehearse-progress').textContent).toBe('Scenario 1 of 2: host lb-1');
    expect(screen.getByTestId('rehearse-scenario-0').dataset.verdict).toBe('running');
    expect(screen.getByTestId('rehearse-scenario-1').dataset.verdict).toBe('waiting');
    desktop.emit(samples(0, -1_000, 0));
    desktop.emit({ type: 'injected', index: 0, at: T0 });
    desktop.emit(samples(0, 0, 5_000));
    // 25 requests a second per entrypoint: 6 s of them, 3 s failed.
    expect(screen.getByTestId('rehearse-chart-q2t-counts').textContent).toBe('q2t: 75 served, 75 failed');
    desktop.emit({ type: 'verdict', index: 0, scenario: scenarioResult('lb-1', { p2p: 'mismatch' }) });
    expect(screen.getByTestId('rehearse-scenario-0').dataset.verdict).toBe('mismatch');
    expect(screen.getByTestId('rehearse-scenario-0').textContent).toContain('1 mismatch');

    desktop.emit({ type: 'scenario', index: 1, count: 2, label: 'host lb-2' });
    desktop.emit({ type: 'injected', index: 1, at: T0 });
    desktop.emit(samples(1, 0, 2_000));
    expect(screen.getByTestId('rehearse-chart-q2t-counts').textContent).toBe('q2t: 50 served, 0 failed');
    desktop.emit({ type: 'verdict', index: 1, scenario: scenarioResult('lb-2', {}) });
    desktop.finish({
      status: 'finished',
      scenarios: [scenarioResult('lb-1', { p2p: 'mismatch' }), scenarioResult('lb-2', {})],
      standIns: [{ service: 'tessera-a', kind: 'app', host: 'tessera-1', reason: 'no command' }],
      seconds: 61,
    });
    await waitFor(() => expect(screen.queryByTestId('rehearse-progress')).toBeNull());
    expect(screen.getByTestId('rehearse-scenario-1').dataset.verdict).toBe('match');
    expect(services.store.getState().whatIf).toBe(false);

    // Selecting the finished lb-1 scenario paints it: what-if with lb-1 failed, verdicts shown.
    fireEvent.click(screen.getByTestId('rehearse-scenario-0'));
    const state = services.store.getState();
    expect(state.whatIf).toBe(true);
    expect(state.failed).toEqual(['lb-1']);
    expect(state.panel).toBe('rehearse');
    expect(screen.getByTestId('rehearse-verdict-p2p').textContent).toContain('mismatch: interrupted 9.1 s');
    expect(screen.getByTestId('rehearse-verdict-q2t').textContent).toBe('match');
    cleanup();
    renderEntrypointNode(services, 'p2p');
    expect(screen.getByTestId('rehearse-verdict-tag-p2p').dataset.verdict).toBe('mismatch');
    // The entrypoint also carries what-if's own colouring of its predicted state.
    expect(screen.getByTestId('node-p2p').className).toMatch(/state-(up|degraded)/u);
    cleanup();
    renderEntrypointNode(services, 'q2t');
    expect(screen.getByTestId('rehearse-verdict-tag-q2t').dataset.verdict).toBe('match');

    // Leaving what-if mode takes the verdicts off the canvas.
    act(() => services.store.getState().setWhatIf(false));
    expect(screen.queryByTestId('rehearse-verdict-tag-q2t')).toBeNull();
  });

  it('cancels through the host and says the lab was removed', async () => {
    const { desktop } = await startedRehearsal();
    desktop.emit({ type: 'scenario', index: 0, count: 4, label: 'host lb-1' });
    fireEvent.click(screen.getByTestId('rehearse-cancel'));
    await waitFor(() => expect(desktop.cancels()).toBe(1));
    expect(screen.getByTestId('rehearse-cancel').textContent).toContain('removing the lab');
    desktop.finish({ status: 'cancelled', scenarios: [], standIns: [], seconds: 12 });
    await waitFor(() => expect(screen.getByTestId('rehearse-cancelled')).toBeTruthy());
    // Scenarios that never ran are not left waiting in the list.
    expect(screen.queryByTestId('rehearse-scenario-0')).toBeNull();
    expect(screen.getByTestId('rehearse-start')).toBeTruthy();
  });
});

describe('the timeline buckets', () => {
  it('counts served requests up and failed ones down per 250 ms, seconds from the injection', () => {
    const buckets = timelineBuckets(
      [
        { entrypoint: 'a', at: T0 - 300, ok: true },
        { entrypoint: 'a', at: T0 + 10, ok: false },
        { entrypoint: 'a', at: T0 + 200, ok: false },
        { entrypoint: 'a', at: T0 + 260, ok: true },
      ],
      T0,
    );
    expect(buckets).toEqual({ labels: [-0.5, -0.25, 0, 0.25], served: [1, 0, 0, 1], failed: [0, 0, -2, 0] });
  });
});
