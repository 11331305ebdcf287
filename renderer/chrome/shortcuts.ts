/**
 * The designer's keyboard: a key press runs the registered command bound to it (app-commands.ts).
 * Nothing runs while the focus is in a text field or the code view (there keys type and copy as
 * usual), except the commands that must reach the design from the inspector's fields: Undo and
 * Redo, so that the design has one history.
 */
import { useEffect } from 'react';
import { registry } from '../app/app-commands';
import { currentPlatform, keyOfEvent, keyText } from '../app/registry';
import type { Platform } from '../app/registry';
import type { AppServices } from '../app/services';

/** True on Apple keyboards, where ⌘ plays the part of Ctrl. */
export const isApple = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** How a shortcut is written for this keyboard: `mod+shift+z` → `Ctrl+Shift+Z` or `⌘⇧Z`. */
export function shortcutText(combo: string): string {
  return keyText(combo, isApple ? 'apple' : 'other');
}

/** The attribute that marks an inspector field: Undo and Redo act on the design from inside it. */
export const DESIGN_FIELD_ATTRIBUTE = 'data-design-field';

type Focus = 'canvas' | 'design-field' | 'typing';

function focusOf(target: EventTarget | null): Focus {
  if (!(target instanceof HTMLElement)) return 'canvas';
  if (target.closest(`[${DESIGN_FIELD_ATTRIBUTE}]`)) return 'design-field';
  if (target.isContentEditable || target.closest('.cm-editor')) return 'typing';
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) ? 'typing' : 'canvas';
}

/** Handles one key press; returns true when it ran a command. */
export function handleShortcut(
  services: AppServices,
  event: KeyboardEvent,
  platform: Platform = currentPlatform(services),
): boolean {
  const focus = focusOf(event.target);
  if (focus === 'typing') return false;
  const key = keyOfEvent(event, platform.keyboard);
  if (key === undefined) return false;
  const found = registry.commandForKey(key, platform);
  if (!found) return false;
  if (focus === 'design-field' && !found.command.inDesignFields) return false;
  return registry.run(found.command.id, services, found.binding.args ? { args: found.binding.args } : {});
}

const ARROWS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown']);

/** Installs the shortcuts on the window while the app is mounted. */
export function useShortcuts(services: AppServices): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      if (handleShortcut(services, event)) event.preventDefault();
    };
    // React Flow moves a focused node on arrow keys in its own store, not in the design: on the
    // canvas, arrow keys go to the registry's nudge first, which moves the design as one step.
    const onArrow = (event: KeyboardEvent) => {
      if (
        !ARROWS.has(event.key) ||
        !(event.target instanceof Element) ||
        !event.target.closest('.react-flow') ||
        // On an edge, the arrows walk the node's edges (canvas/keyboard.ts), not nudge.
        event.target.closest('.react-flow__edge')
      )
        return;
      if (handleShortcut(services, event)) {
        event.preventDefault();
        event.stopPropagation();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keydown', onArrow, { capture: true });
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keydown', onArrow, { capture: true });
    };
  }, [services]);
}
