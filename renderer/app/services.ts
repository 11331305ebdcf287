/**
 * What the app's commands work with: the store, the host (core/host.ts), the workers and the
 * canvas. Made once in main.tsx and passed down by context; tests build their own with fakes.
 */
import { createContext, useContext } from 'react';
import type { Fragment } from '../../core/edit/clipboard';
import type { TopoforgeHost } from '../../core/host';
import type { Design, LayoutPosition } from '../../core/model';
import type { LayoutOptions } from '../layout/auto-layout';
import type { AppStore } from '../state/store';
import type { GenerateRequest, GenerateResponse } from '../workers/generate-protocol';

/** What the canvas offers to commands: zooming to items, pictures of the diagram, the viewport centre. */
export interface CanvasControls {
  fitView: (ids?: string[]) => void;
  /** A `data:` URL of the whole diagram. */
  capture: (format: 'png' | 'svg') => Promise<string>;
  /** The flow position at the centre of the visible canvas. */
  center: () => { x: number; y: number };
  /** Moves the view: `x`, `y` in screen pixels, `zoom` 1 for actual size. */
  setViewport: (viewport: { x: number; y: number; zoom: number }) => void;
  /** The pane's size in screen pixels, which the automatic layout takes the shape of. */
  size: () => { width: number; height: number };
  /** Where a flow position is on the screen. */
  toScreen: (point: { x: number; y: number }) => { x: number; y: number };
  /** How many nodes and edges React Flow holds: of a large design, those near the view. */
  held: () => { nodes: number; edges: number };
}

/** The app's collaborators. */
export interface AppServices {
  store: AppStore;
  host: TopoforgeHost;
  /** Positions of every item by the automatic layout (renderer/layout, in a worker). */
  layout: (design: Design, options?: LayoutOptions) => Promise<Record<string, LayoutPosition>>;
  generate: (request: GenerateRequest) => Promise<GenerateResponse>;
  /** Set by the canvas while it is mounted. */
  canvas: CanvasControls | undefined;
  /** Copied items, for Paste. */
  clipboard: { fragment: Fragment; pastes: number } | undefined;
}

/** The services of the component tree. */
export const ServicesContext = createContext<AppServices | undefined>(undefined);

/** The app's services; throws outside the provider. */
export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside <ServicesContext.Provider>');
  return services;
}
