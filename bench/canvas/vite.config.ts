/** Builds the plain React Flow page of the canvas benchmark (production build, as the app's). */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/bench-canvas', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: { input: { plain: `${here}plain.html` } },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4000,
  },
});
