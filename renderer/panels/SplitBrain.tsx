/**
 * Split brain, explained once in words a person reads: what happened, what data is at risk and
 * which setting prevents it, with the rule id. The findings panel shows it above the
 * `redis.split-brain` findings and, in what-if, for the groups the current cut splits; the what-if
 * panel shows it under the cut.
 */
import type { Design } from '../../core/model';

/** The explanation of one group's split brain, in four parts. */
export interface SplitBrainWords {
  group: string;
  title: string;
  happened: string;
  atRisk: string;
  prevents: string;
}

/** The words for a group in split brain (a Sentinel group: the only kind that can be). */
export function splitBrainWords(design: Design, groupId: string): SplitBrainWords {
  const group = (design.groups ?? []).find((g) => g.id === groupId);
  const name = group?.label ?? groupId;
  const members = design.services.filter((s) => s.group === groupId);
  const redis = members.filter((m) => m.kind === 'redis');
  const primary = redis.find((m) => m.kind === 'redis' && m.primary === true)?.id ?? 'its primary';
  const replicas = Math.max(redis.length - 1, 0);
  const minimum = group?.kind === 'redis-sentinel' ? (group.minReplicasToWrite ?? 0) : 0;
  const now =
    minimum > 0
      ? `It is ${minimum} now, which the primary's side still meets.`
      : 'It is not set (0) now, so a primary cut off from every replica keeps taking writes.';
  return {
    group: groupId,
    title: `Split brain in ${name}`,
    happened:
      `The cut left ${name} with a primary on each side: ${primary} keeps accepting writes on its side, ` +
      'while the Sentinels on the other side, enough to authorise a failover, promoted a replica there. ' +
      'Clients on each side write to their own primary.',
    atRisk:
      'Every write taken by the side that loses. When the network heals, Sentinel makes the old primary ' +
      'a replica of the new one, and it discards what it accepted during the cut: sessions, queued jobs ' +
      'and counters written there are gone, with no error to the clients that wrote them.',
    prevents:
      `minReplicasToWrite (Redis min-replicas-to-write, with minReplicasMaxLagSeconds) makes a primary ` +
      `refuse writes while it reaches fewer replicas than that, so the cut-off primary stops taking writes it ` +
      `would lose. ${now} Set it above the replicas that share the primary's side; it costs availability: ` +
      `${name} then refuses every write whenever fewer than that many of its ${replicas} replicas are up. ` +
      'MongoDB avoids this by design: a replica set elects a primary only with a strict majority of its ' +
      'voters, and writes with write concern "majority" are never rolled back.',
  };
}

/** The explanation of split brain for some groups, each named, the rule id at its foot. */
export function SplitBrainExplanation({
  design,
  groups,
  testId,
}: {
  design: Design;
  groups: readonly string[];
  testId: string;
}) {
  if (groups.length === 0) return null;
  const words = groups.map((group) => splitBrainWords(design, group));
  return (
    <div className="split-brain-explanation" data-testid={testId}>
      {words.map((w) => (
        <section key={w.group} aria-label={w.title} data-testid={`split-brain-explain-${w.group}`}>
          <h4>{w.title}</h4>
          <dl>
            <dt>What happened</dt>
            <dd>{w.happened}</dd>
            <dt>What data is at risk</dt>
            <dd>{w.atRisk}</dd>
            <dt>What prevents it</dt>
            <dd>{w.prevents}</dd>
          </dl>
        </section>
      ))}
      <p className="split-brain-rule">
        Rule <code>redis.split-brain</code> (a warning) reports every site whose cut does this; docs: Rules.
      </p>
    </div>
  );
}
