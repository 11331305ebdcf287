/**
 * The push dialog (docs/push.md): every host of the bundle with its address and host-key state,
 * the plan per file with its unified diff before anything is sent, the hosts to push, live
 * progress per host, and the outcome with the host's own error text. In a browser it says how to
 * push instead: the desktop app, or `topoforge push` on an exported bundle.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { FileReport, HostReport, PlannedCommand, PushStep } from '../../core/push';
import { exportBundle } from '../app/commands';
import { canPush, cancelPush, planPush, runPush, setLabCertificates, trustHostKey } from '../app/push';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';
import { DesktopOnly } from './DesktopOnly';
import { DialogButtons } from './DialogButtons';
import { RefusedKeyPanel, UnknownKeyPanel } from './HostKeyPanels';
import type { HostProgress } from '../state/push-slice';

const STEP_TEXT: Record<PushStep, string> = {
  connecting: 'connecting',
  verifying: 'verifying the host key',
  locking: 'taking the host’s push lock',
  planning: 'planning',
  uploading: 'uploading',
  checking: 'checking',
  replacing: 'replacing',
  reloading: 'reloading',
};

const TRUST_TEXT = {
  pinned: 'trusted: pinned in the design',
  known: 'trusted: in known_hosts',
  accepted: 'trusted: recorded in known_hosts',
  confirmed: 'trusted by you',
} as const;

/** The `[address]:port` OpenSSH files a key under, as `ssh-keygen -R` wants it. */
function knownHostsName(host: HostReport): string {
  return host.port === 22 ? host.address : `[${host.address}]:${host.port}`;
}

