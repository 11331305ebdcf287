/**
 * Editing a label in place: double-click an item (or F2) and type over its title on the canvas.
 * Enter or a click elsewhere keeps the text as the item's label (empty takes the label away, and
 * the id shows again), Escape leaves it as it was. One undoable edit. The field is drawn over the
 * node in flow coordinates, so it zooms and pans with it.
 */
import { useEffect, useRef } from 'react';
import type { KeyboardEvent } from 'react';
import { ViewportPortal } from '@xyflow/react';
import { labelItem } from '../app/commands';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';
import { SIZES } from './geometry';
import type { Geometry } from './geometry';
import './interact.css';

/** The current label of an item (site, host, service, group or entrypoint), or its id. */
function labelOf(design: ReturnType<typeof useDesign>, id: string): string {
  for (const list of [design.sites, design.hosts, design.services, design.groups, design.entrypoints]) {
    const item = (list as { id: string; label?: string }[] | undefined)?.find((entry) => entry.id === id);
    if (item) return item.label ?? '';
  }
  return '';
}

function useDesign() {
  return useAppStore((s) => s.design);
}

/** The field over the item whose label is being edited, if any. */
export function LabelEditor({ geometry }: { geometry: Geometry }) {
  const services = useServices();
  const id = useAppStore((s) => s.editingLabel);
  const design = useDesign();
  const input = useRef<HTMLInputElement>(null);
  const done = useRef(false);
  useEffect(() => {
    done.current = false;
    input.current?.focus();
    input.current?.select();
  }, [id]);
  const box = id === undefined ? undefined : geometry.boxes.get(id);
  if (id === undefined || !box) return null;

  const finish = (keep: boolean) => {
    if (done.current) return;
    done.current = true;
    const text = input.current?.value ?? '';
    services.store.getState().setEditingLabel(undefined);
    if (keep) labelItem(services, id, text);
    // Back to the canvas, so that the keyboard's shortcuts work on at once.
    document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`)?.focus();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    event.stopPropagation();
    if (event.key === 'Enter') {
      event.preventDefault();
      finish(true);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      finish(false);
    }
  };
  const container = box.kind === 'host' || box.kind === 'site';
  const header = box.kind === 'site' ? SIZES.siteHeader : SIZES.hostHeader;
  const height = 26;
  return (
    <ViewportPortal>
      <input
        ref={input}
        className="label-editor nodrag nopan nowheel"
        data-testid="label-editor"
        aria-label={`Label of ${id}`}
        defaultValue={labelOf(design, id)}
        placeholder={id}
        spellCheck={false}
        style={{
          position: 'absolute',
          transform: `translate(${box.absoluteX + 6}px, ${box.absoluteY + (container ? (header - height) / 2 : 4)}px)`,
          width: box.width - 12,
          height,
        }}
        onKeyDown={onKeyDown}
        onBlur={() => finish(true)}
      />
    </ViewportPortal>
  );
}
