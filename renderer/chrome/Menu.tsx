/**
 * A small drop-down menu for the title bar: a button, and a list that closes on choice or Escape.
 * Its entries are built when it opens, from the command registry (app-commands.ts), so labels
 * ("Undo Add app-1") and enabled states are current.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { MenuItem } from '../app/registry';

/** One entry of a menu; `separator` draws a line. */
export type MenuEntry =
  | {
      label: string;
      shortcut?: string;
      disabled?: boolean;
      /** An on/off entry: shown with a check mark when on. */
      checked?: boolean;
      testId?: string;
      onSelect: () => void;
      hint?: string;
    }
  | { separator: true }
  | { heading: string };

/** A registry menu's groups as entries, a line between groups; choosing one runs its command. */
export function entriesOf(groups: MenuItem[][], run: (id: string) => void): MenuEntry[] {
  const entries: MenuEntry[] = [];
  for (const group of groups) {
    if (group.length === 0) continue;
    if (entries.length > 0) entries.push({ separator: true });
    for (const item of group) {
      entries.push({
        label: item.label,
        ...(item.shortcut !== undefined ? { shortcut: item.shortcut } : {}),
        ...(item.checked !== undefined ? { checked: item.checked } : {}),
        ...(item.command.testId !== undefined ? { testId: item.command.testId } : {}),
        ...(item.command.description !== undefined ? { hint: item.command.description } : {}),
        disabled: !item.enabled,
        onSelect: () => run(item.command.id),
      });
    }
  }
  return entries;
}

/** A title-bar menu. */
export function Menu({
  label,
  entries,
  testId,
}: {
  label: ReactNode;
  /** The entries, or a function that builds them each time the menu opens. */
  entries: MenuEntry[] | (() => MenuEntry[]);
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
          {(typeof entries === 'function' ? entries() : entries).map((entry, index) =>
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
                role={entry.checked === undefined ? 'menuitem' : 'menuitemcheckbox'}
                aria-checked={entry.checked}
                disabled={entry.disabled}
                data-testid={entry.testId}
                title={entry.hint}
                onClick={() => {
                  setOpen(false);
                  entry.onSelect();
                }}
              >
                <span>
                  {entry.checked === undefined ? '' : entry.checked ? '✓ ' : ''}
                  {entry.label}
                </span>
                {entry.shortcut ? <kbd>{entry.shortcut}</kbd> : null}
              </button>
            ),
          )}
        </div>
      ) : null}
    </div>
  );
}
