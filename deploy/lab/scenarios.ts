/**
 * What `topoforge rehearse` and the desktop's Rehearse view share around the engine
 * (deploy/lab/rehearse.ts): the scenarios a request names, and the engine's events and results in
 * the shape the page draws (core/rehearse.ts), which is also the command's `--events` stream.
 */
import type { AvailabilityModel } from '../../core/availability/index';
import type { RehearsedScenario, RehearsalStreamEvent } from '../../core/rehearse';
import { defaultScenarios } from './rehearse';
import type { RehearsalEvent, RehearsalScenario, ScenarioRehearsal } from './rehearse';

/**
 * The scenarios of a request: every single failure when it names nothing, else the one scenario
 * that fails `failed` and cuts `partition` off. The ids and the cut are checked by the caller
 * first ({@link AvailabilityModel.failureKind}, {@link AvailabilityModel.partitionProblem}), each
 * in its own words.
 */
export function requestedScenarios(
  model: AvailabilityModel,
  failed: string[],
  partition: string[][],
): RehearsalScenario[] {
  if (failed.length === 0 && partition.length === 0) return defaultScenarios(model);
  return [
    {
      failed,
      partition,
      kind:
        partition.length > 0 && failed.length === 0
          ? 'partition'
          : failed.length === 1 && partition.length === 0
            ? model.failureKind(failed[0]!)!
            : 'combination',
    },
  ];
}

/** A finished scenario as the page sees it: the engine's, without the timeline it drew live. */
export function rehearsedScenario(scenario: ScenarioRehearsal): RehearsedScenario {
  return {
    failed: scenario.failed,
    partition: scenario.partition,
    kind: scenario.kind,
    label: scenario.label,
    entrypoints: scenario.entrypoints,
    runbook: scenario.runbook,
    recoveredAt: scenario.timeline.recoveredAt,
  };
}

/**
 * One engine event as a line of the stream: a probe sample becomes a batch of one (the reader
 * batches again), a verdict carries the scenario without its timeline.
 */
export function streamEvent(event: RehearsalEvent): RehearsalStreamEvent {
  switch (event.type) {
    case 'sample': {
      const { entrypoint, at, ok } = event.sample;
      return { type: 'samples', index: event.index, samples: [{ entrypoint, at, ok }] };
    }
    case 'verdict':
      return { type: 'verdict', index: event.index, scenario: rehearsedScenario(event.scenario) };
    default:
      return event;
  }
}
