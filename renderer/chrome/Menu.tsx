/** A small drop-down menu for the title bar: a button, and a list that closes on choice or Escape. */
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';

/** One entry of a menu; `separator` draws a line. */
export type MenuEntry =
  | {
      label: string;
      shortcut?: string;
      disabled?: boolean;
      testId?: string;
      onSelect: () => void;
      hint?: string;
    }
  | { separator: true }
  | { heading: string };

/** A title-bar menu. */
export function Menu({
  label,
  entries,
  testId,
}: {
  label: ReactNode;
  entries: MenuEntry[];
  testId?: string;
}) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: Event) => {
      if (
        event instanceof KeyboardEvent
          ? event.key === 'Escape'
          : !root.current?.contains(event.target as Node)
      ) {
        setOpen(false);
      }
    };
    window.addEventListener('pointerdown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('keydown', close);
    };
  }, [open]);
  return (
    <div className="menu" ref={root}>
      <button
        type="button"
        className={`menu-button${open ? ' open' : ''}`}
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid={testId}
        onClick={() => setOpen(!open)}
      >
        {label}
      </button>
      {open ? (
        <div className="menu-list" role="menu">
          {entries.map((entry, index) =>
            'separator' in entry ? (
              <div key={index} className="menu-separator" role="separator" />
            ) : 'heading' in entry ? (
              <div key={index} className="menu-heading">
                {entry.heading}
              </div>
            ) : (
              <button
                key={index}
                type="button"
                role="menuitem"
                disabled={entry.disabled}
                data-testid={entry.testId}
                title={entry.hint}
                onClick={() => {
                  setOpen(false);
                  entry.onSelect();
                }}
              >
                <span>{entry.label}</span>
                {entry.shortcut ? <kbd>{entry.shortcut}</kbd> : null}
              </button>
            ),
          )}
        </div>
      ) : null}
    </div>
  );
}
