/**
 * The modal dialogs: a file that is not a design, a confirmation, the keyboard shortcuts, push,
 * import from hosts and its report.
 */
import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import { useAppStore } from '../state/store';
import { DialogButtons } from './DialogButtons';
import { PushDialogContent } from './PushDialog';
import { HelpOverlay } from './HelpOverlay';
import { ImportHostsDialogContent } from '../import/ImportHostsDialog';
import { ImportReport } from '../import/ImportReport';

/** Shows the store's current dialog, if any. */
export function Dialogs() {
  const dialog = useAppStore((s) => s.dialog);
  const close = useAppStore((s) => s.openDialog);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!dialog) return;
    panel.current?.querySelector<HTMLElement>('button.primary, button')?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close(undefined);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dialog, close]);
  if (!dialog) return null;
  // The dialogs that reach hosts over SSH keep their own content and the wide frame.
  const hostDialog =
    dialog.kind === 'push'
      ? { label: 'Push to hosts', Content: PushDialogContent }
      : dialog.kind === 'import-hosts'
        ? { label: 'Import from hosts', Content: ImportHostsDialogContent }
        : undefined;
  if (hostDialog !== undefined)
    return (
      <div className="dialog-backdrop">
        <div
          className="dialog push-dialog"
          role="dialog"
          aria-modal="true"
          aria-label={hostDialog.label}
          ref={panel}
          data-testid="dialog"
        >
          <hostDialog.Content onClose={() => close(undefined)} />
        </div>
      </div>
    );

  let title: string;
  let body: ReactNode;
  let actions: ReactNode;
  // The import report's four columns (host, path, text, reason) need the push dialog's width.
  let wide = false;
  if (dialog.kind === 'load-problems') {
    title = `${dialog.fileName} is not a design`;
    body = (
      <>
        <p>
          The current design is unchanged. {dialog.problems.length} problem
          {dialog.problems.length === 1 ? '' : 's'} in the file:
        </p>
        <table className="problems-table" data-testid="load-problems">
          <thead>
            <tr>
              <th>Where</th>
              <th>Line</th>
              <th>What is wrong</th>
            </tr>
          </thead>
          <tbody>
            {dialog.problems.map((problem, index) => (
              <tr key={index}>
                <td className="mono">{problem.path}</td>
                <td className="mono">
                  {problem.line === undefined ? '' : `${problem.line}:${problem.column}`}
                </td>
                <td>{problem.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    );
    actions = <DialogButtons onClose={() => close(undefined)} />;
  } else if (dialog.kind === 'import-report') {
    title = `Imported ${dialog.folder}`;
    wide = true;
    body = <ImportReport problems={dialog.problems} unused={dialog.unused} missing={dialog.missing} />;
    actions = <DialogButtons onClose={() => close(undefined)} />;
  } else if (dialog.kind === 'confirm') {
    title = dialog.title;
    body = <p>{dialog.text}</p>;
    actions = (
      <DialogButtons
        onClose={() => close(undefined)}
        closeLabel="Cancel"
        action={{ label: dialog.confirm, testId: 'confirm', run: () => dialog.onConfirm() }}
      />
    );
  } else {
    title = 'Keyboard shortcuts';
    body = <HelpOverlay />;
    actions = <DialogButtons onClose={() => close(undefined)} />;
  }
  return (
    <div className="dialog-backdrop" onPointerDown={(e) => e.target === e.currentTarget && close(undefined)}>
      <div
        className={wide ? 'dialog wide-dialog' : 'dialog'}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        ref={panel}
        data-testid="dialog"
      >
        <h2>{title}</h2>
        <div className="dialog-body">{body}</div>
        <div className="dialog-actions">{actions}</div>
      </div>
    </div>
  );
}
