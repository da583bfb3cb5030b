/**
 * Fixed window: count the units consumed in the current window of `periodMs`,
 * windows aligned to the epoch (floor(now / periodMs)); the count starts from
 * zero in each new window. Two numbers per key. Cheap and exact within a
 * window, but a client can spend `limit` at the end of one window and `limit`
 * again at the start of the next: up to 2 x limit in a short instant.
 * Mirrored by lua/fixed-window/state.lib.lua (with the operations of lua/lib/).
 */
import type { Algorithm } from './algorithm.js'
import { floorDiv } from './arith.js'

export interface FixedWindowState {
  /** Start of the window the count belongs to (ms since the epoch). */
  start: number
  /** Units consumed in that window. */
  count: number
}

export const fixedWindow: Algorithm<FixedWindowState> = {
  advance(state, now, { periodMs }) {
    const start = floorDiv(now, periodMs) * periodMs
    // A clock that went back stays in the window it already counted in.
    if (state && state.start >= start) return { state, now: Math.max(now, state.start) }
    return { state: { start, count: 0 }, now }
  },
  admits: (s, cost, _now, { limit }) => s.count + cost <= limit,
  take: (s, cost) => ({ start: s.start, count: s.count + cost }),
  give: (s, cost) => ({ start: s.start, count: Math.max(0, s.count - cost) }),
  remaining: (s, _now, { limit }) => limit - s.count,
  resetMs: (s, now, { periodMs }) => (s.count > 0 ? s.start + periodMs - now : 0),
  // cost <= limit, so any cost fits in the next window.
  retryAfterMs: (s, _cost, now, { periodMs }) => s.start + periodMs - now,
}
