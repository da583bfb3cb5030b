/**
 * The arithmetic behind every quoted figure. Medians, not means: one round
 * disturbed by a neighbour (GC, another process on the core) moves a mean
 * but not a median. Ratios are taken within a round and then their median
 * is quoted, because absolute req/s drift between rounds (about 12% here)
 * while two subjects measured back to back drift together.
 */

/** Median of the finite values; the mean of the middle two for an even count; NaN when empty. */
export function median(values: readonly number[]): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (xs.length === 0) return Number.NaN
  const mid = xs.length >> 1
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2
}

/**
 * The p-th percentile (0..100) by the nearest-rank method, the definition
 * HdrHistogram (and so autocannon) uses: the smallest value such that at
 * least p% of the values are at or below it. Used for custom loads that
 * return raw latencies, so their p50/p99 mean what autocannon's do.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  if (p < 0 || p > 100) throw new RangeError(`percentile must be within 0..100, got ${p}`)
  const xs = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * xs.length))
  return xs[rank - 1]!
}

/** One measured run of one subject. */
export interface RoundSample {
  /** Responses (or ops) completed, successful or not. */
  total: number
  /** Responses (or ops) that succeeded. */
  ok: number
  /** Requests that failed: connection errors, timeouts, unexpected status codes. */
  errors: number
  /** Wall time the load actually ran, seconds. */
  durationSec: number
  opsPerSec: number
  p50Ms: number
  p99Ms: number
  /** Response counts by status code (HTTP loads only). */
  statusCounts?: Record<string, number>
  /** CPU used during the run as a fraction of one core (1 = a full core). */
  serverCpu?: number
  loadCpu?: number
}

/**
 * Per-round ratios system/other: the system's ops/s in round i divided by
 * the other subject's in round i. A round where either side did nothing is
 * skipped rather than turned into 0 or Infinity.
 */
export function roundRatios(system: readonly RoundSample[], other: readonly RoundSample[]): number[] {
  const out: number[] = []
  const n = Math.min(system.length, other.length)
  for (let i = 0; i < n; i++) {
    const a = system[i]!.opsPerSec
    const b = other[i]!.opsPerSec
    if (a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b)) out.push(a / b)
  }
  return out
}

/** The quoted ratio: median of the per-round ratios (NaN when no round had both sides working). */
export function medianRatio(system: readonly RoundSample[], other: readonly RoundSample[]): number {
  return median(roundRatios(system, other))
}

/** Whether a measured ratio meets its goal; undefined when there is no goal or no ratio. */
export function goalMet(ratio: number | undefined, goal: number | undefined): boolean | undefined {
  if (goal === undefined || ratio === undefined || !Number.isFinite(ratio)) return undefined
  return ratio >= goal
}

/** Sum of a field over rounds (errors are counted, not medianed: one failing round must show). */
export function sum(values: readonly number[]): number {
  let s = 0
  for (const v of values) s += v
  return s
}
