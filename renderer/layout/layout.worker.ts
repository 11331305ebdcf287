/** The layout worker: the automatic layout runs here, so that arranging never blocks the canvas. */
import type { LayoutPosition } from '../../core/model';
import { serveRpc } from '../workers/rpc';
import { arrangeDesign } from './auto-layout';
import type { LayoutRequest } from './auto-layout';

serveRpc<LayoutRequest, Record<string, LayoutPosition>>(async (request) =>
  arrangeDesign(request.design, request.options),
);
