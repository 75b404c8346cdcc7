import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { configDefaults, defineConfig } from 'vitest/config';

// Two projects: the Node tests as they always ran, and the renderer's
// component tests (Svelte compiled for the browser, in happy-dom).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/renderer/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        plugins: [svelte(), svelteTesting({ autoCleanup: false })],
        define: { __PTLAB_FAKE_BUILD__: 'false' },
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.ts'],
          environment: 'happy-dom',
          setupFiles: ['test/renderer/setup.ts'],
          testTimeout: 30_000,
          pool: 'forks',
        },
      },
    ],
  },
});
