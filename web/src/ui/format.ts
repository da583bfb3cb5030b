/** Number formats shared by cards, tables and chart axes. */

/** Requests per second: `0`, `0.35`, `12.4`, `1,234`. */
export function formatRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  if (v === 0) return '0'
  if (v < 10) return v.toFixed(2)
  if (v < 100) return v.toFixed(1)
  return Math.round(v).toLocaleString('en')
}

/** A duration in seconds, shown in the unit that reads best: `850 µs`, `12.3 ms`, `1.20 s`. */
export function formatSeconds(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  if (v === 0) return '0 s'
  if (v < 0.001) return `${Math.round(v * 1_000_000)} µs`
  if (v < 1) return `${(v * 1000).toFixed(v < 0.01 ? 2 : v < 0.1 ? 1 : 0)} ms`
  return `${v.toFixed(2)} s`
}

/**
 * The ticks of a duration axis, all in one unit chosen by the largest tick and with the decimals the
 * step needs: `0 ms, 250 ms, 500 ms` or `0.0 s, 0.5 s, 1.0 s`, never `0 µs` under `1.00 s`.
 */
export function formatSecondsTicks(splits: readonly number[]): string[] {
  const finite = splits.filter((v) => Number.isFinite(v))
  const max = Math.max(0, ...finite.map((v) => Math.abs(v)))
  const [scale, unit] = max >= 1 ? [1, 's'] : max >= 0.001 ? [1_000, 'ms'] : [1_000_000, 'µs']
  const scaled = splits.map((v) => v * scale)
  let step = Number.POSITIVE_INFINITY
  for (let i = 1; i < scaled.length; i++) {
    const d = Math.abs(scaled[i]! - scaled[i - 1]!)
    if (d > 0) step = Math.min(step, d)
  }
  // The fewest decimals that write the step exactly (2.5 ms needs one); the tolerance absorbs
  // floating-point noise such as 0.30000000000000004.
  let decimals = 0
  while (decimals < 3 && Number.isFinite(step)) {
    const x = step * 10 ** decimals
    if (Math.abs(x - Math.round(x)) < 1e-6) break
    decimals++
  }
  return scaled.map((v) => (Number.isFinite(v) ? `${v.toFixed(decimals)} ${unit}` : ''))
}

/** A ratio 0..1 as a percentage: `0 %`, `0.4 %`, `12 %`. */
export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const p = v * 100
  if (p === 0) return '0 %'
  return `${p < 1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : Math.round(p)} %`
}
