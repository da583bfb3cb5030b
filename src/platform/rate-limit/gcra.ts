/**
 * GCRA, the generic cell rate algorithm (ATM networks; redis-cell, Stripe,
 * Shopify): instead of a level and a timestamp, keep one instant, the
 * theoretical arrival time (TAT) at which the bucket would be empty again.
 * Each admitted request pushes the TAT forward by cost x T, where
 * T = periodMs / limit is the emission interval; a request is admitted when
 * the pushed TAT is at most burst x T ahead of now. The TAT needs no update
 * while idle: that is GCRA's appeal, one number and no refill arithmetic.
 *
 * It is the leaky-bucket meter in disguise (level = (TAT - now) / T), so it
 * admits exactly what the token and leaky buckets admit. T is rarely a whole
 * number of ms, so the TAT is kept exactly as `tat + frac / limit` ms with
 * 0 <= frac < limit, rather than as a float that would drift.
 * Mirrored by lua/gcra/state.lib.lua (with the operations of lua/lib/).
 */
import type { Algorithm } from './algorithm.js'
import { ceilDiv, floorDiv } from './arith.js'

export interface GcraState {
  /** Whole milliseconds of the TAT. */
  tat: number
  /** The TAT's fraction of a millisecond, in 1/limit ms (0 <= frac < limit). */
  frac: number
}

/** How far the TAT is ahead of `now`, in the buckets' units (1/periodMs of a token); >= 0 once advanced. */
function debt(s: GcraState, now: number, limit: number): number {
  return (s.tat - now) * limit + s.frac
}

/** The state whose TAT is `now` plus `units` (in 1/periodMs of a token, i.e. units/limit ms). */
function tatAfter(now: number, units: number, limit: number): GcraState {
  const whole = floorDiv(units, limit)
  return { tat: now + whole, frac: units - whole * limit }
}

export const gcra: Algorithm<GcraState> = {
  // A TAT in the past means an empty bucket: it never matters how long ago.
  advance: (state, now, { limit }) => ({
    state: state && debt(state, now, limit) > 0 ? state : { tat: now, frac: 0 },
    now,
  }),
  admits: (s, cost, now, { limit, periodMs, burst }) =>
    debt(s, now, limit) + cost * periodMs <= burst * periodMs,
  take: (s, cost, now, { limit, periodMs }) => tatAfter(now, debt(s, now, limit) + cost * periodMs, limit),
  give: (s, cost, now, { limit, periodMs }) =>
    tatAfter(now, Math.max(0, debt(s, now, limit) - cost * periodMs), limit),
  // max(0, ...): a clock that went back can leave the TAT more than a burst ahead.
  remaining: (s, now, { limit, periodMs, burst }) =>
    Math.max(0, floorDiv(burst * periodMs - debt(s, now, limit), periodMs)),
  resetMs: (s, now, { limit }) => ceilDiv(debt(s, now, limit), limit),
  retryAfterMs: (s, cost, now, { limit, periodMs, burst }) =>
    ceilDiv(debt(s, now, limit) + cost * periodMs - burst * periodMs, limit),
}
