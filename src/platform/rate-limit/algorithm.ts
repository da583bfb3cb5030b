/**
 * The shape every algorithm has, and the one function that turns it into a
 * decision. An algorithm is a handful of pure functions over its own small
 * state; `applyOp` strings them together the same way for all six, and each
 * Lua script follows the same steps in the same order:
 *
 *   1. advance the state to `now` (refill, drain, roll the window, drop old entries);
 *   2. consume: admit if the cost fits, then take it; peek: only ask; refund: give back;
 *   3. describe the resulting state (remaining, resetMs) and, if denied, when to retry.
 *
 * `undefined` is the fresh state (a key never seen, or idle long enough to be
 * as good as new). A state whose `resetMs` is 0 is fresh again, so the stores
 * drop it: that is what keeps idle keys from piling up.
 */
import type { Limits, Op, RateLimitResult } from './types.js'

/** The state at a given instant, after the clock guard (`now` never runs behind the state's own time). */
export interface Advanced<S> {
  state: S
  now: number
}

export interface Algorithm<S> {
  /** Bring `state` (or the fresh state) forward to `now`. */
  advance(state: S | undefined, now: number, limits: Limits): Advanced<S>
  /** Whether `cost` units fit in `state` right now. */
  admits(state: S, cost: number, now: number, limits: Limits): boolean
  /** `state` with `cost` units consumed (only called when `admits`). */
  take(state: S, cost: number, now: number, limits: Limits): S
  /** `state` with `cost` units given back, never beyond the fresh state. */
  give(state: S, cost: number, now: number, limits: Limits): S
  /** Units still available in `state`. */
  remaining(state: S, now: number, limits: Limits): number
  /** Milliseconds until `state` is fresh again (0: it is). */
  resetMs(state: S, now: number, limits: Limits): number
  /** Milliseconds until `cost` units fit (only called when they do not). */
  retryAfterMs(state: S, cost: number, now: number, limits: Limits): number
}

/** What one operation does to a key: the result, and the state to keep (undefined: drop the key). */
export interface Transition<S> {
  result: RateLimitResult
  /** The state to store; undefined when it is fresh (drop the key) or unchanged by a peek. */
  state: S | undefined
  /** Whether the store must write `state` (false for peeks and denials). */
  changed: boolean
  /** The instant the decision was taken at (the clock, or the state's own time if the clock went back). */
  now: number
}

/** Apply `op` with `cost` to `state` at `now`: the whole decision, without I/O. */
export function applyOp<S>(
  alg: Algorithm<S>,
  stored: S | undefined,
  op: Op,
  cost: number,
  clockNow: number,
  limits: Limits,
): Transition<S> {
  const { state, now } = alg.advance(stored, clockNow, limits)
  let next = state
  let allowed = true
  if (op === 'refund') next = alg.give(state, cost, now, limits)
  else {
    allowed = alg.admits(state, cost, now, limits)
    if (allowed && op === 'consume') next = alg.take(state, cost, now, limits)
  }
  const resetMs = alg.resetMs(next, now, limits)
  return {
    result: {
      allowed,
      remaining: alg.remaining(next, now, limits),
      limit: limits.burst,
      resetMs,
      retryAfterMs: allowed ? 0 : alg.retryAfterMs(state, cost, now, limits),
    },
    state: resetMs === 0 ? undefined : next,
    changed: op === 'refund' || (op === 'consume' && allowed),
    now,
  }
}
