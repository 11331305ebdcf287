/**
 * A host key that SSH did not accept, as both dialogs that reach hosts show it (push, import from
 * hosts): an unknown key to compare on the host and trust, or a changed or revoked one, refused.
 */
import type { ReactNode } from 'react';
import type { RefusedHostKey } from '../../core/push';

/** What the panels' test ids start with: the dialog they are in. */
type Dialog = 'push' | 'import-hosts';

/** An unknown key: its fingerprint, how to check it on the host, and the button that trusts it. */
export function UnknownKeyPanel({
  dialog,
  host,
  type,
  fingerprint,
  trust,
}: {
  dialog: Dialog;
  host: string;
  type: string;
  fingerprint: string;
  trust: { label: string; disabled: boolean; onClick: () => void };
}) {
  return (
    <div className="push-key unknown" data-testid={`${dialog}-key-${host}`} data-state="unknown">
      <span className="push-badge key-unknown">unknown key</span>
      <p>
        This host&apos;s {type} key is not in your known_hosts. Trust it only if it is the host&apos;s own: on
        the host, <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> prints it.
      </p>
      <div className="push-fingerprint">
        <span className="mono" data-testid={`${dialog}-fingerprint-${host}`}>
          {fingerprint}
        </span>
        <button
          type="button"
          className="small"
          data-testid={`${dialog}-trust-${host}`}
          disabled={trust.disabled}
          onClick={trust.onClick}
        >
          {trust.label}
        </button>
      </div>
    </div>
  );
}

/** A changed or revoked key, never accepted; `children` says why, where the dialog knows. */
export function RefusedKeyPanel({
  dialog,
  host,
  state,
  fingerprint,
  children,
}: {
  dialog: Dialog;
  host: string;
  state: Exclude<RefusedHostKey['state'], 'unknown'>;
  fingerprint: string;
  children?: ReactNode;
}) {
  return (
    <div className="push-key refused" data-testid={`${dialog}-key-${host}`} data-state={state}>
      <span className="push-badge key-refused">
        {state === 'revoked' ? 'revoked key' : 'changed key: refused'}
      </span>
      <span className="mono">{fingerprint}</span>
      {children}
    </div>
  );
}
