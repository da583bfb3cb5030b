/**
 * Token bucket: a bucket holds up to `burst` tokens and refills at `limit`
 * tokens per `periodMs`; a request takes `cost` tokens if the bucket has them.
 * A full bucket lets a burst of `burst` through at once, then traffic is held
 * to the refill rate. Two numbers per key. It starts full.
 *
 * Tokens are counted in units of 1/periodMs of a token, so that a refill of
 * `limit` tokens per `periodMs` is exactly `limit` units per millisecond and
 * everything stays an integer (no drift between the memory store and Lua).
 * Mirrored by lua/token-bucket/state.lib.lua (with the operations of lua/lib/).
 */
import type { Algorithm } from './algorithm.js'
import { ceilDiv, floorDiv } from './arith.js'

export interface TokenBucketState {
  /** Tokens x periodMs, between 0 and burst x periodMs. */
  tokens: number
  /** When `tokens` was last brought up to date (ms). */
  at: number
}

export const tokenBucket: Algorithm<TokenBucketState> = {
  advance(state, clockNow, { limit, periodMs, burst }) {
    const full = burst * periodMs
    if (!state) return { state: { tokens: full, at: clockNow }, now: clockNow }
    const now = Math.max(clockNow, state.at)
    // Cap the elapsed time at what fills an empty bucket, so elapsed x limit cannot overflow 2^53.
    const elapsed = Math.min(now - state.at, ceilDiv(full, limit))
    return { state: { tokens: Math.min(full, state.tokens + elapsed * limit), at: now }, now }
  },
  admits: (s, cost, _now, { periodMs }) => s.tokens >= cost * periodMs,
  take: (s, cost, _now, { periodMs }) => ({ tokens: s.tokens - cost * periodMs, at: s.at }),
  give: (s, cost, _now, { periodMs, burst }) => ({
    tokens: Math.min(burst * periodMs, s.tokens + cost * periodMs),
    at: s.at,
  }),
  remaining: (s, _now, { periodMs }) => floorDiv(s.tokens, periodMs),
  resetMs: (s, _now, { limit, periodMs, burst }) => ceilDiv(burst * periodMs - s.tokens, limit),
  retryAfterMs: (s, cost, _now, { limit, periodMs }) => ceilDiv(cost * periodMs - s.tokens, limit),
}
