/**
 * Redis Sentinel groups in a lab (docs/rehearse.md, "Stand-ins and Sentinel"): the logins a
 * client of a group holds, read from the secret files push put on the lab hosts, and the group's
 * primary put back on the design's `primary` between scenarios, as keepalived preempts a floating
 * address back: the model predicts every scenario from the design's own roles.
 *
 * Passwords are read from the lab hosts, held in memory and handed to `redis-cli` on its standard
 * input (it reads `REDISCLI_AUTH`); they never reach a command line, a log or an error message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Design, Service } from '../../core/model';
import { replicaPriorityOf } from '../../core/model';
import type { SecretRender } from '../../core/generate/secrets';
import { daemonUnitName } from '../../core/generate/context';
import { indexDesign } from '../../core/design-index';
import { DEFAULT_FAILOVER_TIMEOUT_MS } from '../../core/generate/redis/sentinel-plan';
import { runInHost } from './index';
import type { LabState } from './state';
import { servicePortsOf } from './standin';
import type { StandInCredentials } from './standin';

/** What a client and a person hold for one Sentinel group. */
export interface SentinelGroupLogins {
  /** The Sentinels' `requirepass`, when they ask for one. */
  sentinelPassword?: string;
  /** The Redis user "app", which clients log in as. */
  appPassword?: string;
  /** The Redis user "admin", which may run CONFIG. */
  adminPassword?: string;
}

interface ManifestSecretFile {
  host: string;
  path: string;
  scope: string;
  render: SecretRender;
}

/** The secret files of the pushed bundle (its manifest lists them, without values). */
function secretFilesOf(directory: string): ManifestSecretFile[] {
  const manifest = JSON.parse(readFileSync(join(directory, 'bundle', 'manifest.json'), 'utf8')) as {
    secrets?: ManifestSecretFile[];
  };
  return manifest.secrets ?? [];
}

async function readSecretFile(state: LabState, file: ManifestSecretFile): Promise<string> {
  const result = await runInHost(state, file.host, ['cat', file.path]);
  if (result.exitCode !== 0) throw new Error(`lab host ${file.host} has no ${file.path}`);
  return result.stdout;
}

/** The first password of an ACL user line (`user app on >…`): during a rotation both are accepted. */
function aclPassword(acl: string, user: string): string | undefined {
  const line = acl.split('\n').find((candidate) => candidate.startsWith(`user ${user} on `));
  return line === undefined ? undefined : /(?:^| )>(\S+)/u.exec(line)?.[1];
}

/**
 * The logins in a Sentinel group's secret files as push renders them: a sentinel's
 * `sentinel.auth.conf` (`requirepass`) and a redis server's ACL file (the users "app", "admin").
 */
export function loginsFromSecretFiles(
  files: readonly { render: SecretRender; content: string }[],
): SentinelGroupLogins {
  const logins: SentinelGroupLogins = {};
  for (const { render, content } of files) {
    if (render.kind === 'sentinel-auth' && render.clientAuth && logins.sentinelPassword === undefined) {
      const line = content.split('\n').find((candidate) => candidate.startsWith('requirepass '));
      const password = line?.slice('requirepass '.length).trim();
      if (password) logins.sentinelPassword = password;
    }
    if (render.kind === 'redis-acl' && logins.appPassword === undefined) {
      const app = aclPassword(content, 'app');
      const admin = aclPassword(content, 'admin');
      if (app !== undefined) logins.appPassword = app;
      if (admin !== undefined) logins.adminPassword = admin;
    }
  }
  return logins;
}

/**
 * The logins of Sentinel group `group`, read from the secret files push wrote on the group's lab
 * hosts (one sentinel's, one redis server's).
 */
export async function readGroupLogins(
  directory: string,
  state: LabState,
  group: string,
): Promise<SentinelGroupLogins> {
  const files = secretFilesOf(directory).filter((file) => file.scope === group);
  const chosen = [
    files.find((file) => file.render.kind === 'sentinel-auth' && file.render.clientAuth),
    files.find((file) => file.render.kind === 'redis-acl'),
  ].filter((file) => file !== undefined);
  const contents = [];
  for (const file of chosen)
    contents.push({ render: file.render, content: await readSecretFile(state, file) });
  return loginsFromSecretFiles(contents);
}

