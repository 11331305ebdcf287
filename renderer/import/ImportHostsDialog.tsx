/**
 * The import-from-hosts dialog (docs/import.md): targets one per line, then a progress bar per
 * host (files and bytes fetched; connecting, collecting, done, or failed with the reason), an
 * unknown host key to compare and trust, and Cancel while it runs. In a browser it says how to do
 * it instead: the desktop app, or `topoforge collect` and File › Import folder.
 */
import { useServices } from '../app/services';
import { DesktopOnly } from '../chrome/DesktopOnly';
import { DialogButtons } from '../chrome/DialogButtons';
import { RefusedKeyPanel, UnknownKeyPanel } from '../chrome/HostKeyPanels';
import { useAppStore } from '../state/store';
import type { HostCollectProgress } from '../state/collect-slice';
import {
  canCollect,
  cancelCollect,
  collectFromHosts,
  importCollected,
  trustCollectKey,
} from './import-hosts';

const STATE_TEXT: Record<HostCollectProgress['state'], string> = {
  waiting: 'waiting',
  connecting: 'connecting',
  collecting: 'collecting',
  done: 'done',
  failed: 'failed',
};

/** `1.2 kB`, `640 B`: how much was fetched, in the units a person reads. */
export function sizeText(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function HostKeyPanel({ progress, trusted }: { progress: HostCollectProgress; trusted: boolean }) {
  const services = useServices();
  const key = progress.refusedKey;
  if (!key) return null;
  if (key.state === 'unknown')
    return (
      <UnknownKeyPanel
        dialog="import-hosts"
        host={progress.host}
        type={key.type}
        fingerprint={key.fingerprint}
        trust={{
          label: trusted ? 'Trusted: collect again' : 'Trust this key',
          disabled: trusted,
          onClick: () => trustCollectKey(services, progress.host, key.fingerprint),
        }}
      />
    );
  return (
    <RefusedKeyPanel
      dialog="import-hosts"
      host={progress.host}
      state={key.state}
      fingerprint={key.fingerprint}
    />
  );
}

function HostRow({ progress, trusted }: { progress: HostCollectProgress; trusted: boolean }) {
  const finished = progress.state === 'done';
  // While a host connects, and until its config list is known, the bar is indeterminate (it moves);
  // a host that is done is full, one that waits or failed shows how far it got.
  const working = progress.state === 'connecting' || progress.state === 'collecting';
  const max = finished
    ? Math.max(progress.files, 1)
    : working
      ? progress.wanted
      : Math.max(progress.wanted, 1);
  const value = finished ? max : progress.files;
  return (
    <section className="push-host import-host" data-testid={`import-hosts-host-${progress.host}`}>
      <header>
        <strong className="push-host-name">{progress.host}</strong>
        <span className="mono push-address">
          {progress.address}:{progress.port}
        </span>
        <span
          className={`push-badge import-state-${progress.state}`}
          data-testid={`import-hosts-state-${progress.host}`}
          data-state={progress.state}
        >
          {STATE_TEXT[progress.state]}
        </span>
      </header>
      <progress
        className="import-progress"
        data-testid={`import-hosts-progress-${progress.host}`}
        aria-label={`${progress.host}: files fetched`}
        {...(max > 0 ? { max, value } : {})}
      />
      <span className="push-muted" data-testid={`import-hosts-count-${progress.host}`}>
        {progress.files} file{progress.files === 1 ? '' : 's'} · {sizeText(progress.bytes)}
      </span>
      {progress.state === 'failed' && progress.reason ? (
        <p className="push-failure" data-testid={`import-hosts-reason-${progress.host}`}>
          {progress.reason}
        </p>
      ) : null}
      <HostKeyPanel progress={progress} trusted={trusted} />
    </section>
  );
}

/** The dialog's body and buttons, inside the shared dialog frame. */
export function ImportHostsDialogContent({ onClose }: { onClose: () => void }) {
  const services = useServices();
  const run = useAppStore((s) => s.collectRun);
  const setTargets = useAppStore((s) => s.setCollectTargets);
  if (!canCollect(services)) {
    return (
      <DesktopOnly
        title="Import from hosts"
        testId="import-hosts-unavailable"
        why={
          <>
            Importing from hosts needs the desktop app: it reads their configs over SSH with your own keys and
            known_hosts, which a browser page cannot do.
          </>
        }
        instead={
          <>
            Here, collect them from a terminal with{' '}
            <code>topoforge collect root@10.0.0.5 root@10.0.0.6 --out configs</code>, then choose File ›
            Import configs from a folder… and pick <code>configs</code>.
          </>
        }
        actions={<DialogButtons onClose={onClose} />}
      />
    );
  }
  const busy = run.phase === 'collecting';
  const report = run.report;
  const anyRead =
    report !== undefined && !report.cancelled && report.hosts.some((host) => host.state === 'done');
  const trusted = new Set(run.confirmed.map((key) => key.host));
  return (
    <>
      <h2>Import from hosts</h2>
      <div className="dialog-body push-body">
        {run.error ? (
          <div className="push-error" role="alert" data-testid="import-hosts-error">
            {run.error}
          </div>
        ) : null}
        <label className="import-targets">
          Hosts, one per line: <code>user@address[:port]</code>
          <textarea
            rows={4}
            spellCheck={false}
            placeholder={'root@10.0.0.5\nops@lb-2.example.net:2222'}
            value={run.targetsText}
            disabled={busy}
            data-testid="import-hosts-targets"
            onChange={(event) => setTargets(event.target.value)}
          />
        </label>
        <p className="push-muted">
          Logs in as push does: with your ssh-agent, else ~/.ssh/id_ed25519, id_ecdsa or id_rsa; host keys are
          checked against your known_hosts. It only reads: nothing is written on a host.
        </p>
        {report?.cancelled ? (
          <p className="push-intro" data-testid="import-hosts-cancelled">
            Cancelled: nothing was imported.
          </p>
        ) : null}
        {run.order.map((host) => {
          const progress = run.progress[host];
          return progress ? <HostRow key={host} progress={progress} trusted={trusted.has(host)} /> : null;
        })}
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={onClose} disabled={busy} data-testid="import-hosts-close">
          Close
        </button>
        {busy ? (
          <button
            type="button"
            data-testid="import-hosts-cancel"
            disabled={run.cancelling}
            onClick={() => void cancelCollect(services)}
          >
            {run.cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : null}
        {anyRead && run.phase === 'collected' ? (
          <button
            type="button"
            data-testid="import-hosts-import"
            onClick={() => void importCollected(services)}
          >
            Import what was read
          </button>
        ) : null}
        <button
          type="button"
          className="primary"
          data-testid="import-hosts-start"
          disabled={busy}
          onClick={() => void collectFromHosts(services)}
        >
          {run.phase === 'collected' ? 'Collect again' : 'Collect and import'}
        </button>
      </div>
    </>
  );
}
