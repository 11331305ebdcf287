/**
 * The buttons of a dialog that only closes or confirms: one that closes it and, when the dialog
 * offers one, the primary action, which closes the dialog first and then acts. Closing is the
 * primary button when it is the only one, so Enter closes.
 */

/** A dialog's closing button and its primary action, if any. */
export function DialogButtons({
  onClose,
  closeLabel = 'Close',
  action,
}: {
  onClose: () => void;
  /** The closing button's words when there is an action: "Cancel" for a confirmation. */
  closeLabel?: string;
  action?: { label: string; testId: string; run: () => void };
}) {
  if (action === undefined)
    return (
      <button type="button" className="primary" onClick={onClose}>
        Close
      </button>
    );
  return (
    <>
      <button type="button" onClick={onClose}>
        {closeLabel}
      </button>
      <button
        type="button"
        className="primary"
        data-testid={action.testId}
        onClick={() => {
          onClose();
          action.run();
        }}
      >
        {action.label}
      </button>
    </>
  );
}
