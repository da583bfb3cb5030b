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
  if (v < 0.001) return `${Math.round(v * 1_000_000)} µs`
  if (v < 1) return `${(v * 1000).toFixed(v < 0.01 ? 2 : v < 0.1 ? 1 : 0)} ms`
  return `${v.toFixed(2)} s`
}

/** A ratio 0..1 as a percentage: `0 %`, `0.4 %`, `12 %`. */
export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const p = v * 100
  if (p === 0) return '0 %'
  return `${p < 1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : Math.round(p)} %`
}
