/**
 * Metrics read from a plain number at scrape time: the hot path bumps a field of its own (no label
 * hashing, no prom-client call per event) and the registry reads it when Prometheus asks.
 */
import { Counter, Gauge, type Registry } from 'prom-client'

/** A counter on `registry` whose value is `read()` at each scrape (`read` must never decrease). */
export function scrapedCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset()
      this.inc(read())
    },
  })
}

/** A gauge on `registry` whose value is `read()` at each scrape. */
export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read())
    },
  })
}
