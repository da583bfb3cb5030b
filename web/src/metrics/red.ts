/**
 * RED figures per system from the platform's histogram
 * `http_request_duration_seconds{system,route,method,status_code}`: a
 * snapshot sums every route of a system; two snapshots give the request
 * rate, the share of 5xx answers, and the p99 latency of the requests made
 * between them (interpolated inside the bucket, as Prometheus'
 * `histogram_quantile` does).
 */
import type { Sample } from './prometheus'

const METRIC = 'http_request_duration_seconds'

export interface SystemCounters {
  /** Requests answered since the process started. */
  count: number
  /** Of those, answers with a 5xx status. */
  errors: number
  /** Cumulative bucket counts by upper bound (seconds), +Inf included. */
  buckets: Map<number, number>
}

export interface RedRates {
  /** Requests per second. */
  rps: number
  /** 5xx answers per second. */
  errorsPerSecond: number
  /** Share of answers that were 5xx (0..1), null when there were no requests. */
  errorRatio: number | null
  /** 99th percentile latency in seconds, null when there were no requests. */
  p99: number | null
}

/** Sum the histogram per `system` label. */
export function countersBySystem(samples: readonly Sample[]): Map<string, SystemCounters> {
  const out = new Map<string, SystemCounters>()
  const of = (system: string) => {
    let c = out.get(system)
    if (!c) {
      c = { count: 0, errors: 0, buckets: new Map() }
      out.set(system, c)
    }
    return c
  }
  for (const s of samples) {
    const system = s.labels.system
    if (system === undefined || !s.name.startsWith(METRIC)) continue
    if (s.name === `${METRIC}_count`) {
      const c = of(system)
      c.count += s.value
      if (Number(s.labels.status_code) >= 500) c.errors += s.value
    } else if (s.name === `${METRIC}_bucket` && s.labels.le !== undefined) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le)
      const c = of(system)
      c.buckets.set(le, (c.buckets.get(le) ?? 0) + s.value)
    }
  }
  return out
}

/** The q-quantile of cumulative `[upperBound, count]` buckets (sorted or not); null when empty. */
export function histogramQuantile(q: number, buckets: Iterable<[number, number]>): number | null {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0])
  const total = sorted.at(-1)?.[1] ?? 0
  if (total <= 0) return null
  const rank = q * total
  let prevBound = 0
  let prevCount = 0
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      // Above the last finite bound nothing is known but "more than it": report that bound.
      if (!Number.isFinite(bound)) return prevBound
      if (count === prevCount) return bound
      return prevBound + (bound - prevBound) * ((rank - prevCount) / (count - prevCount))
    }
    prevBound = bound
    prevCount = count
  }
  return prevBound
}

/**
 * Rates between two snapshots taken `seconds` apart. A counter that went down means the server
 * restarted in between; its current value is then the whole delta, as Prometheus' rate() assumes.
 */
export function ratesBetween(
  prev: SystemCounters | undefined,
  cur: SystemCounters,
  seconds: number,
): RedRates {
  const reset = !prev || cur.count < prev.count
  const delta = (now: number, before: number | undefined) => (reset ? now : now - (before ?? 0))
  const requests = delta(cur.count, prev?.count)
  const errors = delta(cur.errors, prev?.errors)
  const buckets: [number, number][] = [...cur.buckets].map(([le, n]) => [le, delta(n, prev?.buckets.get(le))])
  const dt = seconds > 0 ? seconds : 1
  return {
    rps: requests / dt,
    errorsPerSecond: errors / dt,
    errorRatio: requests > 0 ? errors / requests : null,
    p99: requests > 0 ? histogramQuantile(0.99, buckets) : null,
  }
}
