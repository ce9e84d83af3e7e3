import { playwright } from '@vitest/browser-playwright';
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
          include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Two cores here: files run in parallel, but not so many that timing-sensitive
          // socket tests starve.
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['packages/*/src/**/*.browser.test.ts'],
          testTimeout: 30_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
