import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // One PGlite per worker is shared by the test files it runs (it takes seconds to start),
    // so files are not isolated from each other's module state; each isolates by schema/prefix.
    pool: 'forks',
    poolOptions: { forks: { isolate: false, maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          // web/e2e: the console's end-to-end test, which drives Chromium from Node.
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts', 'web/e2e/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // The console's component tests run in happy-dom, each file in a fresh module graph (testing
          // library's `screen` binds to the document of the first file that loads it). The forks pool is
          // shared and unisolated (see above), so these run in the threads pool, isolated by default.
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
          pool: 'threads',
        },
      },
    ],
  },
})
