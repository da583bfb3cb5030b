import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // web/: the console's component tests (happy-dom, per file) and its end-to-end test in Chromium.
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts', 'web/**/*.test.{ts,tsx}'],
    // One PGlite per worker is shared by the test files it runs (it takes seconds to start),
    // so files are not isolated from each other's module state; each isolates by schema/prefix.
    pool: 'forks',
    poolOptions: { forks: { isolate: false, maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    reporters: ['default'],
  },
})