/** What a stand-in of a client of the group holds: the Sentinels' password and the user "app". */
export function clientCredentials(logins: SentinelGroupLogins): StandInCredentials {
  return {
    ...(logins.sentinelPassword === undefined ? {} : { sentinelPassword: logins.sentinelPassword }),
    ...(logins.appPassword === undefined ? {} : { user: 'app', password: logins.appPassword }),
  };
}

/** A redis server or sentinel of a group, where it runs and answers. */
interface Member {
  service: Service;
  host: string;
  address: string;
  port: number;
}

/**
 * Runs `redis-cli` against `member` from inside its own lab host, logged in as `user` (or the
 * default user) with `password` given on standard input; returns its output, errors included.
 */
async function redisCli(
  state: LabState,
  member: Member,
  login: { user?: string; password?: string },
  args: string[],
): Promise<string> {
  const script =
    'read -r password; if [ -n "$password" ]; then export REDISCLI_AUTH="$password"; fi; ' +
    'exec redis-cli --no-auth-warning "$@"';
  const result = await runInHost(
    state,
    member.host,
    [
      'sh',
      '-c',
      script,
      'sh',
      '-h',
      member.address,
      '-p',
      String(member.port),
      ...(login.user === undefined ? [] : ['--user', login.user]),
      ...args,
    ],
    `${login.password ?? ''}\n`,
    10_000,
  );
  return `${result.stdout}${result.stderr}`.trim();
}

/**
 * Puts the primary of every Sentinel group of `design` back on the redis server the design marks
 * `primary`, when an earlier scenario's failover left it elsewhere. Sentinel has no "fail over to
 * this one": the other members are made unpromotable for the moment (`replica-priority 0`, once
 * every Sentinel's view shows it), `SENTINEL FAILOVER` runs, and their priorities are set back
 * and written to their files (a failover's `CONFIG REWRITE` had persisted the 0); then every
 * Sentinel of the group restarts, to forget the failovers it took part in. Returns true when it
 * moved a primary. Throws, saying what each Sentinel names, when a group's primary is not back
 * within `timeoutMs` (default 60 s, at least the group's `failover-timeout` + 30 s), or when
 * `signal` aborts (the rehearsal is cancelled) while it waits; `progress` hears how long it took.
 */
