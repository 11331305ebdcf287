/**
 * The analysis worker: answers each request with the {@link Analysis} of its revision. A module
 * worker, which the page's CSP allows (`worker-src 'self'`); no code is compiled at run time.
 */
import { Analyzer } from './analyze';
import type { Analysis, AnalysisRequest } from './analysis-protocol';
import { serveRpc } from './rpc';

const analyzer = new Analyzer();
serveRpc<AnalysisRequest, Analysis>((request) => analyzer.analyze(request));
