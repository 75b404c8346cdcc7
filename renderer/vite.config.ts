/**
 * Vite config of the renderer. `vite build` writes the production app to
 * dist/renderer/ (what the web host and the Electron protocol handler serve).
 * `--mode fake` writes a second build to dist/renderer-fake/ that runs on the
 * in-memory fake client: it exists for screenshots and the renderer
 * benchmark only, and the production build never contains the fake.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import pkg from '../package.json' with { type: 'json' };

// import.meta.dirname (Node ≥ 20.11): this file runs in Node at build time, but it lives under
// renderer/, where the layering rule allows no node: import.
const root = import.meta.dirname;
const up = `${root}/..`;

export default defineConfig(({ mode }) => ({
  root,
  base: './',
  plugins: [svelte()],
  define: {
    // Statically false in production builds, so the fake client is tree-shaken away.
    __PTLAB_FAKE_BUILD__: JSON.stringify(mode === 'fake'),
    // The demo lab reports the app's own version (the real one comes from the lab's getAppInfo).
    __PTLAB_VERSION__: JSON.stringify(pkg.version),
  },
  server: { host: '127.0.0.1', fs: { allow: [up] } },
  build: {
    outDir: `${up}/dist/${mode === 'fake' ? 'renderer-fake' : 'renderer'}`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
}));
