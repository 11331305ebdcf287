/**
 * Vite builds the renderer (renderer/index.html) into dist/web with relative asset URLs, so the
 * same build loads from `npm run web`, a static server in the end-to-end tests and, later, the
 * desktop shell. Workers are ES modules, allowed by the page's `worker-src 'self'`.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dev server's React Refresh preamble is an inline script; the production page allows none.
 * Only `vite` (dev) relaxes `script-src`, and only for that preamble.
 */
function devContentSecurityPolicy(): Plugin {
  return {
    name: 'topoforge-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
  };
}

export default defineConfig({
  root: `${root}renderer`,
  base: './',
  publicDir: false,
  plugins: [react(), devContentSecurityPolicy()],
  worker: { format: 'es' },
  build: {
    outDir: `${root}dist/web`,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
  },
  server: { fs: { allow: [root] } },
  preview: { port: 4173 },
});
