/** Put several series sampled at (mostly) the same times onto one time axis, as uPlot wants. */

export interface Points<T> {
  label: string
  points: readonly T[]
}

/** The union of the times of every series, and each series' values on it (null where it has none). */
export function alignSeries<T extends { t: number }>(
  list: readonly Points<T>[],
  value: (p: T) => number | null,
): { times: number[]; series: { label: string; values: (number | null)[] }[] } {
  const times = [...new Set(list.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b)
  const index = new Map(times.map((t, i) => [t, i]))
  const series = list.map((s) => {
    const values: (number | null)[] = new Array(times.length).fill(null)
    for (const p of s.points) values[index.get(p.t)!] = value(p)
    return { label: s.label, values }
  })
  return { times, series }
}
