/**
 * The canvas for the keyboard. Tab visits sites, hosts and services in reading order (the order
 * of the nodes, derive.ts) and never stops on an edge: a design of a thousand services has
 * thousands of edges. From a focused node, `E` walks its edges instead: the arrow keys go to the
 * next or previous one, Enter selects it, Escape goes back to the node. In what-if mode, Enter or
 * Space on a host, site or service fails it or restores it, as a click does.
 *
 * A large design has only the cards near the view on the page (window.ts): when the next card in
 * reading order is not there, Tab brings it into view and focuses it once it is drawn.
 */
import { useEffect } from 'react';
import type { RefObject } from 'react';
import type { AppServices } from '../app/services';

const FAILABLE = new Set(['host', 'site', 'service']);
/** How many frames Tab waits for a card it brought into view to be drawn. */
const REVEAL_FRAMES = 120;

/** The canvas's reading order for Tab, over every node, drawn or not. */
export interface CanvasTravel {
  /** The node `step` (1 or -1) after `id` in reading order; undefined past either end. */
  next: (id: string, step: 1 | -1) => string | undefined;
  /** Brings a node into view, so that the canvas draws it. */
  reveal: (id: string) => void;
}

function nodeElement(root: HTMLElement, id: string): HTMLElement | null {
  return root.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
}

/** Focuses a node once the canvas has drawn it. */
function focusWhenDrawn(root: HTMLElement, id: string, frames = REVEAL_FRAMES): void {
  const element = nodeElement(root, id);
  if (element) {
    element.focus();
    return;
  }
  if (frames > 0) requestAnimationFrame(() => focusWhenDrawn(root, id, frames - 1));
}

/** The ids of the edges drawn for a node, outgoing first, as the canvas has them now. */
function edgesOf(root: HTMLElement, node: string): HTMLElement[] {
  const all = [...root.querySelectorAll<HTMLElement>('.react-flow__edge[data-id]')];
  const outgoing = all.filter((edge) => edge.dataset.source === node);
  const incoming = all.filter((edge) => edge.dataset.target === node);
  return [...outgoing, ...incoming];
}

function focusEdge(edge: HTMLElement): void {
  edge.setAttribute('tabindex', '-1');
  edge.classList.add('keyboard-focus');
  edge.addEventListener('blur', () => edge.classList.remove('keyboard-focus'), { once: true });
  edge.focus();
}

/** Installs the canvas's keys on its element while it is mounted. */
export function useCanvasKeyboard(
  services: AppServices,
  root: RefObject<HTMLElement | null>,
  travel?: RefObject<CanvasTravel | undefined>,
): void {
  useEffect(() => {
    const element = root.current;
    if (!element) return;
    // The node whose edges the keyboard walks, to come back to with Escape.
    let origin: string | undefined;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target =
        event.target instanceof HTMLElement || event.target instanceof SVGElement ? event.target : null;
      const node = target?.closest<HTMLElement>('.react-flow__node');
      const edge = target?.closest<HTMLElement>('.react-flow__edge');
      const handled = () => {
        event.preventDefault();
        event.stopPropagation();
      };
      if (node && node === target) {
        const id = node.dataset.id!;
        const state = services.store.getState();
        const type = [...node.classList].find((c) => c.startsWith('react-flow__node-'))?.slice(17);
        // Shift+Enter selects instead (React Flow's own key), as Shift-click does: to pick hosts to cut off.
        if (
          state.whatIf &&
          !event.shiftKey &&
          (event.key === 'Enter' || event.key === ' ') &&
          type &&
          FAILABLE.has(type)
        ) {
          state.toggleFailure(id);
          return handled();
        }
        if (event.key === 'Tab' && travel?.current) {
          // Past the cards on the page: the next one in reading order is brought into view.
          const next = travel.current.next(id, event.shiftKey ? -1 : 1);
          if (next === undefined || nodeElement(element, next)) return;
          travel.current.reveal(next);
          focusWhenDrawn(element, next);
          return handled();
        }
        if (event.key === 'e' || event.key === 'E') {
          const edges = edgesOf(element, id);
          if (edges.length === 0) {
            state.notify(`${node.getAttribute('aria-label') ?? id} has no links drawn here.`, 'info');
            return handled();
          }
          origin = id;
          focusEdge(edges[0]!);
          return handled();
        }
        return;
      }
      if (edge && origin !== undefined) {
        const edges = edgesOf(element, origin);
        const index = edges.indexOf(edge);
        if (
          event.key === 'ArrowRight' ||
          event.key === 'ArrowDown' ||
          event.key === 'ArrowLeft' ||
          event.key === 'ArrowUp'
        ) {
          const step = event.key === 'ArrowRight' || event.key === 'ArrowDown' ? 1 : -1;
          const next = edges[(index + step + edges.length) % edges.length];
          if (next) focusEdge(next);
          return handled();
        }
        if (event.key === 'Enter' || event.key === ' ') {
          services.store.getState().select([edge.dataset.id!]);
          return handled();
        }
        if (event.key === 'Escape' || event.key === 'Tab') {
          const back = element.querySelector<HTMLElement>(
            `.react-flow__node[data-id="${CSS.escape(origin)}"]`,
          );
          origin = undefined;
          if (back) {
            back.focus();
            return handled();
          }
        }
      }
    };
    // Capture: these keys mean something else to React Flow's own node handlers.
    element.addEventListener('keydown', onKeyDown, true);
    return () => element.removeEventListener('keydown', onKeyDown, true);
  }, [services, root, travel]);
}
