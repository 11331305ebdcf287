/** The layout worker: ELK runs here, so that arranging a large design never blocks the canvas. */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { Design, LayoutPosition } from '../../core/model';
import { serveRpc } from '../workers/rpc';
import { autoLayout } from './auto-layout';

const elk = new ELK();
serveRpc<Design, Record<string, LayoutPosition>>((design) =>
  autoLayout(design, (graph) => elk.layout(graph)),
);
