/**
 * Visits counted per time bin for the chart. The bin follows the span the
 * visits cover (minutes for the last hours, hours for days, days beyond),
 * so a new link and a year-old one both give a readable chart.
 */
import type { Visit } from './api'

const MINUTE = 60
const HOUR = 3_600
const DAY = 86_400

/** The bin width in seconds for visits spanning `span` seconds. */
export function binFor(span: number): number {
  if (span <= 3 * HOUR) return MINUTE
  if (span <= 4 * DAY) return HOUR
  return DAY
}

/** Counts per bin from the first visit's bin (at most an hour back) to now, empty bins included. */
export function bucketVisits(
  visits: readonly Pick<Visit, 'date'>[],
  nowMs: number,
): { times: number[]; counts: number[]; bin: number } {
  const now = Math.floor(nowMs / 1000)
  const stamps = visits.map((v) => Math.floor(Date.parse(v.date) / 1000)).filter(Number.isFinite)
  const first = Math.min(now - HOUR, ...stamps)
  const bin = binFor(now - first)
  const start = Math.floor(first / bin) * bin
  const end = Math.floor(now / bin) * bin
  const times: number[] = []
  for (let t = start; t <= end; t += bin) times.push(t)
  const counts = new Array<number>(times.length).fill(0)
  for (const s of stamps) {
    const i = Math.floor((s - start) / bin)
    if (i >= 0 && i < counts.length) counts[i]!++
  }
  return { times, counts, bin }
}
