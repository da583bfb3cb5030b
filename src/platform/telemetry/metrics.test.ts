/**
 * The default process metrics: the event-loop lag is sampled at
 * EVENT_LOOP_RESOLUTION_MS, not prom-client's 10 ms, and is still reported.
 */
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMetrics, EVENT_LOOP_RESOLUTION_MS } from './metrics.js'

// The module object prom-client itself requires, so a spy on it sees prom-client's call.
const perfHooks = createRequire(import.meta.url)('node:perf_hooks') as typeof import('node:perf_hooks')

afterEach(() => vi.restoreAllMocks())

describe('default metrics', () => {
  it('samples the event-loop lag every 100 ms and reports it', async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay')
    const { registry } = createMetrics()
    expect(EVENT_LOOP_RESOLUTION_MS).toBe(100)
    expect(monitor).toHaveBeenCalledWith({ resolution: EVENT_LOOP_RESOLUTION_MS })
    expect(await registry.metrics()).toContain('nodejs_eventloop_lag_p99_seconds')
  })
})
