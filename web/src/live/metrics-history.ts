/**
 * A rolling history of RED figures per system, fed one `/metrics` scrape at
 * a time. The first scrape only sets the baseline (counters since process
 * start say nothing about now); each later one adds a point per system.
 */
import type { Sample } from '../metrics/prometheus'
import { countersBySystem, type RedRates, ratesBetween, type SystemCounters } from '../metrics/red'

export interface RedPoint extends RedRates {
  /** Unix time in seconds (uPlot's x axis). */
  t: number
}

/** Five minutes at one scrape every two seconds. */
export const HISTORY_POINTS = 150

export class MetricsHistory {
  private prev: { at: number; counters: Map<string, SystemCounters> } | undefined
  private readonly points = new Map<string, RedPoint[]>()

  /** Add the scrape taken at `atMs`; systems in `known` without any request yet get a point of zeros. */
  push(samples: readonly Sample[], atMs: number, known: readonly string[] = []): void {
    const counters = countersBySystem(samples)
    const prev = this.prev
    this.prev = { at: atMs, counters }
    if (!prev) return
    const seconds = (atMs - prev.at) / 1000
    const idle = { count: 0, errors: 0, buckets: new Map<number, number>() }
    for (const system of new Set([...known, ...counters.keys()])) {
      const cur = counters.get(system) ?? idle
      const list = this.points.get(system) ?? []
      list.push({ t: atMs / 1000, ...ratesBetween(prev.counters.get(system), cur, seconds) })
      if (list.length > HISTORY_POINTS) list.splice(0, list.length - HISTORY_POINTS)
      this.points.set(system, list)
    }
  }

  /** Points of `system`, oldest first (empty until two scrapes saw it). */
  of(system: string): readonly RedPoint[] {
    return this.points.get(system) ?? []
  }

  /** The newest point of `system`. */
  latest(system: string): RedPoint | undefined {
    return this.points.get(system)?.at(-1)
  }
}
