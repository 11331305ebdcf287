/**
 * The overview (minimap): the whole design in small, with the part the canvas shows framed. It
 * sits below the palette, outside the canvas, so it never covers the design, and it costs the
 * same at 5,000 services as at 50: the design is painted once per edit into one <canvas> (sites,
 * hosts and cards as plain rectangles), and panning only moves the frame. Click or drag in it to
 * look elsewhere. It folds away to its title.
 */
import { useDeferredValue, useEffect, useMemo, useRef } from 'react';
import type { PointerEvent as ReactPointerEvent } from 'react';
import { useReactFlow, useStore } from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../state/store';
import { boundsOf } from './fit';
import { geometryOf } from './geometry';

const WIDTH = 184;
const HEIGHT = 124;
const MARGIN = 6;

/** The overview's colours, the theme's (styles.css), and the theme they were read under. */
let colours: { theme: string | undefined; fills: Record<string, string>; siteBorder: string } | undefined;

/**
 * The theme's colours for the overview, read from the page's style once per theme: reading a
 * computed style after an edit had changed the page made the browser work out every element's
 * style there and then (about 15 ms of a drop's task at 5,000 services), and the colours change
 * only with the theme.
 */
function coloursOf(element: Element): NonNullable<typeof colours> {
  const theme = document.documentElement.dataset.theme;
  if (colours && colours.theme === theme) return colours;
  const styles = getComputedStyle(element);
  const colour = (name: string) => styles.getPropertyValue(name).trim() || '#888';
  colours = {
    theme,
    fills: {
      site: colour('--site-bg'),
      host: colour('--host-border'),
      service: colour('--text-2'),
      group: colour('--text-2'),
      entrypoint: colour('--accent'),
    },
    siteBorder: colour('--site-border'),
  };
  return colours;
}

/** The overview below the palette. */
export function Overview() {
  const design = useDeferredValue(useAppStore((s) => s.design));
  const { expanded, theme } = useAppStore(useShallow((s) => ({ expanded: s.showMinimap, theme: s.theme })));
  const setExpanded = useAppStore((s) => s.setShowMinimap);
  const geometry = useMemo(() => geometryOf(design), [design]);
  const flow = useReactFlow();
  const canvas = useRef<HTMLCanvasElement>(null);

  // Flow coordinates to overview pixels: the design's bounds fitted into the box.
  const scale = useMemo(() => {
    const bounds = boundsOf(geometry);
    if (!bounds) return undefined;
    const factor = Math.min(
      (WIDTH - 2 * MARGIN) / (bounds.width || 1),
      (HEIGHT - 2 * MARGIN) / (bounds.height || 1),
    );
    const offsetX = MARGIN + (WIDTH - 2 * MARGIN - bounds.width * factor) / 2 - bounds.x * factor;
    const offsetY = MARGIN + (HEIGHT - 2 * MARGIN - bounds.height * factor) / 2 - bounds.y * factor;
    return { factor, offsetX, offsetY };
  }, [geometry]);

  useEffect(() => {
    const draw = () => {
      const element = canvas.current;
      if (!element) return;
      const context = element.getContext('2d');
      if (!context) return;
      const ratio = window.devicePixelRatio || 1;
      element.width = WIDTH * ratio;
      element.height = HEIGHT * ratio;
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, WIDTH, HEIGHT);
      if (!scale) return;
      const { fills, siteBorder } = coloursOf(element);
      for (const id of geometry.order) {
        const box = geometry.boxes.get(id)!;
        const x = box.absoluteX * scale.factor + scale.offsetX;
        const y = box.absoluteY * scale.factor + scale.offsetY;
        const w = Math.max(1, box.width * scale.factor);
        const h = Math.max(1, box.height * scale.factor);
        context.fillStyle = fills[box.kind] ?? '#888';
        context.globalAlpha = box.kind === 'host' ? 0.5 : 1;
        context.fillRect(x, y, w, h);
        if (box.kind === 'site') {
          context.strokeStyle = siteBorder;
          context.strokeRect(x, y, w, h);
        }
      }
      context.globalAlpha = 1;
    };
    if (!expanded) return;
    // The app sets the page's theme in its own effect, which runs after this one: until it has,
    // the page's colours are the old theme's, so the overview is drawn a frame later.
    if (document.documentElement.dataset.theme === theme) return draw();
    const frame = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frame);
  }, [geometry, scale, expanded, theme]);

  // The part of the design the canvas shows, in overview pixels.
  const view = useStore(
    useShallow((s) => ({
      x: s.transform[0],
      y: s.transform[1],
      zoom: s.transform[2],
      width: s.width,
      height: s.height,
    })),
  );
  const frame =
    scale && view.width > 0
      ? {
          left: (-view.x / view.zoom) * scale.factor + scale.offsetX,
          top: (-view.y / view.zoom) * scale.factor + scale.offsetY,
          width: (view.width / view.zoom) * scale.factor,
          height: (view.height / view.zoom) * scale.factor,
        }
      : undefined;

  const lookAt = (event: ReactPointerEvent<HTMLDivElement>) => {
    if (!scale) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const x = (event.clientX - rect.left - scale.offsetX) / scale.factor;
    const y = (event.clientY - rect.top - scale.offsetY) / scale.factor;
    void flow.setCenter(x, y, { zoom: flow.getZoom() });
  };

  return (
    <section className="overview" aria-label="Overview">
      <button
        type="button"
        className="overview-toggle"
        aria-expanded={expanded}
        data-testid="overview-toggle"
        onClick={() => setExpanded(!expanded)}
      >
        Overview
      </button>
      {expanded ? (
        <div
          className="overview-map"
          data-testid="overview"
          style={{ width: WIDTH, height: HEIGHT }}
          onPointerDown={(event) => {
            event.currentTarget.setPointerCapture(event.pointerId);
            lookAt(event);
          }}
          onPointerMove={(event) => {
            if (event.buttons === 1) lookAt(event);
          }}
        >
          <canvas
            ref={canvas}
            role="img"
            aria-label="The whole design in small; click to look there"
            style={{ width: WIDTH, height: HEIGHT }}
          />
          {frame ? (
            <div
              className="overview-frame"
              data-testid="overview-frame"
              style={{
                left: Math.max(0, frame.left),
                top: Math.max(0, frame.top),
                width: Math.min(WIDTH, frame.left + frame.width) - Math.max(0, frame.left),
                height: Math.min(HEIGHT, frame.top + frame.height) - Math.max(0, frame.top),
              }}
            />
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
