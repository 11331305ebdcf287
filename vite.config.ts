/**
 * Vite builds the renderer (renderer/index.html) into dist/web with relative asset URLs, so the
 * same build loads from `npm run web`, a static server in the end-to-end tests and, later, the
 * desktop shell. Workers are ES modules, allowed by the page's `worker-src 'self'`.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import {
  CONTENT_SECURITY_POLICY_PLACEHOLDER,
  contentSecurityPolicy,
} from './core/content-security-policy.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Writes the page's Content Security Policy (core/content-security-policy.ts, the one the desktop
 * app sends as a header) into renderer/index.html's meta element. The dev server's React Refresh
 * preamble is an inline script, which the built page allows none of: only `vite` (dev) relaxes
 * `script-src`, and only for that preamble.
 */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'topoforge-content-security-policy',
    transformIndexHtml: {
      order: 'pre',
      handler(html, context) {
        if (!html.includes(CONTENT_SECURITY_POLICY_PLACEHOLDER))
          throw new Error(`the page has no ${CONTENT_SECURITY_POLICY_PLACEHOLDER} to write its policy into`);
        const policy = contentSecurityPolicy('meta');
        const served = context.server
          ? policy.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
          : policy;
        return html.replace(CONTENT_SECURITY_POLICY_PLACEHOLDER, served);
      },
    },
  };
}

export default defineConfig({
  root: `${root}renderer`,
  base: './',
  publicDir: false,
  plugins: [react(), contentSecurityPolicyMeta()],
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
