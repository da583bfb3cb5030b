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
 * The p-th percentile (0..100) by the nearest-rank method (HdrHistogram's
 * definition): the smallest value such that at least p% of the values are
 * at or below it. Sorts a copy.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentiles(values, [p])[0]!
}

/** Several percentiles with one sort (a round holds hundreds of thousands of latencies). */
export function percentiles(values: ArrayLike<number>, ps: readonly number[]): number[] {
  for (const p of ps) if (p < 0 || p > 100) throw new RangeError(`percentile must be within 0..100, got ${p}`)
  if (values.length === 0) return ps.map(() => Number.NaN)
  const xs = Float64Array.from(values).sort()
  return ps.map((p) => xs[Math.max(1, Math.ceil((p / 100) * xs.length)) - 1]!)
}

/**
 * One stretch of load on one subject, as measured. A round gives each
 * subject its duration in several slices, alternating subjects slice by
 * slice (A B A B ...), so that a burst of load from another process on this
 * machine, which lasts seconds, hits both subjects of a round alike.
 */
export interface Slice {
  total: number
  ok: number
  errors: number
  /** Wall time the load ran, seconds. */
  durationSec: number
  /** Every response's latency, ms: exact percentiles over a whole round, below 1 ms too. */
  latenciesMs: ArrayLike<number>
  statusCounts?: Record<string, number>
  /** CPU seconds the server and the load generator used during the slice, and the wall time they are over. */
  serverCpuSec?: number
  loadCpuSec: number
  wallSec: number
}

/** One subject's result in one round: its slices added up. */
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

/** Add up a subject's slices of one round: rates over the summed time, percentiles over all latencies. */
export function combineSlices(slices: readonly Slice[]): RoundSample {
  let total = 0
  let ok = 0
  let errors = 0
  let durationSec = 0
  let wallSec = 0
  let loadCpuSec = 0
  let serverCpuSec: number | undefined = 0
  let n = 0
  const statusCounts: Record<string, number> = {}
  for (const s of slices) {
    total += s.total
    ok += s.ok
    errors += s.errors
    durationSec += s.durationSec
    wallSec += s.wallSec
    loadCpuSec += s.loadCpuSec
    serverCpuSec =
      serverCpuSec === undefined || s.serverCpuSec === undefined ? undefined : serverCpuSec + s.serverCpuSec
    n += s.latenciesMs.length
    for (const [code, c] of Object.entries(s.statusCounts ?? {}))
      statusCounts[code] = (statusCounts[code] ?? 0) + c
  }
  const all = new Float64Array(n)
  let at = 0
  for (const s of slices) {
    all.set(Float64Array.from(s.latenciesMs), at)
    at += s.latenciesMs.length
  }
  const [p50Ms, p99Ms] = percentiles(all, [50, 99]) as [number, number]
  return {
    total,
    ok,
    errors,
    durationSec,
    opsPerSec: durationSec > 0 ? ok / durationSec : 0,
    p50Ms,
    p99Ms,
    ...(Object.keys(statusCounts).length > 0 ? { statusCounts } : {}),
    ...(wallSec > 0 && serverCpuSec !== undefined ? { serverCpu: serverCpuSec / wallSec } : {}),
    ...(wallSec > 0 ? { loadCpu: loadCpuSec / wallSec } : {}),
  }
}

/** A per-round figure to compare: throughput by default. */
export type Metric = (s: RoundSample) => number | undefined

export const throughput: Metric = (s) => s.opsPerSec

/**
 * Throughput per CPU-second the server used. On a machine where other
 * processes compete for the server's core, req/s falls with the share of
 * the core the server got, but work per CPU-second does not (much): a
 * cross-check of the ratio when the machine was not quiet. Undefined when
 * the server's CPU is unknown or negligible (in-process subjects).
 */
export const perServerCpu: Metric = (s) =>
  s.serverCpu !== undefined && s.serverCpu > 0.05 ? s.opsPerSec / s.serverCpu : undefined

/**
 * Per-round ratios system/other: the system's figure in round i divided by
 * the other subject's in round i. A round where either side did nothing is
 * skipped rather than turned into 0 or Infinity.
 */
export function roundRatios(
  system: readonly RoundSample[],
  other: readonly RoundSample[],
  metric: Metric = throughput,
): number[] {
  const out: number[] = []
  const n = Math.min(system.length, other.length)
  for (let i = 0; i < n; i++) {
    const a = metric(system[i]!)
    const b = metric(other[i]!)
    if (a !== undefined && b !== undefined && a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b))
      out.push(a / b)
  }
  return out
}

/** The quoted ratio: median of the per-round ratios (NaN when no round had both sides working). */
export function medianRatio(
  system: readonly RoundSample[],
  other: readonly RoundSample[],
  metric: Metric = throughput,
): number {
  return median(roundRatios(system, other, metric))
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