/** A unified diff with its added, removed and hunk lines coloured. */
export function DiffView({ diff, testId }: { diff: string; testId?: string }) {
  const lines = diff.replace(/\n$/u, '').split('\n');
  return (
    <pre className="push-diff" data-testid={testId}>
      {lines.map((line, index) => {
        const kind = line.startsWith('@@')
          ? 'hunk'
          : line.startsWith('+++') || line.startsWith('---')
            ? 'header'
            : line.startsWith('+')
              ? 'added'
              : line.startsWith('-')
                ? 'removed'
                : 'context';
        return (
          <span key={index} className={`diff-${kind}`}>
            {line}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}

function HostKeyState({ host, planned }: { host: HostReport; planned: boolean }) {
  const services = useServices();
  const refused = host.failure?.hostKey;
  if (host.hostKey)
    return (
      <div className="push-key trusted" data-testid={`push-key-${host.host}`} data-state="trusted">
        <span className="push-badge key-trusted">{TRUST_TEXT[host.hostKey.trust]}</span>
        <span className="mono" title={host.hostKey.type}>
          {host.hostKey.fingerprint}
        </span>
      </div>
    );
  if (!refused) return null;
  if (refused.state === 'unknown')
    return (
      <UnknownKeyPanel
        dialog="push"
        host={host.host}
        type={refused.type}
        fingerprint={refused.fingerprint}
        trust={{
          label: 'Trust this key',
          disabled: !planned,
          onClick: () => void trustHostKey(services, host.host, refused.fingerprint),
        }}
      />
    );
  const explanation: Record<Exclude<typeof refused.state, 'unknown'>, ReactNode> = {
    changed: (
      <>
        known_hosts lists another key for {knownHostsName(host)}. Someone may be intercepting the connection,
        or the host was reinstalled. A changed key is never accepted here. If you know why it changed, remove
        the old key with <code>ssh-keygen -R &apos;{knownHostsName(host)}&apos;</code>, then plan again and
        compare the new fingerprint.
      </>
    ),
    mismatch: (
      <>
        The design pins another key for {host.host} (<code>hosts[].ssh.hostKey</code>). A key that does not
        match the pin is never accepted. If the host was reinstalled, put its new fingerprint in the design.
      </>
    ),
    revoked: <>known_hosts marks this key as revoked: it is never accepted.</>,
  };
  return (
    <RefusedKeyPanel dialog="push" host={host.host} state={refused.state} fingerprint={refused.fingerprint}>
      <p>{explanation[refused.state]}</p>
    </RefusedKeyPanel>
  );
}

function FileRow({ host, file }: { host: string; file: FileReport }) {
  const [open, setOpen] = useState(false);
  const id = `${host}:${file.path}`;
  return (
    <li className="push-file" data-testid={`push-file-${id}`}>
      <div className="push-file-line">
        <span className={`push-badge action-${file.action}`}>{file.action}</span>
        <span className="mono">{file.path}</span>
        {file.reasons && file.reasons.length > 0 ? (
          <span className="push-muted">({file.reasons.join(', ')})</span>
        ) : null}
        {file.secret ? (
          // A secret file's content is never shown, nor offered as a diff (docs/push.md, "Secrets").
          <span className="push-badge action-secret" data-testid={`push-secret-${id}`}>
            secret, not shown
          </span>
        ) : file.diff ? (
          <button
            type="button"
            className="small"
            aria-expanded={open}
            data-testid={`push-diff-toggle-${id}`}
            onClick={() => setOpen(!open)}
          >
            {open ? 'Hide diff' : 'Show diff'}
          </button>
        ) : null}
      </div>
      {open && file.diff && !file.secret ? <DiffView diff={file.diff} testId={`push-diff-${id}`} /> : null}
    </li>
  );
}

/**
 * Every check and reload the push runs on a host, exactly as the host's shell gets them: what the
 * person reviews before pushing (issue 9: nothing runs as root that the plan did not show).
 */
function CommandList({ host, commands }: { host: string; commands: PlannedCommand[] }) {
  const [open, setOpen] = useState(false);
  if (commands.length === 0) return null;
  return (
    <div className="push-commands" data-testid={`push-commands-${host}`}>
      <button
        type="button"
        className="small"
        aria-expanded={open}
        data-testid={`push-commands-toggle-${host}`}
        onClick={() => setOpen(!open)}
      >
        {open
          ? 'Hide commands'
          : `Show the ${commands.length} command${commands.length === 1 ? '' : 's'} it runs`}
      </button>
      {open ? (
        <ol className="push-command-list">
          {commands.map((command, index) => (
            <li key={index} data-testid={`push-command-${host}-${index}`}>
              <span className="push-muted">{command.step === 'checking' ? 'check' : 'reload'}</span>{' '}
              <code className="mono">{command.command}</code>
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}

function progressText(progress: HostProgress | undefined): string | undefined {
  if (!progress) return undefined;
  if (progress.finished) return undefined;
  if (progress.step === undefined && progress.waitingFor)
    return `waiting for ${progress.waitingFor.join(', ')}`;
  return progress.step && progress.step !== 'order' && progress.step !== 'cancelled'
    ? `${STEP_TEXT[progress.step]}…`
    : undefined;
}

function Outcome({ host }: { host: HostReport }) {
  if (host.status !== 'failed')
    return (
      <span className={`push-badge outcome-${host.status}`} data-testid={`push-outcome-${host.host}`}>
        {host.status}
      </span>
    );
  if (host.failure?.cancelled)
    return (
      <span className="push-badge outcome-failed" data-testid={`push-outcome-${host.host}`}>
        {host.failure.step === 'cancelled'
          ? 'not started: cancelled'
          : `cancelled while ${host.failure.step}`}
        {' · old files kept'}
      </span>
    );
  return (
    <span className="push-badge outcome-failed" data-testid={`push-outcome-${host.host}`}>
      failed at {host.failure?.step ?? 'an unknown step'}
      {host.failure?.restored ? ' · restored' : ''}
    </span>
  );
}

function Failure({ host }: { host: HostReport }) {
  const failure = host.failure;
  if (!failure || failure.hostKey) return null;
  return (
    <div className="push-failure" data-testid={`push-failure-${host.host}`}>
      <p>{failure.message}</p>
      {failure.restored ? (
        <p className="push-muted">The reload failed: the previous files were put back and reloaded.</p>
      ) : null}
      {failure.stderr ? (
        <pre className="push-stderr" data-testid={`push-stderr-${host.host}`}>
          {failure.stderr}
        </pre>
      ) : null}
    </div>
  );
}

function HostSection({ planned, pushed }: { planned: HostReport; pushed: HostReport | undefined }) {
  const services = useServices();
  const { phase, selected, progress } = useAppStore(
    useShallow((s) => ({
      phase: s.pushRun.phase,
      selected: s.pushRun.selected.includes(planned.host),
      progress: s.pushRun.progress[planned.host],
    })),
  );
  const shown = pushed ?? planned;
  const pushable = planned.status !== 'failed';
  const running = progressText(phase === 'pushing' ? progress : undefined);
  return (
    <section className="push-host" data-testid={`push-host-${planned.host}`}>
      <header>
        <label className="push-host-name">
          <input
            type="checkbox"
            checked={selected}
            disabled={!pushable || phase !== 'planned'}
            data-testid={`push-select-${planned.host}`}
            onChange={(event) => services.store.getState().selectPushHost(planned.host, event.target.checked)}
          />
          <strong>{planned.host}</strong>
        </label>
        <span className="mono push-address">
          {planned.address}:{planned.port}
        </span>
        <span className="push-status" data-testid={`push-progress-${planned.host}`}>
          {running ??
            (pushed ? (
              <Outcome host={pushed} />
            ) : planned.status === 'failed' ? null : (
              <span className={`push-badge plan-${planned.status}`}>
                {planned.status === 'changed' ? 'will change' : 'up to date'}
              </span>
            ))}
        </span>
      </header>
      <HostKeyState host={shown} planned={phase === 'planned' || phase === 'pushed'} />
      {shown.files.length > 0 ? (
        <ul className="push-files">
          {shown.files.map((file) => (
            <FileRow key={file.path} host={planned.host} file={file} />
          ))}
        </ul>
      ) : null}
      <CommandList host={planned.host} commands={planned.commands ?? []} />
      <Failure host={shown} />
      {shown.warnings.map((warning, index) => (
        <p key={index} className="push-muted">
          {warning}
        </p>
      ))}
      {[...(shown.prerequisites?.labCertificates ?? []), ...(shown.prerequisites?.notInstalled ?? [])].map(
        (line, index) => (
          <p
            key={`prerequisite-${index}`}
            className="push-muted"
            data-testid={`push-prerequisite-${planned.host}`}
          >
            {line}
          </p>
        ),
      )}
    </section>
  );
}

function PlanningProgress() {
  const progress = useAppStore((s) => s.pushRun.progress);
  const entries = Object.entries(progress);
  return (
    <div className="push-planning" data-testid="push-planning">
      <p>Planning: reading every host&apos;s files, nothing is sent…</p>
      {entries.length > 0 ? (
        <ul>
          {entries.map(([host, entry]) => (
            <li key={host}>
              <strong>{host}</strong>{' '}
              {progressText(entry) ?? (entry.finished === 'failed' ? 'stopped' : 'done')}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The dialog's body and buttons, inside the shared dialog frame. */
export function PushDialogContent({ onClose }: { onClose: () => void }) {
  const services = useServices();
  const run = useAppStore((s) => s.pushRun);
  if (!canPush(services)) {
    return (
      <DesktopOnly
        title="Push to hosts"
        testId="push-unavailable"
        why={
          <>
            Pushing to hosts needs the desktop app: it connects to them over SSH with your own keys and
            known_hosts, which a browser page cannot do.
          </>
        }
        instead={
          <>
            Here, export the bundle and push it from a terminal with <code>topoforge push</code>{' '}
            <code>&lt;bundle folder&gt;</code> (add <code>--dry-run</code> to see the diff first).
          </>
        }
        actions={
          <DialogButtons
            onClose={onClose}
            action={{
              label: 'Export bundle',
              testId: 'push-export-bundle',
              run: () => void exportBundle(services),
            }}
          />
        }
      />
    );
  }

  const plan = run.plan;
  const pushedById = new Map((run.result?.hosts ?? []).map((host) => [host.host, host]));
  const busy = run.phase === 'planning' || run.phase === 'pushing';
  const summary = run.result?.summary;
  return (
    <>
      <h2>Push to hosts</h2>
      <div className="dialog-body push-body">
        {run.error ? (
          <div className="push-error" role="alert" data-testid="push-error">
            {run.error}
          </div>
        ) : null}
        <label className="push-lab-certs" title="Self-signed certificates are not trusted by clients">
          <input
            type="checkbox"
            checked={run.labCertificates}
            disabled={busy}
            data-testid="push-lab-certs"
            onChange={(event) => void setLabCertificates(services, event.target.checked)}
          />{' '}
          Create missing certificates, self-signed (fit for a lab only)
        </label>
        {run.phase === 'planning' ? <PlanningProgress /> : null}
        {plan && run.phase !== 'planning' ? (
          <>
            <p className="push-intro">
              {run.phase === 'pushed' && summary
                ? `Pushed: ${summary.changed} changed, ${summary.unchanged} unchanged, ${summary.failed} failed.`
                : run.phase === 'pushing'
                  ? 'Pushing…'
                  : 'The plan: what each host would get. Nothing has been sent; open a diff to see a change.'}
            </p>
            {plan.warnings.map((warning, index) => (
              <p key={index} className="push-muted">
                {warning}
              </p>
            ))}
            {plan.hosts.map((host) => (
              <HostSection key={host.host} planned={host} pushed={pushedById.get(host.host)} />
            ))}
          </>
        ) : null}
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={onClose} data-testid="push-close">
          Close
        </button>
        {busy ? (
          <button
            type="button"
            disabled={run.cancelling}
            data-testid="push-cancel"
            title="Hosts not started are not pushed; every host being pushed keeps its old files"
            onClick={() => void cancelPush(services)}
          >
            {run.cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : null}
        <button
          type="button"
          disabled={busy}
          data-testid="push-replan"
          onClick={() => void planPush(services)}
        >
          Plan again
        </button>
        <button
          type="button"
          className="primary"
          data-testid="push-run"
          disabled={run.phase !== 'planned' || run.selected.length === 0}
          onClick={() => void runPush(services)}
        >
          {run.phase === 'pushing'
            ? 'Pushing…'
            : `Push to ${run.selected.length} host${run.selected.length === 1 ? '' : 's'}`}
        </button>
      </div>
    </>
  );
}
