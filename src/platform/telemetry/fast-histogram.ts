/**
 * A Prometheus histogram for hot paths with any label names. Like
 * RouteHistogram, a caller resolves its label set once (`series(...)`) and
 * then observes into a typed array; the cumulative series are built only
 * when /metrics is scraped. prom-client's Histogram hashes the label object
 * on every observe, which a decision taking ~50 µs can feel.
 */
import type { Registry } from 'prom-client'

/** One label set of a FastHistogram: observe into it on the hot path. */
export class HistogramSeries {
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly buckets: readonly number[],
  ) {
    this.counts = new Float64Array(buckets.length)
  }

  /** Record one observation of `value` (seconds, by convention). */
  observe(value: number): void {
    const b = this.buckets
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        this.counts[i]!++
        break
      }
    }
    this.sum += value
    this.count++
  }
}

export class FastHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly all = new Map<string, HistogramSeries>()

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    // prom-client renders any object with name/help/type/get(); see Registry.getMetricsAsString.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0])
  }

  /** The series for `labels`, created on first use; keep it and observe into it. */
  series(labels: Record<string, string>): HistogramSeries {
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}\u0000${v}`)
      .join('\u0001')
    let s = this.all.get(key)
    if (!s) {
      s = new HistogramSeries(Object.freeze({ ...labels }), this.buckets)
      this.all.set(key, s)
    }
    return s
  }

  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = []
    for (const s of this.all.values()) {
      let cumulative = 0
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i]!
        values.push({
          labels: { le: this.buckets[i]!, ...s.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        })
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` })
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` })
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  reset(): void {
    this.all.clear()
  }
}
