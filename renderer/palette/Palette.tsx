/**
 * The palette: every service kind, the containers, the groups and the entrypoints. Drag an entry
 * onto the canvas (pointer events, so it behaves the same with a mouse, a pen or a test driver),
 * or click it to add it in the middle of the view.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PointerEvent as ReactPointerEvent } from 'react';
import { createPortal } from 'react-dom';
import { useReactFlow } from '@xyflow/react';
import { ENTRYPOINT_VIAS, GROUP_KINDS, SERVICE_KINDS } from '../../core/model';
import { addItem, dropItem } from '../app/commands';
import type { PaletteItem } from '../app/commands';
import { useServices } from '../app/services';
import {
  CONTAINER_INFO,
  ENTRYPOINT_VIA_INFO,
  GROUP_KIND_INFO,
  KindTile,
  SERVICE_KIND_INFO,
} from '../canvas/kinds';
import type { KindInfo } from '../canvas/kinds';

interface Entry {
  key: string;
  item: PaletteItem;
  info: KindInfo;
}

const SECTIONS: { title: string; entries: Entry[] }[] = [
  {
    title: 'Services',
    entries: SERVICE_KINDS.map((kind) => ({
      key: kind,
      item: { type: 'service', kind },
      info: SERVICE_KIND_INFO[kind],
    })),
  },
  {
    title: 'Placement',
    entries: [
      { key: 'host', item: { type: 'host' }, info: CONTAINER_INFO.host },
      { key: 'site', item: { type: 'site' }, info: CONTAINER_INFO.site },
    ],
  },
  {
    title: 'Groups',
    entries: GROUP_KINDS.map((kind) => ({
      key: kind,
      item: { type: 'group', kind },
      info: GROUP_KIND_INFO[kind],
    })),
  },
  {
    title: 'Entrypoints',
    entries: ENTRYPOINT_VIAS.map((via) => ({
      key: `entrypoint-${via}`,
      item: { type: 'entrypoint', via },
      info: ENTRYPOINT_VIA_INFO[via],
    })),
  },
];

const DRAG_THRESHOLD = 4;

interface Ghost {
  entry: Entry;
  x: number;
  y: number;
}

/** The palette on the left of the window. */
export function Palette() {
  const services = useServices();
  const flow = useReactFlow();
  const [ghost, setGhost] = useState<Ghost | undefined>();
  const cleanup = useRef<(() => void) | undefined>(undefined);

  useEffect(() => () => cleanup.current?.(), []);

  const place = useCallback(
    (entry: Entry, client: { x: number; y: number } | undefined) => {
      let created: string | undefined;
      if (client) {
        const under = document.elementFromPoint(client.x, client.y);
        if (!under?.closest('.react-flow')) return;
        created = dropItem(services, entry.item, flow.screenToFlowPosition(client));
      } else created = addItem(services, entry.item);
      if (created) services.store.getState().select([created]);
    },
    [flow, services],
  );

  const onPointerDown = useCallback(
    (entry: Entry, event: ReactPointerEvent) => {
      if (event.button !== 0) return;
      event.preventDefault();
      const start = { x: event.clientX, y: event.clientY };
      let dragging = false;
      const move = (e: PointerEvent) => {
        if (!dragging && Math.hypot(e.clientX - start.x, e.clientY - start.y) < DRAG_THRESHOLD) return;
        dragging = true;
        setGhost({ entry, x: e.clientX, y: e.clientY });
      };
      const up = (e: PointerEvent) => {
        stop();
        setGhost(undefined);
        place(entry, dragging ? { x: e.clientX, y: e.clientY } : undefined);
      };
      const cancel = () => {
        stop();
        setGhost(undefined);
      };
      const stop = () => {
        window.removeEventListener('pointermove', move);
        window.removeEventListener('pointerup', up);
        window.removeEventListener('pointercancel', cancel);
        cleanup.current = undefined;
      };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up);
      window.addEventListener('pointercancel', cancel);
      cleanup.current = stop;
    },
    [place],
  );

  return (
    <aside className="palette" aria-label="Palette">
      {SECTIONS.map((section) => (
        <section key={section.title}>
          <h2>{section.title}</h2>
          <ul>
            {section.entries.map((entry) => (
              <li key={entry.key}>
                <button
                  type="button"
                  className="palette-entry"
                  data-testid={`palette-${entry.key}`}
                  title={`${entry.info.hint}. Drag onto the canvas, or click to add.`}
                  onPointerDown={(event) => onPointerDown(entry, event)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter' || event.key === ' ') {
                      event.preventDefault();
                      place(entry, undefined);
                    }
                  }}
                >
                  <KindTile info={entry.info} size={24} />
                  <span>{entry.info.name}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {ghost
        ? createPortal(
            <div className="palette-ghost" style={{ left: ghost.x, top: ghost.y }}>
              <KindTile info={ghost.entry.info} size={24} />
              <span>{ghost.entry.info.name}</span>
            </div>,
            document.body,
          )
        : null}
    </aside>
  );
}
