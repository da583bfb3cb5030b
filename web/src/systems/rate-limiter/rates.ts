/**
 * Allowed and limited decisions per second, per rule, from successive
 * snapshots of the cumulative counters (the way Prometheus' rate() reads a
 * counter): the page polls /rate-limiter/stats and keeps a short history.
 */
import type { RuleStats } from './api'

export interface RatePoint {
  /** Unix seconds. */
  t: number
  allowed: number
  limited: number
}

export interface RateHistory {
  points: Map<string, RatePoint[]>
  last: { t: number; rules: Map<string, RuleStats> } | undefined
}

/** How many points each rule keeps (2 s apart: 4 minutes). */
export const KEEP = 120

/** An empty history. */
export function emptyHistory(): RateHistory {
  return { points: new Map(), last: undefined }
}

/** The history with one more snapshot taken at `t` (seconds); a counter that went down (restart) restarts its rule. */
export function addSnapshot(h: RateHistory, t: number, rules: RuleStats[]): RateHistory {
  const points = new Map(h.points)
  const prev = h.last
  if (prev && t > prev.t) {
    const dt = t - prev.t
    for (const r of rules) {
      const before = prev.rules.get(r.id)
      const dAllowed = before ? r.allowed - before.allowed : r.allowed
      const dLimited = before
        ? r.limited + r.shadowLimited - before.limited - before.shadowLimited
        : r.limited + r.shadowLimited
      if (dAllowed < 0 || dLimited < 0) {
        points.set(r.id, [])
        continue
      }
      const list = [...(points.get(r.id) ?? []), { t, allowed: dAllowed / dt, limited: dLimited / dt }]
      points.set(r.id, list.slice(-KEEP))
    }
  }
  return { points, last: { t, rules: new Map(rules.map((r) => [r.id, r])) } }
}
