/**
 * Runs hosts under the roll-out order of docs/push.md: the serial groups (core/generate/rollout.ts,
 * carried in the manifest as `serial`) are pushed one host at a time, everything else in parallel
 * up to the push's concurrency.
 */
import { topologicalOrder } from '../../core/generate/rollout';
import type { SerialGroup } from '../../core/generate/rollout';

export { serialGroupsOf } from '../../core/generate/rollout';
export type { SerialGroup } from '../../core/generate/rollout';

/** A host's turn: the hosts it waits for, and the serial groups it shares with them. */
interface Turn {
  host: string;
  after: Set<string>;
  groups: Map<string, string>;
}

/** What a scheduled host's run returned: whether it failed (its group successors then skip). */
export interface ScheduledOutcome {
  failed: boolean;
}

/** Options for {@link scheduleHosts}. */
export interface ScheduleOptions<T extends ScheduledOutcome> {
  /** Host ids in manifest order. */
  hosts: string[];
  serial: SerialGroup[];
  concurrency: number;
  run: (host: string) => Promise<T>;
  /** Called instead of `run` for a host that must not be pushed because `failedHost` of `group` failed. */
  skip: (host: string, failedHost: string, group: string) => T;
  /** Called once when a host has to wait for others before it starts. */
  onWaiting?: (host: string, after: string[]) => void;
}

/**
 * Runs `run` for every host, at most `concurrency` at once, never two hosts of one serial group
 * at the same time and each group in its order. When a host fails, the hosts after it in its
 * groups are skipped: a roll-out stops where it broke instead of taking down the next member.
 *
 * The groups' orders are merged into one (a topological order; a cycle, only possible with a
 * hand-written manifest, is broken at the earliest host in manifest order), and hosts start in
 * that order, so a waiting host only ever waits for hosts that already hold a slot.
 */
export async function scheduleHosts<T extends ScheduledOutcome>(
  options: ScheduleOptions<T>,
): Promise<Map<string, T>> {
  const selected = new Set(options.hosts);
  const chains = options.serial
    .map((group) => ({ id: group.id, hosts: group.hosts.filter((host) => selected.has(host)) }))
    .filter((group) => group.hosts.length >= 2);
  const order = topologicalOrder(
    options.hosts,
    chains.flatMap((chain) =>
      chain.hosts.slice(1).map((host, place): [string, string] => [chain.hosts[place]!, host]),
    ),
  );
  const position = new Map(order.map((host, index) => [host, index]));

  const turns = new Map<string, Turn>(
    order.map((host) => [host, { host, after: new Set(), groups: new Map() }]),
  );
  for (const chain of chains) {
    const sorted = [...new Set(chain.hosts)].sort(
      (left, right) => position.get(left)! - position.get(right)!,
    );
    sorted.forEach((host, index) => {
      for (const earlier of sorted.slice(0, index)) {
        turns.get(host)!.after.add(earlier);
        if (!turns.get(host)!.groups.has(earlier)) turns.get(host)!.groups.set(earlier, chain.id);
      }
    });
  }

  const results = new Map<string, T>();
  const failed = new Set<string>();
  const pending = [...order];
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  let running = 0;
  const announced = new Set<string>();

  return new Promise((resolve, reject) => {
    const finish = (host: string, result: T): void => {
      results.set(host, result);
      if (result.failed) failed.add(host);
    };
    const pump = (): void => {
      for (let index = 0; index < pending.length && running < concurrency;) {
        const host = pending[index]!;
        const turn = turns.get(host)!;
        const blocker = [...turn.after].find((earlier) => failed.has(earlier));
        if (blocker !== undefined) {
          pending.splice(index, 1);
          finish(host, options.skip(host, blocker, turn.groups.get(blocker) ?? ''));
          continue;
        }
        const waitingFor = [...turn.after].filter((earlier) => !results.has(earlier));
        if (waitingFor.length > 0) {
          if (!announced.has(host)) {
            announced.add(host);
            options.onWaiting?.(host, waitingFor);
          }
          index += 1;
          continue;
        }
        pending.splice(index, 1);
        running += 1;
        options.run(host).then(
          (result) => {
            running -= 1;
            finish(host, result);
            pump();
          },
          (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
        );
      }
      if (pending.length === 0 && running === 0) resolve(results);
    };
    pump();
  });
}
