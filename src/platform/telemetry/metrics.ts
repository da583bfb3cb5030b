/**
 * Prometheus metrics. One registry per app (tests build several apps in one
 * process). RED metrics per route and system come from one histogram:
 * its `_count` is the rate, `status_code` gives the errors, buckets give
 * the duration. Systems add their own metrics to `registry` with prom-client.
 */
import { collectDefaultMetrics, Registry } from 'prom-client'
import { RouteHistogram } from './route-histogram.js'

export { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client'

export interface Metrics {
  readonly registry: Registry
  /** `http_request_duration_seconds{system, route, method, status_code}`: every client's requests but the console's */
  readonly httpDuration: RouteHistogram
  /** `http_console_request_duration_seconds{...}`: the console's own requests (see CONSOLE_CLIENT_HEADER) */
  readonly consoleDuration: RouteHistogram
}

/**
 * The header the console sends on its own requests (`x-blueprints-client: console`). They are
 * recorded in `http_console_request_duration_seconds` instead of the RED histogram, so that the
 * console's polling (about one request a second per open page) does not show as traffic of an
 * idle system. A client may send it too: its requests then count there, not in the RED figures.
 */
export const CONSOLE_CLIENT_HEADER = 'x-blueprints-client'

/** Latency buckets in seconds, from 0.5 ms (a cached redirect) to 10 s. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/**
 * How often the event-loop lag is sampled (ms). prom-client's default, 10 ms, wakes an idle
 * process a hundred times a second; lag worth alerting on lasts far longer than 100 ms.
 */
export const EVENT_LOOP_RESOLUTION_MS = 100

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS })
  const httpDuration = new RouteHistogram(
    'http_request_duration_seconds',
    'HTTP request duration by system, route, method and status code',
    LATENCY_BUCKETS,
    registry,
  )
  const consoleDuration = new RouteHistogram(
    'http_console_request_duration_seconds',
    "HTTP request duration of the console's own requests (x-blueprints-client: console), by system, route, method and status code",
    LATENCY_BUCKETS,
    registry,
  )
  return { registry, httpDuration, consoleDuration }
}
