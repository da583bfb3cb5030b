/**
 * The gateway's metrics: `gateway_proxy_duration_seconds{workspace, route, service, status}` (a
 * histogram, so request rate, errors and p99 per workspace and route come from one series), target health and the config
 * version. Series are found through a small cache, so a request hashes no label object.
 */
import { FastHistogram, type HistogramSeries } from '../../platform/telemetry/fast-histogram.js'
import { Gauge, LATENCY_BUCKETS, type Registry } from '../../platform/telemetry/metrics.js'
import type { GatewayRuntime } from './runtime.js'

export function gatewayMetrics(registry: Registry, runtime: () => GatewayRuntime | undefined) {
  const hist = new FastHistogram(
    'gateway_proxy_duration_seconds',
    'Proxied requests by workspace, route id, service id and status, from the first byte in to the last out',
    LATENCY_BUCKETS,
    registry,
  )
  const cache = new Map<string, HistogramSeries>()
  new Gauge({
    name: 'gateway_target_healthy',
    help: 'Whether each upstream target is in rotation (1) or out after failing health checks (0)',
    labelNames: ['target'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const t of runtime()?.targets.values() ?? []) this.set({ target: t.key }, t.healthy ? 1 : 0)
    },
  })
  new Gauge({
    name: 'gateway_config_version',
    help: 'Version of the configuration this node serves',
    registers: [registry],
    collect() {
      this.set(runtime()?.version ?? 0)
    },
  })
  return {
    observe(workspace: string, route: string, service: string, status: number, ms: number) {
      const key = `${workspace}|${route}|${service}|${status}`
      let s = cache.get(key)
      if (!s) {
        if (cache.size > 50_000) cache.clear()
        s = hist.series({ workspace, route, service, status: String(status) })
        cache.set(key, s)
      }
      s.observe(ms / 1000)
    },
  }
}
