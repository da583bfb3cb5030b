/**
 * Leaky bucket as a meter: each request pours `cost` into a bucket of size
 * `burst` that leaks `limit` per `periodMs`; a request that would overflow it
 * is refused (nothing is queued: this is the meter, not the queue that smooths
 * output). Two numbers per key. It starts empty.
 *
 * It is the token bucket seen from the other side (level = burst - tokens),
 * so for the same limit, period and burst both admit exactly the same
 * requests; the property tests check both against one reference. The level is
 * counted in units of 1/periodMs, like the token bucket's tokens.
 * Mirrored by lua/leaky-bucket/state.lib.lua (with the operations of lua/lib/).
 */
import type { Algorithm } from './algorithm.js'
import { ceilDiv, floorDiv } from './arith.js'

export interface LeakyBucketState {
  /** Level x periodMs, between 0 and burst x periodMs. */
  level: number
  /** When `level` was last brought up to date (ms). */
  at: number
}

export const leakyBucket: Algorithm<LeakyBucketState> = {
  advance(state, clockNow, { limit }) {
    if (!state) return { state: { level: 0, at: clockNow }, now: clockNow }
    const now = Math.max(clockNow, state.at)
    // Cap the elapsed time at what empties the bucket, so elapsed x limit cannot overflow 2^53.
    const elapsed = Math.min(now - state.at, ceilDiv(state.level, limit))
    return { state: { level: Math.max(0, state.level - elapsed * limit), at: now }, now }
  },
  admits: (s, cost, _now, { periodMs, burst }) => s.level + cost * periodMs <= burst * periodMs,
  take: (s, cost, _now, { periodMs }) => ({ level: s.level + cost * periodMs, at: s.at }),
  give: (s, cost, _now, { periodMs }) => ({ level: Math.max(0, s.level - cost * periodMs), at: s.at }),
  remaining: (s, _now, { periodMs, burst }) => floorDiv(burst * periodMs - s.level, periodMs),
  resetMs: (s, _now, { limit }) => ceilDiv(s.level, limit),
  retryAfterMs: (s, cost, _now, { limit, periodMs, burst }) =>
    ceilDiv(s.level + cost * periodMs - burst * periodMs, limit),
}
