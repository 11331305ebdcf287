/**
 * A dialog's content in the web build when what it does needs the desktop app (SSH with the
 * person's own keys and known_hosts): why, what to do from a terminal instead, and the buttons.
 */
import type { ReactNode } from 'react';

/** The web build's stand-in for a dialog that reaches hosts over SSH. */
export function DesktopOnly({
  title,
  testId,
  why,
  instead,
  actions,
}: {
  title: string;
  testId: string;
  /** What needs the desktop app, and why a browser page cannot do it. */
  why: ReactNode;
  /** What to do from a terminal instead. */
  instead: ReactNode;
  actions: ReactNode;
}) {
  return (
    <>
      <h2>{title}</h2>
      <div className="dialog-body" data-testid={testId}>
        <p>{why}</p>
        <p>{instead}</p>
      </div>
      <div className="dialog-actions">{actions}</div>
    </>
  );
}