export async function restoreSentinelPrimaries(
  design: Design,
  directory: string,
  state: LabState,
  options: { signal?: AbortSignal; progress?: (line: string) => void; timeoutMs?: number } = {},
): Promise<boolean> {
  const { signal, progress } = options;
  const address = new Map<string, string>(design.hosts.map((host) => [host.id, host.address]));
  let moved = false;
  for (const group of design.groups ?? []) {
    if (group.kind !== 'redis-sentinel') continue;
    const members: Member[] = design.services
      .filter((service) => service.group === group.id && service.host !== undefined)
      .map((service) => ({
        service,
        host: service.host!,
        address: address.get(service.host!)!,
        port: servicePortsOf(design, service)[0]!,
      }));
    const sentinels = members.filter((member) => member.service.kind === 'sentinel');
    const servers = members.filter((member) => member.service.kind === 'redis');
    const primary =
      servers.find((member) => member.service.kind === 'redis' && member.service.primary === true) ??
      servers[0];
    if (sentinels.length === 0 || primary === undefined) continue;
    const masterName = group.masterName ?? group.id;
    const logins = await readGroupLogins(directory, state, group.id);
    const asSentinel = {
      ...(logins.sentinelPassword === undefined ? {} : { password: logins.sentinelPassword }),
    };
    const asAdmin =
      logins.adminPassword === undefined ? {} : { user: 'admin', password: logins.adminPassword };
    const expected = `${primary.address}\n${primary.port}`;
    const everySentinelNamesIt = async (): Promise<boolean> => {
      const named = await Promise.all(
        sentinels.map((sentinel) =>
          redisCli(state, sentinel, asSentinel, ['SENTINEL', 'get-master-addr-by-name', masterName]),
        ),
      );
      return named.every((answer) => answer === expected);
    };
    if (await everySentinelNamesIt()) continue;

    const others = servers.filter((member) => member !== primary);
    const started = Date.now();
    // A forced failover that stalls holds every later one off until its failover-timeout ends.
    const failoverTimeoutMs = group.failoverTimeoutMs ?? DEFAULT_FAILOVER_TIMEOUT_MS;
    const deadline = started + Math.max(options.timeoutMs ?? 60_000, failoverTimeoutMs + 30_000);
    let lastReply = '';
    const stuck = async (what: string): Promise<Error> => {
      const named = await Promise.all(
        sentinels.map(
          async (sentinel) =>
            `${sentinel.service.id} names ${(await redisCli(state, sentinel, asSentinel, ['SENTINEL', 'get-master-addr-by-name', masterName])).replace('\n', ':')}`,
        ),
      );
      return new Error(
        `${what} within ${((Date.now() - started) / 1000).toFixed(0)} s (${named.join(', ')}${lastReply === '' ? '' : `; SENTINEL FAILOVER answered ${lastReply}`})`,
      );
    };
    try {
      for (const member of others)
        await redisCli(state, member, asAdmin, ['CONFIG', 'SET', 'replica-priority', '0']);
      // Each Sentinel reads a replica's priority from its INFO every 10 s: wait until all have,
      // since the one that runs the failover picks the replica from its own view.
      const priorityKnown = async (sentinel: Member): Promise<boolean> => {
        const replicas = (
          await redisCli(state, sentinel, asSentinel, ['SENTINEL', 'replicas', masterName])
        ).split('\n');
        let name = '';
        const priorities = new Map<string, string>();
        for (let index = 0; index + 1 < replicas.length; index += 2) {
          if (replicas[index] === 'name') name = replicas[index + 1]!;
          if (replicas[index] === 'slave-priority') priorities.set(name, replicas[index + 1]!);
        }
        return others.every((member) => {
          const priority = priorities.get(`${member.address}:${member.port}`);
          return priority === undefined || priority === '0';
        });
      };
      while (!(await Promise.all(sentinels.map(priorityKnown))).every(Boolean)) {
        if (Date.now() > deadline)
          throw await stuck(`Sentinel did not see the priorities of ${group.id} change`);
        await delay(250, undefined, { signal });
      }
      let attempt = 0;
      while (!(await everySentinelNamesIt())) {
        if (Date.now() > deadline)
          throw await stuck(`the primary of ${group.id} did not move back to ${primary.service.id}`);
        // NOGOODSLAVE while the design's primary still syncs (then another Sentinel is asked),
        // INPROG while a failover runs: ask again.
        const leader = sentinels[attempt % sentinels.length]!;
        lastReply = await redisCli(state, leader, asSentinel, ['SENTINEL', 'FAILOVER', masterName]);
        if (lastReply !== 'OK' && !lastReply.startsWith('INPROG')) attempt++;
        await delay(500, undefined, { signal });
      }
      moved = true;
    } finally {
      for (const member of others) {
        const priority = String(member.service.kind === 'redis' ? replicaPriorityOf(member.service) : 100);
        await redisCli(state, member, asAdmin, ['CONFIG', 'SET', 'replica-priority', priority]);
        await redisCli(state, member, asAdmin, ['CONFIG', 'REWRITE']);
      }
    }
    // A Sentinel that led or voted for a failover starts none of its own for twice
    // `failover-timeout` (Redis's sentinel.c); it keeps that in memory only. Restarted, every
    // Sentinel is as fresh as the model assumes, and keeps what it learned in its own file.
    const index = indexDesign(design);
    for (const sentinel of sentinels) {
      const unit = daemonUnitName(index, sentinel.service as Service & { kind: 'sentinel' });
      const result = await runInHost(state, sentinel.host, ['systemctl', 'restart', unit]);
      if (result.exitCode !== 0)
        throw new Error(`systemctl restart ${unit} failed on lab host ${sentinel.host}`);
    }
    while (!(await everySentinelNamesIt())) {
      if (Date.now() > deadline) throw await stuck(`the Sentinels of ${group.id} did not come back`);
      await delay(250, undefined, { signal });
    }
    progress?.(
      `put the primary of ${group.id} back on ${primary.service.id} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  return moved;
}
