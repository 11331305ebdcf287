/**
 * Step 1: connect with a verified host key, then check the host's prerequisites (sudo, tools).
 */
import { SshConnection } from '../connection';
import { checkPrerequisites, sudoProblem } from '../prerequisites';
import type { HostRun } from './run';
import { plural, StepFailure, tail } from './run';
import { runScript } from './survey';
import type { HostKeyDecision } from '../host-key';

/**
 * docs/push.md, step 1: connects with ssh2 and verifies the host key. An unknown key the app may
 * confirm is asked about with no connection open, then push connects again.
 */
export async function connect(run: HostRun): Promise<SshConnection> {
  const { context } = run;
  const host = context.host;
  run.enter('connecting');
  const open = context.connect ?? SshConnection.open;
  let decision: HostKeyDecision | undefined;
  let confirmed: HostKeyDecision | undefined;
  const attempt = (): Promise<SshConnection> =>
    open({
      address: host.address,
      port: host.port,
      user: host.user,
      credentials: context.credentials,
      preferredKeyTypes: context.verifier.preferredKeyTypes(host),
      readyTimeoutMs: context.connectTimeoutMs,
      ...(context.signal ? { signal: context.signal } : {}),
      verifyHostKey: async (key) => {
        run.enter('verifying');
        decision = await context.verifier.verify(host, key);
        if (decision.trusted && confirmed?.trusted) decision = confirmed;
        if (decision.trusted) run.step = 'connecting';
        return decision.trusted;
      },
    });
  const refused = (error: unknown): unknown => {
    if (decision && !decision.trusted) {
      run.step = 'verifying';
      return new StepFailure(decision.reason, { hostKey: { ...decision.key, state: decision.refusal } });
    }
    return error;
  };
  let connection: SshConnection;
  try {
    connection = await attempt();
  } catch (error) {
    if (!decision || decision.trusted || decision.ask === undefined) throw refused(error);
    confirmed = await context.verifier.ask(host, decision);
    if (!confirmed.trusted) {
      decision = confirmed;
      throw refused(error);
    }
    run.checkCancelled();
    run.enter('connecting');
    decision = undefined;
    try {
      connection = await attempt();
    } catch (again) {
      throw refused(again);
    }
  }
  if (decision?.trusted) {
    run.report.hostKey = { ...decision.key, trust: decision.trust };
    if (decision.warning) run.report.warnings.push(decision.warning);
    context.emit({ type: 'host-key', host: host.id, hostKey: run.report.hostKey });
  }
  return connection;
}

/** With `ssh.sudo`, whether `sudo -n` works, before push relies on it: a host without it says so in words. */
export async function checkSudo(run: HostRun, connection: SshConnection): Promise<void> {
  const { context } = run;
  if (!context.host.sudo) return;
  // Part of the plan, ahead of the lock that needs sudo; its step shows in a failure, not as an event.
  run.step = 'planning';
  const result = await connection.exec('sudo -n true', '', {
    timeoutMs: context.commandTimeoutMs,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  const problem = sudoProblem(context.host, result);
  if (problem === undefined) return;
  run.report.prerequisites = { missing: [problem], notInstalled: [], labCertificates: [] };
  throw new StepFailure(problem, { stderr: tail(result.stderr) });
}

/**
 * docs/push.md, "Prerequisites": looks on the host for what the bundle needs there, before the
 * plan; a missing certificate, key or interface stops the host with nothing uploaded.
 */
export async function prerequisites(run: HostRun, connection: SshConnection): Promise<void> {
  const { context } = run;
  const listed = (context.prerequisites ?? []).filter((prerequisite) => prerequisite.kind !== 'sudo');
  if (listed.length === 0) return;
  run.enter('planning');
  const outcome = await checkPrerequisites({
    host: context.host,
    prerequisites: listed,
    run: (script) => runScript(run, connection, script),
    labCertificates: context.labCertificates === true,
    dryRun: context.dryRun,
  });
  run.prerequisites = outcome;
  run.report.prerequisites = outcome.report;
  const { missing } = outcome.report;
  if (missing.length > 0)
    throw new StepFailure(
      `${plural(missing.length, 'prerequisite')} missing on ${context.host.id}, so nothing was uploaded:\n` +
        missing.map((line) => `- ${line}`).join('\n'),
    );
}
