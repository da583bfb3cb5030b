/**
 * Sliding window log: remember when each admitted unit was consumed and count
 * those of the last `periodMs`. Exact (no boundary burst: any window of
 * `periodMs` holds at most `limit` units), at the price of memory that grows
 * with the traffic: one entry per distinct millisecond in which something was
 * admitted, up to min(limit, periodMs) entries per key. Entries of the same
 * millisecond are merged, so a burst costs one entry.
 * Mirrored by lua/sliding-window-log/state.lib.lua (with the operations of lua/lib/).
 */
import type { Algorithm } from './algorithm.js'

export interface SlidingWindowLogState {
  /** Admission times (ms), oldest first, strictly increasing. */
  times: number[]
  /** Units admitted at each of `times`. */
  costs: number[]
  /** Sum of `costs`. */
  used: number
}

export const slidingWindowLog: Algorithm<SlidingWindowLogState> = {
  advance(state, clockNow, { periodMs }) {
    if (!state) return { state: { times: [], costs: [], used: 0 }, now: clockNow }
    // Entries are appended at max(now, newest), so the log stays ordered even if the clock goes back.
    const now = Math.max(clockNow, state.times.at(-1) ?? clockNow)
    let drop = 0
    let freed = 0
    // An entry counts while now - time < periodMs.
    while (drop < state.times.length && state.times[drop]! + periodMs <= now) freed += state.costs[drop++]!
    if (drop === 0) return { state, now }
    return {
      state: { times: state.times.slice(drop), costs: state.costs.slice(drop), used: state.used - freed },
      now,
    }
  },
  admits: (s, cost, _now, { limit }) => s.used + cost <= limit,
  take(s, cost, now) {
    const times = s.times.slice()
    const costs = s.costs.slice()
    if (times.at(-1) === now) costs[costs.length - 1]! += cost
    else {
      times.push(now)
      costs.push(cost)
    }
    return { times, costs, used: s.used + cost }
  },
  give(s, cost) {
    // A refund takes back the most recent admissions first.
    const times = s.times.slice()
    const costs = s.costs.slice()
    let left = cost
    while (left > 0 && costs.length > 0) {
      const last = costs.length - 1
      const back = Math.min(left, costs[last]!)
      left -= back
      costs[last]! -= back
      if (costs[last] === 0) {
        costs.pop()
        times.pop()
      }
    }
    return { times, costs, used: s.used - (cost - left) }
  },
  remaining: (s, _now, { limit }) => limit - s.used,
  resetMs: (s, now, { periodMs }) => (s.times.length > 0 ? s.times.at(-1)! + periodMs - now : 0),
  retryAfterMs(s, cost, now, { limit, periodMs }) {
    // Wait until enough of the oldest entries have left the window.
    const need = s.used + cost - limit
    let freed = 0
    for (let i = 0; i < s.times.length; i++) {
      freed += s.costs[i]!
      if (freed >= need) return s.times[i]! + periodMs - now
    }
    return 0 // unreachable: cost <= limit, so freeing every entry always suffices
  },
}
