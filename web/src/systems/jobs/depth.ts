/**
 * Queue depth over time, from the counts per queue and state each poll of
 * /jobs/queues brings: the last HISTORY_SECONDS of samples, summed over every
 * queue or taken from one.
 */
import type { Counts, JobState, Queue } from './api'
import { STATES } from './api'

export const HISTORY_SECONDS = 300

export interface DepthSample {
  /** Unix seconds. */
  t: number
  byQueue: Record<string, Counts>
}

export function emptyCounts(): Counts {
  return Object.fromEntries(STATES.map((s) => [s, 0])) as Counts
}

/** The history with `queues` sampled at `t`, samples older than HISTORY_SECONDS dropped. */
export function addSample(
  history: readonly DepthSample[],
  t: number,
  queues: readonly Queue[],
): DepthSample[] {
  const byQueue: Record<string, Counts> = {}
  for (const q of queues) byQueue[q.name] = { ...emptyCounts(), ...q.counts }
  return [...history.filter((s) => s.t > t - HISTORY_SECONDS && s.t < t), { t, byQueue }]
}

/** The counts of one sample for `queue`, or summed over every queue (undefined). */
export function countsOf(sample: DepthSample, queue: string | undefined): Counts {
  if (queue !== undefined) return sample.byQueue[queue] ?? emptyCounts()
  const total = emptyCounts()
  for (const c of Object.values(sample.byQueue)) for (const s of STATES) total[s] += c[s] ?? 0
  return total
}

/** Times and one series per state in `states`, for the chart. */
export function depthSeries(
  history: readonly DepthSample[],
  queue: string | undefined,
  states: readonly JobState[],
): { times: number[]; series: { label: string; values: number[] }[] } {
  const counts = history.map((s) => countsOf(s, queue))
  return {
    times: history.map((s) => s.t),
    series: states.map((state) => ({ label: state, values: counts.map((c) => c[state]) })),
  }
}
