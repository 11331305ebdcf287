/**
 * While a service or host is dragged, the container under the pointer that would take it lights
 * up, and a small label beside the pointer says what the drop will do ("Move into app-2", "New
 * host"). The target is kept in the store (one short string per change, not per frame); the
 * label follows the pointer by moving its own element, without rendering React each frame.
 */
import { useEffect, useRef } from 'react';
import type { Point } from '../../core/edit/ids';
import type { AppServices } from '../app/services';
import { useAppStore } from '../state/store';
import type { Geometry } from './geometry';
import { dropTargetOf } from './placement';
import './interact.css';

/** What a drag would do if dropped now: the container that lights up and the label's words. */
export interface DropPreview {
  /** The host or site that would take the dragged items; none for the canvas itself. */
  container?: string;
  text: string;
}

/** What dropping `dragged` at `pointer` would do, or undefined when it only moves them. */
export function dropPreviewOf(
  geometry: Geometry,
  design: {
    services: readonly { id: string; host?: string }[];
    hosts: readonly { id: string; site?: string }[];
  },
  dragged: readonly string[],
  pointer: Point,
): DropPreview | undefined {
  const target = dropTargetOf(geometry, dragged, pointer);
  if (!target) return undefined;
  const services = design.services.filter((s) => dragged.includes(s.id));
  const hosts = design.hosts.filter((h) => dragged.includes(h.id));
  if (target.kind === 'host') {
    const moving = services.some((s) => s.host !== target.id);
    return { container: target.id, text: moving ? `Move into ${target.id}` : '' };
  }
  if (services.some((s) => s.host !== undefined))
    return target.kind === 'site'
      ? { container: target.id, text: `New host in ${target.id}` }
      : { text: 'New host' };
  if (target.kind === 'site')
    return {
      container: target.id,
      text: hosts.some((h) => h.site !== target.id) ? `Move into ${target.id}` : '',
    };
  return hosts.some((h) => h.site !== undefined) ? { text: 'Out of the site' } : undefined;
}

/** Records what a drag would do now, in the store, when it differs from what it was. */
export function trackDrop(
  services: AppServices,
  geometry: Geometry,
  dragged: readonly string[],
  pointer: Point | undefined,
): void {
  const state = services.store.getState();
  const next = pointer ? dropPreviewOf(geometry, state.design, dragged, pointer) : undefined;
  const current = state.dropPreview;
  if (next?.container === current?.container && next?.text === current?.text) return;
  state.setDropPreview(next);
}

/** The label beside the pointer while a drag would change a container. */
export function DropHint() {
  const text = useAppStore((s) => s.dropPreview?.text);
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!text) return;
    const follow = (event: PointerEvent) => {
      if (element.current)
        element.current.style.transform = `translate(${event.clientX + 14}px, ${event.clientY + 16}px)`;
    };
    window.addEventListener('pointermove', follow);
    return () => window.removeEventListener('pointermove', follow);
  }, [text]);
  if (!text) return null;
  return (
    <div className="drop-hint" ref={element} data-testid="drop-hint" role="status">
      {text}
    </div>
  );
}

/** True while the container `id` would take what is being dragged: it lights up. */
export function useIsDropTarget(id: string): boolean {
  return useAppStore((s) => s.dropPreview?.container === id);
}
