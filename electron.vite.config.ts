import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

// Three entries, all outside electron-vite's default src/ layout: the main process and preload live in
// src-main/shell (thin Electron code), the renderer is src-renderer. Builds without the Electron binary.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // The training worker process and the trial and import worker threads are entries of their own,
      // forked / started by main from next to its bundle (src-main/shell/main.ts passes their paths), under
      // the names src-main/jobs/worker-entry.ts looks for.
      rolldownOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src-main/shell/main.ts'),
          'train-worker': resolve(import.meta.dirname, 'src-main/jobs/worker/entry.ts'),
          'trial-worker': resolve(import.meta.dirname, 'src-main/jobs/trial-threads/entry.ts'),
          'import-worker': resolve(import.meta.dirname, 'src-main/jobs/import-thread/entry.ts'),
        },
        output: { entryFileNames: (chunk) => (chunk.name === 'index' ? '[name].js' : '[name].mjs') },
        // audit.report's PDF drives the system Chromium through playwright-core (a dev dependency), loaded
        // on demand: left external, not bundled; where it is missing the route answers `not_available`.
        external: ['playwright-core'],
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require only 'electron': everything else (zod, the contract) is bundled in.
      externalizeDeps: false,
      // Sandboxed preloads cannot be ES modules.
      rolldownOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src-main/shell/preload.ts'),
        },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src-renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rolldownOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src-renderer/index.html'),
        },
      },
    },
  },
});
