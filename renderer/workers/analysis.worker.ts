/**
 * The analysis worker: answers each request with the {@link Analysis} of its revision, as the
 * changes from the answer the page holds (analysis-diff.ts). A module worker, which the page's
 * CSP allows (`worker-src 'self'`); no code is compiled at run time.
 */
import { Analyzer } from './analyze';
import { AnswerWriter } from './analysis-diff';
import type { AnalysisAnswer } from './analysis-diff';
import type { AnalysisRequest } from './analysis-protocol';
import { serveRpc } from './rpc';

const analyzer = new Analyzer();
const writer = new AnswerWriter();
serveRpc<AnalysisRequest, AnalysisAnswer>((request) =>
  writer.answer(analyzer.analyze(request), request.answerBase),
);
