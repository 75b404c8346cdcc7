import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { configDefaults, defineConfig } from 'vitest/config';
import pkg from './package.json' with { type: 'json' };

// Three projects: the Node tests as they always ran, the renderer's
// component tests (Svelte compiled for the browser, in happy-dom), and the
// end-to-end tests (web mode driven in headless Chromium), one file at a
// time so that two Chromiums and two servers never share the 2 cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/renderer/**', 'test/e2e/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        plugins: [svelte(), svelteTesting({ autoCleanup: false })],
        define: { __PTLAB_FAKE_BUILD__: 'false', __PTLAB_VERSION__: JSON.stringify(pkg.version) },
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.ts'],
          environment: 'happy-dom',
          setupFiles: ['test/renderer/setup.ts'],
          testTimeout: 30_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
