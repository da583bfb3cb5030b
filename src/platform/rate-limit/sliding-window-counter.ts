/**
 * Sliding window counter (Cloudflare's approximation of the sliding log): keep
 * the counts of the previous and the current fixed window, and estimate the
 * units of the last `periodMs` as
 *
 *   previous x (periodMs - elapsed) / periodMs + current
 *
 * where `elapsed` is the time since the current window started: the previous
 * window's units are assumed to be spread evenly over it. Three numbers per key.
 * Admits when estimate + cost <= limit, compared exactly in integers (both
 * sides multiplied by periodMs). It smooths the fixed window's boundary burst
 * to at most ~1.x limit in bursty traffic, and is exact for evenly spread traffic.
 * Mirrored by lua/sliding-window-counter/state.lib.lua (with the operations of lua/lib/).
 */
import type { Algorithm } from './algorithm.js'
import { ceilDiv, floorDiv } from './arith.js'

export interface SlidingWindowCounterState {
  /** Start of the current window (ms since the epoch). */
  start: number
  /** Units of the window before `start`. */
  previous: number
  /** Units of the window starting at `start`. */
  current: number
}

/** The estimate of the last periodMs, scaled by periodMs so that it is an integer. */
function usedScaled(s: SlidingWindowCounterState, now: number, periodMs: number): number {
  return s.previous * (periodMs - (now - s.start)) + s.current * periodMs
}

export const slidingWindowCounter: Algorithm<SlidingWindowCounterState> = {
  advance(state, now, { periodMs }) {
    const start = floorDiv(now, periodMs) * periodMs
    if (state && state.start >= start) return { state, now: Math.max(now, state.start) }
    // The current window becomes the previous one; windows further back weigh nothing.
    const previous = state && state.start === start - periodMs ? state.current : 0
    return { state: { start, previous, current: 0 }, now }
  },
  admits: (s, cost, now, { limit, periodMs }) =>
    usedScaled(s, now, periodMs) + cost * periodMs <= limit * periodMs,
  take: (s, cost) => ({ ...s, current: s.current + cost }),
  give: (s, cost) => ({ ...s, current: Math.max(0, s.current - cost) }),
  remaining: (s, now, { limit, periodMs }) =>
    Math.max(0, floorDiv(limit * periodMs - usedScaled(s, now, periodMs), periodMs)),
  resetMs(s, now, { periodMs }) {
    const elapsed = now - s.start
    if (s.current > 0) return 2 * periodMs - elapsed // it weighs until the end of the next window
    if (s.previous > 0) return periodMs - elapsed
    return 0
  },
  retryAfterMs(s, cost, now, { limit, periodMs }) {
    const elapsed = now - s.start
    const room = limit - s.current - cost
    if (room >= 0) {
      // Wait in this window until previous x (periodMs - e) <= room x periodMs.
      const e = ceilDiv(s.previous * periodMs - room * periodMs, s.previous)
      return e - elapsed
    }
    // Only the next window has room: there `current` becomes the previous count.
    const e = Math.max(0, ceilDiv(s.current * periodMs - (limit - cost) * periodMs, s.current))
    return periodMs - elapsed + e
  },
}
