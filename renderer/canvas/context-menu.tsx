/**
 * The canvas's context menu (right-click, or Shift+F10 and the Menu key): the registry's commands
 * placed in the `canvas` menu for what it was opened on, leaving out what cannot be done there.
 * A right-click on an item that is not selected selects it first, as drawing tools do. Arrow keys
 * move through the entries, Enter chooses, Escape or a click elsewhere closes it.
 */
import { useCallback, useEffect, useLayoutEffect, useRef } from 'react';
import type { KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import { registry } from '../app/app-commands';
import { currentPlatform } from '../app/registry';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';
import './interact.css';

/** The open context menu, if any. */
export function ContextMenu() {
  const services = useServices();
  const menu = useAppStore((s) => s.contextMenu);
  const root = useRef<HTMLDivElement>(null);
  const close = useCallback(() => services.store.getState().openContextMenu(undefined), [services]);

  useEffect(() => {
    if (!menu) return;
    const onPointerDown = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) close();
    };
    const onAway = () => close();
    window.addEventListener('pointerdown', onPointerDown, true);
    window.addEventListener('wheel', onAway, { passive: true });
    window.addEventListener('blur', onAway);
    return () => {
      window.removeEventListener('pointerdown', onPointerDown, true);
      window.removeEventListener('wheel', onAway);
      window.removeEventListener('blur', onAway);
    };
  }, [menu, close]);

  // Inside the window, whichever corner it opened at; the first entry takes the focus.
  useLayoutEffect(() => {
    const element = root.current;
    if (!menu || !element) return;
    const { innerWidth, innerHeight } = window;
    const box = element.getBoundingClientRect();
    element.style.left = `${Math.max(4, Math.min(menu.x, innerWidth - box.width - 4))}px`;
    element.style.top = `${Math.max(4, Math.min(menu.y, innerHeight - box.height - 4))}px`;
    element.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
  }, [menu]);

  if (!menu) return null;
  const context = { target: menu.target, point: menu.point };
  const groups = registry.menu('canvas', services, currentPlatform(services), context);
  const onKeyDown = (event: KeyboardEvent) => {
    const buttons = [...(root.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      buttons[(at + step + buttons.length) % buttons.length]?.focus();
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      (event.key === 'Home' ? buttons[0] : buttons.at(-1))?.focus();
    } else if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  };
  return createPortal(
    <div
      ref={root}
      className="context-menu menu-list"
      role="menu"
      aria-label="Canvas actions"
      data-testid="context-menu"
      style={{ left: menu.x, top: menu.y }}
      onKeyDown={onKeyDown}
      onContextMenu={(event) => event.preventDefault()}
    >
      {groups.length === 0 ? <div className="menu-heading">Nothing to do here</div> : null}
      {groups.map((group, index) => (
        <div key={index} role="group">
          {index > 0 ? <div className="menu-separator" role="separator" /> : null}
          {group.map((item) => (
            <button
              key={item.command.id}
              type="button"
              role="menuitem"
              data-command={item.command.id}
              onClick={() => {
                close();
                registry.run(item.command.id, services, context);
              }}
            >
              <span>{item.label}</span>
              {item.shortcut ? <kbd>{item.shortcut}</kbd> : null}
            </button>
          ))}
        </div>
      ))}
    </div>,
    document.body,
  );
}
