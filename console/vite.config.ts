import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The operator console: plain TypeScript and DOM, built into dist/console and served at /console. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  // Nothing from the network at run time: no CDN, no web fonts; everything is bundled.
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  logLevel: 'warn',
});
