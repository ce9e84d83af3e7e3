import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests resolve @guruconnect/* to their TypeScript sources (the `@guruconnect/source` export
// condition), so the suite needs no build step in between. Only that condition is added to
// Vite's defaults: adding `import` would reach Node as `--conditions import` and make CommonJS
// packages (pg → pg-pool) load ESM wrappers they cannot extend.
export default defineConfig({
  resolve: { conditions: ['@guruconnect/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@guruconnect/source', ...defaultServerConditions] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          // Browser behaviour is tested from Node: each test drives Debian's Chromium through
          // playwright-core against real servers, so one Node project runs everything.
          include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Two cores here: files run in parallel, but not so many that timing-sensitive
          // socket tests starve.
          maxWorkers: 2,
        },
      },
    ],
  },
});
