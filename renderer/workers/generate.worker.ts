/**
 * The generate worker: bundles are generated here (precompiled templates, no eval), and zipped
 * here for the browser's export, so a large bundle never blocks the canvas.
 */
import { generateBundle } from '../../core/generate/index';
import { ansibleArchive } from '../files/ansible-archive';
import { bundleArchive } from '../files/bundle-archive';
import type { GenerateRequest, GenerateResponse } from './generate-protocol';
import { serveRpc } from './rpc';

serveRpc<GenerateRequest, GenerateResponse>(
  (request) => {
    if (request.kind === 'archive')
      return { kind: 'archive', bytes: bundleArchive(request.bundle, request.folder) };
    if (request.kind === 'ansible-archive')
      return { kind: 'archive', ...ansibleArchive(request.bundle, request.design, request.folder) };
    const started = performance.now();
    const bundle = generateBundle(request.design);
    return { kind: 'bundle', revision: request.revision, bundle, durationMs: performance.now() - started };
  },
  (response) => (response.kind === 'archive' ? [response.bytes.buffer as ArrayBuffer] : []),
);
